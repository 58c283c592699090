api_macros::generate_api! {
    specs = ["specs/bad_toml.toml"],
    extension_trait = Bad,
}

fn main() {}
