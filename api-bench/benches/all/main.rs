//! All benchmarks in one run: `cargo bench -p api-bench`. Prints Markdown tables; the numbers
//! in BENCHMARKS.md come from this output.

mod bot;
mod counting;
mod decoding;
mod events;
mod files;
mod http;
mod memory;
mod nats;
mod rebuild;
mod shared;
mod ws;

use std::time::Instant;

use bot::bot;
use decoding::decoding;
use events::events;
use files::files;
use http::{http_overhead, large_requests};
use memory::memory;
use nats::nats;
use rebuild::build_cost;
use ws::{reverse_fleet, ws_latency, ws_throughput};

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

/// `BENCH_ONLY=overhead,ws,reverse,decode,memory,events,bot,build,files,nats` runs only those
/// sections.
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
    if enabled("bot") {
        rt.block_on(bot());
    }
    if enabled("build") {
        build_cost();
    }
    if enabled("files") {
        files();
    }
    if enabled("nats") {
        rt.block_on(nats());
    }
    println!(
        "\nall benchmarks took {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
