api_macros::generate_api! {
    specs = ["specs/enum_mixed_wire.toml"],
    extension_trait = Bad,
}

fn main() {}
