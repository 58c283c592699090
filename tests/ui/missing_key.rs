api_macros::generate_api! {
    specs = ["specs/missing_key.toml"],
    extension_trait = Bad,
}

fn main() {}
