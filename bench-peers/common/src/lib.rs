//! What every driver shares: the command line (`<ws-url> <seconds> <calls in flight>`), the
//! timed loop that keeps that many calls in flight, and the one line it prints for the runner.
//!
//! Each driver makes one untimed call first (a connected client, warmed), then keeps `depth`
//! loops calling for `seconds`, each timing its own round trips. The report line is
//! `calls=<n> secs=<elapsed> p50_us=<..> p99_us=<..> cpu_s=<user+system of the process>`.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// The driver's command line.
#[derive(Debug, Clone)]
pub struct Args {
    /// The echo server's URL, `ws://127.0.0.1:<port>`.
    pub url: String,
    /// How long the timed part runs.
    pub secs: Duration,
    /// Calls kept in flight.
    pub depth: usize,
}

impl Args {
    /// Reads `<ws-url> <seconds> <calls in flight>` from the process's arguments.
    pub fn from_env() -> Args {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let [url, secs, depth] = args.as_slice() else {
            eprintln!("usage: <driver> <ws-url> <seconds> <calls in flight>");
            std::process::exit(2);
        };
        Args {
            url: url.clone(),
            secs: Duration::from_secs_f64(secs.parse().expect("seconds: a number")),
            depth: depth.parse().expect("calls in flight: a whole number"),
        }
    }

    /// Whether the driver should set `TCP_NODELAY` (environment `NODELAY=1`); each driver
    /// documents its default.
    pub fn nodelay(default: bool) -> bool {
        match std::env::var("NODELAY").as_deref() {
            Ok("1") => true,
            Ok("0") => false,
            _ => default,
        }
    }
}

/// Runs `depth` loops of `call` for `secs` on the current tokio runtime, then prints the report
/// line and exits the process (some clients' own tasks would otherwise keep it alive).
///
/// Each call gets its own clone of `client`. `call` returns the user id read from the reply,
/// so that every client decodes it.
pub async fn drive<C, F, Fut>(args: &Args, client: C, call: F) -> !
where
    C: Clone + Send + 'static,
    F: Fn(C) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = i64> + Send,
{
    let warm = call(client.clone()).await;
    assert_eq!(warm, 10001, "the echo server's user id");
    let start = Instant::now();
    let end = start + args.secs;
    let loops: Vec<_> = (0..args.depth)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut took = Vec::with_capacity(1 << 16);
                loop {
                    let sent = Instant::now();
                    if sent >= end {
                        return took;
                    }
                    let id = call(client.clone()).await;
                    took.push(sent.elapsed());
                    std::hint::black_box(id);
                }
            })
        })
        .collect();
    let mut took = Vec::new();
    for one in loops {
        took.extend(one.await.expect("a calling loop panicked"));
    }
    let elapsed = start.elapsed();
    took.sort_unstable();
    let at = |q: f64| took[((took.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
    println!(
        "calls={} secs={:.4} p50_us={:.2} p99_us={:.2} cpu_s={:.3}",
        took.len(),
        elapsed.as_secs_f64(),
        at(0.5),
        at(0.99),
        cpu_seconds()
    );
    std::process::exit(0)
}

/// NapCat's reply to `get_login_info`, read into plain structs: what the hand-written clients
/// decode.
#[derive(Debug, Deserialize)]
pub struct LoginInfoReply {
    /// 0 for success.
    pub retcode: i64,
    /// The account.
    pub data: LoginInfo,
}

/// The account in a `get_login_info` reply.
#[derive(Debug, Deserialize)]
pub struct LoginInfo {
    /// Its QQ number.
    pub user_id: i64,
    /// Its nickname.
    pub nickname: String,
}

/// User plus system time of this process so far, from `/proc/self/stat` (0 where absent).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line; the split leaves field 3 at index 0.
    // Clock ticks are taken as 100 a second, the Linux default.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}
