api_macros::generate_api! {
    specs = ["specs/either_or_param_clash.toml"],
    extension_trait = Bad,
}

fn main() {}
