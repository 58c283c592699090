//! Events NapCat POSTs to the bot: signed posts reach typed subscribers, unsigned or forged
//! ones are refused, and a quick operation in the answer is applied by the server.

use api_core::GroupId;
use std::sync::Arc;

use api_core::types::{Event, QuickOperation, Request};
use api_core::{Client, HttpPostOptions, HttpPostServer};
use api_sim::{SimConfig, Simulator};
use serde_json::json;

async fn receiver(secret: Option<&str>, quick: Option<api_core::QuickHandler>) -> HttpPostServer {
    HttpPostServer::bind(
        ([127, 0, 0, 1], 0).into(),
        HttpPostOptions {
            secret: secret.map(Into::into),
            quick,
            ..HttpPostOptions::default()
        },
    )
    .await
    .expect("bind the receiver")
}

#[tokio::test]
async fn signed_posts_arrive_typed() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let server = receiver(Some("s3cret"), None).await;
    let mut events = server.events();
    sim.post_events_to(
        &format!("http://{}/onebot", server.local_addr()),
        Some("s3cret"),
    );
    let id = sim.inject_group_message(100200, 234567, "李四", json!("posted"));
    let Event::Message(m) = events.recv().await.unwrap() else {
        panic!()
    };
    assert_eq!(m.message_id, id);
    assert_eq!(m.group_id, Some(GroupId(100200)));
    assert_eq!(m.message.plain_text(), "posted");
}

#[tokio::test]
async fn posts_without_a_valid_signature_are_refused() {
    let server = receiver(Some("s3cret"), None).await;
    let mut events = server.events();
    let url = format!("http://{}/", server.local_addr());
    let body = json!({"time": 1, "self_id": 1, "post_type": "notice", "notice_type": "friend_add", "user_id": 2}).to_string();
    let http = reqwest::Client::new();
    let post = |signature: Option<String>| {
        let mut req = http.post(&url).header("x-self-id", "1").body(body.clone());
        if let Some(s) = signature {
            req = req.header("x-signature", s);
        }
        req.send()
    };
    let forged = format!("sha1={}", "0".repeat(40));
    assert_eq!(post(None).await.unwrap().status(), 403);
    assert_eq!(post(Some(forged)).await.unwrap().status(), 403);
    let right = api_sim_signature("s3cret", body.as_bytes());
    assert_eq!(post(Some(right)).await.unwrap().status(), 204);
    // Only the signed one reached the subscriber.
    let Event::Notice(n) = events.recv().await.unwrap() else {
        panic!()
    };
    assert_eq!(n.tag(), "friend_add");
    assert!(matches!(events.try_recv_raw(), Ok(None)));
}

/// `sha1=<hex>` as NapCat signs, computed independently of the receiver.
fn api_sim_signature(token: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha1={hex}")
}

#[tokio::test]
async fn quick_operations_in_the_answer_are_applied() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let quick: api_core::QuickHandler = Arc::new(|event: &Event| match event {
        Event::Message(m) if m.message.plain_text() == "ping" => {
            Some(QuickOperation::new().reply("pong").at_sender(true))
        }
        Event::Request(Request::Friend(_)) => Some(QuickOperation::new().approve(true)),
        _ => None,
    });
    let server = receiver(None, Some(quick)).await;
    let mut events = server.events();
    sim.post_events_to(&format!("http://{}/", server.local_addr()), None);
    let ping = sim.inject_group_message(100200, 234567, "李四", json!("ping"));
    sim.push_event(json!({"time": 1, "self_id": 10001, "post_type": "request", "request_type": "friend", "user_id": 456789, "comment": "", "flag": "flag_12345"}));
    let mut seen = 0;
    while seen < 2 {
        if matches!(
            events.recv().await.unwrap(),
            Event::Message(_) | Event::Request(_)
        ) {
            seen += 1;
        }
    }
    let api = Client::builder().base_url(sim.http_url()).build().unwrap();
    // The answers are applied after the posts return; wait for their effects.
    let reply = loop {
        let history = api.get_group_msg_history(GroupId(100200)).await.unwrap();
        if let Some(last) = history.messages.last().filter(|m| m.message_id != ping) {
            break last.clone();
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(
        serde_json::to_value(&reply.message).unwrap(),
        api_tests::quick_group_reply(ping, 234567, "pong")
    );
    loop {
        let friends = api.get_friend_list().await.unwrap();
        if friends.iter().any(|f| f.user_id == 456789) {
            break;
        }
        tokio::task::yield_now().await;
    }
}
