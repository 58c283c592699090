//! The `napcat` binary run as a process: exit codes and messages.

use std::process::{Command, Output};

fn napcat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_napcat"))
        .args(args)
        .env_remove("NAPCAT_URL")
        .env_remove("NAPCAT_TOKEN")
        .output()
        .expect("run napcat")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn call_against_embedded_simulator_prints_json() {
    let out = napcat(&["call", "get_stranger_info", "user_id=123456"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let data: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(data["nickname"], "张三");
    // Decoded through the typed `StrangerInfo` and re-encoded with its wire names: `sex` is
    // the enum's wire number (the server sent "male"), NT extras are kept.
    assert_eq!(data["qqLevel"], 32);
    assert_eq!(data["sex"], 1);
    assert_eq!(data["uin"], "123456");
    assert!(text(&out.stderr).contains("embedded NapCat simulator"));
}

#[test]
fn actions_lists_every_napcat_wire_name_with_its_category() {
    let out = napcat(&["actions"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    let names: std::collections::BTreeSet<&str> = listing
        .lines()
        .flat_map(|line| line.split_whitespace().take(5).skip(2))
        .map(|w| w.trim_end_matches(','))
        .collect();
    let napcat: Vec<serde_json::Value> =
        serde_json::from_str(api_spec::napcat::ACTIONS_JSON).unwrap();
    for a in &napcat {
        let wire = a["action"].as_str().unwrap();
        assert!(
            names.contains(wire),
            "`napcat actions` does not list {wire}"
        );
    }
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("system ") && l.contains(" handle_quick_operation ")),
        "{listing}"
    );
    // Each line ends with the English summary, then the Chinese doc line.
    assert!(
        listing.lines().any(|l| l.starts_with("message ")
            && l.contains(" send_private_msg ")
            && l.contains(" Sends a private message. 发送私聊消息。")),
        "{listing}"
    );
}

#[test]
fn unknown_action_suggests_close_names() {
    let out = napcat(&["call", "send_lke", "user_id=1"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown action `send_lke`") && err.contains("`send_like`"),
        "{err}"
    );
}

#[test]
fn unknown_parameter_suggests_close_names() {
    let out = napcat(&["call", "send_like", "user_id=1", "tims=3"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown parameter `tims`") && err.contains("`times`"),
        "{err}"
    );
}

#[test]
fn missing_required_parameter_is_named() {
    let out = napcat(&["call", "set_friend_remark", "user_id=1"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("missing required parameter `remark`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn wrong_type_names_the_expected_type() {
    let out = napcat(&["call", "send_like", "user_id=abc"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("`user_id` expects a whole number (type `qq`)"),
        "{err}"
    );
}

#[test]
fn bad_url_is_an_error() {
    let out = napcat(&["call", "get_status", "--url", "not a url"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is not a URL"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn tour_succeeds_for_every_action_and_receives_a_message() {
    for transport in ["http", "ws"] {
        let out = napcat(&["tour", "--transport", transport]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let summary = stdout
            .lines()
            .find(|l| l.ends_with("actions succeeded"))
            .unwrap_or_default();
        let counts: Vec<&str> = summary.split(' ').collect();
        assert!(
            matches!(counts.as_slice(), [ok, "of", all, "actions", "succeeded"] if ok == all && *all != "0"),
            "{stdout}"
        );
        assert!(stdout.contains("received: message"), "{stdout}");
        assert!(stdout.contains("answered: message"), "{stdout}");
    }
}

#[test]
fn call_over_websocket_against_embedded_simulator() {
    let out = napcat(&["call", "--transport", "ws", "get_login_info"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let data: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // LoginInfo's user_id is a QQ number, as every other one.
    assert_eq!(data["user_id"], 10001);
    assert!(text(&out.stderr).contains("ws://127.0.0.1:"));
}

#[test]
fn unreachable_websocket_is_an_error() {
    let out = napcat(&[
        "call",
        "--transport",
        "ws",
        "--url",
        "ws://127.0.0.1:1/",
        "get_status",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("connect"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn files_given_as_paths_are_read_and_sent_like_a_typed_call() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.png"), b"PNG").unwrap();
    let run = |arg: &str| {
        Command::new(env!("CARGO_BIN_EXE_napcat"))
            .args(["call", "set_avatar", arg])
            .current_dir(dir.path())
            .env_remove("NAPCAT_URL")
            .env_remove("NAPCAT_TOKEN")
            .output()
            .expect("run napcat")
    };
    // A relative path reaches the simulator only as base64 (it refuses a bare `a.png`).
    let out = run("file=a.png");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run("file=missing.png");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("parameter `file` cannot read file missing.png"),
        "{err}"
    );
}

#[test]
fn enums_unions_and_aliases_follow_the_spec() {
    let out = napcat(&[
        "call",
        "set_qq_profile",
        "nickname=x",
        "personal_note=y",
        "sex=female",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = napcat(&[
        "call",
        "set_qq_profile",
        "nickname=x",
        "personal_note=y",
        "sex=7",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("`sex` expects one of Unknown/未知/0"), "{err}");

    let out = napcat(&["call", "mark_msg_as_read", "group_id=100200"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = napcat(&["call", "mark_msg_as_read"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "missing required parameter `target`: give one of `message_id`, `user_id`, `group_id`"
        ),
        "{err}"
    );

    let out = napcat(&["call", "delete_friend", "friend_id=345678"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = napcat(&["call", "ArkShareGroup", "group_id=100200"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Rust 学习群"));
}

/// `napcat` run in `dir` with `args`.
fn napcat_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_napcat"))
        .args(args)
        .current_dir(dir)
        .env_remove("NAPCAT_URL")
        .env_remove("NAPCAT_TOKEN")
        .output()
        .expect("run napcat")
}

#[test]
fn download_writes_the_file_under_napcats_name_and_upload_prints_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = napcat_in(dir.path(), &["download", "Rust 学习资料.txt"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let saved = std::fs::read_to_string(dir.path().join("Rust 学习资料.txt")).unwrap();
    assert!(saved.starts_with("第 1 行"), "{saved}");
    assert!(text(&out.stdout).contains(&format!("({} bytes)", saved.len())));
    let out = napcat_in(
        dir.path(),
        &[
            "download",
            "cat.png",
            "-o",
            "kitty.png",
            "--chunk-size",
            "500",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::metadata(dir.path().join("kitty.png"))
            .unwrap()
            .len(),
        2048
    );
    let data: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.path().join("up.bin"), &data).unwrap();
    let out = napcat_in(
        dir.path(),
        &[
            "upload",
            "--transport",
            "ws",
            "up.bin",
            "--name",
            "x.bin",
            "--chunk-size",
            "30000",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "/napcat/temp/x.bin");
    assert!(
        text(&out.stderr).contains("70000 bytes, SHA-256 "),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn an_interrupted_download_is_an_error_and_writes_nothing() {
    let sim = api_sim::Simulator::start(api_sim::SimConfig::default())
        .await
        .unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    sim.add_file("big.bin", data, api_sim::FileKind::File);
    sim.script(
        "download_file_stream",
        api_sim::Fault::BreakStream { after: 2 },
    );
    let dir = tempfile::tempdir().unwrap();
    let url = sim.http_url();
    let path = dir.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        napcat_in(&path, &["download", "--url", &url, "big.bin"])
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("the download stopped after 65536 bytes")
            && err.contains("nothing was written to big.bin"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial file"
    );
}
