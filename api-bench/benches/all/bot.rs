//! The dispatcher (`api-bot`) against a bare `events().recv()` loop calling the same handler,
//! and paced sends against their configured rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use api_bench::{payloads, servers, timing};
use api_bot::dispatcher::Bot;
use api_bot::extract::State;
use api_core::types::{Event, MessageEvent};
use api_core::{Client, GroupId, Pacing, Rate};
use api_sim::{SimConfig, Simulator};
use tokio::sync::Notify;

use crate::shared::verdict;

/// What both sides run for each message: counts it, and says when the count is reached.
#[derive(Clone)]
struct Counter {
    seen: Arc<AtomicUsize>,
    target: usize,
    reached: Arc<Notify>,
}

impl Counter {
    fn new(target: usize) -> Counter {
        Counter {
            seen: Arc::new(AtomicUsize::new(0)),
            target,
            reached: Arc::new(Notify::new()),
        }
    }
}

/// The handler: reads the message's text, counts it.
async fn handle(m: MessageEvent, State(counter): State<Counter>) {
    std::hint::black_box(m.message.plain_text());
    if counter.seen.fetch_add(1, Ordering::Relaxed) + 1 == counter.target {
        counter.reached.notify_one();
    }
}

pub(crate) async fn bot() {
    println!("\n## The dispatcher\n");
    throughput().await;
    latency().await;
    paced_rate().await;
}

/// Events per second: a burst pushed at once, through the dispatcher and
/// through a bare loop awaiting the handler for each.
async fn throughput() {
    const PUSHED: usize = 50_000;
    const BURSTS: usize = 15;
    let pushed: Vec<String> = (0..PUSHED).map(payloads::group_message_event).collect();
    let addr = servers::event_pusher(Arc::new(pushed)).await;
    let url = format!("ws://{addr}/");
    let connect = || async {
        Client::builder()
            .ws_url(&url)
            .event_buffer(PUSHED)
            .connect()
            .await
            .unwrap()
    };
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..BURSTS {
        let api = connect().await;
        let counter = Counter::new(PUSHED);
        let reached = counter.reached.clone();
        let bot = Bot::new().state(counter).on(handle);
        // Both sides run where the bench runs (as a bot's `main` would), not in a task of
        // their own: the bot subscribes when first polled, then the burst is asked for.
        let started = Instant::now();
        let (summary, ()) = futures_util::join!(
            bot.run_until(api.clone(), async move { reached.notified().await }),
            async {
                api.call_json("get_status", serde_json::json!({}))
                    .await
                    .unwrap();
            }
        );
        ours.push(PUSHED as f64 / started.elapsed().as_secs_f64());
        assert_eq!(summary.lagged, 0);
        drop(api);

        let api = connect().await;
        let counter = Counter::new(PUSHED);
        let mut events = api.events();
        let started = Instant::now();
        api.call_json("get_status", serde_json::json!({}))
            .await
            .unwrap();
        while counter.seen.load(Ordering::Relaxed) < PUSHED {
            if let Ok(Event::Message(m)) = events.recv().await {
                handle(m, State(counter.clone())).await;
            }
        }
        bare.push(PUSHED as f64 / started.elapsed().as_secs_f64());
    }
    let mut ratios: Vec<f64> = ours.iter().zip(&bare).map(|(o, b)| o / b).collect();
    let ratio = timing::median_of(&mut ratios);
    let (ours, bare) = (timing::median_of(&mut ours), timing::median_of(&mut bare));
    println!(
        "| {PUSHED} group messages pushed at once over forward WebSocket ({BURSTS} alternating bursts) | dispatcher (`Bot::run_until`) | bare `events().recv()` loop, same handler | ratio | target ≥ 0.9× |"
    );
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| handled per second, median | {ours:.0} | {bare:.0} | {ratio:.3} | {} |",
        verdict(ratio >= 0.9)
    );
}

/// The time from an injected message to its handler's end, one event in flight, through the
/// dispatcher and through the bare loop; the difference is what the dispatcher adds.
async fn latency() {
    const EVENTS: usize = 2_000;
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let api = Client::builder()
        .ws_url(sim.ws_url("/"))
        .connect()
        .await
        .unwrap();
    sim.wait_for_event_clients(1).await;
    let one = |counter: &Counter| {
        let sim = &sim;
        let counter = counter.clone();
        async move {
            let mut times = Vec::with_capacity(EVENTS);
            for n in 0..EVENTS {
                let started = Instant::now();
                let reached = counter.reached.notified();
                sim.inject_private_message(123456, serde_json::json!(format!("ping {n}")));
                reached.await;
                times.push(started.elapsed());
            }
            times
        }
    };
    // The dispatcher: its handler says when each event is done.
    let per_event = Counter::new(usize::MAX);
    let bot = Bot::new().state(per_event.clone()).on(
        move |m: MessageEvent, State(c): State<Counter>| async move {
            std::hint::black_box(m.message.plain_text());
            c.seen.fetch_add(1, Ordering::Relaxed);
            c.reached.notify_one();
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(bot.run_until(api.clone(), async {
        let _ = stopped.await;
    }));
    tokio::task::yield_now().await;
    let mut ours = one(&per_event).await;
    let _ = stop.send(());
    run.await.unwrap();
    // The bare loop, in a task as the dispatcher's is.
    let bare_counter = Counter::new(usize::MAX);
    let looping = bare_counter.clone();
    let mut events = api.events();
    let bare_loop = tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            if let Event::Message(m) = event {
                std::hint::black_box(m.message.plain_text());
                looping.seen.fetch_add(1, Ordering::Relaxed);
                looping.reached.notify_one();
            }
        }
    });
    let mut bare = one(&bare_counter).await;
    bare_loop.abort();
    let (o50, b50) = (
        timing::percentile_us(&mut ours, 0.5),
        timing::percentile_us(&mut bare, 0.5),
    );
    let (o99, b99) = (
        timing::percentile_us(&mut ours, 0.99),
        timing::percentile_us(&mut bare, 0.99),
    );
    println!(
        "\n| one event in flight, {EVENTS} private messages injected into the simulator | dispatcher µs | bare loop µs | added by the dispatcher µs |"
    );
    println!("| --- | --- | --- | --- |");
    println!("| median | {o50:.1} | {b50:.1} | {:.1} |", o50 - b50);
    println!("| p99 | {o99:.1} | {b99:.1} | {:.1} |", o99 - b99);
}

/// Paced sends over 10 s: as many sends as the rate allows and more, all made at once; the
/// sends that went out within the window against the configured rate.
async fn paced_rate() {
    const RATE: u32 = 20;
    const BURST: u32 = 5;
    const WINDOW: Duration = Duration::from_secs(10);
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let api = Client::builder()
        .ws_url(sim.ws_url("/api"))
        .pacing(Pacing {
            account: Some(Rate::per_second(RATE).burst(BURST)),
            chat: None,
            max_queued: 1024,
        })
        .connect()
        .await
        .unwrap();
    let started = Instant::now();
    let sends: Vec<_> = (0..(RATE as usize * 12))
        .map(|n| {
            let call = api.send_group_msg(GroupId(100200), format!("{n}"));
            tokio::spawn(async move {
                call.await.unwrap();
                started.elapsed()
            })
        })
        .collect();
    let mut done = Vec::new();
    for send in sends {
        done.push(send.await.unwrap());
    }
    let in_window = done.iter().filter(|t| **t < WINDOW).count();
    let rate = (in_window - BURST as usize) as f64 / WINDOW.as_secs_f64();
    let off = (rate - RATE as f64).abs() / RATE as f64;
    println!(
        "\n| paced sends, {RATE}/s with bursts of {BURST}, {} made at once | sent within {} s | measured rate after the burst | off by | target within 5% |",
        done.len(),
        WINDOW.as_secs()
    );
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| `send_group_msg` over WebSocket to the simulator | {in_window} | {rate:.2}/s | {:.1}% | {} |",
        off * 100.0,
        verdict(off <= 0.05)
    );
}
