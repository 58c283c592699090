//! The reverse WebSocket server against hostile and unlucky peers on raw sockets: the same
//! account connecting twice, one-off accounts, accounts beyond the cap, bad `X-Self-ID`s,
//! connections that never upgrade, and a peer that stops reading.

use std::net::SocketAddr;
use std::time::Duration;

use api_core::{Error, EventsError, KeepAlive, ReverseOptions, ReverseServer};
use api_tests::hostile::{closed_by_server, half_sent, ok_reply};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Peer = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A generous bound for what must happen: a failure, not a margin.
const PATIENCE: Duration = Duration::from_secs(60);

async fn server(options: ReverseOptions) -> ReverseServer {
    ReverseServer::bind(([127, 0, 0, 1], 0).into(), options)
        .await
        .expect("bind the reverse server")
}

/// Dials `addr` as NapCat does, with `self_id` as its `X-Self-ID` bytes.
async fn dial(addr: SocketAddr, self_id: &[u8]) -> Result<Peer, tungstenite::Error> {
    let mut req = format!("ws://{addr}/").into_client_request()?;
    req.headers_mut().insert(
        "x-self-id",
        HeaderValue::from_bytes(self_id).expect("a header value"),
    );
    Ok(tokio_tungstenite::connect_async(req).await?.0)
}

/// Answers every request on `peer` the way NapCat answers `get_status`, until it closes.
fn answer_calls(mut peer: Peer) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(Ok(frame)) = peer.next().await {
            let Message::Text(text) = frame else { continue };
            let req: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
            let reply = ok_reply(&req, json!({"online": true, "good": true}));
            if peer.send(Message::Text(reply.into())).await.is_err() {
                return;
            }
        }
    })
}

/// Whether the server ended `peer`'s connection: its stream ends within [`PATIENCE`].
async fn ended_by_server(peer: &mut Peer) -> bool {
    let ended = async { while let Some(Ok(_)) = peer.next().await {} };
    tokio::time::timeout(PATIENCE, ended).await.is_ok()
}

/// Waits (up to [`PATIENCE`]) for `done`.
async fn until(mut done: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(PATIENCE, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "not within {PATIENCE:?}");
}

/// The same account connecting twice (NapCat restarting before its old connection was seen
/// to end): the newer connection owns the account, the older one is ended by the server, and
/// its end leaves the newer serving every call.
#[tokio::test]
async fn a_newer_connection_for_the_same_account_takes_over() {
    let mut server = server(ReverseOptions::default()).await;
    let mut older = dial(server.local_addr(), b"10001").await.unwrap();
    let api = server.accept().await.unwrap().client;
    let newer = dial(server.local_addr(), b"10001").await.unwrap();
    let _newer = answer_calls(newer);
    assert!(
        ended_by_server(&mut older).await,
        "the older connection is ended when the newer one comes"
    );
    drop(older);
    for _ in 0..3 {
        let status = api.get_status().timeout(PATIENCE).await;
        assert!(
            status.unwrap().online,
            "the newer connection serves the calls"
        );
    }
    assert_eq!(server.account_count(), 1);
}

/// Accounts that connected once and left are forgotten after `account_linger`; the client
/// handed out for one is closed then.
#[tokio::test]
async fn accounts_left_without_a_connection_are_forgotten_after_the_linger() {
    let mut server = server(ReverseOptions {
        account_linger: Some(Duration::from_millis(100)),
        ..ReverseOptions::default()
    })
    .await;
    for id in 1..=20 {
        let peer = dial(server.local_addr(), id.to_string().as_bytes())
            .await
            .unwrap();
        drop(peer);
    }
    let first = server.accept().await.unwrap();
    assert_eq!(first.self_id, "1");
    let mut events = first.client.events();
    until(|| server.account_count() == 0).await;
    assert_eq!(events.recv().await.unwrap_err(), EventsError::Closed);
    assert!(matches!(
        first.client.get_status().await,
        Err(Error::Closed { .. })
    ));
}

/// At `max_accounts`, a new account takes the place of one without a connection; when every
/// account kept is connected, it is refused with 503.
#[tokio::test]
async fn a_full_server_forgets_an_idle_account_or_refuses_a_new_one() {
    let server = server(ReverseOptions {
        max_accounts: 2,
        account_linger: None,
        ..ReverseOptions::default()
    })
    .await;
    let addr = server.local_addr();
    let first = dial(addr, b"1").await.unwrap();
    let _second = dial(addr, b"2").await.unwrap();
    match dial(addr, b"3").await {
        Err(tungstenite::Error::Http(reply)) => assert_eq!(reply.status().as_u16(), 503),
        other => panic!("expected a 503 refusal, got {other:?}"),
    }
    assert_eq!(server.refused_connections(), 1);
    drop(first);
    let taken = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Ok(peer) = dial(addr, b"3").await {
                return peer;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(taken.is_ok(), "the third account took the first's place");
    assert_eq!(server.account_count(), 2);
}

/// An `X-Self-ID` that is not a QQ number (not UTF-8, a word, missing) is refused with 400,
/// never merged into one shared account.
#[tokio::test]
async fn an_x_self_id_that_is_not_a_qq_number_is_refused() {
    let server = server(ReverseOptions::default()).await;
    for self_id in [&b"\xff\xfe"[..], b"unknown", b"12 34", b""] {
        match dial(server.local_addr(), self_id).await {
            Err(tungstenite::Error::Http(reply)) => {
                assert_eq!(reply.status().as_u16(), 400, "{self_id:?}")
            }
            other => panic!("{self_id:?}: expected a 400 refusal, got {other:?}"),
        }
    }
    assert_eq!(server.refused_connections(), 4);
    assert_eq!(server.account_count(), 0);
}

/// TCP connections that start an upgrade and never finish it.
async fn silent(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    half_sent(addr, b"GET / HTTP/1.1\r\nHost: bot\r\n", n).await
}

/// Connections that never complete the upgrade are closed after `handshake_timeout`, and
/// NapCat's connection gets in.
#[tokio::test]
async fn connections_that_never_upgrade_are_closed_after_the_handshake_timeout() {
    let server = server(ReverseOptions {
        handshake_timeout: Duration::from_millis(200),
        max_connections: 2,
        ..ReverseOptions::default()
    })
    .await;
    let mut held = silent(server.local_addr(), 2).await;
    let peer = tokio::time::timeout(PATIENCE, dial(server.local_addr(), b"10001")).await;
    assert!(matches!(peer, Ok(Ok(_))), "{peer:?}");
    for s in &mut held {
        assert!(
            closed_by_server(s, PATIENCE).await,
            "a silent connection was closed"
        );
    }
}

/// At `max_connections` no more are taken; one ending lets the next in.
#[tokio::test]
async fn no_more_than_max_connections_are_taken_at_once() {
    let server = server(ReverseOptions {
        handshake_timeout: Duration::from_secs(120),
        max_connections: 2,
        ..ReverseOptions::default()
    })
    .await;
    let mut held = silent(server.local_addr(), 2).await;
    let addr = server.local_addr();
    let dialing = tokio::spawn(async move { dial(addr, b"10001").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!dialing.is_finished(), "it waits while two are held");
    held.pop();
    let peer = tokio::time::timeout(PATIENCE, dialing).await;
    assert!(matches!(peer, Ok(Ok(Ok(_)))), "{peer:?}");
}

/// A peer that upgrades and then reads nothing more, over a small receive buffer, so that
/// what is written to it soon fills the sockets and the outgoing queue.
async fn stops_reading(addr: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut s = socket.connect(addr).await.unwrap();
    s.write_all(
        b"GET / HTTP/1.1\r\nHost: bot\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
          Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          X-Self-ID: 10001\r\n\r\n",
    )
    .await
    .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(s.read_u8().await.unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "upgraded");
    s
}

/// Many calls with long parameters for `api`: more than the outgoing queue (1,024 frames) and
/// the sockets' buffers hold when the peer reads nothing.
fn flood(api: &api_core::Client) -> tokio::task::JoinSet<Result<(), Error>> {
    let mut calls = tokio::task::JoinSet::new();
    let long = "x".repeat(8 * 1024);
    for _ in 0..2_000 {
        let api = api.clone();
        let long = long.clone();
        calls.spawn(async move { api.set_self_longnick(long).timeout(PATIENCE).await });
    }
    calls
}

/// The first of `calls` ends with `Disconnected` for a reason holding `why`; once the client
/// is closed, none of the others ends with a timeout either.
async fn lost_for(
    api: &api_core::Client,
    mut calls: tokio::task::JoinSet<Result<(), Error>>,
    why: &[&str],
) {
    match calls.join_next().await.unwrap().unwrap() {
        Err(Error::Disconnected { reason, .. }) => {
            assert!(why.iter().any(|w| reason.contains(w)), "{reason}")
        }
        other => panic!("expected Disconnected, got {other:?}"),
    }
    api.close().await;
    while let Some(ended) = calls.join_next().await {
        let ended = ended.unwrap();
        assert!(
            !matches!(ended, Err(Error::Timeout { .. }) | Ok(_)),
            "{ended:?}"
        );
    }
}

fn quick_keepalive() -> ReverseOptions {
    ReverseOptions {
        keepalive: Some(KeepAlive {
            interval: Duration::from_millis(100),
            deadline: Duration::from_millis(300),
        }),
        ..ReverseOptions::default()
    }
}

/// A peer that stops reading (and falls silent) is declared lost by the keep-alive check even
/// though the outgoing queue is full (a ping waiting for room there would never go out): the
/// calls written to it end with `Disconnected` instead of each waiting out its timeout.
#[tokio::test]
async fn a_peer_that_stops_reading_is_declared_lost() {
    let mut server = server(quick_keepalive()).await;
    let _peer = stops_reading(server.local_addr()).await;
    let api = server.accept().await.unwrap().client;
    let calls = flood(&api);
    lost_for(&api, calls, &["keep-alive", "stopped reading"]).await;
}

/// A peer that stops reading but keeps sending (events, so it looks alive) is declared lost
/// too: frames wait to be written and none was for the keep-alive deadline.
#[tokio::test]
async fn a_peer_that_sends_but_stops_reading_is_declared_lost() {
    let mut server = server(quick_keepalive()).await;
    let mut peer = stops_reading(server.local_addr()).await;
    let api = server.accept().await.unwrap().client;
    let talking = tokio::spawn(async move {
        let event = br#"{"time":1,"self_id":10001,"post_type":"meta_event","meta_event_type":"x"}"#;
        // A masked client text frame (mask 0: the payload as it is).
        let frame = [&[0x81, 0x80 | event.len() as u8, 0, 0, 0, 0][..], event].concat();
        while peer.write_all(&frame).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let calls = flood(&api);
    lost_for(&api, calls, &["stopped reading"]).await;
    talking.abort();
}

/// What a new account sends the moment it connects (NapCat's `lifecycle` event first) reaches
/// the subscription handed out with it, however late `accept` is called.
#[tokio::test]
async fn a_new_accounts_first_events_are_not_missed() {
    let mut server = server(ReverseOptions::default()).await;
    let mut peer = dial(server.local_addr(), b"10001").await.unwrap();
    let lifecycle = json!({"time": 1, "self_id": 10001, "post_type": "meta_event",
        "meta_event_type": "lifecycle", "sub_type": "connect"});
    peer.send(Message::Text(lifecycle.to_string().into()))
        .await
        .unwrap();
    let account = server.accept().await.unwrap();
    let mut events = account.events;
    let first = tokio::time::timeout(PATIENCE, events.recv())
        .await
        .expect("the first event arrives")
        .unwrap();
    assert!(
        matches!(first, api_core::types::Event::MetaEvent(_)),
        "{first:?}"
    );
}
