//! A client's life and its loud misconfigurations: `Client::close` over each transport, the
//! servers' shutdown, events as a `Stream`, and the errors a wrongly set-up client gets
//! (no events over plain HTTP or `/api`, the URL in transport errors, HTTP and WebSocket
//! ports swapped, refused reverse connections, blank messages).

use std::time::Duration;

use api_core::types::Event;
use api_core::{
    Client, Error, EventsError, HttpPostOptions, HttpPostServer, ReverseOptions, ReverseServer,
    UserId,
};
use api_sim::{Fault, SimConfig, Simulator};
use api_tests::{Via, setup};
use futures_util::StreamExt;
use serde_json::json;

/// Waits until `ready` holds, checking after each short sleep (no deadline of its own: the
/// test's own timeout bounds it).
async fn until(mut ready: impl FnMut() -> bool) {
    while !ready() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn is_closed<T: std::fmt::Debug>(result: Result<T, Error>, action: &str) {
    match result {
        Err(Error::Closed { action: a }) => assert_eq!(a, action),
        other => panic!("expected Error::Closed for {action}, got {other:?}"),
    }
}

async fn close_ends_calls_in_flight_and_refuses_later_ones(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let mut events = api.events();
    sim.script("get_status", Fault::Hang);
    let waiting = tokio::spawn({
        let api = api.clone();
        async move { api.get_status().timeout(Duration::from_secs(3600)).await }
    });
    until(|| sim.calls().iter().any(|c| c.action == "get_status")).await;

    api.close().await;
    assert!(api.is_closed());
    is_closed(waiting.await.unwrap(), "get_status");
    is_closed(api.get_login_info().await, "get_login_info");
    // Event subscriptions end: `recv` says so, a new one too.
    assert_eq!(events.recv().await.unwrap_err(), EventsError::Closed);
    assert_eq!(api.events().recv().await.unwrap_err(), EventsError::Closed);
    // Closing again changes nothing.
    api.close().await;
    is_closed(api.get_login_info().await, "get_login_info");
}

#[tokio::test]
async fn close_over_http_ends_calls_in_flight_and_refuses_later_ones() {
    close_ends_calls_in_flight_and_refuses_later_ones(Via::Http).await;
}

#[tokio::test]
async fn close_over_ws_ends_calls_in_flight_and_refuses_later_ones() {
    close_ends_calls_in_flight_and_refuses_later_ones(Via::Ws).await;
}

#[tokio::test]
async fn close_over_reverse_ws_ends_calls_in_flight_and_refuses_later_ones() {
    close_ends_calls_in_flight_and_refuses_later_ones(Via::ReverseWs).await;
}

#[tokio::test]
async fn a_closed_ws_client_closes_its_connection_and_does_not_reconnect() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let api = Client::builder()
        .ws_url(sim.ws_url("/"))
        .reconnect_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .connect()
        .await
        .unwrap();
    sim.wait_for_event_clients(1).await;
    let opened = sim.ws_connections();
    api.close().await;
    // The simulator saw the connection end.
    until(|| sim.event_clients() == 0).await;
    is_closed(api.get_login_info().await, "get_login_info");
    // With a 1 ms backoff, a client that still dialed would have been back many times over
    // while the simulator noticed the close.
    assert_eq!(
        sim.ws_connections(),
        opened,
        "no connection was made after close"
    );
}

#[tokio::test]
async fn closing_while_disconnected_ends_calls_waiting_for_a_connection() {
    // Nothing listens on this port once the simulator is gone, so the client keeps dialing.
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let url = sim.ws_url("/");
    drop(sim);
    let api = Client::builder()
        .ws_url(url)
        .reconnect_backoff(Duration::from_millis(1), Duration::from_millis(20))
        .build()
        .unwrap();
    let waiting = tokio::spawn({
        let api = api.clone();
        async move { api.get_status().timeout(Duration::from_secs(3600)).await }
    });
    tokio::task::yield_now().await;
    api.close().await;
    is_closed(waiting.await.unwrap(), "get_status");
}

#[tokio::test]
async fn events_are_a_stream_that_ends_when_the_client_closes() {
    let (sim, api, _keep) = setup(Via::Ws).await;
    let mut events = api.events();
    sim.inject_private_message(123456, json!("one"));
    sim.inject_private_message(123456, json!("two"));
    let mut texts = Vec::new();
    while texts.len() < 2 {
        match events.next().await {
            Some(Ok(Event::Message(m))) => texts.push(m.message.plain_text()),
            Some(Ok(_)) => {}
            other => panic!("expected a message, got {other:?}"),
        }
    }
    assert_eq!(texts, ["one", "two"]);
    api.close().await;
    assert!(
        events.next().await.is_none(),
        "the stream ends with the client"
    );
}

#[tokio::test]
async fn events_on_a_plain_http_client_say_why_none_come_and_how_to_fix_it() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let api = Client::builder().base_url(sim.http_url()).build().unwrap();
    let mut events = api.events();
    let Err(EventsError::Unavailable(reason)) = events.recv().await else {
        panic!("expected Unavailable");
    };
    assert!(reason.contains(&sim.http_url()), "{reason}");
    assert!(reason.contains(".sse_events(true)"), "{reason}");
    assert!(reason.contains(".ws_url("), "{reason}");
    // Asked again, the same answer: a loop on `recv` ends instead of spinning on nothing.
    assert!(matches!(
        events.recv().await,
        Err(EventsError::Unavailable(_))
    ));
    // As a stream: the reason once, then the end.
    let mut stream = api.events();
    assert!(matches!(
        stream.next().await,
        Some(Err(EventsError::Unavailable(_)))
    ));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn events_on_the_api_path_say_it_carries_replies_only() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let api = Client::builder()
        .ws_url(sim.ws_url("/api"))
        .connect()
        .await
        .unwrap();
    let Err(EventsError::Unavailable(reason)) = api.events().recv().await else {
        panic!("expected Unavailable");
    };
    assert!(reason.contains("/api"), "{reason}");
    assert!(reason.contains("root path `/`"), "{reason}");
    // Calls still work there.
    api.get_login_info().await.unwrap();
}

#[tokio::test]
async fn a_refused_http_connection_names_the_url() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let url = sim.http_url();
    drop(sim);
    let api = Client::builder().base_url(&url).build().unwrap();
    let err = api.get_login_info().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(
        text.contains(&format!("{url}/get_login_info")),
        "the message names the URL: {text}"
    );
}

#[tokio::test]
async fn an_http_client_given_a_websocket_port_is_told_so() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let api = Client::builder()
        .base_url(format!("http://{}", sim.ws_addr()))
        .build()
        .unwrap();
    let err = api.get_login_info().await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("ws_url(") && text.contains("WebSocket"),
        "the message points at .ws_url: {text}"
    );
}

#[tokio::test]
async fn a_websocket_client_given_the_http_port_is_told_so() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let url = format!("ws://{}/", sim.http_addr());
    let err = Client::builder().ws_url(&url).connect().await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&url), "the message names the URL: {text}");
    assert!(
        text.contains("instead of switching to WebSocket") && text.contains("base_url("),
        "the message points at .base_url: {text}"
    );
}

#[tokio::test]
async fn a_message_of_only_whitespace_is_refused_before_sending() {
    let (sim, api, _keep) = setup(Via::Http).await;
    let err = api
        .send_private_msg(UserId(123456), " \n\t ")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { param, .. } if param == "message"),
        "{err:?}"
    );
    assert!(sim.calls().is_empty(), "nothing is sent");
}

async fn reverse_server(token: Option<&str>) -> ReverseServer {
    ReverseServer::bind(
        ([127, 0, 0, 1], 0).into(),
        ReverseOptions {
            access_token: token.map(Into::into),
            ..ReverseOptions::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn refused_reverse_connections_are_counted() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let server = reverse_server(Some("right")).await;
    let url = format!("ws://{}/", server.local_addr());
    let refused = sim.connect_reverse(&url, Some("wrong")).await.unwrap();
    assert!(refused.is_err(), "the simulator's dial is refused");
    assert_eq!(server.refused_connections(), 1);

    // No X-Self-ID: refused with 400, counted too.
    let err = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(reply) => {
            assert_eq!(reply.status().as_u16(), 401, "the token is checked first")
        }
        other => panic!("expected an HTTP refusal, got {other}"),
    }
    let open = reverse_server(None).await;
    let open_url = format!("ws://{}/", open.local_addr());
    match tokio_tungstenite::connect_async(open_url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(reply)) => {
            assert_eq!(reply.status().as_u16(), 400);
            let body =
                String::from_utf8_lossy(reply.body().as_deref().unwrap_or_default()).into_owned();
            assert!(body.contains("X-Self-ID"), "{body}");
        }
        other => panic!("expected a 400 refusal, got {other:?}"),
    }
    assert_eq!(open.refused_connections(), 1);
    assert_eq!(server.refused_connections(), 2);
}

#[tokio::test]
async fn a_reverse_server_shuts_down_closing_every_account() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let mut server = reverse_server(None).await;
    let url = format!("ws://{}/", server.local_addr());
    let _link = sim.connect_reverse(&url, None);
    let api = server.accept().await.unwrap().client;
    api.get_login_info().await.unwrap();
    let mut events = api.events();

    server.shutdown().await;
    assert!(server.accept().await.is_none(), "no account comes any more");
    is_closed(api.get_login_info().await, "get_login_info");
    assert_eq!(events.recv().await.unwrap_err(), EventsError::Closed);
    until(|| sim.event_clients() == 0).await;
    server.shutdown().await;
}

#[tokio::test]
async fn an_http_post_server_shuts_down_and_its_events_end() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let mut server = HttpPostServer::bind(([127, 0, 0, 1], 0).into(), HttpPostOptions::default())
        .await
        .unwrap();
    let url = format!("http://{}/", server.local_addr());
    let mut events = server.events();
    sim.post_events_to(&url, None);
    sim.inject_private_message(123456, json!("before"));
    match events.next().await {
        Some(Ok(Event::Message(m))) => assert_eq!(m.message.plain_text(), "before"),
        other => panic!("expected the message, got {other:?}"),
    }
    server.shutdown().await;
    assert!(events.next().await.is_none(), "the stream ends");
    assert_eq!(
        server.events().recv().await.unwrap_err(),
        EventsError::Closed
    );
    // The port no longer takes posts.
    let refused = reqwest::Client::new().post(&url).body("{}").send().await;
    assert!(refused.is_err(), "{refused:?}");
}
