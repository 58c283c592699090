//! The access token never shows up in logs, at any level, whatever fails: neither in the
//! client's own (`tracing`) nor in what its dependencies write to the `log` facade (the
//! WebSocket library logs the raw upgrade request at TRACE), which a bot's output gets through
//! `tracing_subscriber::fmt().init()` or `env_logger`.

use api_core::UserId;
use std::io::Write;
use std::time::Duration;

use api_core::{Client, ReverseOptions, ReverseServer};
use api_sim::{Fault, SimConfig, Simulator};
use api_tests::CapturedLog;

const TOKEN: &str = "tok-5ecret-0f-the-bot";

/// Every `log` record, as a bridge or `env_logger` would print it, into the same capture.
struct LogRecords(CapturedLog);

impl log::Log for LogRecords {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        let line = format!("{} {} {}\n", record.level(), record.target(), record.args());
        let _ = self.0.clone().write_all(line.as_bytes());
    }
    fn flush(&self) {}
}

// One thread, so the thread-local subscriber sees every task, the client's background ones too.
#[tokio::test(flavor = "current_thread")]
async fn no_log_line_at_trace_carries_the_token() {
    let logs = CapturedLog::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    log::set_logger(Box::leak(Box::new(LogRecords(logs.clone())))).expect("the only logger");
    log::set_max_level(log::LevelFilter::Trace);

    let sim = Simulator::start(SimConfig {
        token: Some("other".into()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let short = Duration::from_millis(300);

    // HTTP: refused token, then a scripted failure and a timeout with a good token.
    let http = Client::builder()
        .base_url(sim.http_url())
        .access_token(TOKEN)
        .timeout(short)
        .build()
        .unwrap();
    assert!(http.get_status().await.is_err());
    let ok_sim = Simulator::start(SimConfig {
        token: Some(TOKEN.into()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let http = Client::builder()
        .base_url(ok_sim.http_url())
        .access_token(TOKEN)
        .timeout(short)
        .build()
        .unwrap();
    // This call must succeed: its own timeout is long, whatever the machine's load.
    http.send_like(UserId(123456))
        .times(3)
        .timeout(Duration::from_secs(60))
        .await
        .unwrap();
    ok_sim.script(
        "get_status",
        Fault::Raw {
            status: 502,
            body: "<html>bad gateway</html>".into(),
        },
    );
    assert!(http.get_status().await.is_err());
    ok_sim.script("get_status", Fault::Hang);
    assert!(http.get_status().await.is_err());

    // Forward WebSocket: token in the header, refused (1403); token in the query, refused
    // and unreachable; a good token with a failing call.
    let ws = Client::builder()
        .ws_url(sim.ws_url("/"))
        .access_token(TOKEN)
        .timeout(short)
        .build()
        .unwrap();
    assert!(ws.get_status().await.is_err());
    let ws = Client::builder()
        .ws_url(sim.ws_url("/api"))
        .access_token(TOKEN)
        .token_in_query(true)
        .timeout(short)
        .build()
        .unwrap();
    assert!(ws.get_status().await.is_err());
    let err = Client::builder()
        .ws_url("ws://127.0.0.1:1/api")
        .access_token(TOKEN)
        .token_in_query(true)
        .connect()
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains(TOKEN));
    let ws = Client::builder()
        .ws_url(ok_sim.ws_url("/"))
        .access_token(TOKEN)
        .timeout(short)
        .connect()
        .await
        .unwrap();
    ok_sim.script("get_status", Fault::CloseConnection);
    assert!(ws.get_status().await.is_err());

    // Reverse WebSocket: NapCat with the wrong token is refused; the server logs it.
    let server = ReverseServer::bind(
        ([127, 0, 0, 1], 0).into(),
        ReverseOptions {
            access_token: Some(TOKEN.into()),
            ..ReverseOptions::default()
        },
    )
    .await
    .unwrap();
    let refused = sim
        .connect_reverse(&format!("ws://{}/", server.local_addr()), Some("wrong"))
        .await
        .unwrap();
    assert!(refused.is_err());
    assert!(!format!("{server:?}").contains(TOKEN));

    let text = logs.text();
    assert!(
        text.contains("TRACE") && text.contains("DEBUG"),
        "logging was captured"
    );
    assert!(text.contains("sending"), "requests are logged");
    assert!(text.contains("refused a reverse WebSocket connection"));
    assert!(
        text.contains("tungstenite::handshake::client"),
        "the WebSocket library's own records were captured"
    );
    let leaks: Vec<&str> = text.lines().filter(|l| l.contains(TOKEN)).collect();
    assert!(
        leaks.is_empty(),
        "the token leaked into the logs: {leaks:#?}"
    );
}
