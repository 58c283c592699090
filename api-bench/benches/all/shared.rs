//! Helpers of several sections: ratios, verdicts, hand-written calls, clients, load loops.

use std::time::{Duration, Instant};

use api_bench::baseline::{self, raw_ws::RawWs};
use api_core::Client;

pub(crate) fn ratio(ours: f64, theirs: f64) -> f64 {
    ours / theirs
}

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// A JSON POST with reqwest, returning the body.
pub(crate) async fn post_json(
    http: &reqwest::Client,
    url: &str,
    body: &'static str,
) -> bytes::Bytes {
    http.post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
}

/// `get_login_info` as a careful person writes it with reqwest: POST `{}`, decode the envelope
/// into a plain struct.
pub(crate) async fn hand_written_login(http: &reqwest::Client, url: &str) {
    let body = post_json(http, url, "{}").await;
    let env: baseline::Envelope<baseline::LoginInfo> = serde_json::from_slice(&body).unwrap();
    assert_eq!(env.retcode, 0);
    std::hint::black_box(env.data.nickname);
}

/// The generated client over forward WebSocket, with `TCP_NODELAY` or Nagle's algorithm.
pub(crate) async fn ws_client(url: &str, nodelay: bool) -> Client {
    Client::builder()
        .ws_url(url)
        .tcp_nodelay(nodelay)
        .connect()
        .await
        .unwrap()
}

/// `get_login_info` over the raw WebSocket client, decoded as [`hand_written_login`] does.
pub(crate) async fn raw_login(raw: &RawWs) {
    let frame = raw.call("get_login_info", "{}").await;
    let env: baseline::Envelope<baseline::LoginInfo> = serde_json::from_slice(&frame).unwrap();
    std::hint::black_box(env.data.nickname);
}

pub(crate) async fn throughput<F, Fut>(total: usize, depth: usize, call: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let per = total / depth;
    let t = Instant::now();
    let workers: Vec<_> = (0..depth)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                for _ in 0..per {
                    call().await;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    (per * depth) as f64 / t.elapsed().as_secs_f64()
}

/// Calls spread over many clients: `depth` workers per client, each making `per` calls one
/// after another. Returns calls per second and the time of every call.
pub(crate) async fn fleet<C, F, Fut>(
    clients: &[C],
    depth: usize,
    per: usize,
    call: F,
) -> (f64, Vec<Duration>)
where
    C: Clone + Send + 'static,
    F: Fn(C) -> Fut + Copy + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let t = Instant::now();
    let workers: Vec<_> = clients
        .iter()
        .flat_map(|c| std::iter::repeat_n(c, depth))
        .map(|c| {
            let c = c.clone();
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(per);
                for _ in 0..per {
                    let started = Instant::now();
                    call(c.clone()).await;
                    times.push(started.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times = Vec::with_capacity(workers.len() * per);
    for w in workers {
        times.extend(w.await.unwrap());
    }
    (times.len() as f64 / t.elapsed().as_secs_f64(), times)
}
