//! HTTP: the client's overhead over hand-written reqwest calls, and large requests.

use api_core::UserId;
use std::time::Instant;

use crate::shared::{hand_written_login, post_json, ratio, verdict, ws_client};
use api_bench::{servers, timing};
use api_core::Client;

pub(crate) async fn http_overhead() {
    const CALLS: usize = 2000;
    const ROUNDS: usize = 7;
    let addr = servers::http().await;
    let url = format!("http://{addr}");
    let http = reqwest::Client::new();
    let api = Client::builder()
        .base_url(&url)
        .http_client(http.clone())
        .build()
        .unwrap();
    let login_url = format!("{url}/get_login_info");
    let hand_login = || hand_written_login(&http, &login_url);
    let like_url = format!("{url}/send_like");
    let hand_like = || async {
        let body = post_json(&http, &like_url, r#"{"user_id":123456,"times":1}"#).await;
        let env: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(env["retcode"], 0);
    };
    // Warm the pool.
    for _ in 0..200 {
        hand_login().await;
        api.get_login_info().await.unwrap();
    }
    let mut rows = Vec::new();
    for action in ["get_login_info", "send_like"] {
        let (mut ours, mut hand) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let t = Instant::now();
            for _ in 0..CALLS {
                if action == "get_login_info" {
                    api.get_login_info().await.unwrap();
                } else {
                    api.send_like(UserId(123456)).await.unwrap();
                }
            }
            ours.push(t.elapsed());
            let t = Instant::now();
            for _ in 0..CALLS {
                if action == "get_login_info" {
                    hand_login().await;
                } else {
                    hand_like().await;
                }
            }
            hand.push(t.elapsed());
        }
        ours.sort();
        hand.sort();
        let (o, h) = (
            timing::micros(ours[ROUNDS / 2], CALLS),
            timing::micros(hand[ROUNDS / 2], CALLS),
        );
        rows.push((action, o, h));
    }
    println!(
        "\n### 1. Per-call overhead over HTTP (serial, {CALLS} calls x {ROUNDS} rounds, median)\n"
    );
    println!(
        "| action | generated client µs/call | hand-written reqwest + serde_json µs/call | ratio | target ≤ 1.05× |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (a, o, h) in rows {
        let r = ratio(o, h);
        println!(
            "| `{a}` | {o:.1} | {h:.1} | {r:.3} | {} |",
            verdict(r <= 1.05)
        );
    }
}

/// Large requests one at a time over forward WebSocket, with `TCP_NODELAY` and with Nagle's
/// algorithm: what the client's default costs or saves when a request spans many packets.
pub(crate) async fn large_requests() {
    const CALLS: usize = 30;
    let url = format!("ws://{}/", servers::ws(true).await);
    println!(
        "\n### 2d. Large requests over forward WS, one in flight (`call_raw` with a padded params object, {CALLS} calls per size and setting)\n"
    );
    println!(
        "| request size | p50 µs, `tcp_nodelay(true)` (default) | p50 µs, `tcp_nodelay(false)` | max µs, true | max µs, false |"
    );
    println!("| --- | --- | --- | --- | --- |");
    let mut clients = Vec::new();
    for nodelay in [true, false] {
        let api = ws_client(&url, nodelay).await;
        clients.push(api);
    }
    for size in [100_000usize, 1_000_000, 4_000_000] {
        let params = serde_json::json!({ "pad": "x".repeat(size) });
        let mut times = [Vec::new(), Vec::new()];
        // Alternating, so both settings see the same machine.
        for _ in 0..CALLS {
            for (api, times) in clients.iter().zip(&mut times) {
                let t = Instant::now();
                api.call_raw("get_login_info", &params, None).await.unwrap();
                times.push(t.elapsed());
            }
        }
        let [mut on, mut off] = times;
        let pct = timing::percentile_us;
        println!(
            "| {} KB | {:.0} | {:.0} | {:.0} | {:.0} |",
            size / 1000,
            pct(&mut on, 0.5),
            pct(&mut off, 0.5),
            pct(&mut on, 1.0),
            pct(&mut off, 1.0)
        );
    }
}
