//! Runs the peer benchmark and prints its tables.
//!
//! `runner [--depths 1,16,64,256] [--runs 7] [--secs 3] [--clients ours,raw,kovi,runbot,onebot-api]`
//!
//! One echo server process serves the whole benchmark. For each depth, each run starts every
//! client once, one after another, each in a process of its own; the order turns by one client
//! every run and is reversed in every other round of as many runs as there are clients.
//! A client name may carry a socket setting: `ours-nagle` is `ours` with `NODELAY=0`,
//! `raw-nodelay` is `raw` with `NODELAY=1`. `--server-nodelay` sets `TCP_NODELAY` on the
//! server's WebSocket sockets. Clients named `reqwest` or `*-http` are given the server's HTTP
//! URL: `--clients ours-http,reqwest` is the HTTP comparison.
//!
//! `--pin same` runs the server and every client on CPU 0, `--pin apart` the server on CPU 0
//! and the clients on CPU 1 (with `taskset`); by default the system places them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One client process's report.
#[derive(Debug, Clone, Copy)]
struct Report {
    calls_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us_per_call: f64,
}

struct Options {
    depths: Vec<usize>,
    runs: usize,
    secs: f64,
    clients: Vec<String>,
    server_nodelay: bool,
    pin: Pin,
}

/// Where the processes run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pin {
    /// Where the system places them.
    None,
    /// Server and client on CPU 0: every wakeup finds a running CPU.
    Same,
    /// Server on CPU 0, client on CPU 1: every wakeup crosses CPUs.
    Apart,
}

impl Pin {
    /// A command running `program`, pinned for the server or for a client.
    fn command(self, program: &Path, server: bool) -> Command {
        let cpu = match (self, server) {
            (Pin::None, _) => return Command::new(program),
            (Pin::Same, _) | (Pin::Apart, true) => "0",
            (Pin::Apart, false) => "1",
        };
        let mut command = Command::new("taskset");
        command.args(["-c", cpu]).arg(program);
        command
    }
}

fn options() -> Options {
    let mut options = Options {
        depths: vec![1, 16, 64, 256],
        runs: 7,
        secs: 3.0,
        clients: ["ours", "raw", "kovi", "runbot", "onebot-api"]
            .map(String::from)
            .to_vec(),
        server_nodelay: false,
        pin: Pin::None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--server-nodelay" {
            options.server_nodelay = true;
            continue;
        }
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--depths" => {
                options.depths = value
                    .split(',')
                    .map(|d| d.parse().expect("--depths: whole numbers"))
                    .collect()
            }
            "--runs" => options.runs = value.parse().expect("--runs: a whole number"),
            "--secs" => options.secs = value.parse().expect("--secs: a number"),
            "--clients" => options.clients = value.split(',').map(String::from).collect(),
            "--pin" => {
                options.pin = match value.as_str() {
                    "same" => Pin::Same,
                    "apart" => Pin::Apart,
                    "none" => Pin::None,
                    other => panic!("--pin {other}: same, apart or none"),
                }
            }
            other => panic!("unknown option {other}; see the comment at the top of runner"),
        }
    }
    options
}

/// The driver binary and its `NODELAY` setting for a client name (`ours-http` is `drive-ours`,
/// given the HTTP URL).
fn driver(client: &str) -> (PathBuf, Option<&'static str>) {
    let (base, nodelay) = match client.rsplit_once('-') {
        Some((base, "nagle")) => (base, Some("0")),
        Some((base, "nodelay")) => (base, Some("1")),
        Some((base, "http")) => (base, None),
        _ => (client, None),
    };
    let dir = std::env::current_exe()
        .expect("own path")
        .parent()
        .expect("target directory")
        .to_path_buf();
    (dir.join(format!("drive-{base}")), nodelay)
}

/// Whether `client` calls over HTTP.
fn is_http(client: &str) -> bool {
    client == "reqwest" || client.ends_with("-http")
}

/// Runs one client process; `Err` says why it failed (its panic message, or its exit status).
fn run_client(
    client: &str,
    urls: &Urls,
    options: &Options,
    depth: usize,
) -> Result<Report, String> {
    let (binary, nodelay) = driver(client);
    let url = if is_http(client) {
        &urls.http
    } else {
        &urls.ws
    };
    let secs = options.secs;
    let mut command = options.pin.command(&binary, false);
    command.args([url, &secs.to_string(), &depth.to_string()]);
    command.env_remove("NODELAY");
    if let Some(setting) = nodelay {
        command.env("NODELAY", setting);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(line) = stdout.lines().find(|l| l.starts_with("calls=")) else {
        // A driver's panic: the line after "panicked at" holds its message.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut lines = stderr.lines().skip_while(|l| !l.contains("panicked at"));
        let why = lines
            .nth(1)
            .map_or_else(|| output.status.to_string(), str::to_owned);
        return Err(why);
    };
    let field = |key: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{client}: no {key} in {line}"))
    };
    let calls = field("calls");
    Ok(Report {
        calls_per_sec: calls / field("secs"),
        p50_us: field("p50_us"),
        p99_us: field("p99_us"),
        cpu_us_per_call: field("cpu_s") * 1e6 / calls,
    })
}

/// The echo server's two URLs.
struct Urls {
    ws: String,
    http: String,
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    let options = options();
    let server_path = driver("echo-server").0.with_file_name("echo-server");
    let mut server = options
        .pin
        .command(&server_path, true)
        .env("NODELAY", if options.server_nodelay { "1" } else { "0" })
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", server_path.display()));
    let mut lines = BufReader::new(server.stdout.take().expect("server stdout")).lines();
    let mut next_url = || lines.next().expect("a server URL").expect("server output");
    let urls = Urls {
        ws: next_url(),
        http: next_url(),
    };
    println!(
        "server {} and {}, TCP_NODELAY {} on its WebSocket sockets; placement {:?}; {} runs of {} s per client and depth",
        urls.ws,
        urls.http,
        if options.server_nodelay { "on" } else { "off" },
        options.pin,
        options.runs,
        options.secs
    );
    let first = options.clients[0].clone();
    for &depth in &options.depths {
        // reports[client][run]; a client that failed once is not run again at this depth.
        let mut reports = vec![Vec::new(); options.clients.len()];
        let mut failed: Vec<Option<String>> = vec![None; options.clients.len()];
        for run in 0..options.runs {
            let mut order: Vec<usize> = (0..options.clients.len()).collect();
            // Each client is first once in every `n` runs, and the order is reversed in every
            // other round of `n` runs, so each client follows each other client as often as it
            // precedes it.
            let n = order.len();
            order.rotate_left(run % n);
            if (run / n) % 2 == 1 {
                order.reverse();
            }
            for i in order {
                if failed[i].is_some() {
                    continue;
                }
                let report = match run_client(&options.clients[i], &urls, &options, depth) {
                    Ok(report) => report,
                    Err(why) => {
                        eprintln!(
                            "depth {depth} run {run} {} failed: {why}",
                            options.clients[i]
                        );
                        failed[i] = Some(why);
                        continue;
                    }
                };
                eprintln!(
                    "depth {depth} run {run} {}: {:.0} calls/s, p50 {:.1} µs, p99 {:.1} µs",
                    options.clients[i], report.calls_per_sec, report.p50_us, report.p99_us
                );
                reports[i].push(report);
            }
        }
        println!();
        println!("depth {depth}");
        println!(
            "| client | calls/s, median (min–max) | ratio of medians to {first} | median of run ratios | p50 µs | p99 µs | CPU µs per call |"
        );
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        let rate = |i: usize| median(reports[i].iter().map(|r| r.calls_per_sec).collect());
        for (i, client) in options.clients.iter().enumerate() {
            if let Some(why) = &failed[i] {
                println!("| {client} | failed: {why} | | | | | |");
                continue;
            }
            let rates: Vec<f64> = reports[i].iter().map(|r| r.calls_per_sec).collect();
            let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
            let max = rates.iter().copied().fold(0.0, f64::max);
            let run_ratios: Vec<f64> = reports[i]
                .iter()
                .zip(&reports[0])
                .map(|(r, base)| r.calls_per_sec / base.calls_per_sec)
                .collect();
            println!(
                "| {client} | {:.0} ({:.0}–{:.0}) | {:.3} | {:.3} | {:.1} | {:.1} | {:.1} |",
                rate(i),
                min,
                max,
                rate(i) / rate(0),
                median(run_ratios),
                median(reports[i].iter().map(|r| r.p50_us).collect()),
                median(reports[i].iter().map(|r| r.p99_us).collect()),
                median(reports[i].iter().map(|r| r.cpu_us_per_call).collect()),
            );
        }
    }
    drop(server.stdin.take());
    let _ = server.wait();
}
