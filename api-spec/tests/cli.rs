//! The `api-spec` tool run as a process: docs, check, dump and scaffold for a user's own spec.

use std::path::Path;
use std::process::{Command, Output};

fn api_spec(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_api-spec"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run api-spec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const USER_SPEC: &str = r#"category = "mine"
title = "My API"
sections = ["资料"]

[[action]]
name = "set_profile_sex"
summary = "Sets only the gender."
section = "资料"
doc = "只改性别。"
example = "api.set_profile_sex(Sex::Male).await?;"
returns = "()"
params = [{ name = "sex", type = "Sex", doc = "性别（内置类型）" }]
"#;

#[test]
fn docs_for_a_user_spec_link_the_builtin_types_and_stay_checkable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.toml"), USER_SPEC).unwrap();
    let out = api_spec(
        &["docs", "--spec", "mine.toml", "--out", "docs"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = std::fs::read_to_string(dir.path().join("docs/api/mine.md")).unwrap();
    assert!(page.contains("### set_profile_sex"), "{page}");
    assert!(page.contains("[`Sex`](builtin/account.md#sex)"), "{page}");
    assert!(dir.path().join("docs/api/builtin/account.md").exists());
    let index = std::fs::read_to_string(dir.path().join("docs/api/index.md")).unwrap();
    assert!(
        index.contains("set_profile_sex") && !index.contains("get_login_info"),
        "{index}"
    );

    let check = api_spec(
        &["docs", "--spec", "mine.toml", "--out", "docs", "--check"],
        dir.path(),
    );
    assert!(check.status.success(), "{}", text(&check.stderr));
    std::fs::write(
        dir.path().join("mine.toml"),
        USER_SPEC.replace("只改性别。", "改性别。"),
    )
    .unwrap();
    let stale = api_spec(
        &["docs", "--spec", "mine.toml", "--out", "docs", "--check"],
        dir.path(),
    );
    assert!(!stale.status.success());
    let err = text(&stale.stderr);
    assert!(
        err.contains("api/mine.md")
            && err.contains("regenerate with `api-spec docs --spec mine.toml --out docs`"),
        "{err}"
    );
}

#[test]
fn check_shows_each_error_with_its_line_and_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.toml"), USER_SPEC).unwrap();
    let ok = api_spec(&["check", "mine.toml"], dir.path());
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).contains("ok: 1 actions"),
        "{}",
        text(&ok.stdout)
    );

    std::fs::write(
        dir.path().join("bad.toml"),
        USER_SPEC.replace("type = \"Sex\"", "type = \"Gender\""),
    )
    .unwrap();
    let bad = api_spec(&["check", "bad.toml"], dir.path());
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(
        err.contains("error: bad.toml:12:34: unknown type `Gender`; declare it with [[struct]], [[enum]] or [[union]]"),
        "{err}"
    );
    assert!(
        err.contains(
            r#"12 | params = [{ name = "sex", type = "Gender", doc = "性别（内置类型）" }]"#
        ),
        "{err}"
    );
    let caret_line = err.lines().find(|l| l.trim_end().ends_with('^')).unwrap();
    assert_eq!(caret_line.find('^'), Some("12 | ".len() + 33), "{err}");
}

/// The actions in every built-in spec file.
fn api_spec_builtin_actions(root: &Path) -> usize {
    std::fs::read_dir(root.join("api-spec/spec"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .map(|t| t.lines().filter(|l| *l == "[[action]]").count())
        .sum()
}

/// Checking one of the built-in files (say, after editing it) reads it in place of the copy
/// built into the tool: its types and actions do not clash with themselves.
#[test]
fn checking_a_builtin_file_replaces_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let absolute = root.join("api-spec/spec/account.toml");
    let actions = std::fs::read_to_string(&absolute)
        .unwrap()
        .lines()
        .filter(|l| *l == "[[action]]")
        .count();
    let ok = api_spec(&["check", "api-spec/spec/account.toml"], root);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).starts_with(&format!("ok: {actions} actions")),
        "{}",
        text(&ok.stdout)
    );
    // The same file named another way (absolute, from elsewhere) is the same file.
    let dir = tempfile::tempdir().unwrap();
    let ok = api_spec(&["check", absolute.to_str().unwrap()], dir.path());
    assert!(ok.status.success(), "{}", text(&ok.stderr));

    // A directory stands for its `.toml` files: the whole built-in directory checks as itself.
    let whole = api_spec(&["check", "api-spec/spec"], root);
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    let total = api_spec_builtin_actions(root);
    assert!(
        text(&whole.stdout).starts_with(&format!("ok: {total} actions")),
        "{}",
        text(&whole.stdout)
    );
    let empty = tempfile::tempdir().unwrap();
    let none = api_spec(&["check", empty.path().to_str().unwrap()], root);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        text(&none.stderr).contains("a directory with no `.toml` files"),
        "{}",
        text(&none.stderr)
    );

    // A copy elsewhere is a file of its own, and clashes with the built-in one.
    std::fs::copy(&absolute, dir.path().join("account.toml")).unwrap();
    let clash = api_spec(&["check", "account.toml"], dir.path());
    assert_eq!(clash.status.code(), Some(1));
    assert!(
        text(&clash.stderr)
            .contains("type `Sex` is already declared (in api-spec/spec/account.toml)"),
        "{}",
        text(&clash.stderr)
    );
}

#[test]
fn dump_of_a_user_spec_holds_its_own_actions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.toml"), USER_SPEC).unwrap();
    let out = api_spec(&["dump", "--json", "--spec", "mine.toml"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dump: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dump["categories"].as_array().unwrap().len(), 1);
    assert_eq!(
        dump["categories"][0]["actions"][0]["params"][0]["type"],
        "Sex"
    );
}

#[test]
fn scaffolding_every_napcat_action_passes_check_once_its_summaries_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = api_spec(&["scaffold"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(dir.path().join("all.toml"), &out.stdout).unwrap();
    let napcat: Vec<serde_json::Value> =
        serde_json::from_str(api_spec::napcat::ACTIONS_JSON).unwrap();
    let unwritten = api_spec(&["check", "--alone", "all.toml"], dir.path());
    assert_eq!(unwritten.status.code(), Some(1));
    let placeholders = text(&unwritten.stderr)
        .lines()
        .filter(|l| l.contains("`summary` is still a placeholder"))
        .count();
    assert_eq!(placeholders, napcat.len(), "{}", text(&unwritten.stderr));

    let written: String = text(&out.stdout)
        .lines()
        .map(|l| match l.starts_with("summary = ") {
            true => "summary = \"Does what NapCat does.\"\n".to_owned(),
            false => format!("{l}\n"),
        })
        .collect();
    std::fs::write(dir.path().join("all.toml"), written).unwrap();
    let check = api_spec(&["check", "--alone", "all.toml"], dir.path());
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(
        text(&check.stdout).contains(&format!("ok: {} actions", napcat.len())),
        "{}",
        text(&check.stdout)
    );
    let one = api_spec(&["scaffold", "get_group_info"], dir.path());
    assert!(text(&one.stdout).contains("name = \"get_group_info\""));
    let missing = api_spec(&["scaffold", "no_such"], dir.path());
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("NapCat has no action `no_such`"));
}

#[test]
fn every_subcommand_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["docs", "check", "dump", "scaffold", "expand"] {
        let out = api_spec(&[sub, "--help"], dir.path());
        assert!(out.status.success(), "{sub}");
        assert!(text(&out.stdout).contains("Usage: api-spec"), "{sub}");
    }
}

/// `expand` prints exactly the formatted `codegen::generate` output that `generate_api!` gives
/// `api-core` (less the `include_str!` lines that make a spec edit rebuild the crate), as
/// Rust that parses. That formatted code compiles and behaves as the macro's expansion is
/// checked on every construct's fixture in `tests/tests/constructs.rs`, which compiles each
/// snapshot (the same formatting) beside the macro's expansion.
#[test]
fn expand_prints_the_macros_expansion_formatted() {
    use api_spec::codegen::{self, Options, Target};
    let dir = tempfile::tempdir().unwrap();
    let out = api_spec(&["expand"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let tokens = codegen::generate(
        &api_spec::load_builtin().unwrap(),
        &Options::new(Target::Core),
    );
    let file = syn::parse2::<syn::File>(tokens).unwrap();
    assert!(
        printed == prettyplease::unparse(&file),
        "expand differs from codegen::generate"
    );
    syn::parse_file(&printed).expect("the expansion parses as Rust");
    assert!(printed.contains("pub fn send_like("));
}

#[test]
fn expand_keeps_one_category_or_a_users_spec() {
    let dir = tempfile::tempdir().unwrap();
    let account = api_spec(&["expand", "--category", "account"], dir.path());
    assert!(account.status.success(), "{}", text(&account.stderr));
    let account = text(&account.stdout);
    assert!(account.contains("pub struct SendLikeRequest"), "{account}");
    assert!(!account.contains("pub struct SetGroupBanRequest"));

    let unknown = api_spec(&["expand", "--category", "nope"], dir.path());
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("no category `nope`"));

    std::fs::write(dir.path().join("mine.toml"), USER_SPEC).unwrap();
    let mine = api_spec(
        &["expand", "--spec", "mine.toml", "--extension-trait", "Mine"],
        dir.path(),
    );
    assert!(mine.status.success(), "{}", text(&mine.stderr));
    let mine = text(&mine.stdout);
    assert!(mine.contains("pub trait Mine"), "{mine}");
    assert!(mine.contains("pub struct SetProfileSexRequest"));
    assert!(!mine.contains("SendLikeRequest"));
}
