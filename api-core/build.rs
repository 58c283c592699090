//! Rebuilds the crate when a spec file is added or removed (editing one is tracked by the
//! generated code's `include_str!`).

fn main() {
    println!("cargo:rerun-if-changed=../api-spec/spec");
}
