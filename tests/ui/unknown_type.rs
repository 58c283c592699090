api_macros::generate_api! {
    specs = ["specs/unknown_type.toml"],
    extension_trait = Bad,
}

fn main() {}
