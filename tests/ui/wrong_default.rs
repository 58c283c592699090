api_macros::generate_api! {
    specs = ["specs/wrong_default.toml"],
    extension_trait = Bad,
}

fn main() {}
