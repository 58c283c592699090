//! What the macro costs at build time: expansion in-process, and `cargo build` of a crate
//! whose spec has 1, 50 or 200 actions, and of the Account spec.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use api_spec::codegen::{self, Options, Target};

/// A synthetic spec of `n` actions: each takes a `qq`, an optional text and a defaulted
/// integer, and returns a small struct; about what real actions look like.
pub fn synthetic_spec(n: usize) -> String {
    let mut s = String::from(
        "category = \"synthetic\"\ntitle = \"Synthetic\"\npermalink = \"/s/\"\noverview = \"o\"\nsections = [\"S\"]\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            r#"
[[struct]]
name = "Result{i}"
doc = "结果 {i}。"
fields = [
  {{ name = "id", type = "qq", doc = "ID" }},
  {{ name = "name", type = "string?", doc = "名称" }},
]

[[action]]
name = "action_{i}"
summary = "Runs action {i}."
section = "S"
doc = "动作 {i}。"
example = "api.action_{i}(1).await?;"
returns = "Result{i}"
napcat = {{ reply = '{{"id": 1, "name": "n"}}' }}
params = [
  {{ name = "user_id", type = "qq", doc = "QQ" }},
  {{ name = "note", type = "string?", doc = "备注" }},
  {{ name = "times", type = "i64", default = 1, doc = "次数" }},
]
"#
        ));
    }
    s
}

/// Median time to parse, validate and generate tokens for `text`.
pub fn expansion_time(text: &str, rounds: usize) -> Duration {
    crate::timing::median(rounds, || {
        let spec =
            api_spec::load(&[("bench.toml".to_owned(), text.to_owned())]).expect("valid spec");
        let tokens =
            codegen::generate(&spec, &Options::new(Target::ExtensionTrait("Bench".into())));
        std::hint::black_box(tokens);
    })
}

/// The built-in spec as the macro expands it inside `api-core`: the median time to load the
/// spec files and generate tokens, and the generated code's size (bytes of the token text).
pub fn builtin_expansion(rounds: usize) -> (Duration, usize) {
    let generate = || {
        let spec = api_spec::load(&api_spec::load::builtin_files()).expect("valid spec");
        codegen::generate(&spec, &Options::new(Target::Core))
    };
    let size = generate().to_string().len();
    let time = crate::timing::median(rounds, || {
        std::hint::black_box(generate());
    });
    (time, size)
}

/// Lines of the built-in spec's expansion inside `api-core`, formatted as `cargo expand` (and
/// `api-spec expand`) shows it.
pub fn builtin_lines() -> usize {
    let spec = api_spec::load(&api_spec::load::builtin_files()).expect("valid spec");
    let tokens = codegen::generate(&spec, &Options::new(Target::Core));
    let file = syn::parse2::<syn::File>(tokens).expect("generated code parses");
    prettyplease::unparse(&file).lines().count()
}

/// `cargo <command> -q --offline <args>` in `dir` into `target`; panics on failure.
fn cargo(command: &str, dir: &Path, target: &Path, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([command, "-q", "--offline"])
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "cargo {command} {args:?} in {dir:?} failed"
    );
}

/// `cargo build` (debug, offline, quiet) in `dir` into `target`, with `args`.
fn cargo_build(dir: &Path, target: &Path, args: &[&str]) {
    cargo("build", dir, target, args);
}

/// How long `build` takes, after `set_up` (not timed).
fn timed(set_up: impl FnOnce(), build: impl FnOnce()) -> Duration {
    set_up();
    let t = Instant::now();
    build();
    t.elapsed()
}

/// A crate that runs the macro on `spec_text`, under `dir`.
fn write_crate(dir: &Path, workspace: &Path, spec_text: &str) {
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    let core = workspace.join("api-core");
    let macros = workspace.join("api-macros");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"bench-gen\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[dependencies]\napi-core = {{ path = {core:?} }}\napi-macros = {{ path = {macros:?} }}\n\n[workspace]\n"
        ),
    )
    .expect("write manifest");
    let _ = std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock"));
    std::fs::write(dir.join("spec.toml"), spec_text).expect("write spec");
    std::fs::write(
        dir.join("src/lib.rs"),
        "api_macros::generate_api! { specs = [\"../spec.toml\"], extension_trait = Bench }\n",
    )
    .expect("write lib");
}

/// Wall time of `cargo build` (debug) of a crate generated from `spec_text`, with its
/// dependencies already built; the median of `rounds` rebuilds after touching the source.
pub fn crate_build_time(workspace: &Path, name: &str, spec_text: &str, rounds: usize) -> Duration {
    let dir: PathBuf = workspace.join("target/bench-build").join(name);
    write_crate(&dir, workspace, spec_text);
    let target = workspace.join("target/bench-build/target");
    let build = || cargo_build(&dir, &target, &[]);
    build(); // dependencies, once
    let lib = dir.join("src/lib.rs");
    let touch = || {
        let text = std::fs::read_to_string(&lib).expect("read lib");
        std::fs::write(&lib, format!("{text}\n")).expect("touch lib");
    };
    crate::timing::median_timed(rounds, || timed(touch, build))
}

/// Puts a file's text back when dropped, so an interrupted benchmark leaves no edit behind.
struct Restore {
    path: PathBuf,
    text: String,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, &self.text);
    }
}

/// `cargo build -p api-core` (debug, its own target directory) from clean for `api-core`
/// only: its dependencies, `api-spec` and `api-macros` included, are built first and kept.
pub fn core_clean_build_time(workspace: &Path, rounds: usize) -> Duration {
    let target = workspace.join("target/bench-build/core");
    let build = || cargo_build(workspace, &target, &["-p", "api-core"]);
    build(); // dependencies, once
    let clean = || cargo("clean", workspace, &target, &["-p", "api-core"]);
    crate::timing::median_timed(rounds, || timed(clean, build))
}

/// `cargo build -p api-core` (debug, its own target directory, dependencies built) after a
/// one-line edit of a spec file (a doc line of the first action changes): the rebuild a person
/// waits for after changing the spec. The file is put back afterwards.
pub fn core_rebuild_time(workspace: &Path, rounds: usize) -> Duration {
    let spec = workspace.join("api-spec/spec/account.toml");
    let original = std::fs::read_to_string(&spec).expect("read the spec");
    let _restore = Restore {
        path: spec.clone(),
        text: original.clone(),
    };
    let target = workspace.join("target/bench-build/core");
    let build = || cargo_build(workspace, &target, &["-p", "api-core"]);
    build(); // dependencies, once
    let mut round = 0;
    crate::timing::median_timed(rounds, || {
        round += 1;
        let edited = original.replacen("doc = \"", &format!("doc = \"（第 {round} 次修改）"), 1);
        timed(
            || std::fs::write(&spec, edited).expect("edit the spec"),
            build,
        )
    })
}
