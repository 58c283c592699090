//! The three readers of the spec model: generated code (snapshot), docs (freshness) and
//! the JSON dump (checked against the parsed model).

use std::path::Path;

use api_spec::codegen::{self, Options, Target};
use api_spec::{Presence, Spec};

fn spec() -> Spec {
    api_spec::load_builtin().unwrap_or_else(|e| panic!("the shipped spec must load:\n{e}"))
}

/// Compares `actual` with the file at `path`; with `UPDATE_SNAPSHOTS=1` rewrites it.
fn assert_matches_file(path: &Path, actual: &str, regenerate: &str) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || expected.lines().count().min(actual.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "{} is out of date (first difference at line {line}); regenerate it with `{regenerate}`",
            path.display()
        );
    }
}

/// Each fixture spec under `tests/fixtures/` (one construct each) generates the code in
/// `tests/snapshots/<name>.rs.txt`. The same fixtures are compiled and exercised in
/// `tests/tests/constructs.rs`.
#[test]
fn generated_code_matches_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let names = toml_files_in(&dir.join("fixtures"));
    assert!(!names.is_empty());
    for name in names {
        let text = std::fs::read_to_string(dir.join("fixtures").join(&name)).unwrap();
        let spec = api_spec::load(&[(name.clone(), text)])
            .unwrap_or_else(|e| panic!("fixture {name} must load:\n{e}"));
        let tokens = codegen::generate(
            &spec,
            &Options::new(Target::ExtensionTrait("FixtureActions".into())),
        );
        let file = syn::parse2::<syn::File>(tokens).expect("generated code parses as a Rust file");
        let stem = name.trim_end_matches(".toml");
        assert_matches_file(
            &dir.join(format!("snapshots/{stem}.rs.txt")),
            &prettyplease::unparse(&file),
            "UPDATE_SNAPSHOTS=1 cargo test -p api-spec --test spec_outputs",
        );
    }
}

#[test]
fn docs_are_fresh() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let stale = api_spec::docs::stale_pages(&spec(), &docs);
    assert!(
        stale.is_empty(),
        "docs/ differs from the spec for: {}; regenerate with `{}`",
        stale.join(", "),
        api_spec::docs::REGENERATE
    );
}

#[test]
fn a_changed_doc_line_makes_docs_stale() {
    let mut changed = spec();
    changed.categories[0].actions[0].doc = "改过的功能说明。".into();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    assert_eq!(
        api_spec::docs::stale_pages(&changed, &docs),
        vec!["api/account.md", "api/index.md"]
    );
}

#[test]
fn account_page_follows_the_seed_shape() {
    let pages = api_spec::docs::render(&spec());
    let account = &pages
        .iter()
        .find(|p| p.path == "api/account.md")
        .unwrap()
        .text;
    assert!(
        account
            .starts_with("---\ntitle: Account API（异步）\npermalink: /api/botapi/account/\n---\n")
    );
    let sections = [
        "## 概览",
        "## 账号相关",
        "## 好友",
        "## 消息",
        "## 群（账号维度）",
        "## 其它",
        "## 类型",
    ];
    let positions: Vec<usize> = sections
        .iter()
        .map(|s| account.find(s).unwrap_or_else(|| panic!("{s}")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "sections in seed order"
    );
    for (_, a) in spec().actions().filter(|(c, _)| c.name == "account") {
        assert!(account.contains(&format!("### {}\n", a.rust_name)));
        assert!(account.contains(&format!("- **NapCat 动作名**: `{}`", a.wire_name)));
    }
    assert!(account.contains("- **返回**: [`LoginInfo`](#logininfo)"));
    assert!(account.contains("### LoginInfo"));
    let index = &pages
        .iter()
        .find(|p| p.path == "api/index.md")
        .unwrap()
        .text;
    assert!(index.contains("| [`set_avatar`](account.md#set_avatar) | `set_qq_avatar` |"));
}

#[test]
fn dump_lists_every_action_as_parsed() {
    let spec = spec();
    let dump = api_spec::dump::to_json(&spec);
    let actions: Vec<&serde_json::Value> = dump["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["actions"].as_array().unwrap())
        .collect();
    assert_eq!(actions.len(), spec.actions().count());
    assert_eq!(dump["version"], api_spec::dump::VERSION);
    for ((cat, a), d) in spec.actions().zip(&actions) {
        assert_eq!(d["rust_name"], a.rust_name.as_str());
        assert_eq!(d["wire_name"], a.wire_name.as_str());
        assert_eq!(d["category"], cat.name.as_str());
        assert_eq!(d["section"], a.section.as_str());
        assert_eq!(d["summary"], a.summary.as_str());
        assert_eq!(d["doc"], a.doc.as_str());
        assert_eq!(d["returns"], a.returns.to_string());
        let napcat = &d["napcat"];
        assert_eq!(napcat["reply"], a.napcat.reply.clone().unwrap_or_default());
        assert_eq!(napcat["schema_checked"], a.napcat.schema_checked);
        assert_eq!(napcat["stream_action"], a.napcat.stream_action);
        assert_eq!(
            napcat["json_reason"].as_str(),
            a.napcat.json_reason.as_deref()
        );
        assert_eq!(
            napcat["example_differs"].as_str(),
            a.napcat.example_differs.as_deref()
        );
        let params = d["params"].as_array().unwrap();
        assert_eq!(params.len(), a.params.len());
        for (p, dp) in a.params.iter().zip(params) {
            assert_eq!(dp["rust_name"], p.rust_name.as_str());
            assert_eq!(dp["wire_name"], p.wire_name.as_str());
            assert_eq!(dp["type"], p.ty.to_string());
            assert_eq!(dp["required"], p.presence == Presence::Required);
            assert_eq!(
                dp["napcat"]["differs"].as_str(),
                p.napcat.differs.as_deref()
            );
            match &p.presence {
                Presence::Default(v) => assert_eq!(dp["default"], v.to_json(&spec)),
                _ => assert!(dp["default"].is_null()),
            }
        }
    }
    let delete = actions
        .iter()
        .find(|a| a["rust_name"] == "delete_friend")
        .unwrap();
    assert_eq!(delete["params"][1]["wire_name"], "temp_block");
    assert_eq!(delete["params"][1]["default"], false);
    assert_eq!(delete["params"][1]["type"], "bool?");
    assert_eq!(
        delete["params"][0]["aliases"],
        serde_json::json!(["friend_id"])
    );
    let share = actions
        .iter()
        .find(|a| a["rust_name"] == "ask_share_group")
        .unwrap();
    assert_eq!(share["aliases"], serde_json::json!(["ArkShareGroup"]));
    assert_eq!(
        share["summary"],
        "Gets a group's share card as Ark JSON text."
    );
    let read = actions
        .iter()
        .find(|a| a["rust_name"] == "mark_msg_as_read")
        .unwrap();
    assert_eq!(
        read["params"][0]["keys"],
        serde_json::json!(["message_id", "user_id", "group_id"])
    );
    let types = dump["types"].as_array().unwrap();
    let sex = types.iter().find(|t| t["name"] == "Sex").unwrap();
    assert_eq!(sex["variants"][1]["wire"], 1);
    assert_eq!(sex["variants"][1]["label"], "男");
    let login = types.iter().find(|t| t["name"] == "LoginInfo").unwrap();
    assert_eq!(login["fields"][0]["rust_name"], "user_id");
    let target = types.iter().find(|t| t["name"] == "ReadTarget").unwrap();
    assert_eq!(target["kind"], "union");
    assert_eq!(target["union"], "keyed");
}

/// The `*.toml` files in `dir`, sorted by name.
fn toml_files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    names
}

/// The built-in spec the build script embeds is every file of `spec/`, in name order: the
/// generated code (`builtin = true` in api-core), the docs, the dump and the simulator all
/// read that one list.
#[test]
fn the_builtin_spec_is_every_file_in_the_spec_directory() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    let on_disk: Vec<String> = toml_files_in(&dir)
        .into_iter()
        .map(|n| format!("api-spec/spec/{n}"))
        .collect();
    let embedded: Vec<String> = api_spec::load::builtin_files()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(embedded, on_disk);
}

/// A new spec file (here a types-only file and a category using its types) reaches every
/// reader: generated methods and types, a docs page and the index, the dump.
#[test]
fn a_new_spec_file_reaches_every_reader() {
    const SHARED: &str = r#"
category = "shared"
title = "Shared types"

[[enum]]
name = "MemberRole"
doc = "群角色。"
variants = [{ name = "Owner", wire = "owner", label = "群主" }, { name = "Member", wire = "member", label = "成员" }]
"#;
    const GUILD: &str = r#"
category = "guild"
title = "Guild API"
sections = ["频道"]

[[struct]]
name = "GuildInfo"
doc = "频道信息。"
fields = [{ name = "guild_id", type = "i64", doc = "频道号" }, { name = "role", type = "MemberRole", doc = "角色" }]

[[action]]
name = "get_guild_info"
summary = "Gets a guild's information."
section = "频道"
doc = "获取频道信息。"
example = "let g = api.get_guild_info(1).await?;"
returns = "GuildInfo"
params = [{ name = "guild_id", type = "i64", doc = "频道号" }]
[action.napcat]
reply = '{"guild_id": 1, "role": "owner"}'
"#;
    let mut files = api_spec::load::builtin_files();
    files.push(("api-spec/spec/guild.toml".into(), GUILD.into()));
    files.push(("api-spec/spec/shared.toml".into(), SHARED.into()));
    let spec = api_spec::load(&files).unwrap_or_else(|e| panic!("{e}"));

    let code = codegen::generate(&spec, &Options::new(Target::Core)).to_string();
    for item in [
        "fn get_guild_info",
        "struct GetGuildInfoRequest",
        "enum MemberRole",
    ] {
        assert!(code.contains(item), "generated code lacks {item}");
    }
    assert!(code.contains("fn get_login_info"), "the old files stay");

    let pages = api_spec::docs::render(&spec);
    let page = |path: &str| {
        pages
            .iter()
            .find(|p| p.path == path)
            .unwrap_or_else(|| panic!("no page {path}"))
            .text
            .clone()
    };
    assert!(page("api/guild.md").contains("### get_guild_info"));
    assert!(page("api/shared.md").contains("### MemberRole"));
    assert!(page("api/guild.md").contains("[`MemberRole`](shared.md#memberrole)"));
    assert!(page("api/index.md").contains("[`get_guild_info`](guild.md#get_guild_info)"));

    let dump = api_spec::dump::to_json(&spec);
    let categories: Vec<&str> = dump["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(categories.contains(&"guild") && categories.contains(&"account"));
    assert!(
        dump["types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "MemberRole")
    );
}
