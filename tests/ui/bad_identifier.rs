api_macros::generate_api! {
    specs = ["specs/bad_identifier.toml"],
    extension_trait = Bad,
}

fn main() {}
