//! Scaling out through NATS JetStream: events per second from the simulator through a bridge
//! to 1, 2 and 4 workers, and the round trip of a call through NATS against the same call
//! over a direct WebSocket.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use api_bench::timing;
use api_bot::Bot;
use api_bridge::bridge::Bridge;
use api_bridge::options::BridgeOptions;
use api_bridge::testing::NatsServer;
use api_bridge::worker::NatsRelay;
use api_core::types::MessageEvent;
use api_core::{Client, ReverseServer};
use api_sim::{Seed, SimConfig, Simulator};
use serde_json::json;

/// The account the simulator plays.
const ACCOUNT: u64 = 10001;

/// A nats-server, the simulator dialing a bridge, and a NATS connection; the bridge holds the
/// account.
struct Deployment {
    server: NatsServer,
    nats: async_nats::Client,
    sim: Simulator,
    bridge: Bridge,
}

async fn deploy() -> Deployment {
    let server = NatsServer::start().expect("a nats-server");
    let nats = async_nats::connect(server.url()).await.unwrap();
    let bridge = Bridge::start(nats.clone(), BridgeOptions::new("bench"))
        .await
        .unwrap();
    let reverse = ReverseServer::bind(([127, 0, 0, 1], 0).into(), Bridge::reverse_options())
        .await
        .unwrap();
    let url = format!("ws://{}/", reverse.local_addr());
    bridge.serve_reverse(reverse).unwrap();
    let sim = Simulator::start(SimConfig {
        seed: Seed::for_account(ACCOUNT as i64),
        heartbeat: Duration::from_secs(24 * 3600),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.connect_reverse(&url, None);
    bridge.wait_for_lease(ACCOUNT, true).await;
    sim.wait_for_event_clients(1).await;
    Deployment {
        server,
        nats,
        sim,
        bridge,
    }
}

/// The chats the pushed messages are said in, in turn: sixteen groups, one per chat partition
/// of the bridge's default count.
const CHATS: i64 = 16;

/// Events per second from the simulator's pushes to the workers' handlers, `workers` workers
/// (each a client with a connection of its own, running a bot) sharing the account, reading
/// in any order or in per-chat order.
async fn events_to(workers: usize, events: usize, per_chat_order: bool) -> f64 {
    let d = deploy().await;
    let handled = Arc::new(AtomicUsize::new(0));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut running = Vec::new();
    for _ in 0..workers {
        let nats = async_nats::connect(d.server.url()).await.unwrap();
        let api = Client::builder()
            .relay(
                NatsRelay::new(nats, ACCOUNT)
                    .group("bench")
                    .per_chat_order(per_chat_order),
            )
            .build()
            .unwrap();
        let count = handled.clone();
        let bot = Bot::new().on(move |m: MessageEvent| {
            let count = count.clone();
            async move {
                std::hint::black_box(m.message_id);
                count.fetch_add(1, Ordering::Relaxed);
            }
        });
        let mut stopped = stopped.clone();
        running.push(tokio::spawn(bot.run_until(api, async move {
            let _ = stopped.wait_for(|s| *s).await;
        })));
    }
    let start = Instant::now();
    for i in 0..events {
        let group = 100200 + i as i64 % CHATS;
        d.sim
            .inject_group_message(group, 123456, "张三", json!(format!("m{i}")));
    }
    // With no workers: until the stream has stored them all (the bridge's side alone).
    let done = || match workers {
        0 => d
            .bridge
            .published(ACCOUNT)
            .is_some_and(|p| p.stored as usize >= events),
        _ => handled.load(Ordering::Relaxed) >= events,
    };
    while !done() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let rate = events as f64 / start.elapsed().as_secs_f64();
    stop.send_replace(true);
    for bot in running {
        bot.await.unwrap();
    }
    d.bridge.shutdown().await;
    rate
}

pub(crate) async fn nats() {
    const EVENTS: usize = 20_000;
    const RUNS: usize = 3;
    println!("\n### 9. Scaling out through NATS JetStream\n");
    println!(
        "Events per second from the simulator (one account, {EVENTS} group messages in {CHATS} groups pushed at once) through a bridge and a nats-server with JetStream to workers that share the account, each a client with a NATS connection of its own running a bot whose handler counts, reading in any order or in per-chat order; the median of {RUNS} runs, each with a fresh server.\n"
    );
    println!("| workers | any order: events/s, median (min–max) | per-chat order |");
    println!("| --- | --- | --- |");
    let median = |mut rates: Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        format!(
            "{:.0} ({:.0}–{:.0})",
            rates[RUNS / 2],
            rates[0],
            rates[RUNS - 1]
        )
    };
    // 0: published and stored, read by nobody.
    for workers in [0, 1, 2, 4] {
        let (mut any, mut ordered) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            any.push(events_to(workers, EVENTS, false).await);
            if workers > 0 {
                ordered.push(events_to(workers, EVENTS, true).await);
            }
        }
        let ordered = match workers {
            0 => "–".to_owned(),
            _ => median(ordered),
        };
        println!("| {workers} | {} | {ordered} |", median(any));
    }

    // One call in flight: through NATS and the bridge, against a client on the simulator's
    // forward WebSocket.
    const CALLS: usize = 2_000;
    const ROUNDS: usize = 5;
    let d = deploy().await;
    let over_nats = Client::builder()
        .relay(NatsRelay::new(d.nats.clone(), ACCOUNT))
        .build()
        .unwrap();
    let direct = Client::builder()
        .ws_url(d.sim.ws_url("/"))
        .connect()
        .await
        .unwrap();
    let (mut n, mut w) = (Vec::new(), Vec::new());
    for round in 0..=ROUNDS {
        let keep = round > 0;
        for (client, times) in [(&over_nats, &mut n), (&direct, &mut w)] {
            for _ in 0..CALLS {
                let t = Instant::now();
                client.get_login_info().await.unwrap();
                if keep {
                    times.push(t.elapsed());
                }
            }
        }
    }
    let pct = timing::percentile_us;
    println!(
        "\n`get_login_info`, one call in flight, {CALLS} calls × {ROUNDS} alternating rounds: a worker's client through NATS (request → bridge → the account's reverse WebSocket → simulator, and back) against a client on the simulator's forward WebSocket.\n"
    );
    println!("| measure | through NATS | direct WebSocket | ratio |");
    println!("| --- | --- | --- | --- |");
    for (name, p) in [("p50 µs", 0.5), ("p99 µs", 0.99)] {
        let (a, b) = (pct(&mut n, p), pct(&mut w, p));
        println!("| {name} | {a:.1} | {b:.1} | {:.2} |", a / b);
    }
    d.bridge.shutdown().await;
}
