api_macros::generate_api! {
    specs = ["specs/builtin_type_redeclared.toml"],
    extension_trait = Bad,
}

fn main() {}
