//! Every event NapCat pushes can be injected into the simulator, as something that happened
//! to the account: each injected kind comes out as the event NapCat would push, with exactly
//! the keys and JSON types of NapCat's event list (`api-spec/napcat/events.json`) and decoding
//! to its typed kind, and the account changes as it would.

use std::collections::BTreeSet;

use api_core::types::Event;
use api_core::{Client, GroupId, UserId};
use api_sim::inject::{Injected, Injection, KINDS};
use api_sim::{SimConfig, Simulator};
use futures_util::StreamExt;
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn napcat_events() -> Vec<Value> {
    let all: Value = serde_json::from_str(include_str!("../../api-spec/napcat/events.json"))
        .expect("events.json");
    all["events"].as_array().expect("a list").clone()
}

/// Reads `{"kind": …, …}` as the control API does.
fn injection(value: Value) -> Injection {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

/// The next pushed event that is not a meta event.
async fn next_event(ws: &mut Ws) -> Value {
    loop {
        let frame = ws.next().await.expect("open").expect("a frame");
        let Message::Text(text) = frame else { continue };
        let v: Value = serde_json::from_str(text.as_str()).unwrap();
        if v.get("post_type").is_some() && v["post_type"] != "meta_event" {
            return v;
        }
    }
}

/// The id events.json gives this event's kind, e.g. `notice.notify.poke.group`.
fn event_id(e: &Value) -> String {
    let post = e["post_type"].as_str().unwrap();
    match post {
        "message" | "message_sent" => {
            let t = e["message_type"].as_str().unwrap();
            match (post, t) {
                ("message", _) => format!("message.{t}.{}", e["sub_type"].as_str().unwrap()),
                _ => format!("message_sent.{t}"),
            }
        }
        "notice" if e["notice_type"] == "notify" => {
            let sub = e["sub_type"].as_str().unwrap();
            if sub == "poke" {
                let whose = if e.get("group_id").is_some() {
                    "group"
                } else {
                    "friend"
                };
                format!("notice.notify.poke.{whose}")
            } else {
                format!("notice.notify.{sub}")
            }
        }
        "notice" => format!("notice.{}", e["notice_type"].as_str().unwrap()),
        "request" => format!("request.{}", e["request_type"].as_str().unwrap()),
        other => panic!("unexpected {other}"),
    }
}

/// Whether `v` fits events.json's type notation: scalars, string literals, unions, `T[]`,
/// `object` and `{key: T, optional?: T}` (whose keys are checked as an event's are).
fn fits(ty: &str, v: &Value) -> bool {
    let ty = ty.trim();
    if let Some(item) = ty
        .strip_suffix("[]")
        .filter(|i| !i.contains('|') || i.starts_with('{'))
    {
        return v
            .as_array()
            .is_some_and(|items| items.iter().all(|i| fits(item, i)));
    }
    if let Some(inner) = ty.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        let Some(obj) = v.as_object() else {
            return false;
        };
        let fields: Vec<(&str, &str)> = top_level(inner, ',')
            .into_iter()
            .map(|f| {
                f.split_once(':')
                    .map(|(k, t)| (k.trim(), t.trim()))
                    .unwrap()
            })
            .collect();
        return check_keys(obj, &fields).is_ok();
    }
    if top_level(ty, '|').len() > 1 {
        return top_level(ty, '|').iter().any(|alt| fits(alt, v));
    }
    if ty.starts_with('"') {
        return v.as_str() == Some(ty.trim_matches('"'));
    }
    match ty {
        "number" => v.is_number(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        // A named schema of message_types.json: a message segment here.
        named if named.starts_with(char::is_uppercase) => v.is_object(),
        other => panic!("notation {other}"),
    }
}

/// `text` split at `sep` outside braces.
fn top_level(text: &str, sep: char) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `obj` has every required key of `fields` (a key ending in `?` is optional), no other, each
/// of its type.
fn check_keys(obj: &Map<String, Value>, fields: &[(&str, &str)]) -> Result<(), String> {
    for (key, ty) in fields {
        let (name, optional) = match key.strip_suffix('?') {
            Some(n) => (n, true),
            None => (*key, false),
        };
        match obj.get(name) {
            Some(v) if !fits(ty, v) => return Err(format!("`{name}`: {v} is not {ty}")),
            Some(_) => {}
            None if !optional => return Err(format!("`{name}` is missing")),
            None => {}
        }
    }
    match obj.keys().find(|k| {
        !fields
            .iter()
            .any(|(f, _)| f.trim_end_matches('?') == k.as_str())
    }) {
        Some(extra) => Err(format!("`{extra}` is not a key NapCat sends")),
        None => Ok(()),
    }
}

/// `event` has exactly the keys events.json lists for `id` (optional ones may be absent) with
/// their types, and decodes to a typed event.
fn check_shape(id: &str, event: &Value, napcat: &[Value]) {
    let entry = napcat
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not in events.json"));
    let fields: Vec<(&str, &str)> = entry["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, t)| (k.as_str(), t.as_str().unwrap()))
        .collect();
    if let Err(why) = check_keys(event.as_object().unwrap(), &fields) {
        panic!("{id}: {why}: {event}");
    }
    let typed: Event = serde_json::from_value(event.clone()).unwrap();
    assert!(
        !matches!(typed, Event::Unknown(_)),
        "{id} does not decode: {event}"
    );
}

async fn start() -> (Simulator, Ws, Client) {
    let sim = Simulator::start(SimConfig {
        report_self_message: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(sim.ws_url("/"))
        .await
        .unwrap();
    // The lifecycle event: the connection is served and subscribed.
    loop {
        if let Some(Ok(Message::Text(_))) = ws.next().await {
            break;
        }
    }
    let api = Client::builder().base_url(sim.http_url()).build().unwrap();
    (sim, ws, api)
}

fn message_id(injected: Injected) -> i64 {
    match injected {
        Injected::Message(id) => id,
        other => panic!("expected a message id, got {other:?}"),
    }
}

#[tokio::test]
async fn every_kind_napcat_pushes_can_be_injected_with_napcats_shape() {
    let napcat = napcat_events();
    let (sim, mut ws, _api) = start().await;
    let mut seen = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    // Each step: an injection, then the events it brings, by events.json id.
    let mut run = |kind_json: Value| {
        kinds.insert(kind_json["kind"].as_str().unwrap().to_owned());
        sim.inject(injection(kind_json.clone()))
            .unwrap_or_else(|e| panic!("{kind_json}: {e}"))
    };
    let mut steps: Vec<(Injected, Vec<&str>)> = Vec::new();
    steps.push((
        run(json!({"kind": "private-message", "user_id": 123456, "message": "在吗"})),
        vec!["message.private.friend"],
    ));
    steps.push((
        run(json!({"kind": "temp-message", "group_id": 300400, "user_id": 888888, "message": [{"type": "text", "data": {"text": "请问"}}]})),
        vec!["message.private.group"],
    ));
    steps.push((
        run(json!({"kind": "group-message", "group_id": 100200, "user_id": 234567, "message": "大家好[CQ:face,id=14]"})),
        vec!["message.group.normal"],
    ));
    steps.push((
        run(json!({"kind": "self-message", "user_id": 123456, "message": "在的"})),
        vec!["message_sent.private"],
    ));
    steps.push((
        run(json!({"kind": "self-message", "group_id": 100200, "message": "晚上八点"})),
        vec!["message_sent.group"],
    ));
    let mut pending = Vec::new();
    for (injected, ids) in steps.drain(..) {
        for id in ids {
            let event = next_event(&mut ws).await;
            assert_eq!(event_id(&event), id, "{event}");
            check_shape(id, &event, &napcat);
            seen.insert(id.to_owned());
        }
        pending.push(injected);
    }
    let friend_said = message_id(pending[0].clone());
    let member_said = message_id(pending[2].clone());

    let second_steps: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({"kind": "group-upload", "group_id": 100200, "user_id": 234567, "name": "会议纪要.txt", "content": "十点开会"}),
            vec!["notice.group_upload"],
        ),
        (
            json!({"kind": "group-admin", "group_id": 100200, "user_id": 234567, "sub_type": "set"}),
            vec!["notice.group_admin"],
        ),
        (
            json!({"kind": "group-decrease", "group_id": 100200, "user_id": 345678, "operator_id": 10001, "sub_type": "kick"}),
            vec!["notice.group_decrease"],
        ),
        (
            json!({"kind": "group-increase", "group_id": 100200, "user_id": 456789, "nickname": "赵六", "operator_id": 123456}),
            vec!["notice.group_increase"],
        ),
        (
            json!({"kind": "group-ban", "group_id": 100200, "user_id": 456789, "operator_id": 123456, "duration": 600}),
            vec!["notice.group_ban"],
        ),
        (
            json!({"kind": "friend-add", "user_id": 777777, "nickname": "新朋友"}),
            vec!["notice.friend_add"],
        ),
        (
            json!({"kind": "group-recall", "group_id": 100200, "message_id": member_said, "operator_id": 10001}),
            vec!["notice.group_recall"],
        ),
        (
            json!({"kind": "friend-recall", "message_id": friend_said}),
            vec!["notice.friend_recall"],
        ),
        (
            json!({"kind": "group-card", "group_id": 100200, "user_id": 234567, "card": "组长李四"}),
            vec![],
        ),
        (
            json!({"kind": "group-message", "group_id": 100200, "user_id": 234567, "message": "改了名片"}),
            vec!["notice.group_card", "message.group.normal"],
        ),
        (json!({"kind": "bot-offline"}), vec!["notice.bot_offline"]),
        (
            json!({"kind": "online-file-send", "peer_id": 123456, "sub_type": "refuse"}),
            vec!["notice.online_file_send"],
        ),
        (
            json!({"kind": "online-file-receive", "peer_id": 123456}),
            vec!["notice.online_file_receive"],
        ),
        (
            json!({"kind": "group-poke", "group_id": 100200, "user_id": 234567, "target_id": 10001}),
            vec!["notice.notify.poke.group"],
        ),
        (
            json!({"kind": "friend-poke", "user_id": 123456}),
            vec!["notice.notify.poke.friend"],
        ),
        (
            json!({"kind": "group-name", "group_id": 100200, "user_id": 123456, "name_new": "Rust 学习群（新）"}),
            vec!["notice.notify.group_name"],
        ),
        (
            json!({"kind": "title", "group_id": 100200, "user_id": 234567, "title": "首席摸鱼官"}),
            vec!["notice.notify.title"],
        ),
        (
            json!({"kind": "input-status", "user_id": 123456}),
            vec!["notice.notify.input_status"],
        ),
        (
            json!({"kind": "profile-like", "operator_id": 123456, "operator_nick": "张三", "times": 10}),
            vec!["notice.notify.profile_like"],
        ),
        (
            json!({"kind": "gray-tip", "group_id": 100200, "user_id": 234567, "busi_id": "2401", "content": {"align": "center", "items": [{"txt": "管理员已开启全员禁言", "type": "nor"}]}}),
            vec!["notice.notify.gray_tip"],
        ),
        (
            json!({"kind": "friend-request", "user_id": 567890, "nickname": "孙七", "comment": "我是孙七"}),
            vec!["request.friend"],
        ),
        (
            json!({"kind": "group-request", "group_id": 100200, "user_id": 678901, "nickname": "周八", "comment": "问题：暗号？\n答案：芝麻开门"}),
            vec!["request.group"],
        ),
        (
            json!({"kind": "group-invite", "group_id": 700800, "group_name": "新群", "user_id": 123456, "nickname": "张三"}),
            vec!["request.group"],
        ),
    ];
    let mut last_group_message = 0;
    for (kind_json, ids) in second_steps {
        let injected = run(kind_json.clone());
        if kind_json["kind"] == "group-message" {
            last_group_message = message_id(injected);
        }
        for id in ids {
            let event = next_event(&mut ws).await;
            assert_eq!(event_id(&event), id, "after {kind_json}: {event}");
            check_shape(id, &event, &napcat);
            seen.insert(id.to_owned());
        }
    }
    // These two need a message that is there.
    for (kind_json, id) in [
        (
            json!({"kind": "essence", "group_id": 100200, "message_id": last_group_message, "operator_id": 10001}),
            "notice.essence",
        ),
        (
            json!({"kind": "emoji-like", "group_id": 100200, "user_id": 123456, "message_id": last_group_message, "emoji_id": "76"}),
            "notice.group_msg_emoji_like",
        ),
    ] {
        run(kind_json);
        let event = next_event(&mut ws).await;
        assert_eq!(event_id(&event), id, "{event}");
        check_shape(id, &event, &napcat);
        seen.insert(id.to_owned());
    }

    // Every kind NapCat pushes but the meta events, which come from connections themselves.
    let expected: BTreeSet<String> = napcat
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .filter(|id| !id.starts_with("meta_event."))
        .collect();
    assert_eq!(seen, expected);
    // And every kind the simulator lists was run.
    let listed: BTreeSet<String> = KINDS.iter().map(|k| k.name.to_owned()).collect();
    assert_eq!(kinds, listed);
}

#[tokio::test]
async fn injections_change_the_account_as_they_would() {
    let (sim, mut ws, api) = start().await;
    let inject = |v: Value| sim.inject(injection(v));

    // A ban holds: the member cannot speak until it is lifted.
    inject(json!({"kind": "group-ban", "group_id": 100200, "user_id": 234567, "operator_id": 123456, "duration": 600})).unwrap();
    let banned = api
        .get_group_member_info(GroupId(100200), UserId(234567))
        .await
        .unwrap();
    assert!(banned.shut_up_timestamp.unwrap_or(0) > 0, "{banned:?}");
    let refused = inject(
        json!({"kind": "group-message", "group_id": 100200, "user_id": 234567, "message": "hi"}),
    );
    assert!(refused.unwrap_err().0.contains("banned"));
    inject(json!({"kind": "group-ban", "group_id": 100200, "user_id": 234567, "operator_id": 123456, "duration": 0})).unwrap();
    inject(
        json!({"kind": "group-message", "group_id": 100200, "user_id": 234567, "message": "hi"}),
    )
    .unwrap();

    // A plain member bans nobody; an admin does not ban the owner.
    let by_member = inject(
        json!({"kind": "group-ban", "group_id": 100200, "user_id": 345678, "operator_id": 234567, "duration": 60}),
    );
    assert!(by_member.unwrap_err().0.contains("not an admin"));
    let the_owner = inject(
        json!({"kind": "group-ban", "group_id": 100200, "user_id": 10001, "operator_id": 123456, "duration": 60}),
    );
    assert!(the_owner.is_err());

    // Members come and go; roles, titles and names change.
    inject(json!({"kind": "group-decrease", "group_id": 100200, "user_id": 345678, "sub_type": "leave"})).unwrap();
    inject(json!({"kind": "group-increase", "group_id": 100200, "user_id": 456789, "nickname": "赵六"})).unwrap();
    inject(
        json!({"kind": "group-admin", "group_id": 100200, "user_id": 456789, "sub_type": "set"}),
    )
    .unwrap();
    inject(json!({"kind": "title", "group_id": 100200, "user_id": 456789, "title": "新人"}))
        .unwrap();
    let members = api.get_group_member_list(GroupId(100200)).await.unwrap();
    let ids: Vec<i64> = members.iter().map(|m| m.user_id.0).collect();
    assert_eq!(ids, [10001, 123456, 234567, 456789]);
    let zhao = members.iter().find(|m| m.user_id.0 == 456789).unwrap();
    assert_eq!(zhao.nickname, "赵六");
    assert_eq!(serde_json::to_value(&zhao.role).unwrap(), "admin");
    assert_eq!(zhao.title.as_deref(), Some("新人"));
    inject(
        json!({"kind": "group-name", "group_id": 100200, "user_id": 123456, "name_new": "新名字"}),
    )
    .unwrap();
    assert_eq!(
        api.get_group_info(GroupId(100200))
            .await
            .unwrap()
            .group_name,
        "新名字"
    );

    // A new friend is on the list; a recalled message is gone.
    inject(json!({"kind": "friend-add", "user_id": 777777, "nickname": "新朋友"})).unwrap();
    let friends = api.get_friend_list().await.unwrap();
    assert!(
        friends
            .iter()
            .any(|f| f.user_id.0 == 777777 && f.nickname == "新朋友")
    );
    let said = message_id(
        inject(json!({"kind": "private-message", "user_id": 777777, "message": "你好"})).unwrap(),
    );
    inject(json!({"kind": "friend-recall", "message_id": said})).unwrap();
    assert!(api.get_msg(api_core::MessageId(said)).await.is_err());

    // The bot removed from a group: it is gone from the list, and nothing more happens there.
    inject(json!({"kind": "group-decrease", "group_id": 300400, "user_id": 10001, "operator_id": 888888, "sub_type": "kick_me"})).unwrap();
    let groups = api.get_group_list().await.unwrap();
    assert!(groups.iter().all(|g| g.group_id.0 != 300400));
    let gone = inject(
        json!({"kind": "group-message", "group_id": 300400, "user_id": 888888, "message": "hi"}),
    );
    assert_eq!(gone.unwrap_err().0, "the bot is not in group 300400");

    // An uploaded file is listed; its id downloads it.
    let Injected::File(file_id) = inject(json!({"kind": "group-upload", "group_id": 100200, "user_id": 234567, "name": "a.bin", "content": "base64://AAEC"})).unwrap() else {
        panic!()
    };
    let root = api.get_group_root_files(GroupId(100200)).await.unwrap();
    let listed = root.files.iter().find(|f| f.file_name == "a.bin").unwrap();
    assert_eq!(listed.size, 3);
    assert!(!file_id.is_empty());
    drop(ws.close(None).await);
}

#[test]
fn injections_are_read_strictly_and_listed_with_their_fields() {
    // An unknown kind, an unknown key, a missing field and a wrong value are all errors that
    // say what is wrong.
    let err = |v: Value| {
        serde_json::from_value::<Injection>(v)
            .unwrap_err()
            .to_string()
    };
    assert!(err(json!({"kind": "group-mesage"})).contains("unknown variant `group-mesage`"));
    assert!(
        err(
            json!({"kind": "group-message", "group_id": 1, "user_id": 2, "message": "x", "grup": 1})
        )
        .contains("unknown field `grup`")
    );
    assert!(
        err(json!({"kind": "group-message", "group_id": 1, "message": "x"}))
            .contains("missing field `user_id`")
    );
    assert!(
        err(json!({"kind": "group-admin", "group_id": 1, "user_id": 2, "sub_type": "maybe"}))
            .contains("unknown variant `maybe`")
    );

    // Every listed kind reads from its required fields alone, and names itself.
    for kind in KINDS {
        let mut object = Map::new();
        object.insert("kind".into(), json!(kind.name));
        for f in kind.fields.iter().filter(|f| f.required) {
            let sample = match (f.name, f.ty) {
                ("sub_type", "AdminChange") => json!("set"),
                ("sub_type", "DecreaseKind") => json!("leave"),
                ("sub_type", "FileSendOutcome") => json!("receive"),
                (_, "i64") => json!(1),
                (_, "String") => json!("x"),
                (_, "Value") => json!("x"),
                (name, ty) => panic!("{}.{name}: no sample for {ty}", kind.name),
            };
            object.insert(f.name.into(), sample);
        }
        let read: Injection = serde_json::from_value(Value::Object(object.clone()))
            .unwrap_or_else(|e| panic!("{}: {e}", kind.name));
        assert_eq!(read.kind(), kind.name);
        assert!(!kind.summary().is_empty());
        for f in kind.fields {
            assert!(
                !f.doc.trim().is_empty(),
                "{}.{} has no doc",
                kind.name,
                f.name
            );
        }
    }
}
