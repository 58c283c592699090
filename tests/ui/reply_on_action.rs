api_macros::generate_api! {
    specs = ["specs/reply_on_action.toml"],
    extension_trait = Bad,
}

fn main() {}
