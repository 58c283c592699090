//! Embeds the built-in spec files (`spec/*.toml`, sorted by name) so that every reader of the
//! spec (the generated code, the docs, the dump, the simulator, the CLI) uses the files this
//! crate was built with. This is the one place that lists them; `load::builtin_files` reads
//! what it embeds.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("spec");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the spec directory exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut out = String::from("/// The built-in spec files: (name as errors show it, text).\n");
    out.push_str("pub(crate) const BUILTIN: &[(&str, &str)] = &[\n");
    for n in &names {
        let path = dir.join(n);
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            out,
            "    ({:?}, include_str!({:?})),",
            format!("api-spec/spec/{n}"),
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let _ = writeln!(
        out,
        "/// The directory the built-in files were read from.\npub(crate) const BUILTIN_DIR: &str = {:?};",
        dir.display().to_string()
    );
    let target = Path::new(&std::env::var("OUT_DIR").expect("set by cargo")).join("builtin.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
