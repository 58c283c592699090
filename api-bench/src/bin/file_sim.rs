//! The simulator in a process of its own for the file benchmark: serves a file of the size
//! given (in bytes) as `big.bin`, prints its forward WebSocket URL, and runs until its
//! standard input closes.

use api_bench::transfer::{SERVED_NAME, pattern};
use api_sim::{FileKind, SimConfig, Simulator};

#[tokio::main]
async fn main() {
    let size: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("usage: file_sim <bytes>");
    let sim = Simulator::start(SimConfig::default()).await.expect("bind");
    sim.add_file(SERVED_NAME, pattern(size), FileKind::File);
    println!("{}", sim.ws_url("/api"));
    let _ = tokio::task::spawn_blocking(|| {
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new())
    })
    .await;
}
