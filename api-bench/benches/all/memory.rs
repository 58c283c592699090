//! Memory per pending call.

use std::future::IntoFuture;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::counting::{ALLOCATED, COUNTING};
use api_bench::servers;
use api_bench::transfer::rss_kib;
use api_core::Client;

pub(crate) async fn memory() {
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
pub(crate) async fn memory_with(pending: usize) {
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
