//! `napcat sim` as a test server for a bot in another process: it prints where it serves,
//! dials a bot's reverse WebSocket and posts events to a bot as NapCat does, starts from a
//! scenario file, and `napcat sim inject`, `calls` and `wait` drive it from outside.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use api_core::types::{Event, Notice, Request};
use api_core::{
    Client, GroupId, HttpPostOptions, HttpPostServer, ReverseOptions, ReverseServer, UserId,
};
use serde_json::{Value, json};

/// The next event that is not a meta event (lifecycle, heartbeats).
async fn next_event(events: &mut api_core::Events) -> Event {
    loop {
        match events.recv().await.unwrap() {
            Event::MetaEvent(_) => continue,
            other => return other,
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn napcat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_napcat"))
        .args(args)
        .env_remove("NAPCAT_URL")
        .env_remove("NAPCAT_TOKEN")
        .env_remove("NAPCAT_SIM_CONTROL")
        .output()
        .expect("run napcat")
}

/// `napcat …` run off the async runtime; its stdout as JSON, or its stderr as the error.
async fn napcat_json(args: Vec<String>) -> Result<Value, String> {
    let out = tokio::task::spawn_blocking(move || {
        napcat(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(text(&out.stderr))
    }
}

/// A running `napcat sim` on free ports, stopped when dropped.
struct Sim {
    child: Child,
    ready: Value,
}

impl Sim {
    /// Starts `napcat sim --port 0 --ws-port 0 --control-port 0 <extra>` and reads the line
    /// it prints once it serves.
    async fn start(extra: &[&str]) -> Sim {
        let mut args = vec![
            "sim",
            "--port",
            "0",
            "--ws-port",
            "0",
            "--control-port",
            "0",
        ];
        args.extend(extra);
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        tokio::task::spawn_blocking(move || {
            let mut child = Command::new(env!("CARGO_BIN_EXE_napcat"))
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("run napcat sim");
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            let ready = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            Sim { child, ready }
        })
        .await
        .unwrap()
    }

    fn url(&self, which: &str) -> String {
        self.ready[which].as_str().unwrap().to_owned()
    }

    /// `napcat sim <command> --control <this one's> <args>`.
    async fn control(&self, command: &str, args: &[&str]) -> Result<Value, String> {
        let mut all = vec!["sim".to_owned(), command.to_owned()];
        all.extend(["--control".to_owned(), self.url("control")]);
        all.extend(args.iter().map(|a| a.to_string()));
        napcat_json(all).await
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sim_help_shows_only_what_applies_to_it() {
    let help = text(&napcat(&["sim", "--help"]).stdout);
    for option in [
        "--port",
        "--ws-port",
        "--control-port",
        "--access-token",
        "--scenario",
        "--reverse",
        "--reconnect-interval",
        "--http-post",
        "--secret",
        "--ready-file",
        "inject",
        "calls",
    ] {
        assert!(help.contains(option), "`napcat sim --help` lacks {option}");
    }
    for client_option in ["--url", "--transport", "--token ", "--timeout"] {
        assert!(
            !help.contains(client_option),
            "`napcat sim --help` shows {client_option}"
        );
    }
    let call = text(&napcat(&["call", "--help"]).stdout);
    assert!(
        call.contains("--url") && call.contains("--transport"),
        "{call}"
    );
    let inject = text(&napcat(&["sim", "inject", "--help"]).stdout);
    assert!(inject.contains("group-message") && inject.contains("friend-request"));
}

#[tokio::test]
async fn it_prints_where_it_serves_and_injected_events_reach_a_forward_client() {
    let dir = tempfile::tempdir().unwrap();
    let ready_file = dir.path().join("ready.json");
    let sim = Sim::start(&[
        "--access-token",
        "t0ken",
        "--ready-file",
        ready_file.to_str().unwrap(),
    ])
    .await;
    assert_eq!(sim.ready["access_token"], "t0ken");
    assert_eq!(sim.ready["self_id"], 10001);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&ready_file).unwrap()).unwrap();
    assert_eq!(written, sim.ready);

    let api = Client::builder()
        .ws_url(sim.url("ws"))
        .access_token("t0ken")
        .connect()
        .await
        .unwrap();
    let mut events = api.events();
    let clients = sim
        .control("wait", &["--event-clients", "1"])
        .await
        .unwrap();
    assert_eq!(clients, json!({"event_clients": 1}));
    let made = sim
        .control(
            "inject",
            &[
                "group-message",
                "group_id=100200",
                "user_id=234567",
                "message=hi [CQ:face,id=14]",
            ],
        )
        .await
        .unwrap();
    let Event::Message(m) = next_event(&mut events).await else {
        panic!("not a message")
    };
    assert_eq!(json!({"message_id": m.message_id}), made);
    assert_eq!(m.message.plain_text(), "hi ");
    api.reply(&m, "pong").await.unwrap();
    let calls = sim
        .control("calls", &["--action", "send_msg"])
        .await
        .unwrap();
    assert_eq!(calls[0]["transport"], "ws", "{calls}");
    assert_eq!(calls[0]["reply"]["status"], "ok", "{calls}");

    // Any event, pushed as it is.
    let pushed =
        json!({"time": 1, "self_id": 10001, "post_type": "notice", "notice_type": "something_new"});
    sim.control("push", &[&pushed.to_string()]).await.unwrap();
    let Event::Notice(Notice::Unknown(raw)) = next_event(&mut events).await else {
        panic!("not the pushed notice")
    };
    assert_eq!(raw["notice_type"], pushed["notice_type"]);
    // The kinds, as the control API lists them for other programs.
    let kinds = reqwest::get(format!("{}/kinds", sim.url("control")))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let kinds: Value = serde_json::from_slice(&kinds).unwrap();
    let ban = kinds
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "group-ban")
        .unwrap();
    assert_eq!(
        ban["fields"][3],
        json!({"name": "duration", "type": "number", "required": true, "doc": "Seconds; 0 lifts the ban."})
    );

    // Refusals and mistakes name what is wrong.
    let refused = sim
        .control(
            "inject",
            &["group-message", "group_id=999", "user_id=1", "message=x"],
        )
        .await
        .unwrap_err();
    assert!(refused.contains("the bot is not in group 999"), "{refused}");
    let typo = sim.control("inject", &["group-mesage"]).await.unwrap_err();
    assert!(typo.contains("did you mean group-message"), "{typo}");
    let field = sim
        .control("inject", &["group-ban", "group_id=100200", "usr_id=1"])
        .await
        .unwrap_err();
    assert!(
        field.contains("no field `usr_id`; did you mean user_id"),
        "{field}"
    );
    let number = sim
        .control("inject", &["group-ban", "group_id=abc"])
        .await
        .unwrap_err();
    assert!(number.contains("`group_id` is a whole number"), "{number}");
}

#[tokio::test]
async fn it_dials_a_bots_reverse_websocket_and_the_bot_is_driven_from_outside() {
    let mut server = ReverseServer::bind(
        ([127, 0, 0, 1], 0).into(),
        ReverseOptions {
            access_token: Some("t".into()),
            ..ReverseOptions::default()
        },
    )
    .await
    .unwrap();
    let url = format!("ws://{}/onebot", server.local_addr());
    let sim = Sim::start(&["--access-token", "t", "--reverse", &url]).await;
    let account = server.accept().await.unwrap();
    assert_eq!(account.self_id, "10001");
    let api = account.client;
    let mut events = api.events();
    sim.control("wait", &["--event-clients", "1"])
        .await
        .unwrap();

    let flag = sim
        .control(
            "inject",
            &["friend-request", "user_id=567890", "comment=你好"],
        )
        .await
        .unwrap()["flag"]
        .clone();
    let Event::Request(request @ Request::Friend(_)) = next_event(&mut events).await else {
        panic!("not a friend request")
    };
    let Request::Friend(r) = &request else {
        unreachable!()
    };
    assert_eq!(json!(r.flag), flag);
    api.approve(&request).await.unwrap();
    let Event::Notice(Notice::FriendAdd(added)) = next_event(&mut events).await else {
        panic!("not friend_add")
    };
    assert_eq!(added.user_id, UserId(567890));
    let calls = sim
        .control("calls", &["--action", "set_friend_add_request", "--take"])
        .await
        .unwrap();
    assert_eq!(calls.as_array().unwrap().len(), 1);
    assert_eq!(calls[0]["transport"], "ws-reverse");
    let after = sim.control("calls", &[]).await.unwrap();
    assert_eq!(after, json!([]), "--take clears the record");
}

#[tokio::test]
async fn it_posts_signed_events_to_a_bot_and_applies_its_answers() {
    let server = HttpPostServer::bind(
        ([127, 0, 0, 1], 0).into(),
        HttpPostOptions {
            secret: Some("s3cret".into()),
            quick: Some(std::sync::Arc::new(|event: &Event| match event {
                Event::Request(Request::Group(_)) => Some(api_core::types::QuickOperation {
                    approve: Some(true),
                    ..Default::default()
                }),
                _ => None,
            })),
            ..HttpPostOptions::default()
        },
    )
    .await
    .unwrap();
    let mut events = server.events();
    let url = format!("http://{}/", server.local_addr());
    let sim = Sim::start(&["--http-post", &url, "--secret", "s3cret"]).await;
    sim.control(
        "inject",
        &[
            "group-request",
            "group_id=100200",
            "user_id=567891",
            "nickname=吴九",
        ],
    )
    .await
    .unwrap();
    // Signed with the secret (the server refuses anything else), answered with a quick
    // operation that approves: the new member's notice follows.
    let Event::Request(Request::Group(_)) = next_event(&mut events).await else {
        panic!("not a group request")
    };
    let Event::Notice(Notice::GroupIncrease(joined)) = next_event(&mut events).await else {
        panic!("not group_increase")
    };
    assert_eq!(joined.user_id, UserId(567891));
}

#[tokio::test]
async fn a_scenario_file_sets_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.json5");
    std::fs::write(
        &scenario,
        r#"{
  // Only what differs from the default account.
  nickname: "测试机器人",
  friends: [{user_id: 111, nickname: "甲"}],
  groups: {
    "500600": {
      name: "测试群",
      members: [
        {user_id: 10001, nickname: "测试机器人", role: "admin"},
        {user_id: 222, nickname: "乙", role: "owner"},
        {user_id: 333, nickname: "丙", card: "小丙"},
      ],
    },
  },
  files: [
    {name: "规则.txt", content: "不许刷屏", group_id: 500600, folder: "公告", uploader: 222},
  ],
}"#,
    )
    .unwrap();
    let sim = Sim::start(&["--scenario", scenario.to_str().unwrap()]).await;
    let api = Client::builder().base_url(sim.url("http")).build().unwrap();
    let groups = api.get_group_list().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group_name, "测试群");
    let members = api.get_group_member_list(GroupId(500600)).await.unwrap();
    let roles: Vec<(i64, String)> = members
        .iter()
        .map(|m| {
            (
                m.user_id.0,
                serde_json::to_value(&m.role)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            (222, "owner".into()),
            (333, "member".into()),
            (10001, "admin".into())
        ]
    );
    let friends = api.get_friend_list().await.unwrap();
    assert_eq!(friends.len(), 1);
    let root = api.get_group_root_files(GroupId(500600)).await.unwrap();
    let folder = &root.folders[0];
    assert_eq!(folder.folder_name, "公告");
    let inside = api
        .get_group_files_by_folder(GroupId(500600), folder.folder_id.clone())
        .await
        .unwrap();
    assert_eq!(inside.files[0].file_name, "规则.txt");
    assert_eq!(inside.files[0].uploader, UserId(222));
    assert_eq!(api.get_login_info().await.unwrap().nickname, "测试机器人");

    // The roles hold: the bot, an admin there, bans a plain member but not the owner.
    let sim = &sim;
    let ban = |user: &'static str| {
        let user = format!("user_id={user}");
        async move {
            let args = [
                "group-ban",
                "group_id=500600",
                &user,
                "operator_id=10001",
                "duration=60",
            ];
            sim.control("inject", &args).await
        }
    };
    assert!(ban("333").await.is_ok());
    let refused = ban("222").await.unwrap_err();
    assert!(
        refused.contains("10001 is not an admin above 222"),
        "{refused}"
    );

    // A scenario the account could not be in is refused, naming where.
    let refused = |text: &str| {
        std::fs::write(&scenario, text).unwrap();
        let path = scenario.to_str().unwrap();
        let out = napcat(&["sim", "--port", "0", "--ws-port", "0", "--scenario", path]);
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused(r#"{groups: {"1": {name: "x", members: []}}}"#);
    assert!(
        err.contains("groups.1: the bot (10001) is not among the members"),
        "{err}"
    );
    let err = refused(r#"{friends: [{user_id: 1, nick: "x"}]}"#);
    assert!(
        err.contains("friends[0]") && err.contains("unknown field `nick`"),
        "{err}"
    );
}
