//! Forward and reverse WebSocket: latency, throughput by depth, a fleet of accounts.

use std::time::{Duration, Instant};

use crate::shared::{fleet, hand_written_login, ratio, raw_login, throughput, verdict, ws_client};
use api_bench::baseline::raw_ws::RawWs;
use api_bench::{servers, timing};
use api_core::{Client, ReverseOptions, ReverseServer};

/// One call in flight over forward WebSocket: the time of each round trip, ours against the
/// raw client, in alternating rounds.
pub(crate) async fn ws_latency() {
    const CALLS: usize = 5_000;
    const ROUNDS: usize = 7;
    let url = format!("ws://{}/", servers::ws(true).await);
    let ours = Client::builder().ws_url(&url).connect().await.unwrap();
    let raw = RawWs::connect(&url, true).await;
    let (mut o, mut r) = (Vec::new(), Vec::new());
    for round in 0..=ROUNDS {
        // Round 0 warms both sides up and is not kept.
        let keep = round > 0;
        for _ in 0..CALLS {
            let t = Instant::now();
            ours.get_login_info().await.unwrap();
            if keep {
                o.push(t.elapsed());
            }
        }
        for _ in 0..CALLS {
            let t = Instant::now();
            raw_login(&raw).await;
            if keep {
                r.push(t.elapsed());
            }
        }
    }
    let mean = |v: &[Duration]| v.iter().sum::<Duration>().as_secs_f64() * 1e6 / v.len() as f64;
    let (om, rm) = (mean(&o), mean(&r));
    let pct = timing::percentile_us;
    let (o50, o99, r50, r99) = (
        pct(&mut o, 0.5),
        pct(&mut o, 0.99),
        pct(&mut r, 0.5),
        pct(&mut r, 0.99),
    );
    println!(
        "\n### 2a. Latency, one call in flight over forward WebSocket (`get_login_info`, {CALLS} calls x {ROUNDS} alternating rounds)\n"
    );
    println!(
        "| measure | generated client | raw tokio-tungstenite client | ratio | target ≤ 1.05× (mean) |"
    );
    println!("| --- | --- | --- | --- | --- |");
    let q = om / rm;
    println!(
        "| mean µs/call | {om:.1} | {rm:.1} | {q:.3} | {} |",
        verdict(q <= 1.05)
    );
    println!("| p50 µs | {o50:.1} | {r50:.1} | {:.3} | |", o50 / r50);
    println!("| p99 µs | {o99:.1} | {r99:.1} | {:.3} | |", o99 / r99);
}

/// Throughput over forward WebSocket (and, with `nodelay`, over HTTP), both WebSocket sides
/// with the same socket setting: `TCP_NODELAY` (the generated client's default), or Nagle's
/// algorithm (tokio-tungstenite's).
pub(crate) async fn ws_throughput(nodelay: bool) {
    const TOTAL: usize = 40_000;
    const ROUNDS: usize = 7;
    let ws_addr = servers::ws(true).await;
    let url = format!("ws://{ws_addr}/");
    let ours = ws_client(&url, nodelay).await;
    let raw = RawWs::connect(&url, nodelay).await;
    let http_addr = servers::http().await;
    let http_url = format!("http://{http_addr}/get_login_info");
    // One reqwest pool for both HTTP sides.
    let pool = reqwest::Client::new();
    let http = Client::builder()
        .base_url(format!("http://{http_addr}"))
        .http_client(pool.clone())
        .build()
        .unwrap();
    if nodelay {
        println!(
            "\n### 2. Throughput, calls per second (`get_login_info`, {TOTAL} calls per round over WS with TCP_NODELAY on both sides, a quarter of that over HTTP, median of {ROUNDS})\n"
        );
        println!(
            "| calls in flight | generated client, forward WS | raw tokio-tungstenite client | ratio | target ≥ 0.95× | generated client, HTTP pool | hand-written reqwest, same pool | ratio | target ≥ 0.95× |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    } else {
        println!(
            "\n### 2c. Throughput over forward WS with Nagle's algorithm on both sides, calls per second (`get_login_info`, {TOTAL} calls per round, median of {ROUNDS})\n"
        );
        println!(
            "| calls in flight | generated client, `tcp_nodelay(false)` | raw tokio-tungstenite client, its default | ratio | target ≥ 0.95× |"
        );
        println!("| --- | --- | --- | --- | --- |");
    }
    // For profiling or comparing one column alone: BENCH_WS_SIDE=ours, raw, http or reqwest
    // (the other columns print 1), BENCH_WS_DEPTH=256. The HTTP columns are in one table only.
    let side = std::env::var("BENCH_WS_SIDE").unwrap_or_default();
    let runs = |column: &str| {
        (side.is_empty() || side == column) && (nodelay || !matches!(column, "http" | "reqwest"))
    };
    let depths: Vec<usize> = std::env::var("BENCH_WS_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .map_or(vec![1, 16, 64, 256], |d| vec![d]);
    for depth in depths {
        let total = if depth == 1 { TOTAL / 4 } else { TOTAL };
        let (mut o, mut r, mut h, mut hh) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let api = ours.clone();
            o.push(if runs("ours") {
                throughput(total, depth, move || {
                    let api = api.clone();
                    async move {
                        api.get_login_info().await.unwrap();
                    }
                })
                .await
            } else {
                1.0
            });
            let raw = raw.clone();
            r.push(if runs("raw") {
                throughput(total, depth, move || {
                    let raw = raw.clone();
                    async move { raw_login(&raw).await }
                })
                .await
            } else {
                1.0
            });
            let api = http.clone();
            h.push(if runs("http") {
                throughput(total / 4, depth, move || {
                    let api = api.clone();
                    async move {
                        api.get_login_info().await.unwrap();
                    }
                })
                .await
            } else {
                1.0
            });
            let (pool, url) = (pool.clone(), http_url.clone());
            hh.push(if runs("reqwest") {
                throughput(total / 4, depth, move || {
                    let (pool, url) = (pool.clone(), url.clone());
                    async move { hand_written_login(&pool, &url).await }
                })
                .await
            } else {
                1.0
            });
        }
        let med = timing::median_of;
        let (o, r, h, hh) = (med(&mut o), med(&mut r), med(&mut h), med(&mut hh));
        let (q, qh) = (ratio(o, r), ratio(h, hh));
        if !nodelay {
            println!(
                "| {depth} | {o:.0} | {r:.0} | {q:.3} | {} |",
                verdict(q >= 0.95)
            );
            continue;
        }
        println!(
            "| {depth} | {o:.0} | {r:.0} | {q:.3} | {} | {h:.0} | {hh:.0} | {qh:.3} | {} |",
            verdict(q >= 0.95),
            verdict(qh >= 0.95)
        );
    }
}

/// 100 NapCat accounts dialled into one `ReverseServer`, each account's client calling at
/// depth 16, against the raw client serving the same 100 connections, in alternating rounds.
pub(crate) async fn reverse_fleet() {
    const ACCOUNTS: usize = 100;
    const DEPTH: usize = 16;
    const PER: usize = 50;
    const ROUNDS: usize = 7;
    let mut server = ReverseServer::bind("127.0.0.1:0".parse().unwrap(), ReverseOptions::default())
        .await
        .unwrap();
    servers::napcat_accounts(&format!("ws://{}/", server.local_addr()), ACCOUNTS).await;
    let mut ours = Vec::new();
    while ours.len() < ACCOUNTS {
        ours.push(server.accept().await.unwrap().client);
    }
    let (raw_addr, mut incoming) = RawWs::listen().await;
    servers::napcat_accounts(&format!("ws://{raw_addr}/"), ACCOUNTS).await;
    let mut raw = Vec::new();
    while raw.len() < ACCOUNTS {
        raw.push(incoming.recv().await.unwrap());
    }
    let (mut o, mut r, mut ot, mut rt) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Round 0 warms both sides up and is not kept.
    for round in 0..=ROUNDS {
        let (rate, times) = fleet(&ours, DEPTH, PER, |api: Client| async move {
            api.get_login_info().await.unwrap();
        })
        .await;
        if round > 0 {
            o.push(rate);
            ot.extend(times);
        }
        let (rate, times) = fleet(&raw, DEPTH, PER, |raw: RawWs| async move {
            raw_login(&raw).await;
        })
        .await;
        if round > 0 {
            r.push(rate);
            rt.extend(times);
        }
    }
    let (o, r) = (timing::median_of(&mut o), timing::median_of(&mut r));
    println!(
        "\n### 2b. Reverse WebSocket: {ACCOUNTS} accounts on one server, {DEPTH} calls in flight each (`get_login_info`, {} calls per round, median of {ROUNDS} alternating rounds)\n",
        ACCOUNTS * DEPTH * PER
    );
    println!("| measure | `ReverseServer` | raw tokio-tungstenite server | ratio |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| calls per second, all accounts | {o:.0} | {r:.0} | {:.3} |",
        o / r
    );
    for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
        let (a, b) = (
            timing::percentile_us(&mut ot, p),
            timing::percentile_us(&mut rt, p),
        );
        println!("| {name} µs per call | {a:.0} | {b:.0} | {:.3} |", a / b);
    }
}
