//! Events NapCat POSTs to the bot: signed posts reach typed subscribers, unsigned or forged
//! ones are refused, and a quick operation in the answer is applied by the server.

use api_core::GroupId;
use std::sync::Arc;
use std::time::Duration;

use api_core::types::{Event, QuickOperation, Request};
use api_core::{Client, HttpPostOptions, HttpPostServer};
use api_sim::{SimConfig, Simulator};
use api_tests::hostile::{closed_by_server, half_sent};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

/// A post that serde_json would pass over unread, invalid UTF-8 inside a string or nesting
/// 100,000 deep, is refused like any other bad body, and never reaches a subscriber.
#[tokio::test]
async fn bodies_no_subscriber_could_decode_are_refused() {
    let server = receiver(None, None).await;
    let mut events = server.events();
    let url = format!("http://{}/", server.local_addr());
    let http = reqwest::Client::new();
    let post = |body: Vec<u8>| http.post(&url).body(body).send();
    let bad_utf8 = [
        &br#"{"post_type":"notice","notice_type":"x","note":""#[..],
        b"\xff\xfe",
        b"\"}",
    ]
    .concat();
    assert_eq!(post(bad_utf8).await.unwrap().status(), 400);
    let deep = format!(
        r#"{{"post_type":"notice","notice_type":"x","deep":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(post(deep.into_bytes()).await.unwrap().status(), 400);
    let good = json!({"post_type": "notice", "notice_type": "x", "n": 1}).to_string();
    assert_eq!(post(good.into_bytes()).await.unwrap().status(), 204);
    assert_eq!(
        events.recv_raw().await.unwrap()["n"],
        1,
        "only the good one"
    );
}

/// A signed 3 MiB event (a long forward) is taken, as the WebSocket transports take up to
/// 64 MiB; a post over `max_body_bytes` is refused with 413 and a warning in the log.
#[tokio::test(flavor = "current_thread")]
async fn large_events_arrive_and_the_body_limit_is_a_setting() {
    let logs = api_tests::CapturedLog::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let server = receiver(Some("s3cret"), None).await;
    let mut events = server.events();
    let body =
        json!({"post_type": "notice", "notice_type": "x", "pad": "x".repeat(3 << 20)}).to_string();
    let signed = reqwest::Client::new()
        .post(format!("http://{}/", server.local_addr()))
        .header("x-signature", api_sim_signature("s3cret", body.as_bytes()))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 204);
    let got = events.recv_raw().await.unwrap();
    assert_eq!(got["pad"].as_str().map(str::len), Some(3 << 20));

    let small = HttpPostServer::bind(
        ([127, 0, 0, 1], 0).into(),
        HttpPostOptions {
            max_body_bytes: Some(1 << 20),
            ..HttpPostOptions::default()
        },
    )
    .await
    .unwrap();
    let refused = reqwest::Client::new()
        .post(format!("http://{}/", small.local_addr()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 413);
    assert!(
        logs.text().contains("HttpPostOptions::max_body_bytes"),
        "the refusal is logged"
    );
}

/// A server taking at most two connections, each given `header_read_timeout` to send its
/// headers.
async fn capped_receiver(header_read_timeout: Duration) -> HttpPostServer {
    HttpPostServer::bind(
        ([127, 0, 0, 1], 0).into(),
        HttpPostOptions {
            max_connections: Some(2),
            header_read_timeout: Some(header_read_timeout),
            body_read_timeout: Some(Duration::from_millis(300)),
            ..HttpPostOptions::default()
        },
    )
    .await
    .unwrap()
}

/// The start of a post, never finished.
const HALF_A_POST: &[u8] = b"POST / HTTP/1.1\r\nHost: bot\r\n";

fn post_event(addr: std::net::SocketAddr) -> reqwest::RequestBuilder {
    let body = json!({"post_type": "notice", "notice_type": "x"}).to_string();
    reqwest::Client::new()
        .post(format!("http://{addr}/"))
        .body(body)
        .timeout(Duration::from_secs(60))
}

/// Slowloris: requests sent by halves hold the connections only for `header_read_timeout`;
/// then they are closed and a valid post is answered.
#[tokio::test]
async fn half_sent_requests_are_closed_after_the_header_timeout() {
    let server = capped_receiver(Duration::from_millis(200)).await;
    let mut held = half_sent(server.local_addr(), HALF_A_POST, 2).await;
    let answered = post_event(server.local_addr()).send().await.unwrap();
    assert_eq!(answered.status(), 204);
    for s in &mut held {
        assert!(
            closed_by_server(s, Duration::from_secs(60)).await,
            "a half-sent request was closed"
        );
    }
}

/// At `max_connections` no more are taken; one ending lets the next in.
#[tokio::test]
async fn no_more_than_max_connections_are_served_at_once() {
    let server = capped_receiver(Duration::from_secs(120)).await;
    let mut held = half_sent(server.local_addr(), HALF_A_POST, 2).await;
    let post = tokio::spawn(post_event(server.local_addr()).send());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !post.is_finished(),
        "the post waits while two connections are held"
    );
    held.pop();
    assert_eq!(post.await.unwrap().unwrap().status(), 204);
}

/// A body that stops coming is answered 408 after `body_read_timeout`.
#[tokio::test]
async fn a_body_that_stops_coming_is_answered_408() {
    let server = capped_receiver(Duration::from_secs(120)).await;
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: bot\r\nContent-Length: 100\r\n\r\n{\"post_type\"")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(60), s.read_exact(&mut head))
        .await
        .expect("an answer comes")
        .unwrap();
    assert_eq!(&head, b"HTTP/1.1 408");
}
