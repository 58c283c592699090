//! Typed events: every example in NapCat's event list decodes to its kind and back to the same
//! JSON; unknown kinds and events that do not decode are kept whole; the typed stream works
//! over forward and reverse WebSocket.

use std::time::Duration;

use api_core::Client;
use api_core::types::{
    DecreaseKind, Event, GroupRequestKind, MessageType, MetaEvent, Notice, Notify, QuickOperation,
    Request,
};
use api_core::{EventsError, GroupId, MessageId};
use api_sim::Simulator;
use api_tests::{Via, over_every_transport, setup};
use serde_json::{Value, json};

fn napcat_events() -> Vec<Value> {
    let all: Value = serde_json::from_str(include_str!("../../api-spec/napcat/events.json"))
        .expect("events.json");
    all["events"].as_array().expect("a list").clone()
}

/// The variant names from `post_type` down, e.g. `Notice/Notify/Poke`.
fn kind(event: &Event) -> String {
    match event {
        Event::Message(m) => format!("Message/{:?}", m.message_type),
        Event::MessageSent(m) => format!("MessageSent/{:?}", m.message_type),
        Event::Notice(Notice::Notify(n)) => format!("Notice/Notify/{}", n.tag()),
        Event::Notice(n) => format!("Notice/{}", n.tag()),
        Event::Request(r) => format!("Request/{}", r.tag()),
        Event::MetaEvent(m) => format!("MetaEvent/{}", m.tag()),
        Event::Unknown(v) => format!("Unknown {v}"),
    }
}

#[test]
fn every_napcat_event_example_decodes_to_its_kind_and_back() {
    let events = napcat_events();
    assert_eq!(events.len(), 30);
    for e in &events {
        let id = e["id"].as_str().unwrap();
        let example = &e["example"];
        let event: Event =
            serde_json::from_value(example.clone()).unwrap_or_else(|err| panic!("{id}: {err}"));
        let k = kind(&event);
        assert!(!k.contains("Unknown"), "{id} decoded as {k}");
        let parts: Vec<&str> = id.split('.').collect();
        match parts[0] {
            "message" => assert!(matches!(event, Event::Message(_)), "{id}"),
            "message_sent" => assert!(matches!(event, Event::MessageSent(_)), "{id}"),
            "notice" if parts[1] == "notify" => {
                assert_eq!(k, format!("Notice/Notify/{}", parts[2]), "{id}")
            }
            "notice" => assert_eq!(k, format!("Notice/{}", parts[1]), "{id}"),
            "request" => assert_eq!(k, format!("Request/{}", parts[1]), "{id}"),
            "meta_event" => assert_eq!(k, format!("MetaEvent/{}", parts[1]), "{id}"),
            other => panic!("{other}"),
        }
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            *example,
            "{id} encodes back to what NapCat sent"
        );
    }
}

#[test]
fn typed_fields_carry_what_a_bot_needs() {
    let events = napcat_events();
    let find = |id: &str| -> Event {
        let e = events.iter().find(|e| e["id"] == id).unwrap();
        serde_json::from_value(e["example"].clone()).unwrap()
    };
    let Event::Message(m) = find("message.group.normal") else {
        panic!()
    };
    assert_eq!(m.message_type, MessageType::Group);
    assert_eq!(m.group_id, Some(api_core::GroupId(123456789)));
    assert_eq!(m.message.reply_to(), Some(api_core::MessageId(1592331207)));
    assert_eq!(m.message.mentions().collect::<Vec<_>>(), [2233445566]);
    assert!(!m.message.mentions_everyone());
    assert!(api_core::Message::new().at_all().mentions_everyone());
    let Event::Request(Request::Group(r)) = find("request.group") else {
        panic!()
    };
    assert!(matches!(
        r.sub_type,
        GroupRequestKind::Add | GroupRequestKind::Invite
    ));
    assert!(!r.flag.is_empty());
    let Event::Notice(Notice::GroupDecrease(d)) = find("notice.group_decrease") else {
        panic!()
    };
    assert!(!matches!(d.sub_type, DecreaseKind::Other(_)));
    let Event::Notice(Notice::Notify(Notify::Poke(p))) = find("notice.notify.poke.group") else {
        panic!()
    };
    assert!(p.group_id.is_some());
    let Event::MetaEvent(MetaEvent::Heartbeat(h)) = find("meta_event.heartbeat") else {
        panic!()
    };
    assert!(h.interval > 0);
}

#[test]
fn unknown_kinds_are_kept_at_their_level() {
    let e: Event = serde_json::from_value(json!({"time": 1, "self_id": 2, "post_type": "notice", "notice_type": "group_todo", "x": 1})).unwrap();
    assert!(matches!(&e, Event::Notice(Notice::Unknown(v)) if v["x"] == 1));
    let e: Event =
        serde_json::from_value(json!({"time": 1, "self_id": 2, "post_type": "guild"})).unwrap();
    assert!(matches!(e, Event::Unknown(_)));
    // A known kind that does not decode: the stream turns it into `Unknown` (see below).
    assert!(
        serde_json::from_value::<Event>(json!({"post_type": "request", "request_type": "friend"}))
            .is_err()
    );
}

/// `example` with its keys in the given order: as they came, reversed, and tags last.
fn orders(example: &Value) -> Vec<String> {
    let Some(map) = example.as_object() else {
        return vec![example.to_string()];
    };
    let mut reversed: Vec<(&String, &Value)> = map.iter().collect();
    reversed.reverse();
    let is_tag = |k: &str| k.ends_with("_type");
    let mut tags_last: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| !is_tag(k)).collect();
    tags_last.extend(map.iter().filter(|(k, _)| is_tag(k)));
    let render = |entries: Vec<(&String, &Value)>| {
        let body: Vec<String> = entries
            .into_iter()
            .map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), v))
            .collect();
        format!("{{ {} }}", body.join(", "))
    };
    vec![example.to_string(), render(reversed), render(tags_last)]
}

#[test]
fn the_fast_decoder_agrees_with_serde_everywhere() {
    let mut cases: Vec<Value> = napcat_events()
        .into_iter()
        .map(|e| e["example"].clone())
        .collect();
    cases.extend([
        json!({"time": 1, "self_id": 2, "post_type": "notice", "notice_type": "group_todo", "x": 1}),
        json!({"time": 1, "self_id": 2, "post_type": "notice", "notice_type": "notify", "sub_type": "new"}),
        json!({"time": 1, "self_id": 2, "post_type": "guild"}),
        json!({"time": 1, "self_id": 2, "post_type": 7}),
        json!({"time": 1, "self_id": 2}),
        json!({"post_type": "request", "request_type": "friend"}),
        json!([1, 2]),
        json!("message"),
    ]);
    for case in &cases {
        for text in orders(case) {
            let slow = serde_json::from_str::<Event>(&text);
            let fast = Event::from_slice(text.as_bytes());
            match (&slow, &fast) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(_), Err(_)) => {}
                _ => panic!("{text}: serde {slow:?}, fast {fast:?}"),
            }
        }
    }
    for broken in [
        &b"{\"post_type\": \"message\", \"message\": [}"[..],
        b"{\"post_type\":\"notice\"",
        b"",
    ] {
        assert!(Event::from_slice(broken).is_err());
    }
}

async fn typed_events_arrive_and_odd_ones_do_not_end_the_stream(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let mut events = api.events();
    sim.push_event(json!({"post_type": "request", "request_type": "friend", "broken": true}));
    let id = sim.inject_private_message(123456, json!("hi"));
    let mut seen = Vec::new();
    loop {
        match events.recv().await.unwrap() {
            Event::MetaEvent(_) => continue,
            Event::Message(m) => {
                assert_eq!(m.message_id, id);
                assert_eq!(m.message.plain_text(), "hi");
                seen.push("message");
                break;
            }
            Event::Unknown(raw) => {
                assert_eq!(raw["broken"], true);
                seen.push("unknown");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen, ["unknown", "message"]);
    // The raw stream is there too.
    let mut raw = api.events();
    sim.inject_group_message(100200, 234567, "李四", json!("raw"));
    loop {
        let v = raw.recv_raw().await.unwrap();
        if v["post_type"] == "message" {
            assert_eq!(v["raw_message"], "raw");
            break;
        }
    }
}

/// A bot's loop: reply where a message was said, quoting it; answer requests by their flag.
async fn a_bot_replies_in_place_and_answers_requests(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let mut events = api.events();
    let said = sim.inject_group_message(100200, 234567, "李四", json!("ping"));
    let m = loop {
        if let Event::Message(m) = events.recv().await.unwrap() {
            break m;
        }
    };
    sim.take_calls();
    api.reply(&m, "pong").await.unwrap();
    let calls = sim.take_calls();
    assert_eq!(calls[0].action, "send_msg");
    assert_eq!(
        calls[0].params,
        json!({"group_id": 100200, "message": [
            {"type": "reply", "data": {"id": said.to_string()}},
            {"type": "text", "data": {"text": "pong"}},
        ]})
    );

    sim.push_event(json!({"time": 1, "self_id": 10001, "post_type": "request", "request_type": "friend", "user_id": 456789, "comment": "hi", "flag": "flag_12345"}));
    let flag = sim.inject_group_request(100200, 567890, "孙七", "");
    let mut answered = 0;
    while answered < 2 {
        match events.recv().await.unwrap() {
            Event::Request(r @ Request::Friend(_)) => {
                api.approve(&r).await.unwrap();
                answered += 1;
            }
            Event::Request(r @ Request::Group(_)) => {
                api.reject(&r, Some("no")).await.unwrap();
                answered += 1;
            }
            _ => {}
        }
    }
    let calls = sim.take_calls();
    assert_eq!(
        calls[0].params,
        json!({"flag": "flag_12345", "approve": true})
    );
    assert_eq!(
        calls[1].params,
        json!({"flag": flag, "approve": false, "reason": "no"})
    );
    assert!(
        api.get_friend_list()
            .await
            .unwrap()
            .iter()
            .any(|f| f.user_id == 456789),
        "the approved friend is a friend now"
    );
}

/// An HTTP-only bot reads NapCat's SSE stream (`GET /_events`): typed events, the token sent
/// as on calls, and a reconnect after the server restarts.
#[tokio::test]
async fn http_clients_get_events_over_sse() {
    let sim = Simulator::start(api_sim::SimConfig {
        token: Some("t".into()),
        ..api_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let api = Client::builder()
        .base_url(sim.http_url())
        .access_token("t")
        .sse_events(true)
        .reconnect_backoff(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(50),
        )
        .build()
        .unwrap();
    let mut events = api.events();
    sim.wait_for_event_clients(1).await;
    let id = sim.inject_private_message(123456, json!("over sse"));
    let Event::Message(m) = events.recv().await.unwrap() else {
        panic!()
    };
    assert_eq!(
        (m.message_id, m.message.plain_text().as_str()),
        (MessageId(id), "over sse")
    );

    let sim = sim.restart().unwrap();
    sim.wait_for_event_clients(1).await;
    sim.inject_group_message(100200, 234567, "李四", json!("after restart"));
    let Event::Message(m) = events.recv().await.unwrap() else {
        panic!()
    };
    assert_eq!(m.message.plain_text(), "after restart");
}

/// The simulator's stream is framed as NapCat's: `data: <json>` and a blank line, nothing else.
#[tokio::test]
async fn the_simulators_sse_framing_is_napcats() {
    let sim = Simulator::start(api_sim::SimConfig::default())
        .await
        .unwrap();
    let mut resp = reqwest::Client::new()
        .get(format!("{}/_events", sim.http_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    sim.wait_for_event_clients(1).await;
    sim.inject_private_message(123456, json!("x"));
    let mut body = Vec::new();
    while !body.ends_with(b"\n\n") {
        body.extend_from_slice(&resp.chunk().await.unwrap().unwrap());
    }
    let text = String::from_utf8(body).unwrap();
    let json = text
        .strip_prefix("data: ")
        .unwrap()
        .strip_suffix("\n\n")
        .unwrap();
    let event: Value = serde_json::from_str(json).unwrap();
    assert_eq!(event["raw_message"], "x");
}

/// A simulator, and a client on its forward WebSocket whose subscriptions keep up to
/// `events` events, once the simulator sends it events.
async fn with_room_for(events: usize) -> (Simulator, Client) {
    let sim = Simulator::start(api_sim::SimConfig::default())
        .await
        .unwrap();
    let api = Client::builder()
        .ws_url(sim.ws_url("/"))
        .event_buffer(events)
        .connect()
        .await
        .unwrap();
    sim.wait_for_event_clients(1).await;
    (sim, api)
}

/// A subscriber that reads only after a whole burst has arrived still gets all of it when it
/// fits the buffer (with the default 1,024 it would be told it lagged).
#[tokio::test]
async fn a_larger_event_buffer_keeps_a_burst_for_a_late_reader() {
    const BURST: usize = 5_000;
    let (sim, api) = with_room_for(BURST + 16).await;
    let mut events = api.events();
    let mut probe = api.events();
    for i in 0..BURST {
        sim.push_event(json!({"time": i, "self_id": 10001, "post_type": "notice", "notice_type": "friend_add", "user_id": i}));
    }
    sim.push_event(json!({"time": 0, "self_id": 10001, "post_type": "notice", "notice_type": "friend_recall", "user_id": 1, "message_id": 1}));
    // The probe reads along until the last event: by then every event is waiting for
    // `events`, which has read nothing yet.
    loop {
        if let Ok(Event::Notice(Notice::FriendRecall(_))) = probe.recv().await {
            break;
        }
    }
    let mut added = 0;
    loop {
        match events.recv().await {
            Ok(Event::Notice(Notice::FriendAdd(_))) => added += 1,
            Ok(Event::Notice(Notice::FriendRecall(_))) => break,
            Ok(_) => {}
            Err(e) => panic!("after {added}: {e}"),
        }
    }
    assert_eq!(added, BURST);
}

/// The simulator, like NapCat, drops no event for a connection that falls behind: a burst
/// pushed without a pause (the connection's task cannot run until it ends, on this one-thread
/// runtime) reaches the client whole and in order.
#[tokio::test]
async fn the_simulator_drops_no_event_of_a_burst_however_large() {
    const BURST: usize = 40_000;
    let (sim, api) = with_room_for(BURST + 16).await;
    let mut events = api.events();
    for i in 0..BURST {
        sim.push_event(json!({"time": i, "self_id": 10001, "post_type": "notice", "notice_type": "friend_add", "user_id": i}));
    }
    let mut next = 0;
    // A lost event would leave the reader waiting; the patience is far beyond a slow run.
    let read_all = async {
        while next < BURST {
            match events.recv().await {
                Ok(Event::Notice(Notice::FriendAdd(added))) => {
                    assert_eq!(added.user_id.0, next as i64, "in the order pushed");
                    next += 1;
                }
                Ok(_) => {}
                Err(e) => panic!("after {next}: {e}"),
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(120), read_all)
        .await
        .is_err()
    {
        panic!("only {next} of {BURST} events arrived");
    }
}

/// `.handle_quick_operation` with an event as it arrived and a typed operation: the reply
/// quotes the message and @s its sender, as an HTTP post's answer would.
async fn a_quick_operation_is_applied_on_request(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let mut events = api.events();
    let ping = sim.inject_group_message(100200, 234567, "李四", json!("ping"));
    let event = loop {
        let event = events.recv().await.unwrap();
        if matches!(&event, Event::Message(m) if m.message_id == ping) {
            break event;
        }
    };
    api.handle_quick_operation(event, QuickOperation::new().reply("pong").at_sender(true))
        .await
        .unwrap();
    let call = sim.calls().pop().unwrap();
    assert_eq!(call.action, ".handle_quick_operation");
    assert_eq!(call.params["context"]["message_id"], ping);
    assert_eq!(
        call.params["operation"],
        json!({"reply": [{"type": "text", "data": {"text": "pong"}}], "at_sender": true})
    );
    let history = api.get_group_msg_history(GroupId(100200)).await.unwrap();
    let reply = history.messages.last().unwrap();
    assert_eq!(
        serde_json::to_value(&reply.message).unwrap(),
        api_tests::quick_group_reply(ping, 234567, "pong")
    );
}

over_every_transport! {
    typed_events_arrive_and_odd_ones_do_not_end_the_stream,
    a_bot_replies_in_place_and_answers_requests,
    a_quick_operation_is_applied_on_request,
}

/// A connection hands on a frame that ends like an event without reading the rest; when it
/// is not JSON after all, the subscriber still gets it, as its text.
#[tokio::test]
async fn a_broken_frame_that_ends_like_an_event_arrives_as_its_text() {
    use api_tests::hostile::{WsMove, hostile_ws, ok_reply};
    const BROKEN: &str = r#"{"message": [, "post_type": "message"}"#;
    let (addr, _) = hostile_ws(|_, req| {
        vec![
            WsMove::Text(BROKEN.to_owned()),
            WsMove::Text(ok_reply(req, json!({"online": true, "good": true}))),
        ]
    })
    .await;
    let api = Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .connect()
        .await
        .unwrap();
    let mut events = api.events();
    api.get_status().await.unwrap();
    assert_eq!(events.recv().await.unwrap(), Event::Unknown(json!(BROKEN)));
}

/// Events are held for a subscriber that stopped reading up to the byte budget, not only up to
/// the count: of 20 events of 1 MiB with a 4 MiB budget, the last three wait for it and it is
/// told it missed the 17 before (without the budget, all 20 would be held).
#[tokio::test]
async fn a_subscriber_that_stopped_reading_holds_at_most_the_byte_budget() {
    use api_tests::hostile::{WsMove, hostile_ws, ok_reply};
    const MIB: usize = 1024 * 1024;
    let (addr, _) = hostile_ws(|_, req| {
        let pad = "x".repeat(MIB);
        let mut moves: Vec<WsMove> = (1..=20)
            .map(|n| WsMove::Text(json!({"post_type": "notice", "n": n, "pad": pad}).to_string()))
            .collect();
        moves.push(WsMove::Text(ok_reply(
            req,
            json!({"online": true, "good": true}),
        )));
        moves
    })
    .await;
    let api = Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .event_buffer_bytes(4 * MIB)
        .connect()
        .await
        .unwrap();
    let mut stopped = api.events();
    // The reply comes after the events on the same connection: once it is here, every event
    // has been handed to the buffer.
    api.get_status().await.unwrap();
    let mut next = async || stopped.recv_raw().await.map(|event| event["n"].clone());
    assert_eq!(next().await, Err(EventsError::Lagged(17)));
    for n in 18..=20 {
        assert_eq!(next().await, Ok(json!(n)));
    }
}
