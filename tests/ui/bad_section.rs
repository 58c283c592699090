api_macros::generate_api! {
    specs = ["specs/bad_section.toml"],
    extension_trait = Bad,
}

fn main() {}
