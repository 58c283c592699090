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

/// Times `a` and `b` alternately, `rounds` times each, and returns both medians, so drift
/// (frequency, other load) affects both sides alike.
pub fn compare<A: FnMut(), B: FnMut()>(rounds: usize, mut a: A, mut b: B) -> (Duration, Duration) {
    let (mut ta, mut tb) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for _ in 0..rounds {
        let t = Instant::now();
        a();
        ta.push(t.elapsed());
        let t = Instant::now();
        b();
        tb.push(t.elapsed());
    }
    ta.sort();
    tb.sort();
    (ta[rounds / 2], tb[rounds / 2])
}
