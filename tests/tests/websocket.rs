//! Forward and reverse WebSocket behaviour: many calls in flight, timeouts, faults,
//! reconnects, tokens and events, against real servers on loopback.

use api_core::UserId;
use std::sync::Arc;
use std::time::{Duration, Instant};

use api_core::{Client, Error, EventsError, ReverseOptions, ReverseServer};
use api_sim::{Fault, SimConfig, Simulator};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

api_macros::generate_api! {
    specs = ["../spec/extra.toml"],
    extension_trait = ExtraActions,
}

async fn sim() -> Simulator {
    Simulator::start(SimConfig::default()).await.unwrap()
}

async fn ws_client(sim: &Simulator, path: &str) -> Client {
    Client::builder()
        .ws_url(sim.ws_url(path))
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_thousand_concurrent_calls_each_get_their_own_reply() {
    let sim = sim().await;
    sim.set_jitter(Duration::from_millis(30));
    let api = ws_client(&sim, "/api").await;
    let finished = Arc::new(std::sync::Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..1000i64)
        .map(|i| {
            let api = api.clone();
            let finished = finished.clone();
            tokio::spawn(async move {
                let info = api.get_stranger_info(UserId(1_000_000 + i)).await;
                finished.lock().unwrap().push(i);
                (i, info)
            })
        })
        .collect();
    for t in tasks {
        let (i, info) = t.await.unwrap();
        assert_eq!(info.unwrap().user_id, 1_000_000 + i);
    }
    assert_eq!(sim.ws_connections(), 1, "all calls share one connection");
    assert_eq!(api.pending_calls(), 0);
    let finished = finished.lock().unwrap();
    assert_eq!(finished.len(), 1000);
    assert!(
        finished.windows(2).any(|w| w[0] > w[1]),
        "the server answered out of order"
    );
}

#[tokio::test]
async fn a_close_mid_flight_ends_every_pending_call_at_once() {
    let sim = sim().await;
    let api = ws_client(&sim, "/api").await;
    for _ in 0..10 {
        sim.script("get_status", Fault::Hang);
    }
    let pending: Vec<_> = (0..10)
        .map(|_| {
            tokio::spawn(
                api.get_status()
                    .timeout(Duration::from_secs(30))
                    .into_future(),
            )
        })
        .collect();
    while sim.calls().len() < 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sim.script("get_login_info", Fault::CloseConnection);
    let started = Instant::now();
    let closer = api.get_login_info().timeout(Duration::from_secs(30)).await;
    assert!(
        matches!(closer, Err(Error::Disconnected { ref action, .. }) if action == "get_login_info"),
        "{closer:?}"
    );
    for p in pending {
        match p.await.unwrap() {
            Err(Error::Disconnected { action, reason }) => {
                assert_eq!(action, "get_status");
                assert!(reason.contains("closed"), "{reason}");
            }
            other => panic!("expected Disconnected, got {other:?}"),
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(api.pending_calls(), 0);
}

#[tokio::test]
async fn a_server_that_goes_away_ends_pending_calls_within_a_second() {
    let sim = sim().await;
    let api = ws_client(&sim, "/api").await;
    sim.script("get_status", Fault::Hang);
    let call = tokio::spawn(
        api.get_status()
            .timeout(Duration::from_secs(30))
            .into_future(),
    );
    while sim.calls().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    drop(sim);
    assert!(matches!(
        call.await.unwrap(),
        Err(Error::Disconnected { .. })
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn timeouts_client_default_spec_default_and_per_call() {
    let sim = sim().await;
    let api = Client::builder()
        .ws_url(sim.ws_url("/api"))
        .timeout(Duration::from_millis(200))
        .connect()
        .await
        .unwrap();

    sim.script("get_status", Fault::Hang);
    let t = Instant::now();
    match api.get_status().await {
        Err(Error::Timeout { action, after }) => {
            assert_eq!(
                (action.as_str(), after),
                ("get_status", Duration::from_millis(200))
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(t.elapsed() >= Duration::from_millis(200) && t.elapsed() < Duration::from_millis(900));
    assert_eq!(api.pending_calls(), 0, "a timeout frees its slot");

    // `slow_probe` sets timeout_secs = 1 in its spec; it overrides the client default.
    sim.script("slow_probe", Fault::Hang);
    let t = Instant::now();
    match api.slow_probe().await {
        Err(Error::Timeout { after, .. }) => assert_eq!(after, Duration::from_secs(1)),
        other => panic!("{other:?}"),
    }
    assert!(t.elapsed() >= Duration::from_secs(1));

    // A per-call override wins over both.
    sim.script("slow_probe", Fault::Hang);
    match api.slow_probe().timeout(Duration::from_millis(50)).await {
        Err(Error::Timeout { after, .. }) => assert_eq!(after, Duration::from_millis(50)),
        other => panic!("{other:?}"),
    }
    assert_eq!(api.pending_calls(), 0);
    assert!(
        api.get_status().await.unwrap().online,
        "the next call works"
    );
}

/// One sleep per connection serves every call's deadline: a call with a short timeout started
/// after one with a long timeout still ends at its own time, calls answered meanwhile are not
/// touched, and the long one ends at its own time too.
#[tokio::test]
async fn each_call_ends_at_its_own_deadline_while_others_are_in_flight() {
    let sim = sim().await;
    let api = ws_client(&sim, "/api").await;
    sim.script("get_status", Fault::Hang);
    sim.script("get_status", Fault::Hang);
    let long_started = Instant::now();
    let long = tokio::spawn(
        api.get_status()
            .timeout(Duration::from_secs(5))
            .into_future(),
    );
    // The long call is on its way (and its deadline armed) before the short one starts.
    while api.pending_calls() == 0 {
        tokio::task::yield_now().await;
    }
    let t = Instant::now();
    // Bounded from outside too, so that a deadline nobody watches fails here, not by hanging.
    let short = api.get_status().timeout(Duration::from_millis(100));
    let short = tokio::time::timeout(Duration::from_secs(60), short.into_future()).await;
    match short.expect("the short call ended by its own deadline") {
        Err(Error::Timeout { action, after }) => {
            assert_eq!(
                (action.as_str(), after),
                ("get_status", Duration::from_millis(100))
            )
        }
        other => panic!("{other:?}"),
    }
    let short_took = t.elapsed();
    assert!(short_took >= Duration::from_millis(100));
    assert!(
        short_took < Duration::from_secs(4),
        "the short call waited for the long one's deadline: {short_took:?}"
    );
    // Calls answered while the long one waits are answered, not timed out.
    for _ in 0..50 {
        let info = api
            .get_login_info()
            .timeout(Duration::from_millis(2_000))
            .await
            .unwrap();
        assert_eq!(info.user_id, 10001);
    }
    let long = tokio::time::timeout(Duration::from_secs(60), long).await;
    match long
        .expect("the long call ended by its own deadline")
        .unwrap()
    {
        Err(Error::Timeout { after, .. }) => assert_eq!(after, Duration::from_secs(5)),
        other => panic!("{other:?}"),
    }
    assert!(long_started.elapsed() >= Duration::from_secs(5));
    assert_eq!(api.pending_calls(), 0, "timed-out calls free their slots");
}

/// A timeout too long to add to the clock means no deadline: the call waits, and dropping it
/// frees its slot.
#[tokio::test]
async fn a_call_with_an_endless_timeout_waits_and_can_be_dropped() {
    let sim = sim().await;
    let api = ws_client(&sim, "/api").await;
    sim.script("get_status", Fault::Hang);
    let call = tokio::spawn(api.get_status().timeout(Duration::MAX).into_future());
    while api.pending_calls() == 0 {
        tokio::task::yield_now().await;
    }
    // It is still waiting after a while (no instant timeout from an overflowed deadline).
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!call.is_finished());
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    assert_eq!(api.pending_calls(), 0);
    assert!(api.get_status().await.is_ok(), "the next call works");
}

#[tokio::test]
async fn the_client_reconnects_when_the_server_comes_back() {
    let first = sim().await;
    let addr = first.ws_addr();
    let api = Client::builder()
        .ws_url(first.ws_url("/api"))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap();
    assert!(api.get_status().await.is_ok());
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A call made while the server is down waits for the reconnect within its timeout.
    let waiting = tokio::spawn(api.get_login_info().into_future());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = Simulator::start(SimConfig {
        ws_addr: addr,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(waiting.await.unwrap().unwrap().user_id, 10001);
    assert_eq!(second.ws_connections(), 1);
    assert!(api.get_status().await.is_ok());
}

#[tokio::test]
async fn a_bad_token_over_forward_ws_is_an_auth_error_and_is_not_retried() {
    let sim = Simulator::start(SimConfig {
        token: Some("right".into()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let api = Client::builder()
        .ws_url(sim.ws_url("/"))
        .access_token("wrong")
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(20))
        .build()
        .unwrap();
    match api.get_status().await {
        Err(Error::Auth {
            action, message, ..
        }) => {
            assert_eq!(action, "get_status");
            assert_eq!(message, "token验证失败");
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sim.ws_connections(), 1, "no reconnect loop after 1403");
    assert!(matches!(api.get_status().await, Err(Error::Auth { .. })));
}

/// NapCat refuses a token right after the upgrade (one 1403 envelope, then close), and says
/// nothing on `/api` when it accepts one: `connect()` tells the two apart on both paths, with
/// the token in the header or the query string, and does not dial again after a refusal.
#[tokio::test]
async fn connect_fails_with_auth_when_the_token_is_refused() {
    let sim = Simulator::start(SimConfig {
        token: Some("right".into()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut dialed = 0;
    for path in ["/", "/api"] {
        for in_query in [false, true] {
            let builder = Client::builder()
                .ws_url(sim.ws_url(path))
                .token_in_query(in_query)
                .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(20));
            match builder.clone().access_token("wrong").connect().await {
                Err(Error::Auth {
                    action, message, ..
                }) => {
                    assert_eq!(action, "connect");
                    assert_eq!(message, "token验证失败");
                }
                other => panic!("{path}, token in query {in_query}: expected Auth, got {other:?}"),
            }
            let api = builder.access_token("right").connect().await.unwrap();
            assert!(api.get_status().await.unwrap().online);
            dialed += 2;
            assert_eq!(sim.ws_connections(), dialed, "one attempt per client");
        }
    }
}

#[tokio::test]
async fn the_token_can_go_in_the_query_string() {
    let sim = Simulator::start(SimConfig {
        token: Some("right".into()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let api = Client::builder()
        .ws_url(sim.ws_url("/api"))
        .access_token("right")
        .token_in_query(true)
        .connect()
        .await
        .unwrap();
    assert!(api.get_status().await.is_ok());
    assert!(!format!("{api:?}").contains("right"));
}

#[tokio::test]
async fn a_bad_token_over_reverse_ws_is_refused_without_a_client() {
    let sim = sim().await;
    let mut server = ReverseServer::bind(
        ([127, 0, 0, 1], 0).into(),
        ReverseOptions {
            access_token: Some("right".into()),
            ..ReverseOptions::default()
        },
    )
    .await
    .unwrap();
    let url = format!("ws://{}/", server.local_addr());
    let link = sim.connect_reverse(&url, Some("wrong")).await.unwrap();
    let err = link.unwrap_err();
    assert!(err.contains("401"), "{err}");
    let none = tokio::time::timeout(Duration::from_millis(200), server.accept()).await;
    assert!(none.is_err(), "no client for a refused connection");
    // The right token gets one.
    let _ok = sim.connect_reverse(&url, Some("right"));
    let connected = server.accept().await.unwrap();
    assert!(connected.client.get_status().await.unwrap().online);
}

#[tokio::test]
async fn events_are_interleaved_with_replies_and_go_to_every_subscriber() {
    let sim = sim().await;
    let api = ws_client(&sim, "/").await;
    let mut first = api.events();
    let mut second = api.events();
    let calls: Vec<_> = (0..20)
        .map(|_| tokio::spawn(api.get_login_info().into_future()))
        .collect();
    for i in 0..5 {
        sim.push_event(json!({"post_type": "message", "message_type": "private", "user_id": i, "raw_message": "hi"}));
    }
    for c in calls {
        assert_eq!(c.await.unwrap().unwrap().user_id, 10001);
    }
    for sub in [&mut first, &mut second] {
        let mut seen = Vec::new();
        while seen.len() < 5 {
            let ev = tokio::time::timeout(Duration::from_secs(2), sub.recv_raw())
                .await
                .unwrap()
                .unwrap();
            assert!(
                ev.get("retcode").is_none(),
                "a reply is never an event: {ev}"
            );
            if ev["post_type"] == "message" {
                seen.push(ev["user_id"].as_i64().unwrap());
            }
        }
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
    }
}

#[tokio::test]
async fn the_connect_lifecycle_event_comes_first_and_api_path_has_no_events() {
    let sim = sim().await;
    // Subscribe before the first connection completes, so the lifecycle event is seen.
    let api = Client::builder().ws_url(sim.ws_url("/")).build().unwrap();
    let mut events = api.events();
    let first = tokio::time::timeout(Duration::from_secs(2), events.recv_raw())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first["meta_event_type"], "lifecycle");
    assert_eq!(first["sub_type"], "connect");

    let api_only = ws_client(&sim, "/api").await;
    let mut none = api_only.events();
    sim.push_event(json!({"post_type": "notice"}));
    assert!(api_only.get_status().await.is_ok());
    // `/api` carries no events, and the subscription says so at once instead of waiting.
    assert!(matches!(
        none.recv().await,
        Err(api_core::EventsError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_slow_subscriber_is_told_what_it_missed_and_replies_flow_on() {
    let sim = sim().await;
    let api = ws_client(&sim, "/").await;
    let mut slow = api.events();
    // In batches, so the simulator's own buffer keeps up and the loss is the subscriber's.
    for batch in 0..6 {
        for i in 0..500 {
            sim.push_event(json!({"post_type": "notice", "n": batch * 500 + i}));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        api.get_status().await.unwrap().online,
        "replies are not held up"
    );
    match slow.recv().await {
        Err(EventsError::Lagged(n)) => assert!(n > 0),
        other => panic!("expected Lagged, got {other:?}"),
    }
    assert!(slow.recv().await.is_ok(), "it goes on with newer events");
}

#[tokio::test]
async fn unknown_echoes_and_garbage_frames_are_skipped() {
    let sim = sim().await;
    let api = Client::builder()
        .ws_url(sim.ws_url("/api"))
        .timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    sim.script(
        "get_status",
        Fault::Envelope(
            json!({"status":"ok","retcode":0,"data":{"online":false,"good":true},"echo":987654321}),
        ),
    );
    assert!(
        matches!(api.get_status().await, Err(Error::Timeout { .. })),
        "a reply for someone else is not ours"
    );
    sim.script(
        "get_status",
        Fault::Raw {
            status: 200,
            body: "<<garbage>>".into(),
        },
    );
    assert!(matches!(api.get_status().await, Err(Error::Timeout { .. })));
    sim.script("get_status", Fault::Envelope(json!({"status":"ok","retcode":0,"data":{"online":false,"good":true},"echo":{"not":"ours"}})));
    assert!(matches!(api.get_status().await, Err(Error::Timeout { .. })));
    assert!(
        api.get_status().await.unwrap().online,
        "the connection is still good"
    );
    assert_eq!(sim.ws_connections(), 1);
}

/// Awaiting a call builder runs a named future that can be spawned as it is; it sends nothing
/// until it is polled, and one dropped unpolled is never sent.
#[tokio::test]
async fn a_call_future_is_sent_when_polled_and_can_be_spawned() {
    use std::future::IntoFuture;
    let sim = sim().await;
    let api = ws_client(&sim, "/api").await;
    let unpolled: api_core::CallFuture<_> = api.get_stranger_info(UserId(1)).into_future();
    let spawned = tokio::spawn(api.get_stranger_info(UserId(2)).into_future());
    assert_eq!(spawned.await.unwrap().unwrap().user_id, 2);
    drop(unpolled);
    let calls = sim.take_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].params["user_id"], json!(2));
    assert_eq!(api.pending_calls(), 0);
}

/// Dropping the last handle of a client closes its connection, which its reader and writer
/// must not keep open on their own.
#[tokio::test]
async fn dropping_the_client_closes_its_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
        // Reading answers the client's first ping; the loop ends when the connection does.
        while let Some(Ok(_)) = ws.next().await {}
    });
    let api = Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .connect()
        .await
        .unwrap();
    drop(api);
    tokio::time::timeout(Duration::from_secs(60), server)
        .await
        .expect("the server saw the connection end")
        .unwrap();
}

/// A bare server that answers every request twice with the same echo, then sends a binary frame.
async fn echo_twice_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let ws = tokio_tungstenite::accept_async(stream).await.unwrap();
        let (sink, mut stream) = ws.split();
        let sink = Arc::new(tokio::sync::Mutex::new(sink));
        while let Some(Ok(frame)) = stream.next().await {
            let Message::Text(t) = frame else { continue };
            let req: Value = serde_json::from_str(t.as_str()).unwrap();
            let mut sink = sink.lock().await;
            for n in [1, 2] {
                let reply = json!({"status":"ok","retcode":0,"data":{"user_id": n, "nickname": "dup"},"echo": req["echo"]});
                sink.send(Message::Text(reply.to_string().into()))
                    .await
                    .unwrap();
            }
            sink.send(Message::Binary(vec![0, 1, 2].into()))
                .await
                .unwrap();
        }
    });
    addr
}

#[tokio::test]
async fn a_duplicated_echo_keeps_the_first_reply_and_binary_frames_are_skipped() {
    let addr = echo_twice_server().await;
    let api = Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .connect()
        .await
        .unwrap();
    assert_eq!(api.get_login_info().await.unwrap().user_id, 1);
    assert_eq!(api.get_login_info().await.unwrap().user_id, 1);
}

#[tokio::test]
async fn connect_reports_an_unreachable_server() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    match Client::builder()
        .ws_url(format!("ws://127.0.0.1:{port}/"))
        .connect()
        .await
    {
        Err(Error::Transport { action, source }) => {
            assert_eq!(action, "connect");
            assert!(!source.to_string().is_empty());
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert!(matches!(
        Client::builder().ws_url("http://x").build(),
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn a_reply_poll_over_the_most_is_refused_where_it_is_set() {
    let too_long = api_core::MAX_REPLY_POLL + Duration::from_micros(1);
    match Client::builder()
        .ws_url("ws://127.0.0.1:1/")
        .reply_poll(too_long)
        .build()
    {
        Err(Error::Config(why)) => assert!(why.contains("reply_poll"), "{why}"),
        other => panic!("expected Config, got {other:?}"),
    }
    let options = ReverseOptions {
        reply_poll: Duration::MAX,
        ..ReverseOptions::default()
    };
    match ReverseServer::bind(([127, 0, 0, 1], 0).into(), options).await {
        Err(e) => {
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains("reply_poll"), "{e}");
        }
        Ok(_) => panic!("a reply poll of Duration::MAX was taken"),
    }
    // The most itself, and none, are fine.
    for poll in [api_core::MAX_REPLY_POLL, Duration::ZERO] {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let api = Client::builder()
            .ws_url(sim.ws_url("/"))
            .reply_poll(poll)
            .connect()
            .await
            .unwrap();
        assert_eq!(api.get_login_info().await.unwrap().user_id, 10001);
    }
}

/// A server that accepts TCP connections (and, with `upgrade`, the WebSocket upgrade and the
/// client's first ping) and then never reads, writes or closes: a peer that vanished, or a proxy that hangs. It reports how
/// many connections it holds after each new one.
async fn silent_server(
    upgrade: bool,
) -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<usize>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (accepted_tx, accepted) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut tcp = Vec::new();
        let mut ws = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            if upgrade {
                match tokio_tungstenite::accept_async(stream).await {
                    Ok(mut s) => {
                        // Answer the client's first ping (it checks the server is there),
                        // then fall silent.
                        if let Some(Ok(Message::Ping(_))) = s.next().await {
                            let _ = s.flush().await;
                        }
                        ws.push(s)
                    }
                    Err(_) => continue,
                }
            } else {
                tcp.push(stream);
            }
            let _ = accepted_tx.send(tcp.len() + ws.len());
        }
    });
    (addr, accepted)
}

/// A peer that accepted the connection and then stopped answering (no pong, no close) is
/// noticed by the keep-alive ping, and the client reconnects.
#[tokio::test]
async fn a_silent_peer_is_noticed_by_keepalive_pings() {
    let (addr, mut accepted) = silent_server(true).await;
    let api = Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .keepalive(Some(api_core::KeepAlive {
            interval: Duration::from_millis(100),
            deadline: Duration::from_millis(200),
        }))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .connect()
        .await
        .unwrap();
    assert_eq!(accepted.recv().await, Some(1));
    let pending = {
        let api = api.clone();
        tokio::spawn(async move { api.get_status().timeout(Duration::from_secs(30)).await })
    };
    match pending.await.unwrap() {
        Err(Error::Disconnected { reason, .. }) => {
            assert!(reason.contains("keep-alive"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(accepted.recv().await, Some(2), "the client reconnected");
}

/// A server that takes the TCP connection and never answers the upgrade: `connect()` fails
/// naming the handshake, and the client keeps trying with its backoff instead of hanging.
#[tokio::test]
async fn a_handshake_that_never_completes_is_bounded_and_retried() {
    let (addr, mut accepted) = silent_server(false).await;
    let builder = Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .handshake_timeout(Duration::from_millis(200))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(50));
    match builder.clone().connect().await {
        Err(Error::Transport { source, .. }) => {
            assert!(
                source.to_string().contains("handshake did not complete"),
                "{source}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A client left running keeps making new attempts.
    let api = builder.build().unwrap();
    let mut seen = 0;
    while seen < 4 {
        seen = accepted.recv().await.unwrap();
    }
    let err = api
        .get_status()
        .timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}
