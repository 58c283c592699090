api_macros::generate_api! {
    specs = ["specs/summary_two_lines.toml"],
    extension_trait = Bad,
}

fn main() {}
