//! What an error says is enough to act on, and stays bounded: the transport's cause, the last
//! connection failure of a call that could not be sent, the start of an over-limit reply, a
//! decode error about a huge value.

use std::time::Duration;

use api_core::{Client, Error};
use api_sim::{Fault, SimConfig, Simulator};
use api_tests::hostile::http_faulty_once;
use serde_json::json;

/// A loopback address nothing listens on (bound, then closed).
async fn closed_port() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

#[tokio::test]
async fn an_http_transport_error_names_its_cause() {
    let addr = closed_port().await;
    let api = Client::builder()
        .base_url(format!("http://{addr}"))
        .build()
        .unwrap();
    let err = api.get_status().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let text = err.to_string().to_lowercase();
    assert!(text.contains("refused"), "{text}");
}

#[tokio::test]
async fn a_websocket_call_that_could_not_be_sent_says_why() {
    let addr = closed_port().await;
    let api = Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(50))
        .build()
        .unwrap();
    // Wait until the client has tried (and failed) to connect, without a timing margin.
    let mut attempts = 0;
    let err = loop {
        let err = api
            .get_status()
            .timeout(Duration::from_millis(300))
            .await
            .unwrap_err();
        attempts += 1;
        if matches!(err, Error::Transport { .. }) || attempts > 50 {
            break err;
        }
    };
    let text = err.to_string().to_lowercase();
    assert!(
        matches!(err, Error::Transport { .. })
            && text.contains("not connected within")
            && text.contains("refused"),
        "{text}"
    );
}

#[tokio::test]
async fn an_over_limit_reply_keeps_its_start() {
    let addr = http_faulty_once(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{\"status\":\"ok\",\"retcode\":0,\"data\":\"",
        false,
    )
    .await;
    let api = Client::builder()
        .base_url(format!("http://{addr}"))
        .max_reply_size(1000)
        .build()
        .unwrap();
    match api.get_status().await {
        Err(Error::BadReply { reason, body, .. }) => {
            assert!(body.starts_with(b"{\"status\":\"ok\""), "{body:?}");
            assert!(
                reason.contains(&format!("only its first {} bytes are kept", body.len())),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_decode_error_about_a_huge_value_stays_short() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let api = Client::builder().base_url(sim.http_url()).build().unwrap();
    let huge = "y".repeat(5 << 20);
    sim.script(
        "get_status",
        Fault::Envelope(
            json!({"status": "ok", "retcode": 0, "data": {"online": huge, "good": true}}),
        ),
    );
    let err = api.get_status().await.unwrap_err();
    assert!(
        matches!(err, Error::Decode { .. }),
        "{}",
        err.to_string().len()
    );
    assert!(err.to_string().len() < 3000, "{}", err.to_string().len());
    assert!(
        err.body().unwrap().len() > 5 << 20,
        "the whole reply stays reachable"
    );
}
