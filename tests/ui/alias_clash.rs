api_macros::generate_api! {
    specs = ["specs/alias_clash.toml"],
    extension_trait = Bad,
}

fn main() {}
