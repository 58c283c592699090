api_macros::generate_api! {
    specs = ["specs/duplicate_action.toml"],
    extension_trait = Bad,
}

fn main() {}
