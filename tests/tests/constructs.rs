//! Each fixture spec of `api-spec/tests/fixtures/` (one construct each), compiled through
//! `generate_api!` and exercised: what goes on the wire and what comes back.

use api_core::Uploadable;
use api_core::{GroupId, UserId};
use api_tests::{only_call, sim_and_client};
use serde_json::{Value, json};

mod field_aliases {
    api_macros::generate_api! {
        specs = ["../../api-spec/tests/fixtures/field_aliases.toml"],
        extension_trait = FieldAliasesActions,
    }
}

mod ids_durations {
    api_macros::generate_api! {
        specs = ["../../api-spec/tests/fixtures/ids_durations.toml"],
        extension_trait = IdsDurationsActions,
    }
}

mod enum_int {
    api_macros::generate_api! {
        specs = ["../../api-spec/tests/fixtures/enum_int.toml"],
        extension_trait = EnumIntActions,
    }
}
mod enum_text {
    api_macros::generate_api! {
        specs = ["../../api-spec/tests/fixtures/enum_text.toml"],
        extension_trait = EnumTextActions,
    }
}
mod union_tagged {
    api_macros::generate_api! {
        specs = ["../../api-spec/tests/fixtures/union_tagged.toml"],
        extension_trait = UnionTaggedActions,
    }
}
mod union_inline {
    api_macros::generate_api! {
        specs = ["../../api-spec/tests/fixtures/union_inline.toml"],
        extension_trait = UnionInlineActions,
    }
}
mod either_or {
    api_macros::generate_api! {
        specs = ["../../api-spec/tests/fixtures/either_or.toml"],
        extension_trait = EitherOrActions,
    }
}
mod stream_packets {
    api_macros::generate_api! {
        specs = ["../../api-spec/tests/fixtures/stream_packets.toml"],
        extension_trait = StreamPacketsActions,
    }
}
mod files {
    api_macros::generate_api! {
        specs = ["../../api-spec/tests/fixtures/files.toml"],
        extension_trait = FilesActions,
    }
}
mod wide_struct {
    api_macros::generate_api! {
        specs = ["../../api-spec/tests/fixtures/wide_struct.toml"],
        extension_trait = WideStructActions,
    }
}

fn round_trip<T>(wire: Value) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let typed: T = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), wire, "{typed:?}");
    typed
}

#[test]
fn a_default_naming_a_variant_is_documented_and_sent_only_when_set() {
    use enum_int::requests::SetModeRequest;
    use enum_int::types::{Level, Mode};
    let req = SetModeRequest::new(Level::High);
    assert_eq!(req.mode, None);
    assert_eq!(serde_json::to_value(&req).unwrap(), json!({"level": 1}));
    let req = req.mode(Mode::Unknown);
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({"level": 1, "mode": 9})
    );
    let info = enum_int::ACTIONS[0].params[1];
    assert_eq!(info.default_json, Some("9"));
}

#[test]
fn text_enums_send_text_and_open_ones_keep_unknown_values() {
    use enum_text::types::{ChatKind, Member, OnlineState, Role};
    assert_eq!(serde_json::to_value(Role::Admin).unwrap(), json!("admin"));
    assert_eq!(
        serde_json::from_value::<Role>(json!("群主")).unwrap(),
        Role::Owner
    );
    assert!(serde_json::from_value::<Role>(json!("guest")).is_err());

    let guild: ChatKind = round_trip(json!("guild"));
    assert_eq!(guild, ChatKind::Other("guild".into()));
    assert!(!guild.is_known());
    assert_eq!(guild.to_string(), "guild");
    assert_eq!(round_trip::<ChatKind>(json!("group")), ChatKind::Group);
    assert_eq!(round_trip::<OnlineState>(json!(40)), OnlineState::Other(40));
    assert_eq!(round_trip::<OnlineState>(json!(10)), OnlineState::Online);

    let m: Member =
        serde_json::from_value(json!({"role": "admin", "kind": "guild", "status": 40})).unwrap();
    assert_eq!(m.kind, Some(ChatKind::Other("guild".into())));
    assert_eq!(
        serde_json::to_value(enum_text::requests::GetMemberRequest::new()).unwrap(),
        json!({})
    );
    assert_eq!(
        serde_json::to_value(enum_text::requests::GetMemberRequest::new().kind(ChatKind::Group))
            .unwrap(),
        json!({"kind": "group"})
    );
}

#[test]
fn tagged_unions_round_trip_and_keep_unknown_tags() {
    use union_tagged::types::{CustomSong, Music, Node, Piece, Text};
    let msg: Vec<Piece> = round_trip(json!([
        {"type": "text", "data": {"text": "hi"}},
        {"type": "music", "data": {"type": "custom", "url": "u", "title": "t"}},
        {"type": "node", "data": {"nickname": "n", "content": [{"type": "text", "data": {"text": "in"}}]}},
        {"type": "shake", "data": {}},
        {"type": "mface", "data": {"emoji_id": "x"}, "extra": 1},
    ]));
    assert_eq!(msg[0], Piece::Text(Text::new("hi")));
    assert_eq!(
        msg[1],
        Piece::Music(Music::Custom(CustomSong::new("u", "t")))
    );
    let Piece::Node(Node { content, .. }) = &msg[2] else {
        panic!("{:?}", msg[2])
    };
    assert_eq!(content[0], Piece::Text(Text::new("in")));
    assert_eq!(msg[3], Piece::Shake);
    assert_eq!(msg[4].tag(), "mface");
    assert!(matches!(&msg[4], Piece::Unknown(v) if v["data"]["emoji_id"] == "x"));
    // A built value carries its tags.
    assert_eq!(
        serde_json::to_value(Piece::Music(Music::Custom(CustomSong::new("u", "t")))).unwrap(),
        json!({"type": "music", "data": {"type": "custom", "url": "u", "title": "t"}})
    );
    // A known tag whose value does not fit is an error naming the tag's type.
    assert!(serde_json::from_value::<Piece>(json!({"type": "text", "data": {}})).is_err());
}

#[test]
fn closed_tagged_unions_take_only_their_kinds() {
    use union_tagged::types::{Node, OnlyNodes};
    let nodes: Vec<OnlyNodes> =
        round_trip(json!([{"type": "node", "data": {"nickname": "n", "content": []}}]));
    let OnlyNodes::Node(Node { nickname, .. }) = &nodes[0];
    assert_eq!(nickname, "n");
    assert_eq!(nodes[0].tag(), "node");
    let err = serde_json::from_value::<Vec<OnlyNodes>>(json!([
        {"type": "node", "data": {"nickname": "n", "content": []}},
        {"type": "text", "data": {"text": "mixed in"}},
    ]))
    .unwrap_err();
    assert!(
        err.to_string().contains("`type` is not one of `node`"),
        "{err}"
    );
}

#[test]
fn inline_tagged_unions_nest_and_extend() {
    use union_inline::types::{Bulletin, Occurrence};
    let poke = json!({"post_type": "notice", "notice_type": "poke", "time": 1, "self_id": 2, "target_id": 3, "sub_type": "poke"});
    let event: Occurrence = round_trip(poke.clone());
    let Occurrence::Bulletin(Bulletin::Poke(p)) = &event else {
        panic!("{event:?}")
    };
    assert_eq!((p.time, p.self_id, p.target_id), (1, UserId(2), UserId(3)));
    assert_eq!(p.extra["sub_type"], "poke");
    let unknown: Occurrence = round_trip(json!({"post_type": "meta_event", "time": 1}));
    assert_eq!(unknown.tag(), "meta_event");
    let unknown_notice: Occurrence =
        round_trip(json!({"post_type": "notice", "notice_type": "essence"}));
    assert!(matches!(
        unknown_notice,
        Occurrence::Bulletin(Bulletin::Unknown(_))
    ));
}

#[tokio::test]
async fn either_or_parameters_send_exactly_one_key() {
    use either_or::EitherOrActions;
    use either_or::types::{FileRef, Peer};
    let (sim, api) = sim_and_client().await;
    let _ = api.share_peer(Peer::Group(GroupId(5))).await;
    assert_eq!(
        only_call(&sim),
        ("fixture_share_peer".into(), json!({"group_id": 5}))
    );
    let _ = api
        .share_peer(Peer::User(UserId(6)))
        .file(FileRef::Id("f".into()))
        .phone_number("1")
        .await;
    assert_eq!(
        only_call(&sim).1,
        json!({"user_id": 6, "file_id": "f", "phone_number": "1"})
    );
    let info = either_or::ACTIONS[0];
    assert_eq!(info.aliases, ["FixtureSharePeer"]);
    assert_eq!(info.params[0].keys, ["group_id", "user_id"]);
    assert_eq!(info.params[2].aliases, ["phone"]);
    assert!(either_or::action_by_name("FixtureSharePeer").is_some());
}

#[tokio::test]
async fn files_anywhere_are_read_before_sending_or_named_when_missing() {
    use files::FilesActions;
    use files::types::{Image, Part};
    let (sim, api) = sim_and_client().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.png");
    std::fs::write(&path, b"PNG").unwrap();

    let _ = api
        .post(vec![
            Part::Text("hi".into()),
            Part::Image(Image::new(Uploadable::path(&path)).summary("s")),
        ])
        .cover(Uploadable::path(&path))
        .attachments(vec![Uploadable::bytes(*b"PNG"), Uploadable::path(&path)])
        .await;
    assert_eq!(
        only_call(&sim),
        (
            "post".into(),
            json!({
                "parts": [
                    {"type": "text", "data": "hi"},
                    {"type": "image", "data": {"file": "base64://UE5H", "summary": "s"}},
                ],
                "cover": "base64://UE5H",
                "attachments": ["base64://UE5H", "base64://UE5H"],
            })
        )
    );

    let err = api
        .post(vec![Part::Image(Image::new(Uploadable::path(
            "/no/such.png",
        )))])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, api_core::Error::InvalidArgument { param, .. } if param == "parts[0].data.file"),
        "{err:?}"
    );
    let err = api
        .post(vec![])
        .cover(Uploadable::path("/no/such.png"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, api_core::Error::InvalidArgument { param, .. } if param == "cover"),
        "{err:?}"
    );
    assert!(
        sim.calls().is_empty(),
        "nothing is sent when a file is missing"
    );
}

#[tokio::test]
async fn ids_are_typed_and_durations_go_as_seconds() {
    use api_core::Error;
    use ids_durations::IdsDurationsActions;
    use std::time::Duration;
    let (sim, api) = sim_and_client().await;
    // The simulator does not know this fixture's actions; what went out is what counts.
    let _ = api.mute(GroupId(100), UserId(7)).await;
    assert_eq!(
        only_call(&sim),
        ("mute_member".into(), json!({"group_id": 100, "user_id": 7}))
    );
    let _ = api
        .mute(GroupId(100), UserId(7))
        .duration(Duration::ZERO)
        .extra(Duration::from_secs(90))
        .await;
    assert_eq!(
        only_call(&sim).1,
        json!({"group_id": 100, "user_id": 7, "duration": 0, "extra": 90})
    );
    match api
        .mute(GroupId(100), UserId(7))
        .duration(Duration::from_millis(1500))
        .await
    {
        Err(Error::InvalidArgument { param, reason, .. }) => {
            assert_eq!(param, "duration");
            assert!(reason.contains("whole seconds"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(sim.take_calls().is_empty(), "nothing was sent");
    let muted: Vec<ids_durations::types::Muted> = serde_json::from_value(
        json!([{"group_id": "100", "user_id": 7, "left": "60", "total": 120}]),
    )
    .unwrap();
    assert_eq!(
        (
            muted[0].group_id,
            muted[0].user_id,
            muted[0].left,
            muted[0].total
        ),
        (
            GroupId(100),
            UserId(7),
            Duration::from_secs(60),
            Some(Duration::from_secs(120))
        )
    );
    assert_eq!(
        serde_json::to_value(&muted[0]).unwrap(),
        json!({"group_id": 100, "user_id": 7, "left": 60, "total": 120})
    );
}

#[test]
fn field_aliases_read_either_key_and_send_the_wire_name() {
    use field_aliases::types::Muted;
    let muted: Vec<Muted> = serde_json::from_value(json!([
        {"uin": "7", "shutUpTime": 60},
        {"user_id": 8, "shut_up_time": 90}
    ]))
    .unwrap();
    assert_eq!(
        muted
            .iter()
            .map(|m| (m.user_id, m.until))
            .collect::<Vec<_>>(),
        [(UserId(7), 60), (UserId(8), 90)]
    );
    assert!(muted[1].extra.is_empty(), "aliases are not extras");
    assert_eq!(
        serde_json::to_value(&muted[1]).unwrap(),
        json!({"uin": 8, "shutUpTime": 90})
    );
}

/// A stream action's envelopes for `req`: one per packet, then the result.
fn count_stream(req: &Value, to: i64) -> Vec<Value> {
    let envelope = |data: Value| json!({"status": "ok", "retcode": 0, "data": data, "message": "", "wording": "", "echo": req["echo"], "stream": "stream-action"});
    let mut out: Vec<Value> = (1..=to)
        .map(|n| envelope(json!({"type": "stream", "n": n})))
        .collect();
    out.push(envelope(
        json!({"type": "response", "total": to * (to + 1) / 2}),
    ));
    out
}

async fn read_count(
    stream: &mut api_core::ActionStream<stream_packets::requests::CountUpRequest>,
) -> Vec<i64> {
    let mut seen = Vec::new();
    while let Some(tick) = stream.packet().await.unwrap() {
        seen.push(tick.n);
    }
    seen
}

#[tokio::test]
async fn a_stream_action_reads_packets_then_its_result_over_websocket() {
    use api_tests::hostile::{WsMove, hostile_ws};
    use stream_packets::StreamPacketsActions;
    let (addr, _) = hostile_ws(|_, req| {
        let to = req["params"]["to"].as_i64().unwrap_or(0);
        count_stream(req, to)
            .into_iter()
            .map(|e| WsMove::Text(e.to_string()))
            .collect()
    })
    .await;
    let api = api_core::Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .connect()
        .await
        .unwrap();
    let mut stream = api.count_up(4).await.unwrap();
    assert_eq!(read_count(&mut stream).await, [1, 2, 3, 4]);
    assert_eq!(stream.finish().await.unwrap().total, 10);
}

#[tokio::test]
async fn a_stream_action_reads_envelopes_from_one_http_body() {
    use stream_packets::StreamPacketsActions;
    // As NapCat writes it: each envelope followed by CRLF CRLF, in one chunked body; and a
    // body whose last envelope has no separator after it.
    let req = json!({"echo": "e"});
    let envelopes: Vec<String> = count_stream(&req, 3).iter().map(Value::to_string).collect();
    for body in [
        envelopes
            .iter()
            .map(|e| format!("{e}\r\n\r\n"))
            .collect::<String>(),
        envelopes.join("\r\n\r\n"),
    ] {
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let addr = api_tests::hostile::http_faulty_once(
            Box::leak(reply.into_bytes().into_boxed_slice()),
            false,
        )
        .await;
        let api = api_core::Client::builder()
            .base_url(format!("http://{addr}"))
            .build()
            .unwrap();
        let mut stream = api.count_up(3).await.unwrap();
        assert_eq!(read_count(&mut stream).await, [1, 2, 3]);
        assert_eq!(stream.finish().await.unwrap().total, 6);
    }
}

/// A struct with more fields than a tuple of slots holds reads every field from its key and its
/// aliases, keeps what it does not list, and names a missing or repeated field.
#[test]
fn a_struct_wider_than_a_tuple_of_slots_reads_every_field() {
    use wide_struct::types::Wide;
    const { assert!(api_spec::codegen::MAX_TUPLE < 34) };
    assert_eq!(api_spec::codegen::MAX_TUPLE, api_core::runtime::MAX_TUPLE);
    let spec = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../api-spec/tests/fixtures/wide_struct.toml"),
    )
    .unwrap();
    let spec = api_spec::load(&[("wide_struct.toml".into(), spec)]).unwrap();
    let reply = spec
        .actions()
        .next()
        .unwrap()
        .1
        .napcat
        .reply
        .clone()
        .unwrap();
    let wide: Wide = round_trip(reply.clone());
    assert_eq!(wide.f00, UserId(10000));
    assert_eq!(wide.f31, "s31");
    assert_eq!((wide.f32, wide.f33), (32, false));
    assert_eq!(wide.extra["unlisted"], 1);

    let mut aliased = reply.clone();
    let f33 = aliased
        .as_object_mut()
        .unwrap()
        .shift_remove("f33")
        .unwrap();
    aliased["alias_33"] = f33;
    assert_eq!(serde_json::from_value::<Wide>(aliased).unwrap(), wide);

    let mut missing = reply.clone();
    missing.as_object_mut().unwrap().shift_remove("f32");
    let e = serde_json::from_value::<Wide>(missing)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field `f32`"), "{e}");
    let twice = reply.to_string().replacen('{', r#"{"alias_33": true, "#, 1);
    let e = serde_json::from_str::<Wide>(&twice)
        .unwrap_err()
        .to_string();
    assert!(e.contains("duplicate field `f33`"), "{e}");
}

type ByName = fn(&str) -> Option<&'static dyn api_core::DynAction>;
/// A fixture's action table and `action_by_name`.
type Api = (&'static [api_core::ActionInfo], ByName);

/// `expanded::<fixture>`: each fixture's formatted expansion, its snapshot (the text
/// `api-spec expand` writes for it); and `FIXTURES`: each fixture's name with its macro
/// expansion's and its text's API.
macro_rules! expanded {
    ($($name:ident),*) => {
        /// Only the action tables and `action_by_name` are used; the rest is here to be compiled.
        #[allow(dead_code)]
        mod expanded {
            $(pub mod $name {
                include!(concat!("../../api-spec/tests/snapshots/", stringify!($name), ".rs.txt"));
            })*
        }
        const FIXTURES: &[(&str, Api, Api)] = &[$((
            stringify!($name),
            ($name::ACTIONS, $name::action_by_name),
            (expanded::$name::ACTIONS, expanded::$name::action_by_name),
        )),*];
    };
}

expanded!(
    field_aliases,
    ids_durations,
    enum_int,
    enum_text,
    union_tagged,
    union_inline,
    either_or,
    stream_packets,
    files,
    wide_struct
);

/// The formatted expansion of every fixture compiles beside the macro's and is the same code:
/// the same action table, and each action's reply example decoded alike (its types'
/// `Deserialize` and `Serialize`), as are the same replies with every field mangled.
#[test]
fn formatted_expansions_compile_and_match_the_macros() {
    let decode = |by_name: ByName, action: &str, data: &Value| {
        let envelope = json!({"status": "ok", "retcode": 0, "data": data});
        let reply = api_core::RawReply::new(Some(200), envelope.to_string());
        by_name(action)
            .expect("a generated action")
            .decode(&reply)
            .map_err(|e| e.to_string())
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-spec/tests/fixtures");
    assert_eq!(
        FIXTURES.len(),
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension() == Some("toml".as_ref()))
            .count(),
        "every fixture"
    );
    for &(name, (macro_actions, macro_by_name), (text_actions, text_by_name)) in FIXTURES {
        assert_eq!(macro_actions, text_actions, "{name}");
        let file = format!("{name}.toml");
        let text = std::fs::read_to_string(dir.join(&file)).unwrap();
        let spec = api_spec::load(&[(file, text)]).unwrap();
        for (_, action) in spec.actions() {
            let reply = action.napcat.reply.clone().unwrap_or(Value::Null);
            for data in [reply.clone(), mangled(&reply)] {
                assert_eq!(
                    decode(macro_by_name, &action.rust_name, &data),
                    decode(text_by_name, &action.rust_name, &data),
                    "{name}: {} decoding {data}",
                    action.rust_name
                );
            }
        }
    }
}

/// `value` with every number turned into text and every text into a number, so that decoding
/// takes its lenient and its failing paths.
fn mangled(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(_) => json!(7),
        Value::Array(items) => items.iter().map(mangled).collect(),
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), mangled(v))).collect(),
        other => other.clone(),
    }
}
