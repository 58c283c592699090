//! Messages: segments round-trip, CQ codes, received messages in both formats, the message
//! actions against the simulator's store over every transport.

use api_core::types::{
    ContactKind, CustomMusic, FlashTransferSegment, ForwardNode, ForwardSegment, MarketFaceSegment,
    MiniAppSegment, MusicSegment, NodeSegment, OnlineFileSegment, PlatformMusic, Segment,
};
use api_core::{Error, Message, Uploadable};
use api_core::{GroupId, MessageId, UserId};
use api_sim::SimConfig;
use api_tests::{Via, over_every_transport, setup, setup_with};
use proptest::prelude::*;
use serde_json::{Value, json};

fn events() -> Value {
    serde_json::from_str(include_str!("../../api-spec/napcat/events.json")).expect("events.json")
}

/// One message holding every segment the builder makes, plus the ones built by hand.
fn every_segment() -> Message {
    Message::new()
        .text("hi")
        .face("14")
        .at(123456)
        .at_all()
        .reply(42)
        .image(Uploadable::url("https://example.com/a.png"))
        .record(Uploadable::url("https://example.com/a.amr"))
        .video(Uploadable::url("https://example.com/a.mp4"))
        .file(Uploadable::url("https://example.com/a.zip"))
        .json(json!({"app": "x"}))
        .xml("<x/>")
        .markdown("# t")
        .music(MusicSegment::NetEase(PlatformMusic::new("28949129")))
        .music(MusicSegment::Custom(
            CustomMusic::new("https://u", "https://i").title("t"),
        ))
        .poke("1", "10000")
        .dice()
        .rps()
        .contact(ContactKind::Group, 100200)
        .location(31.2, 121.5)
        .push(Segment::Node(NodeSegment::custom(1, "n", "inner")))
}

/// Every variant of `Segment` the spec lists, each built and sent through JSON and back.
#[test]
fn every_spec_segment_kind_round_trips() {
    let mut all = every_segment();
    for extra in [
        Segment::MarketFace(MarketFaceSegment::new(1, "e", "k", "[开心]")),
        Segment::MiniApp(MiniAppSegment::new("{}")),
        Segment::Forward(ForwardSegment::new("7345")),
        Segment::OnlineFile(OnlineFileSegment::new("m", "e", "a.zip", "10", false)),
        Segment::FlashTransfer(FlashTransferSegment::new("set1")),
    ] {
        all.push_segment(extra);
    }
    let tags: std::collections::BTreeSet<&str> = all.iter().map(Segment::tag).collect();
    let spec = api_spec::builtin();
    let declared: std::collections::BTreeSet<&str> = spec
        .find_union("Segment")
        .unwrap()
        .variants
        .iter()
        .filter_map(|v| v.wire.as_deref())
        .collect();
    assert_eq!(tags, declared, "every declared segment kind is built here");
    let back: Message = serde_json::from_value(serde_json::to_value(&all).unwrap()).unwrap();
    assert_eq!(back, all);
}

#[test]
fn every_segment_round_trips_through_json_and_cq() {
    let message = every_segment();
    let wire = serde_json::to_value(&message).unwrap();
    let back: Message = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(back, message);
    let tags: Vec<&str> = message.iter().map(Segment::tag).collect();
    assert_eq!(
        tags,
        [
            "text", "face", "at", "at", "reply", "image", "record", "video", "file", "json", "xml",
            "markdown", "music", "music", "poke", "dice", "rps", "contact", "location", "node"
        ]
    );
    assert_eq!(
        wire[13]["data"],
        json!({"type": "custom", "url": "https://u", "image": "https://i", "title": "t"})
    );
    assert_eq!(wire[12]["data"], json!({"type": "163", "id": "28949129"}));
    // Every flat segment survives the CQ form; a JSON card's object comes back as its text.
    let flat: Message = message
        .iter()
        .take(19)
        .filter(|s| s.tag() != "json")
        .cloned()
        .collect();
    assert_eq!(Message::from_cq(&flat.to_cq()), flat);
    let card = Message::new().json(json!({"app": "x"}));
    assert_eq!(card.to_cq(), "[CQ:json,data={\"app\":\"x\"}]");
    assert_eq!(
        Message::from_cq(&card.to_cq()),
        Message::new().json("{\"app\":\"x\"}")
    );
}

#[test]
fn received_segments_keep_what_napcat_adds_and_unknown_ones_stay_whole() {
    let m: Message = serde_json::from_value(json!([
        {"type": "image", "data": {"summary": "", "file": "8A.png", "sub_type": 0, "url": "https://m/x", "file_size": "48213"}},
        {"type": "image", "data": {"summary": "[开心]", "file": "m.gif", "url": "https://m/y", "key": "k", "emoji_id": "e", "emoji_package_id": 1}},
        {"type": "face", "data": {"id": "14", "raw": {"faceIndex": 14}}},
        {"type": "shake", "data": {"x": 1}},
    ]))
    .unwrap();
    let Segment::Image(img) = &m.segments()[0] else {
        panic!("{m:?}")
    };
    assert_eq!(img.file, Uploadable::Server("8A.png".into()));
    assert_eq!(img.file_size.as_deref(), Some("48213"));
    let Segment::Image(market) = &m.segments()[1] else {
        panic!()
    };
    assert_eq!(market.extra["emoji_package_id"], 1);
    assert!(
        matches!(&m.segments()[3], Segment::Unknown(v) if v == &json!({"type": "shake", "data": {"x": 1}}))
    );
    // Sent back, the received image goes out as it came.
    assert_eq!(
        serde_json::to_value(&m).unwrap()[0]["data"]["file"],
        "8A.png"
    );
}

#[test]
fn a_message_event_decodes_the_same_from_array_and_cq_string() {
    let events = events();
    let friend = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "message.private.friend")
        .unwrap();
    let array: api_core::types::MessageEvent =
        serde_json::from_value(friend["example"].clone()).unwrap();
    let string: api_core::types::MessageEvent =
        serde_json::from_value(friend["example_string_format"].clone()).unwrap();
    assert_eq!(array.message.len(), 2);
    assert_eq!(array.message.plain_text(), "在吗");
    // The CQ form carries every value as text; the typed segments agree.
    let (Segment::Image(a), Segment::Image(s)) =
        (&array.message.segments()[1], &string.message.segments()[1])
    else {
        panic!("{array:?}")
    };
    assert_eq!(a.file, s.file);
    assert_eq!(a.url, s.url);
    assert_eq!(a.sub_type, s.sub_type);
    assert_eq!(array.message.to_cq(), array.raw_message.clone().unwrap());
    assert_eq!(string.message.to_cq(), string.raw_message.unwrap());
}

#[test]
fn cq_escaping_follows_onebot() {
    let m = Message::new().text("a[b]&c,").at(1);
    assert_eq!(m.to_cq(), "a&#91;b&#93;&amp;c,[CQ:at,qq=1]");
    let m = Message::from_cq("[CQ:text,text=x&#44;y]&#91;z");
    assert_eq!(m.plain_text(), "x,y[z");
    assert_eq!(
        Message::from_cq("[CQ:image,file=a.png,url=https://x?a=1&amp;b=2]").segments()[0].tag(),
        "image"
    );
    // A code whose values do not fit its type is kept whole, a malformed one is text.
    let kept = Message::from_cq("[CQ:location,lat=north]");
    assert!(matches!(&kept.segments()[0], Segment::Unknown(v) if v["data"]["lat"] == "north"));
    assert_eq!(Message::from_cq("[CQ:at,qq").plain_text(), "[CQ:at,qq");
    // Empty values are left out when rendering, as NapCat's encoder does.
    assert_eq!(Message::from_cq("[CQ:shake,x=]").to_cq(), "[CQ:shake]");
}

proptest! {
    #[test]
    fn any_text_survives_cq(text in "\\PC{0,40}") {
        let m = Message::new().text(text.clone());
        let back = Message::from_cq(&m.to_cq());
        prop_assert_eq!(back.plain_text(), text);
    }

    #[test]
    fn parsing_never_fails_or_loses_text(text in "(\\[CQ:|[a-z]|=|,|\\]|&#44;|&amp;|&#91;| ){0,30}") {
        let m = Message::from_cq(&text);
        let rendered = m.to_cq();
        let again = Message::from_cq(&rendered);
        // Rendering leaves empty values out, as NapCat's encoder does (`[CQ:a,k=]` renders as
        // `[CQ:a]`), so the parsed value equals the first parse up to those; from there on the
        // CQ form is a fixed point.
        let without_empty = |m: &Message| {
            let mut v = serde_json::to_value(m).unwrap();
            for seg in v.as_array_mut().unwrap() {
                if seg["type"] != "text" && let Some(data) = seg["data"].as_object_mut() {
                    data.retain(|_, x| x != "");
                }
            }
            v
        };
        prop_assert_eq!(serde_json::to_value(&again).unwrap(), without_empty(&m));
        prop_assert_eq!(again.to_cq(), rendered);
    }
}

async fn sent_message_reaches_napcat_as_an_array(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let sent = api
        .send_group_msg(GroupId(100200), Message::new().text("hi ").at(123456))
        .await
        .unwrap();
    let calls = sim.take_calls();
    assert_eq!(calls[0].action, "send_group_msg");
    assert_eq!(
        calls[0].params,
        json!({"group_id": 100200, "message": [
            {"type": "text", "data": {"text": "hi "}},
            {"type": "at", "data": {"qq": "123456"}},
        ]})
    );
    let got = api.get_msg(sent.message_id).await.unwrap();
    assert_eq!(got.message_id, sent.message_id);
    assert_eq!(got.raw_message.as_deref(), Some("hi [CQ:at,qq=123456]"));
    assert_eq!(got.group_id, Some(GroupId(100200)));
}

async fn an_empty_message_or_a_missing_file_is_refused_before_sending(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    for empty in [Message::new(), Message::from("")] {
        match api.send_private_msg(UserId(123456), empty).await {
            Err(Error::InvalidArgument { param, .. }) => assert_eq!(param, "message"),
            other => panic!("{other:?}"),
        }
    }
    let missing = Message::new()
        .text("look")
        .image(Uploadable::path("no/such/file.png"));
    match api.send_private_msg(UserId(123456), missing).await {
        Err(Error::InvalidArgument { param, reason, .. }) => {
            assert_eq!(param, "message[1].data.file");
            assert!(reason.contains("no/such/file.png"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    match api
        .send_forward_msg(
            api_core::types::MessageTarget::Group(GroupId(100200)),
            vec![],
        )
        .await
    {
        Err(Error::InvalidArgument { param, .. }) => assert_eq!(param, "messages"),
        other => panic!("{other:?}"),
    }
    assert!(sim.take_calls().is_empty(), "nothing was sent");
}

async fn the_store_answers_history_recall_forward_and_likes(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            api.send_private_msg(UserId(123456), format!("m{i}"))
                .await
                .unwrap()
                .message_id,
        );
    }
    let injected = sim.inject_private_message(123456, json!("你好 [CQ:face,id=14]"));
    let latest = api
        .get_friend_msg_history(UserId(123456))
        .count(3)
        .await
        .unwrap();
    let texts: Vec<String> = latest
        .messages
        .iter()
        .map(|m| m.message.plain_text())
        .collect();
    assert_eq!(texts, ["m3", "m4", "你好 "]);
    let page = api
        .get_friend_msg_history(UserId(123456))
        .message_seq(ids[2].to_string())
        .count(2)
        .await
        .unwrap();
    let texts: Vec<String> = page
        .messages
        .iter()
        .map(|m| m.message.plain_text())
        .collect();
    assert_eq!(texts, ["m1", "m2"]);
    let got = api.get_msg(MessageId(injected)).await.unwrap();
    assert_eq!(got.user_id, Some(UserId(123456)));
    assert_eq!(got.sender.nickname, "张三");

    api.delete_msg(ids[0]).await.unwrap();
    match api.get_msg(ids[0]).await {
        Err(Error::Api { message, .. }) => assert_eq!(message, "消息不存在或已被撤回"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        api.delete_msg(ids[0]).await,
        Err(Error::Api { .. })
    ));

    let forward = api
        .send_group_forward_msg(
            GroupId(100200),
            vec![
                ForwardNode::by_id(ids[1]),
                ForwardNode::custom(1, "甲", "内层"),
            ],
        )
        .await
        .unwrap();
    let content = api
        .get_forward_msg(forward.message_id.to_string())
        .await
        .unwrap();
    let inner: Vec<String> = content
        .messages
        .unwrap()
        .iter()
        .map(|m| m.message.plain_text())
        .collect();
    assert_eq!(inner, ["m1", "内层"]);

    api.set_msg_emoji_like(MessageId(injected), "76")
        .await
        .unwrap();
    let likes = api
        .get_emoji_likes(injected.to_string(), "76")
        .await
        .unwrap();
    assert_eq!(likes.users.len(), 1);
    assert_eq!(likes.users[0].user_id, 10001);
    api.set_msg_emoji_like(MessageId(injected), "76")
        .set(false)
        .await
        .unwrap();
    let page = api
        .fetch_emoji_like(MessageId(injected), "76", "1")
        .await
        .unwrap();
    assert!(page.likers.is_empty());
}

async fn sends_are_reported_and_injected_messages_arrive_as_events(via: Via) {
    let config = SimConfig {
        report_self_message: true,
        ..SimConfig::default()
    };
    let (sim, api, _keep) = setup_with(via, config).await;
    let mut events = api.events();
    let sent = api
        .send_private_msg(UserId(123456), "自己发的")
        .await
        .unwrap();
    let id = sim.inject_group_message(
        100200,
        234567,
        "李四",
        json!([{"type": "text", "data": {"text": "群里好"}}]),
    );
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let e = events.recv_raw().await.unwrap();
        if e["post_type"] == "message" || e["post_type"] == "message_sent" {
            seen.push(e);
        }
    }
    assert_eq!(seen[0]["post_type"], "message_sent");
    assert_eq!(seen[0]["message_id"], sent.message_id.get());
    assert_eq!(seen[1]["post_type"], "message");
    assert_eq!(seen[1]["message_id"], id);
    assert_eq!(seen[1]["raw_message"], "群里好");
}

over_every_transport! {
    sent_message_reaches_napcat_as_an_array,
    an_empty_message_or_a_missing_file_is_refused_before_sending,
    the_store_answers_history_recall_forward_and_likes,
    sends_are_reported_and_injected_messages_arrive_as_events,
}

/// Segments decode the same whatever the order of their keys; one of a kind the spec does
/// not list (or with a tag that is not text) is kept exactly as it came, key order included.
#[test]
fn segments_decode_in_any_key_order_and_odd_ones_stay_whole() {
    let tag_first: Message = serde_json::from_str(r#"[{"type":"at","data":{"qq":"1"}}]"#).unwrap();
    let data_first: Message = serde_json::from_str(r#"[{"data":{"qq":"1"},"type":"at"}]"#).unwrap();
    assert_eq!(tag_first, data_first);
    assert_eq!(tag_first.mentions().collect::<Vec<_>>(), [1]);
    for odd in [
        r#"{"x":1,"type":"shake","data":{"n":2},"y":[3]}"#,
        r#"{"data":{"n":2},"type":"shake"}"#,
        r#"{"type":5,"data":{}}"#,
        r#"{"data":{}}"#,
    ] {
        let seg: Segment = serde_json::from_str(odd).unwrap();
        assert!(matches!(seg, Segment::Unknown(_)), "{odd}");
        assert_eq!(serde_json::to_string(&seg).unwrap(), odd);
    }
    // A listed kind whose data does not fit is an error, not an unknown segment.
    let err = serde_json::from_str::<Segment>(r#"{"type":"at","data":{"qq":[]}}"#).unwrap_err();
    assert!(err.to_string().contains("invalid type"), "{err}");
    // The forward node list takes nodes only.
    let err =
        serde_json::from_str::<ForwardNode>(r#"{"type":"text","data":{"text":"x"}}"#).unwrap_err();
    assert!(
        err.to_string().contains("`type` is not one of `node`"),
        "{err}"
    );
}
