api_macros::generate_api! {
    specs = ["specs/union_unknown_variant_type.toml"],
    extension_trait = Bad,
}

fn main() {}
