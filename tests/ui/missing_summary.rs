api_macros::generate_api! {
    specs = ["specs/missing_summary.toml"],
    extension_trait = Bad,
}

fn main() {}
