api_macros::generate_api! {
    specs = ["specs/either_or_default.toml"],
    extension_trait = Bad,
}

fn main() {}
