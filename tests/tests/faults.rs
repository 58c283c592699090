//! Hostile servers over HTTP and forward WebSocket: each fault gets its own test, which checks
//! the error variant and what it carries, and that the next call works.

use api_core::UserId;
use std::sync::atomic::Ordering;
use std::time::Duration;

use api_core::{Client, Error};
use api_sim::{Fault, SimConfig, Simulator};
use api_tests::hostile::{WsMove, hostile_ws, http_faulty_once, ok_reply, ws_upgrade_refused};
use serde_json::{Value, json};

const SHORT: Duration = Duration::from_millis(300);

async fn sim() -> Simulator {
    Simulator::start(SimConfig::default()).await.unwrap()
}

fn http_client(url: String) -> Client {
    Client::builder()
        .base_url(url)
        .timeout(SHORT)
        .build()
        .unwrap()
}

async fn ws_client(url: String) -> Client {
    Client::builder()
        .ws_url(url)
        .timeout(SHORT)
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .connect()
        .await
        .unwrap()
}

/// A hostile WebSocket server that misbehaves with `first` on the first request it sees and
/// answers every later one properly.
async fn ws_faulty_once(
    first: Vec<WsMove>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (addr, conns) = hostile_ws(move |_, req| {
        if !seen.swap(true, Ordering::SeqCst) {
            first.clone()
        } else {
            vec![WsMove::Text(ok_reply(
                req,
                json!({"online": true, "good": true}),
            ))]
        }
    })
    .await;
    (format!("ws://{addr}/"), conns)
}

/// An error's variant and message without its (possibly huge) body.
fn brief<T: std::fmt::Debug>(r: &Result<T, Error>) -> String {
    match r {
        Ok(v) => format!("Ok({v:?})"),
        Err(e) => format!("Err({e})"),
    }
}

/// The transports the simulator-driven fault tests run over.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Over {
    Http,
    Ws,
}

async fn client_over(sim: &Simulator, over: Over) -> Client {
    match over {
        Over::Http => http_client(sim.http_url()),
        Over::Ws => ws_client(sim.ws_url("/api")).await,
    }
}

/// Runs each `async fn name(over: Over)` as `http_name` and `ws_name`.
macro_rules! over_http_and_ws {
    ($($name:ident),* $(,)?) => {
        mod http {
            $( #[tokio::test] async fn $name() { super::$name(super::Over::Http).await } )*
        }
        mod ws {
            $( #[tokio::test] async fn $name() { super::$name(super::Over::Ws).await } )*
        }
    };
}

async fn assert_next_call_works(api: &Client) {
    let status = api.get_status().timeout(Duration::from_secs(5)).await;
    assert!(status.expect("the next call works").online);
}

// ---------------------------------------------------------------- connection reset mid-body

#[tokio::test]
async fn http_connection_reset_mid_body() {
    let addr = http_faulty_once(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"status\":\"ok\",\"ret",
        true,
    )
    .await;
    let api = http_client(format!("http://{addr}"));
    match api.get_status().await {
        Err(Error::Transport { action, source }) => {
            assert_eq!(action, "get_status");
            assert!(!source.to_string().is_empty());
        }
        other => panic!("expected Transport, got {}", brief(&other)),
    }
    assert_next_call_works(&api).await;
}

#[tokio::test]
async fn ws_connection_reset_mid_flight() {
    let (url, conns) = ws_faulty_once(vec![WsMove::Abort]).await;
    let api = ws_client(url).await;
    match api.get_status().await {
        Err(Error::Disconnected { action, reason }) => {
            assert_eq!(action, "get_status");
            assert!(!reason.is_empty());
        }
        other => panic!("expected Disconnected, got {}", brief(&other)),
    }
    assert_next_call_works(&api).await;
    assert_eq!(conns.load(Ordering::SeqCst), 2, "reconnected once");
}

// ---------------------------------------------------------------- truncated JSON

#[tokio::test]
async fn http_truncated_json() {
    let sim = sim().await;
    let api = http_client(sim.http_url());
    let body = r#"{"status":"ok","retcode":0,"data":{"onl"#;
    sim.script(
        "get_status",
        Fault::Raw {
            status: 200,
            body: body.into(),
        },
    );
    match api.get_status().await {
        Err(Error::BadReply {
            http_status,
            body: got,
            reason,
            ..
        }) => {
            assert_eq!(http_status, Some(200));
            assert_eq!(&got[..], body.as_bytes());
            assert!(reason.contains("not a JSON envelope"), "{reason}");
        }
        other => panic!("{}", brief(&other)),
    }
    assert_next_call_works(&api).await;
}

#[tokio::test]
async fn ws_truncated_json_frame_is_skipped() {
    let (url, _) = ws_faulty_once(vec![WsMove::Text(
        r#"{"status":"ok","retcode":0,"echo":1,"da"#.into(),
    )])
    .await;
    let api = ws_client(url).await;
    assert!(matches!(api.get_status().await, Err(Error::Timeout { .. })));
    assert_next_call_works(&api).await;
}

// ---------------------------------------------------------------- HTML error page with 502

#[tokio::test]
async fn http_html_502_page() {
    let sim = sim().await;
    let api = http_client(sim.http_url());
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    sim.script(
        "get_status",
        Fault::Raw {
            status: 502,
            body: html.into(),
        },
    );
    match api.get_status().await {
        Err(Error::BadReply {
            http_status, body, ..
        }) => {
            assert_eq!(http_status, Some(502));
            assert_eq!(&body[..], html.as_bytes());
        }
        other => panic!("{}", brief(&other)),
    }
    assert_next_call_works(&api).await;
}

#[tokio::test]
async fn ws_upgrade_answered_with_a_502_page() {
    let addr = ws_upgrade_refused("HTTP/1.1 502 Bad Gateway", "<html>502 Bad Gateway</html>").await;
    match Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .connect()
        .await
    {
        Err(Error::Transport { action, source }) => {
            assert_eq!(action, "connect");
            assert!(source.to_string().contains("502"), "{source}");
        }
        other => panic!("expected Transport, got {}", brief(&other)),
    }
}

// ---------------------------------------------------------------- empty body

#[tokio::test]
async fn http_empty_200_body() {
    let sim = sim().await;
    let api = http_client(sim.http_url());
    sim.script(
        "get_status",
        Fault::Raw {
            status: 200,
            body: String::new(),
        },
    );
    match api.get_status().await {
        Err(Error::BadReply {
            http_status: Some(200),
            reason,
            body,
            ..
        }) => {
            assert!(reason.contains("empty"), "{reason}");
            assert!(body.is_empty());
        }
        other => panic!("{}", brief(&other)),
    }
    assert_next_call_works(&api).await;
}

#[tokio::test]
async fn ws_empty_frame_is_skipped() {
    let (url, _) = ws_faulty_once(vec![WsMove::Text(String::new())]).await;
    let api = ws_client(url).await;
    assert!(matches!(api.get_status().await, Err(Error::Timeout { .. })));
    assert_next_call_works(&api).await;
}

// ---------------------------------------------------------------- huge reply

#[tokio::test]
async fn http_reply_over_the_size_limit() {
    let sim = sim().await;
    let api = Client::builder()
        .base_url(sim.http_url())
        .max_reply_size(1024)
        .build()
        .unwrap();
    let body = format!(
        r#"{{"status":"ok","retcode":0,"data":{{"online":true,"good":true,"pad":"{}"}}}}"#,
        "x".repeat(1 << 20)
    );
    sim.script("get_status", Fault::Raw { status: 200, body });
    match api.get_status().await {
        Err(Error::BadReply { reason, body, .. }) => {
            assert!(reason.contains("1024 bytes"), "{reason}");
            assert!(body.len() <= 1024);
        }
        other => panic!("{}", brief(&other)),
    }
    assert_next_call_works(&api).await;
}

#[tokio::test]
async fn ws_frame_over_the_size_limit() {
    let big = format!(
        r#"{{"status":"ok","retcode":0,"echo":1,"data":"{}"}}"#,
        "x".repeat(1 << 20)
    );
    let (url, conns) = ws_faulty_once(vec![WsMove::Text(big)]).await;
    let api = Client::builder()
        .ws_url(url)
        .max_reply_size(64 * 1024)
        .timeout(Duration::from_secs(5))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .connect()
        .await
        .unwrap();
    match api.get_status().await {
        Err(Error::Disconnected { reason, .. }) => assert!(
            reason.to_lowercase().contains("too long") || reason.contains("limit"),
            "{reason}"
        ),
        other => panic!("expected Disconnected, got {}", brief(&other)),
    }
    assert_next_call_works(&api).await;
    assert_eq!(conns.load(Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------- deeply nested JSON

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// Replies nested 100,000 deep: as the whole `data`, and inside a `json` field, where
/// serde_json's depth limit stops the decoder before the stack does.
fn deep_replies() -> [(&'static str, String); 2] {
    [
        (
            "get_status",
            format!(
                r#"{{"status":"ok","retcode":0,"echo":1,"data":{}}}"#,
                nested(100_000)
            ),
        ),
        (
            "get_recent_contact",
            format!(
                r#"{{"status":"ok","retcode":0,"echo":2,"data":[{{"peerUin":"1","lastestMsg":{}}}]}}"#,
                nested(100_000)
            ),
        ),
    ]
}

fn assert_deep_reply_rejected<T: std::fmt::Debug>(action: &str, got: Result<T, Error>) {
    match got {
        Err(Error::Decode { path, message, .. }) if action == "get_status" => {
            assert_eq!(path, "data");
            assert!(message.contains("invalid type"), "{message}");
        }
        Err(Error::Decode { message, .. }) => {
            assert!(message.contains("recursion limit"), "{message}")
        }
        other => panic!("{action}: expected Decode, got {}", brief(&other)),
    }
}

#[tokio::test]
async fn http_deeply_nested_reply() {
    let sim = sim().await;
    let api = http_client(sim.http_url());
    let [(a1, r1), (a2, r2)] = deep_replies();
    sim.script(
        a1,
        Fault::Raw {
            status: 200,
            body: r1,
        },
    );
    assert_deep_reply_rejected(a1, api.get_status().await);
    sim.script(
        a2,
        Fault::Raw {
            status: 200,
            body: r2,
        },
    );
    assert_deep_reply_rejected(a2, api.get_recent_contact().await);
    assert_next_call_works(&api).await;
}

#[tokio::test]
async fn ws_deeply_nested_reply() {
    // The hostile server sends the two deep replies for the client's first two calls
    // (echo 1 and 2), then answers normally.
    let replies = deep_replies();
    let (addr, _) = hostile_ws(move |_, req| {
        let n = req["echo"].as_u64().unwrap_or(0) as usize;
        match replies.get(n.wrapping_sub(1)) {
            Some((_, r)) => vec![WsMove::Text(r.clone())],
            None => vec![WsMove::Text(ok_reply(
                req,
                json!({"online": true, "good": true}),
            ))],
        }
    })
    .await;
    let api = ws_client(format!("ws://{addr}/")).await;
    assert_deep_reply_rejected("get_status", api.get_status().await);
    assert_deep_reply_rejected("get_recent_contact", api.get_recent_contact().await);
    assert_next_call_works(&api).await;
}

// ---------------------------------------------------------------- invalid UTF-8

#[tokio::test]
async fn http_invalid_utf8_body() {
    let addr = http_faulty_once(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 6\r\nConnection: close\r\n\r\n\"\xC3\x28\xA0\xA1\"",
        false,
    )
    .await;
    let api = http_client(format!("http://{addr}"));
    match api.get_status().await {
        Err(Error::BadReply {
            http_status,
            reason,
            body,
            ..
        }) => {
            assert_eq!(http_status, Some(200));
            assert!(reason.contains("not a JSON envelope"), "{reason}");
            assert_eq!(&body[..], b"\"\xC3\x28\xA0\xA1\"");
        }
        other => panic!("expected BadReply, got {}", brief(&other)),
    }
    assert_next_call_works(&api).await;
}

#[tokio::test]
async fn ws_invalid_utf8_text_frame_drops_the_connection_cleanly() {
    let (url, conns) =
        ws_faulty_once(vec![WsMove::RawText(vec![b'"', 0xC3, 0x28, 0xA0, b'"'])]).await;
    let api = ws_client(url).await;
    match api.get_status().await {
        Err(Error::Disconnected { reason, .. }) => {
            assert!(reason.to_lowercase().contains("utf"), "{reason}")
        }
        other => panic!("expected Disconnected, got {}", brief(&other)),
    }
    assert_next_call_works(&api).await;
    assert_eq!(conns.load(Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------- echoes

#[tokio::test]
async fn ws_duplicated_echo_keeps_the_first_reply() {
    let (addr, _) = hostile_ws(|_, req| {
        vec![
            WsMove::Text(ok_reply(req, json!({"online": true, "good": true}))),
            WsMove::Text(ok_reply(req, json!({"online": false, "good": false}))),
        ]
    })
    .await;
    let api = ws_client(format!("ws://{addr}/")).await;
    for _ in 0..3 {
        assert!(
            api.get_status().await.unwrap().online,
            "always the first reply"
        );
    }
}

#[tokio::test]
async fn ws_echo_of_another_type_is_not_taken_for_ours() {
    for echo in [
        json!("1"),
        json!(1.5),
        json!({"id": 1}),
        json!([1]),
        json!(-1),
    ] {
        let echo2 = echo.clone();
        let (url, _) = ws_faulty_once(vec![WsMove::Text(
            json!({"status":"ok","retcode":0,"data":{"online":false,"good":true},"echo": echo2})
                .to_string(),
        )])
        .await;
        let api = ws_client(url).await;
        assert!(
            matches!(api.get_status().await, Err(Error::Timeout { .. })),
            "echo {echo}"
        );
        assert_next_call_works(&api).await;
    }
}

// ---------------------------------------------------------------- close codes

#[tokio::test]
async fn ws_each_common_close_code_ends_the_call_and_the_client_reconnects() {
    for code in [1000u16, 1001, 1002, 1003, 1008, 1011, 1012, 1013] {
        let (url, conns) = ws_faulty_once(vec![WsMove::Close(code)]).await;
        let api = ws_client(url).await;
        match api.get_status().await {
            Err(Error::Disconnected { action, reason }) => {
                assert_eq!(action, "get_status");
                assert!(reason.contains(&format!("code {code}")), "{code}: {reason}");
            }
            other => panic!("{code}: expected Disconnected, got {}", brief(&other)),
        }
        assert_next_call_works(&api).await;
        assert_eq!(conns.load(Ordering::SeqCst), 2, "{code}");
    }
}

// ---------------------------------------------------------------- the same fault on both transports

async fn reply_never_sent(over: Over) {
    let sim = sim().await;
    let api = client_over(&sim, over).await;
    sim.script("get_status", Fault::Hang);
    match api.get_status().await {
        Err(Error::Timeout { action, after }) => {
            assert_eq!((action.as_str(), after), ("get_status", SHORT))
        }
        other => panic!("{}", brief(&other)),
    }
    assert_eq!(api.pending_calls(), 0, "the timed-out call freed its slot");
    assert_next_call_works(&api).await;
}

async fn reply_after_the_timeout_is_not_given_to_the_next_caller(over: Over) {
    let sim = sim().await;
    let api = client_over(&sim, over).await;
    sim.script("get_login_info", Fault::Delay(Duration::from_millis(500)));
    assert!(matches!(
        api.get_login_info().await,
        Err(Error::Timeout { .. })
    ));
    // The late reply arrives while this call waits; it must not be taken for this one.
    sim.script("get_status", Fault::Delay(Duration::from_millis(250)));
    assert!(api.get_status().await.unwrap().online);
    assert_next_call_works(&api).await;
}

async fn data_of_the_wrong_shape(over: Over) {
    let sim = sim().await;
    let api = client_over(&sim, over).await;
    for (data, expected_path) in [
        (json!([1, 2, 3]), "data"),
        (json!({"online": "yes", "good": true}), "data.online"),
    ] {
        sim.script(
            "get_status",
            Fault::Envelope(json!({"status": "ok", "retcode": 0, "data": data})),
        );
        match api.get_status().await {
            Err(Error::Decode {
                action, path, body, ..
            }) => {
                assert_eq!(
                    (action.as_str(), path.as_str()),
                    ("get_status", expected_path)
                );
                assert!(!body.is_empty());
            }
            other => panic!("{}", brief(&other)),
        }
    }
    assert_next_call_works(&api).await;
}

/// A NapCat restart: every connection closes and the state starts afresh, on the same sockets
/// (no port is given up and bound again, so nothing else can take it in between).
async fn restart(old: Simulator) -> Simulator {
    let sim = old.restart().unwrap();
    // "Between calls": the old connections have closed before the next call is made (a call
    // racing the close is the keep-alive case, tested on its own).
    tokio::time::sleep(Duration::from_millis(200)).await;
    sim
}

async fn server_restarts_between_calls(over: Over) {
    let sim = sim().await;
    let api = match over {
        Over::Http => http_client(sim.http_url()),
        Over::Ws => Client::builder()
            .ws_url(sim.ws_url("/api"))
            .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(100))
            .connect()
            .await
            .unwrap(),
    };
    api.set_friend_remark(UserId(123456), "before")
        .await
        .unwrap();
    let sim = restart(sim).await;
    let friends = api
        .get_friend_list()
        .timeout(Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        friends[0].remark.as_deref(),
        Some("同学-张三"),
        "a fresh simulator answered"
    );
    assert_eq!(sim.calls().len(), 1);
    if over == Over::Ws {
        assert_eq!(sim.ws_connections(), 1);
        let _: Value = api.call_json("get_status", json!({})).await.unwrap();
    }
}

over_http_and_ws! {
    reply_never_sent,
    reply_after_the_timeout_is_not_given_to_the_next_caller,
    data_of_the_wrong_shape,
    server_restarts_between_calls,
}
