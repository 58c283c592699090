api_macros::generate_api! {
    specs = ["specs/bad_reply.toml"],
    extension_trait = Bad,
}

fn main() {}
