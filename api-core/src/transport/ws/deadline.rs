//! One sleep per WebSocket connection for the deadlines of all its calls in flight, instead of
//! a timer per call.
//!
//! Each call keeps its deadline beside its reply slot. The connection's sleeper looks through
//! the slots, ends the calls whose time ran out and sleeps until the soonest deadline left.
//! A caller whose deadline is sooner than that wakes it. Calls are usually answered long
//! before their deadline, so the sleeper wakes about once per timeout, and sending a call costs
//! one clock read and one shared read, no timer registration.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Notify;
use tokio::time::Instant;

/// What the sleeper waits for, read by every caller.
#[derive(Debug)]
pub(crate) struct DeadlineSleeper {
    /// Deadlines are kept as nanoseconds after this.
    base: Instant,
    /// The deadline the sleeper waits for; `u64::MAX` while it looks through the slots (any
    /// deadline stored meanwhile wakes it again) or waits for none.
    armed: AtomicU64,
    wake: Notify,
}

impl DeadlineSleeper {
    pub(crate) fn new() -> DeadlineSleeper {
        DeadlineSleeper {
            base: Instant::now(),
            armed: AtomicU64::new(u64::MAX),
            wake: Notify::new(),
        }
    }

    /// A call with deadline `at` was stored where the sleeper looks: wakes it if `at` is
    /// sooner than what it waits for.
    pub(crate) fn watch(&self, at: Instant) {
        if self.ticks(at) < self.armed.load(Ordering::SeqCst) {
            self.wake.notify_one();
        }
    }

    /// Called before looking through the slots: a deadline stored from now on, in a slot
    /// already looked at, must wake the sleeper again.
    pub(crate) fn looking(&self) {
        self.armed.store(u64::MAX, Ordering::SeqCst);
    }

    /// Sleeps until `next`, the soonest deadline found, or until a caller stores a sooner one.
    pub(crate) async fn sleep(&self, next: Option<Instant>) {
        match next {
            Some(at) => {
                self.armed.store(self.ticks(at), Ordering::SeqCst);
                tokio::select! {
                    () = tokio::time::sleep_until(at) => {}
                    () = self.wake.notified() => {}
                }
            }
            None => self.wake.notified().await,
        }
    }

    /// `at` in nanoseconds after `base`, below `u64::MAX`.
    fn ticks(&self, at: Instant) -> u64 {
        let nanos = at.saturating_duration_since(self.base).as_nanos();
        u64::try_from(nanos).unwrap_or(u64::MAX).min(u64::MAX - 1)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Whether the sleeper was woken (a permit is waiting).
    async fn woken(s: &DeadlineSleeper) -> bool {
        tokio::select! {
            biased;
            () = s.wake.notified() => true,
            () = std::future::ready(()) => false,
        }
    }

    #[tokio::test]
    async fn a_sooner_deadline_wakes_the_sleeper_and_a_later_one_does_not() {
        let s = DeadlineSleeper::new();
        let t0 = Instant::now();
        s.armed.store(s.ticks(t0 + 30 * MS), Ordering::SeqCst);
        s.watch(t0 + 40 * MS);
        assert!(!woken(&s).await);
        s.watch(t0 + 10 * MS);
        assert!(woken(&s).await);
    }

    #[tokio::test]
    async fn any_deadline_wakes_it_while_it_looks_or_waits_for_none() {
        let s = DeadlineSleeper::new();
        s.watch(Instant::now() + 3_600_000 * MS);
        assert!(woken(&s).await, "waiting for none");
        s.armed.store(0, Ordering::SeqCst);
        s.looking();
        s.watch(Instant::now() + 3_600_000 * MS);
        assert!(woken(&s).await, "while looking");
    }

    #[tokio::test]
    async fn the_sleep_ends_at_the_deadline_or_when_woken() {
        let s = DeadlineSleeper::new();
        let t0 = Instant::now();
        s.sleep(Some(t0 + 5 * MS)).await;
        assert!(Instant::now() >= t0 + 5 * MS);
        let sleeping = s.sleep(Some(t0 + 3_600_000 * MS));
        let waker = async {
            tokio::task::yield_now().await;
            s.watch(Instant::now() + MS);
        };
        let both = async { tokio::join!(sleeping, waker) };
        tokio::time::timeout(Duration::from_secs(60), both)
            .await
            .expect("the sooner deadline woke the sleeper");
    }
}
