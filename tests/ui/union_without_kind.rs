api_macros::generate_api! {
    specs = ["specs/union_without_kind.toml"],
    extension_trait = Bad,
}

fn main() {}
