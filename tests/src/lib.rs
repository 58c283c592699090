//! Helpers shared by the end-to-end tests.

pub mod hostile;
pub mod logs;

pub use logs::CapturedLog;

use api_core::{Client, ReverseOptions, ReverseServer};
use api_sim::{RecordedCall, SimConfig, Simulator};
use serde_json::Value;

/// A simulator on a free loopback port and an HTTP client pointed at it.
pub async fn sim_and_client() -> (Simulator, Client) {
    sim_and_client_with(SimConfig::default()).await
}

/// Like [`sim_and_client`], with a custom simulator setup (the client gets the same token).
pub async fn sim_and_client_with(config: SimConfig) -> (Simulator, Client) {
    let token = config.token.clone();
    let sim = Simulator::start(config)
        .await
        .expect("bind a loopback port");
    let mut builder = Client::builder().base_url(sim.http_url());
    if let Some(t) = token {
        builder = builder.access_token(t);
    }
    (sim, builder.build().expect("valid client settings"))
}

/// The single call the simulator received since the last check, as (action, params).
pub fn only_call(sim: &Simulator) -> (String, Value) {
    let calls: Vec<RecordedCall> = sim.take_calls();
    assert_eq!(calls.len(), 1, "expected exactly one call, got {calls:?}");
    let c = calls.into_iter().next().expect("one call");
    (c.action, c.params)
}

/// The transport a test runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `POST /{action}`; events on the SSE stream (`GET /_events`).
    Http,
    /// The client dials the simulator's WebSocket server (path `/`).
    Ws,
    /// The simulator dials the client's reverse WebSocket server.
    ReverseWs,
}

/// Keeps a test's servers alive.
pub struct Keep {
    _reverse: Option<ReverseServer>,
}

/// A simulator and a client connected to it over `via`.
pub async fn setup(via: Via) -> (Simulator, Client, Keep) {
    setup_with(via, SimConfig::default()).await
}

/// Like [`setup`], with a custom simulator setup (the client gets the same token).
pub async fn setup_with(via: Via, config: SimConfig) -> (Simulator, Client, Keep) {
    let token = config.token.clone();
    match via {
        Via::Http => {
            // Events over HTTP come on NapCat's SSE stream.
            let sim = Simulator::start(config)
                .await
                .expect("bind a loopback port");
            let mut builder = Client::builder().base_url(sim.http_url()).sse_events(true);
            if let Some(t) = token {
                builder = builder.access_token(t);
            }
            let api = builder.build().expect("valid client settings");
            sim.wait_for_event_clients(1).await;
            (sim, api, Keep { _reverse: None })
        }
        Via::Ws => {
            let sim = Simulator::start(config).await.expect("bind loopback ports");
            let mut builder = Client::builder().ws_url(sim.ws_url("/"));
            if let Some(t) = token {
                builder = builder.access_token(t);
            }
            let api = builder.connect().await.expect("connect to the simulator");
            sim.wait_for_event_clients(1).await;
            (sim, api, Keep { _reverse: None })
        }
        Via::ReverseWs => {
            let sim = Simulator::start(config).await.expect("bind loopback ports");
            let mut server = ReverseServer::bind(
                ([127, 0, 0, 1], 0).into(),
                ReverseOptions {
                    access_token: token.clone().map(Into::into),
                    ..ReverseOptions::default()
                },
            )
            .await
            .expect("bind the reverse server");
            let url = format!("ws://{}/", server.local_addr());
            let _link = sim.connect_reverse(&url, token.as_deref());
            let connected = server.accept().await.expect("the simulator connects");
            assert_eq!(connected.self_id, "10001");
            sim.wait_for_event_clients(1).await;
            (
                sim,
                connected.client,
                Keep {
                    _reverse: Some(server),
                },
            )
        }
    }
}

/// The segments of a quick operation's reply in a group, as NapCat sends it: a quote of the
/// message, an @ of its sender (`at_sender`), then the text.
pub fn quick_group_reply(message_id: i64, sender: i64, text: &str) -> Value {
    serde_json::json!([
        {"type": "reply", "data": {"id": message_id.to_string()}},
        {"type": "at", "data": {"qq": sender.to_string()}},
        {"type": "text", "data": {"text": text}},
    ])
}

/// The retcode of a handler failure on this transport (NapCat: 200 over HTTP, 1200 over
/// WebSocket).
pub fn handler_retcode(via: Via) -> i64 {
    match via {
        Via::Http => 200,
        Via::Ws | Via::ReverseWs => 1200,
    }
}

/// Asserts `result` is the handler failure NapCat gives with `text`.
pub fn assert_failure<T: std::fmt::Debug>(
    via: Via,
    result: Result<T, api_core::Error>,
    text: &str,
) {
    match result {
        Err(api_core::Error::Api {
            retcode, message, ..
        }) => {
            assert_eq!(retcode, handler_retcode(via), "{message}");
            assert_eq!(message, text);
        }
        other => panic!("expected `{text}`, got {other:?}"),
    }
}

/// Runs each named `async fn name(via: Via)` as three tests: `http::name`, `ws::name`
/// and `reverse_ws::name`.
#[macro_export]
macro_rules! over_every_transport {
    ($($name:ident),* $(,)?) => {
        mod http {
            $( #[tokio::test] async fn $name() { super::$name($crate::Via::Http).await } )*
        }
        mod ws {
            $( #[tokio::test] async fn $name() { super::$name($crate::Via::Ws).await } )*
        }
        mod reverse_ws {
            $( #[tokio::test] async fn $name() { super::$name($crate::Via::ReverseWs).await } )*
        }
    };
}
