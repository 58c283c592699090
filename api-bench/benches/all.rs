//! All benchmarks in one run: `cargo bench -p api-bench`. Prints Markdown tables; the numbers
//! in BENCHMARKS.md come from this output.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::IntoFuture;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use api_bench::baseline::{self, raw_ws::RawWs};
use api_bench::{build_cost, payloads, servers, timing};
use api_core::reply::RawReply;
use api_core::{Action, Client};

/// Counts bytes currently allocated, for memory per pending call; only while `COUNTING` is
/// set, so the shared counter does not slow the timing sections down.
struct Counting;

static ALLOCATED: AtomicIsize = AtomicIsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

fn count(delta: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATED.fetch_add(delta, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn ratio(ours: f64, theirs: f64) -> f64 {
    ours / theirs
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

async fn http_overhead() {
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
    let hand_login = || async {
        let body = http
            .post(format!("{url}/get_login_info"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let env: baseline::Envelope<baseline::LoginInfo> = serde_json::from_slice(&body).unwrap();
        assert_eq!(env.retcode, 0);
        std::hint::black_box(env.data.nickname);
    };
    let hand_like = || async {
        let body = http
            .post(format!("{url}/send_like"))
            .header("content-type", "application/json")
            .body(r#"{"user_id":123456,"times":1}"#)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
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
                    api.send_like(123456).await.unwrap();
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

async fn throughput<F, Fut>(total: usize, depth: usize, call: F) -> f64
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

async fn ws_throughput() {
    const TOTAL: usize = 40_000;
    const ROUNDS: usize = 7;
    let ws_addr = servers::ws(true).await;
    let url = format!("ws://{ws_addr}/");
    let ours = Client::builder().ws_url(&url).connect().await.unwrap();
    let raw = RawWs::connect(&url).await;
    let http_addr = servers::http().await;
    let http = Client::builder()
        .base_url(format!("http://{http_addr}"))
        .build()
        .unwrap();
    println!(
        "\n### 2. Throughput, calls per second (`get_login_info`, {TOTAL} calls per round, median of {ROUNDS})\n"
    );
    println!(
        "| calls in flight | generated client, forward WS | raw tokio-tungstenite client | ratio | target ≥ 0.9× | generated client, HTTP pool |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    // For profiling one side: BENCH_WS_SIDE=ours or raw, BENCH_WS_DEPTH=256.
    let side = std::env::var("BENCH_WS_SIDE").unwrap_or_default();
    let depths: Vec<usize> = std::env::var("BENCH_WS_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .map_or(vec![1, 16, 64, 256], |d| vec![d]);
    for depth in depths {
        let total = if depth == 1 { TOTAL / 4 } else { TOTAL };
        let (mut o, mut r, mut h) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            if side == "raw" {
                o.push(1.0);
            } else {
                let api = ours.clone();
                o.push(
                    throughput(total, depth, move || {
                        let api = api.clone();
                        async move {
                            api.get_login_info().await.unwrap();
                        }
                    })
                    .await,
                );
            }
            if side == "ours" {
                r.push(1.0);
                h.push(1.0);
                continue;
            }
            let raw = raw.clone();
            r.push(
                throughput(total, depth, move || {
                    let raw = raw.clone();
                    async move {
                        let frame = raw.call("get_login_info", "{}").await;
                        let env: baseline::Envelope<baseline::LoginInfo> =
                            serde_json::from_slice(&frame).unwrap();
                        std::hint::black_box(env.data.nickname);
                    }
                })
                .await,
            );
            if side == "raw" {
                h.push(1.0);
                continue;
            }
            let api = http.clone();
            h.push(
                throughput(total / 4, depth, move || {
                    let api = api.clone();
                    async move {
                        api.get_login_info().await.unwrap();
                    }
                })
                .await,
            );
        }
        let med = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (o, r, h) = (med(&mut o), med(&mut r), med(&mut h));
        let q = ratio(o, r);
        println!(
            "| {depth} | {o:.0} | {r:.0} | {q:.3} | {} | {h:.0} |",
            verdict(q >= 0.9)
        );
    }
}

fn decoding() {
    println!("\n### 3. Decoding a whole reply (median of 21 alternating rounds)\n");
    println!(
        "| reply | generated decoder (envelope check + typed data) | `serde_json::from_slice` into a hand-written struct | ratio | target ≤ 1.2× |"
    );
    println!("| --- | --- | --- | --- | --- |");
    decode_row(
        "`get_friend_list`, 10,000 friends",
        &payloads::friend_list(10_000),
        |raw| {
            api_core::requests::GetFriendListRequest::decode_reply(raw)
                .unwrap()
                .len()
        },
        |bytes| {
            let env: baseline::Envelope<Vec<baseline::Friend>> =
                serde_json::from_slice(bytes).unwrap();
            env.data.len()
        },
    );
    decode_row(
        "`get_recent_contact`, 1,000 contacts",
        &payloads::recent_contacts(1_000),
        |raw| {
            api_core::requests::GetRecentContactRequest::decode_reply(raw)
                .unwrap()
                .len()
        },
        |bytes| {
            let env: baseline::Envelope<Vec<baseline::RecentContact>> =
                serde_json::from_slice(bytes).unwrap();
            env.data.len()
        },
    );
}

/// One row of the decoding table: both decoders over the same reply, alternating rounds.
fn decode_row(
    label: &str,
    reply: &str,
    ours: impl Fn(&RawReply) -> usize,
    hand: impl Fn(&[u8]) -> usize,
) {
    const ROUNDS: usize = 21;
    let raw = RawReply::new(Some(200), reply.to_owned());
    let expected = hand(reply.as_bytes());
    let (o, h) = timing::compare(
        ROUNDS,
        || assert_eq!(ours(&raw), expected),
        || assert_eq!(hand(reply.as_bytes()), expected),
    );
    let r = ratio(o.as_secs_f64(), h.as_secs_f64());
    println!(
        "| {label} ({} KiB) | {:.2} ms | {:.2} ms | {r:.3} | {} |",
        reply.len() / 1024,
        o.as_secs_f64() * 1e3,
        h.as_secs_f64() * 1e3,
        verdict(r <= 1.2)
    );
}

fn build_cost() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let account = std::fs::read_to_string(workspace.join("api-spec/spec/account.toml")).unwrap();
    let account_actions = api_spec::load(&[("account.toml".to_owned(), account.clone())])
        .expect("the account spec loads")
        .actions()
        .count();
    println!("\n### 4. Build cost of the macro\n");
    println!(
        "| spec | actions | expansion (parse + validate + generate), median of 20 | `cargo build` of a crate running the macro (debug, deps built), median of 3 |"
    );
    println!("| --- | --- | --- | --- |");
    for (name, text, n) in [
        ("synthetic-1", build_cost::synthetic_spec(1), 1),
        ("account", account, account_actions),
        ("synthetic-50", build_cost::synthetic_spec(50), 50),
        ("synthetic-200", build_cost::synthetic_spec(200), 200),
    ] {
        let e = build_cost::expansion_time(&text, 20);
        let b = build_cost::crate_build_time(&workspace, name, &text, 3);
        println!(
            "| {name} | {n} | {:.2} ms | {:.2} s |",
            e.as_secs_f64() * 1e3,
            b.as_secs_f64()
        );
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

async fn memory() {
    const PENDING: usize = 10_000;
    let addr = servers::ws(false).await;
    let api = Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .connect()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Frees of blocks allocated before counting began would be subtracted, so the delta
    // is taken over allocations made while counting only.
    COUNTING.store(true, Ordering::Relaxed);
    let (bytes_before, rss_before) = (ALLOCATED.load(Ordering::Relaxed), rss_kib());
    let tasks: Vec<_> = (0..PENDING)
        .map(|_| {
            tokio::spawn(
                api.get_status()
                    .timeout(Duration::from_secs(600))
                    .into_future(),
            )
        })
        .collect();
    while api.pending_calls() < PENDING {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (bytes_after, rss_after) = (ALLOCATED.load(Ordering::Relaxed), rss_kib());
    COUNTING.store(false, Ordering::Relaxed);
    let per_call = (bytes_after - bytes_before) as f64 / PENDING as f64;
    println!("\n### 5. Memory with {PENDING} calls in flight over one forward WebSocket\n");
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| heap bytes held per pending call (spawned task, its future, the pending slot, the queued frame) | {per_call:.0} B |"
    );
    println!(
        "| process resident size before → with {PENDING} in flight | {:.1} MiB → {:.1} MiB |",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
    for t in tasks {
        t.abort();
    }
}

fn machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("machine: {cores} cores, {cpu}");
}

/// `BENCH_ONLY=overhead,ws,decode,memory,build` runs only those sections.
fn enabled(section: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only.split(',').any(|s| s == section))
}

fn main() {
    let started = Instant::now();
    machine();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if enabled("overhead") {
        rt.block_on(http_overhead());
    }
    if enabled("ws") {
        rt.block_on(ws_throughput());
    }
    if enabled("decode") {
        decoding();
    }
    if enabled("memory") {
        rt.block_on(memory());
    }
    if enabled("build") {
        build_cost();
    }
    println!(
        "\nall benchmarks took {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
