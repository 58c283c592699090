//! Timing helpers: repeat, keep the median.

use std::time::{Duration, Instant};

/// Runs `f` `rounds` times and returns the median duration of one run.
pub fn median<F: FnMut()>(rounds: usize, mut f: F) -> Duration {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Per-item time in microseconds.
pub fn micros(d: Duration, items: usize) -> f64 {
    d.as_secs_f64() * 1e6 / items as f64
}
