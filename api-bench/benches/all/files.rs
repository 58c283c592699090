//! File uploads and downloads.

use std::path::Path;

/// Moving a 200 MiB file through the simulator over forward WebSocket: the generated client
/// against a raw tokio-tungstenite client sending the same chunks, each run a process of its
/// own so that its peak resident size is the client's alone.
pub(crate) fn files() {
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
