api_macros::generate_api! {
    specs = ["specs/missing_reply.toml"],
    extension_trait = Bad,
}

fn main() {}
