//! Timing helpers: repeat, keep the median.

use std::time::{Duration, Instant};

/// Runs `f` `rounds` times and returns the median duration of one run.
pub fn median<F: FnMut()>(rounds: usize, mut f: F) -> Duration {
    median_timed(rounds, || {
        let t = Instant::now();
        f();
        t.elapsed()
    })
}

/// Runs `f` `rounds` times and returns the median of the durations it reports (for runs
/// whose set-up, such as editing a file, must not count).
pub fn median_timed<F: FnMut() -> Duration>(rounds: usize, mut f: F) -> Duration {
    let mut times: Vec<Duration> = (0..rounds).map(|_| f()).collect();
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

/// What [`compare_paired`] measured.
pub struct Paired {
    /// Median time of one run of `a`.
    pub a: Duration,
    /// Median time of one run of `b`.
    pub b: Duration,
    /// Median of the rounds' `a / b` ratios.
    pub ratio: f64,
    /// Lowest and highest of the rounds' ratios.
    pub spread: (f64, f64),
}

/// Like [`compare`], and also the median of each round's own ratio: a round runs `a` and `b`
/// back to back, so a machine that gets busier or quieter over the run moves that ratio less
/// than it moves the ratio of the two medians.
pub fn compare_paired<A: FnMut(), B: FnMut()>(rounds: usize, mut a: A, mut b: B) -> Paired {
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        a();
        let da = t.elapsed();
        let t = Instant::now();
        b();
        let db = t.elapsed();
        ta.push(da);
        tb.push(db);
        ratios.push(da.as_secs_f64() / db.as_secs_f64());
    }
    ta.sort();
    tb.sort();
    ratios.sort_by(f64::total_cmp);
    Paired {
        a: ta[rounds / 2],
        b: tb[rounds / 2],
        ratio: ratios[rounds / 2],
        spread: (ratios[0], ratios[rounds - 1]),
    }
}

/// The median of `values` (sorted in place).
pub fn median_of(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The `p` quantile (0.5 for the median, 0.99 for p99) of `times`, in microseconds (sorted in
/// place).
pub fn percentile_us(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    let at = ((times.len() as f64 * p) as usize).min(times.len() - 1);
    times[at].as_secs_f64() * 1e6
}
