api_macros::generate_api! {
    specs = ["specs/union_duplicate_tag.toml"],
    extension_trait = Bad,
}

fn main() {}
