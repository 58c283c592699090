//! All benchmarks in one run: `cargo bench -p api-bench`. Prints Markdown tables; the numbers
//! in BENCHMARKS.md come from this output.

use api_core::UserId;
use std::alloc::{GlobalAlloc, Layout, System};
use std::future::IntoFuture;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use api_bench::baseline::{self, raw_ws::RawWs};
use api_bench::{build_cost, payloads, servers, timing};
use api_core::RawReply;
use api_core::{Action, Client, ReverseOptions, ReverseServer};

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

// The memory benchmark counts the bytes a call allocates, which takes a global allocator:
// `GlobalAlloc` is an unsafe trait. Each method only adds to a counter and hands the call to
// the system allocator unchanged, so the allocator's contract is the system's.
#[allow(unsafe_code)]
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

/// A JSON POST with reqwest, returning the body.
async fn post_json(http: &reqwest::Client, url: &str, body: &'static str) -> bytes::Bytes {
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
async fn hand_written_login(http: &reqwest::Client, url: &str) {
    let body = post_json(http, url, "{}").await;
    let env: baseline::Envelope<baseline::LoginInfo> = serde_json::from_slice(&body).unwrap();
    assert_eq!(env.retcode, 0);
    std::hint::black_box(env.data.nickname);
}

/// The generated client over forward WebSocket, with `TCP_NODELAY` or Nagle's algorithm.
async fn ws_client(url: &str, nodelay: bool) -> Client {
    Client::builder()
        .ws_url(url)
        .tcp_nodelay(nodelay)
        .connect()
        .await
        .unwrap()
}

/// `get_login_info` over the raw WebSocket client, decoded as [`hand_written_login`] does.
async fn raw_login(raw: &RawWs) {
    let frame = raw.call("get_login_info", "{}").await;
    let env: baseline::Envelope<baseline::LoginInfo> = serde_json::from_slice(&frame).unwrap();
    std::hint::black_box(env.data.nickname);
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

/// Large requests one at a time over forward WebSocket, with `TCP_NODELAY` and with Nagle's
/// algorithm: what the client's default costs or saves when a request spans many packets.
async fn large_requests() {
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

/// One call in flight over forward WebSocket: the time of each round trip, ours against the
/// raw client, in alternating rounds.
async fn ws_latency() {
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
async fn ws_throughput(nodelay: bool) {
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

/// Calls spread over many clients: `depth` workers per client, each making `per` calls one
/// after another. Returns calls per second and the time of every call.
async fn fleet<C, F, Fut>(clients: &[C], depth: usize, per: usize, call: F) -> (f64, Vec<Duration>)
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

/// 100 NapCat accounts dialled into one `ReverseServer`, each account's client calling at
/// depth 16, against the raw client serving the same 100 connections, in alternating rounds.
async fn reverse_fleet() {
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

/// Typed events: decoding against a hand-written struct, CQ codes, and events per second
/// through the client's typed stream against raw tokio-tungstenite reading the same frames.
async fn events() {
    use api_core::Message;
    use api_core::types::Event;

    const EVENTS: usize = 10_000;
    const ROUNDS: usize = 21;
    let frames: Vec<String> = (0..EVENTS).map(payloads::group_message_event).collect();
    let bytes: usize = frames.iter().map(String::len).sum();
    println!("\n### 6. Events\n");
    println!(
        "A group message event with five segments (quote, @, text, face with its raw element, image), {} bytes each; {EVENTS} events per round, median of {ROUNDS} alternating rounds.\n",
        frames[0].len()
    );
    println!(
        "| path | ours | hand-written (`serde_json::from_slice` into a plain struct, serde-tagged segments) | ratio (median of the rounds' ratios; spread) | target ≤ 1.2× |"
    );
    println!("| --- | --- | --- | --- | --- |");
    let hand = || {
        for f in &frames {
            let e: baseline::event::GroupMessage = serde_json::from_slice(f.as_bytes()).unwrap();
            assert_eq!(e.message.len(), 5);
        }
    };
    // What a typed subscriber does (`Client::events`): the frame's bytes straight into `Event`.
    let typed = || {
        for f in &frames {
            let Event::Message(m) = Event::from_slice(f.as_bytes()).unwrap() else {
                panic!()
            };
            assert_eq!(m.message.len(), 5);
        }
    };
    // The same through serde's generic entry point, which reads the event into a `Value`
    // first because its tag may come last.
    let typed_serde = || {
        for f in &frames {
            let Event::Message(m) = serde_json::from_slice::<Event>(f.as_bytes()).unwrap() else {
                panic!()
            };
            assert_eq!(m.message.len(), 5);
        }
    };
    for (path, ours, target) in [
        (
            "`Event::from_slice` (what `Client::events` uses)",
            &typed as &dyn Fn(),
            true,
        ),
        ("`serde_json::from_slice::<Event>`", &typed_serde, false),
    ] {
        let m = timing::compare_paired(ROUNDS, ours, &hand);
        println!(
            "| {path} | {:.2} µs/event | {:.2} µs/event | {:.3} ({:.2}–{:.2}) | {} |",
            timing::micros(m.a, EVENTS),
            timing::micros(m.b, EVENTS),
            m.ratio,
            m.spread.0,
            m.spread.1,
            if target {
                verdict(m.ratio <= 1.2)
            } else {
                "(no target)"
            }
        );
    }

    let cq: Vec<String> = frames
        .iter()
        .map(|f| {
            serde_json::from_str::<serde_json::Value>(f).unwrap()["raw_message"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let cq_bytes: usize = cq.iter().map(String::len).sum();
    let parse = timing::median(ROUNDS, || {
        for s in &cq {
            assert_eq!(Message::from_cq(s).len(), 5);
        }
    });
    let messages: Vec<Message> = cq.iter().map(|s| Message::from_cq(s)).collect();
    let render = timing::median(ROUNDS, || {
        for m in &messages {
            assert!(!m.to_cq().is_empty());
        }
    });
    println!(
        "\nCQ codes ({EVENTS} strings of {} bytes, {} KiB): parsing {:.1} MB/s ({:.2} µs each), rendering {:.1} MB/s ({:.2} µs each).\n",
        cq[0].len(),
        cq_bytes / 1024,
        cq_bytes as f64 / parse.as_secs_f64() / 1e6,
        timing::micros(parse, EVENTS),
        cq_bytes as f64 / render.as_secs_f64() / 1e6,
        timing::micros(render, EVENTS),
    );

    // Events per second over forward WebSocket.
    const PUSHED: usize = 50_000;
    let pushed: Vec<String> = (0..PUSHED).map(payloads::group_message_event).collect();
    let addr = servers::event_pusher(std::sync::Arc::new(pushed)).await;
    let url = format!("ws://{addr}/");
    let mut ours = Vec::new();
    let mut raw = Vec::new();
    let mut lost = 0;
    const BURSTS: usize = 11;
    for _ in 0..BURSTS {
        // A buffer for the whole burst, so the rate is that of events delivered, none lost.
        let api = Client::builder()
            .ws_url(&url)
            .event_buffer(PUSHED)
            .connect()
            .await
            .unwrap();
        let mut stream = api.events();
        let started = Instant::now();
        api.call_json("get_status", serde_json::json!({}))
            .await
            .unwrap();
        // Until every pushed event was either delivered or reported lost (lagged).
        let (mut delivered, mut lagged) = (0, 0);
        while delivered + lagged < PUSHED {
            match stream.recv().await {
                Ok(Event::Message(_)) => delivered += 1,
                Ok(_) => {}
                Err(api_core::EventsError::Lagged(n)) => lagged += n as usize,
                Err(e) => panic!("{e}"),
            }
        }
        lost += lagged;
        ours.push(delivered as f64 / started.elapsed().as_secs_f64());
        drop(api);

        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        let started = Instant::now();
        futures_util::SinkExt::send(
            &mut ws,
            tokio_tungstenite::tungstenite::Message::Text(
                r#"{"action":"get_status","params":{},"echo":1}"#.into(),
            ),
        )
        .await
        .unwrap();
        let mut seen = 0;
        while seen < PUSHED {
            let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) =
                futures_util::StreamExt::next(&mut ws).await
            else {
                continue;
            };
            if let Ok(Event::Message(_)) = Event::from_slice(t.as_bytes()) {
                seen += 1;
            }
        }
        raw.push(PUSHED as f64 / started.elapsed().as_secs_f64());
    }
    // Each burst of ours is paired with the raw burst right after it; the ratio is the median
    // of the pairs' ratios, which a machine that gets busier or quieter over the run moves
    // less than a ratio of medians.
    let mut ratios: Vec<f64> = ours.iter().zip(&raw).map(|(o, r)| o / r).collect();
    ratios.sort_by(f64::total_cmp);
    ours.sort_by(f64::total_cmp);
    raw.sort_by(f64::total_cmp);
    let mid = BURSTS / 2;
    let ratio = ratios[mid];
    println!(
        "| {PUSHED} events pushed at once over forward WebSocket ({BURSTS} alternating bursts each) | typed stream (`Client::events`), events delivered | raw tokio-tungstenite, `Event::from_slice` per frame | ratio (median of the {BURSTS} pairs; spread) | target ≥ 0.9× |"
    );
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| delivered per second, median (spread) | {:.0} ({:.0}–{:.0}) | {:.0} ({:.0}–{:.0}) | {ratio:.3} ({:.2}–{:.2}) | {} |",
        ours[mid],
        ours[0],
        ours[BURSTS - 1],
        raw[mid],
        raw[0],
        raw[BURSTS - 1],
        ratios[0],
        ratios[BURSTS - 1],
        verdict(ratio >= 0.9)
    );
    println!(
        "\nevents the typed subscriber was told it lagged behind on, and so never saw: {lost} of {} (the raw client loses none: it reads no faster than it decodes)",
        BURSTS * PUSHED
    );
    let _ = bytes;
}

fn build_cost() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    println!("\n### 4. Build cost of the macro\n");
    println!(
        "| spec | actions | expansion (parse + validate + generate), median of 20 | `cargo build` of a crate running the macro (debug, deps built), median of 3 |"
    );
    println!("| --- | --- | --- | --- |");
    for (name, text, n) in [
        // An extension crate's spec is read together with the built-in one, so the rows are
        // synthetic specs with names of their own; `api-core` itself is measured below.
        ("synthetic-1", build_cost::synthetic_spec(1), 1),
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
    let builtin = api_spec::load_builtin().expect("the shipped spec loads");
    let actions = builtin.actions().count();
    let (expansion, size) = build_cost::builtin_expansion(20);
    println!(
        "\nThe built-in spec ({actions} actions): expansion inside `api-core`, median of 20: {:.2} ms; generated code: {:.0} KiB of token text, {} lines formatted",
        expansion.as_secs_f64() * 1e3,
        size as f64 / 1024.0,
        build_cost::builtin_lines()
    );
    let r = build_cost::core_rebuild_time(&workspace, 3);
    println!(
        "`cargo build -p api-core` (debug) after editing one doc line of the spec, median of 3: {:.2} s",
        r.as_secs_f64()
    );
    let c = build_cost::core_clean_build_time(&workspace, 3);
    println!(
        "`cargo build -p api-core` (debug) after `cargo clean -p api-core` (dependencies built), median of 3: {:.2} s",
        c.as_secs_f64()
    );
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
    println!("\n### 5. Memory with calls in flight over one forward WebSocket\n");
    println!(
        "| calls in flight | heap bytes held per pending call (spawned task, its future, the pending slot, the queued frame) | process resident size before → with the calls in flight |"
    );
    println!("| --- | --- | --- |");
    for pending in [10_000, 100_000] {
        memory_with(pending).await;
    }
}

/// Holds `pending` `get_status` calls in flight to a server that never answers and prints
/// what they cost.
async fn memory_with(pending: usize) {
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
    let tasks: Vec<_> = (0..pending)
        .map(|_| {
            tokio::spawn(
                api.get_status()
                    .timeout(Duration::from_secs(600))
                    .into_future(),
            )
        })
        .collect();
    while api.pending_calls() < pending {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (bytes_after, rss_after) = (ALLOCATED.load(Ordering::Relaxed), rss_kib());
    COUNTING.store(false, Ordering::Relaxed);
    let per_call = (bytes_after - bytes_before) as f64 / pending as f64;
    println!(
        "| {pending} | {per_call:.0} B | {:.1} MiB → {:.1} MiB |",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
    for t in tasks {
        t.abort();
    }
}

/// Moving a 200 MiB file through the simulator over forward WebSocket: the generated client
/// against a raw tokio-tungstenite client sending the same chunks, each run a process of its
/// own so that its peak resident size is the client's alone.
fn files() {
    use api_bench::transfer::{SimProcess, pattern, run_child};
    const SIZE: usize = 200 * 1024 * 1024;
    const ROUNDS: usize = 7;
    let transfer = Path::new(env!("CARGO_BIN_EXE_transfer"));
    let dir = std::env::temp_dir().join(format!("api-bench-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("source.bin");
    std::fs::write(&source, pattern(SIZE)).unwrap();
    let sim = SimProcess::start(Path::new(env!("CARGO_BIN_EXE_file_sim")), SIZE);
    println!("\n### 7. A 200 MiB file through the simulator over forward WebSocket\n");
    println!(
        "| direction | generated client | raw tokio-tungstenite | throughput ratio (median of {ROUNDS} paired rounds, spread) | client peak RSS, generated / raw |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for direction in ["upload", "download"] {
        let (mut ours, mut raw, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let (mut ours_peak, mut raw_peak) = (0, 0);
        for round in 0..ROUNDS {
            let path = |who: &str| match direction {
                "upload" => source.clone(),
                _ => dir.join(format!("{who}.bin")),
            };
            // Alternate which goes first, so neither always meets a warmer simulator.
            let run = |who: &str| run_child(transfer, who, direction, &sim.url, &path(who));
            let ((a, a_kib), (b, b_kib)) = if round % 2 == 0 {
                let a = run("ours");
                (a, run("raw"))
            } else {
                let b = run("raw");
                (run("ours"), b)
            };
            if direction == "download" {
                for who in ["ours", "raw"] {
                    assert_eq!(std::fs::metadata(path(who)).unwrap().len(), SIZE as u64);
                }
            }
            ours.push(a);
            raw.push(b);
            ratios.push(b / a);
            ours_peak = ours_peak.max(a_kib);
            raw_peak = raw_peak.max(b_kib);
        }
        for v in [&mut ours, &mut raw, &mut ratios] {
            v.sort_by(f64::total_cmp);
        }
        let mib_s = |secs: f64| SIZE as f64 / (1024.0 * 1024.0) / secs;
        println!(
            "| {direction} | {:.0} MiB/s | {:.0} MiB/s | {:.2}× ({:.2}–{:.2}) | {:.1} MiB / {:.1} MiB |",
            mib_s(ours[ROUNDS / 2]),
            mib_s(raw[ROUNDS / 2]),
            ratios[ROUNDS / 2],
            ratios[0],
            ratios[ROUNDS - 1],
            ours_peak as f64 / 1024.0,
            raw_peak as f64 / 1024.0
        );
    }
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
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

/// `BENCH_ONLY=overhead,ws,reverse,decode,memory,events,build,files` runs only those sections.
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
        // Profiling one side of the throughput section skips the latency section.
        if std::env::var("BENCH_WS_SIDE").is_err() {
            rt.block_on(ws_latency());
        }
        // BENCH_WS_NODELAY=on or off runs one of the two throughput tables.
        let tables = std::env::var("BENCH_WS_NODELAY").unwrap_or_default();
        if tables != "off" {
            rt.block_on(ws_throughput(true));
        }
        if tables != "on" {
            rt.block_on(ws_throughput(false));
        }
        if std::env::var("BENCH_WS_SIDE").is_err() {
            rt.block_on(large_requests());
        }
    }
    if enabled("reverse") {
        rt.block_on(reverse_fleet());
    }
    if enabled("decode") {
        decoding();
    }
    if enabled("memory") {
        rt.block_on(memory());
    }
    if enabled("events") {
        rt.block_on(events());
    }
    if enabled("build") {
        build_cost();
    }
    if enabled("files") {
        files();
    }
    println!(
        "\nall benchmarks took {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
