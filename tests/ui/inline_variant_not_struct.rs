api_macros::generate_api! {
    specs = ["specs/inline_variant_not_struct.toml"],
    extension_trait = Bad,
}

fn main() {}
