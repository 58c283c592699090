//! Load without loss: many tasks share one client while the server restarts at random
//! moments. Every call ends (no hang past its timeout) with a result or a clear error, and
//! successes plus errors equal the calls made. Bounded to about two seconds per transport.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use api_core::{Client, Error, ReverseOptions, ReverseServer};
use api_sim::{SimConfig, Simulator};

const TASKS: usize = 32;
const RUN_FOR: Duration = Duration::from_secs(2);
const CALL_TIMEOUT: Duration = Duration::from_millis(400);

#[derive(Default)]
struct Tally {
    started: AtomicUsize,
    ok: AtomicUsize,
    disconnected: AtomicUsize,
    timed_out: AtomicUsize,
    transport: AtomicUsize,
    other: AtomicUsize,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Http,
    Ws,
    Reverse,
}

async fn start(kind: Kind, reverse_url: &str) -> Simulator {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    if kind == Kind::Reverse {
        // The link serves on its own task until the simulator stops; its result is not needed.
        drop(sim.connect_reverse(reverse_url, None));
    }
    sim
}

async fn soak(kind: Kind) {
    // The reverse account's calls get the same timeout as the other transports' (the default
    // is 30 s): a call left waiting for a connection when the server stops for good ends
    // within it.
    let options = ReverseOptions {
        timeout: CALL_TIMEOUT,
        ..ReverseOptions::default()
    };
    let mut reverse = ReverseServer::bind(([127, 0, 0, 1], 0).into(), options)
        .await
        .unwrap();
    let reverse_url = format!("ws://{}/", reverse.local_addr());
    let sim = start(kind, &reverse_url).await;
    let api = match kind {
        Kind::Http => Client::builder()
            .base_url(sim.http_url())
            .timeout(CALL_TIMEOUT)
            .build()
            .unwrap(),
        Kind::Ws => Client::builder()
            .ws_url(sim.ws_url("/api"))
            .timeout(CALL_TIMEOUT)
            .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(100))
            .connect()
            .await
            .unwrap(),
        Kind::Reverse => reverse.accept().await.unwrap().client,
    };

    // Restart the server every 100-350 ms.
    // The calls go on until the restarter is done: at least `RUN_FOR` and at least three
    // restarts, however slowly a busy machine restarts the server.
    let deadline = Instant::now() + RUN_FOR;
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let still_running = running.clone();
    let restarter = tokio::spawn(async move {
        let mut sim = sim;
        let mut restarts = 0usize;
        let mut seed = 7u64;
        while Instant::now() < deadline || restarts < 3 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            tokio::time::sleep(Duration::from_millis(100 + (seed >> 33) % 250)).await;
            // Restarted on the same sockets: no port is given up and bound again, so nothing
            // else can take it in between, however busy the machine.
            sim = sim.restart().unwrap();
            if kind == Kind::Reverse {
                drop(sim.connect_reverse(&reverse_url, None));
            }
            restarts += 1;
        }
        still_running.store(false, Ordering::Relaxed);
        restarts
    });

    let tally = Arc::new(Tally::default());
    let workers: Vec<_> = (0..TASKS)
        .map(|_| {
            let api = api.clone();
            let tally = tally.clone();
            let running = running.clone();
            tokio::spawn(async move {
                while running.load(Ordering::Relaxed) {
                    tally.started.fetch_add(1, Ordering::Relaxed);
                    // A call that outlived its own timeout by far would be a hang.
                    let result =
                        tokio::time::timeout(CALL_TIMEOUT * 5, api.get_status().into_future())
                            .await
                            .expect("a call hung past its timeout");
                    let counter = match result {
                        Ok(_) => &tally.ok,
                        Err(Error::Disconnected { .. }) => &tally.disconnected,
                        Err(Error::Timeout { .. }) => &tally.timed_out,
                        Err(Error::Transport { .. }) => &tally.transport,
                        Err(e) => {
                            eprintln!("unexpected error kind: {e}");
                            &tally.other
                        }
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let restarts = restarter.await.unwrap();
    let t = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    let ended = t(&tally.ok)
        + t(&tally.disconnected)
        + t(&tally.timed_out)
        + t(&tally.transport)
        + t(&tally.other);
    eprintln!(
        "calls {}, ok {}, disconnected {}, timed out {}, transport {}, other {}, restarts {restarts}",
        t(&tally.started),
        t(&tally.ok),
        t(&tally.disconnected),
        t(&tally.timed_out),
        t(&tally.transport),
        t(&tally.other)
    );
    assert_eq!(ended, t(&tally.started), "every call ended exactly once");
    assert_eq!(t(&tally.other), 0, "only clear transport-level errors");
    assert!(restarts >= 3, "the server restarted during the run");
    assert!(t(&tally.ok) > TASKS, "calls succeed between restarts");
    assert_eq!(api.pending_calls(), 0, "no slot is left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_http() {
    soak(Kind::Http).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_forward_ws() {
    soak(Kind::Ws).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_reverse_ws() {
    soak(Kind::Reverse).await;
}
