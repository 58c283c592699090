//! How a connection's reader waits for its next frame: with a few calls in flight, it keeps
//! polling the socket for a short while before it lets its thread sleep.
//!
//! A reply from a server on the same machine often comes back within tens of microseconds.
//! A thread that sleeps meanwhile must be woken when it arrives, and on a virtual machine
//! whose idle CPUs halt at once that wakeup is most of the round trip (BENCHMARKS.md §2,
//! round nine). Polling instead keeps the thread awake for the reply. Between two polls the
//! reader gives way to every other thread on its CPU (`sched_yield`: on a busy machine the
//! server itself may be waiting for that CPU) and to every other task on its worker (tokio's
//! `yield_now`, which also polls the runtime's I/O driver without sleeping), so the wait
//! spends only time that would have been idle.
//!
//! The poll is bounded and learns: it runs only while 1 to [`POLL_UP_TO_CALLS`] calls are in
//! flight (with more, the replies keep coming without a wait, and the CPU time belongs to the
//! server), for at most the configured time. A poll that runs out without a frame makes the
//! reader skip polling for the next 1, 2, 4, … up to [`MOST_SKIPPED`] waits, so a server that
//! answers in milliseconds costs about one poll in that many.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};

use crate::transport::ws::core::WsCore;

/// The default time a reader polls for an expected reply before it sleeps: about the round
/// trip of a small call to a server on the same machine, and the order of the time Linux's
/// own idle polling (`haltpoll`) waits before it halts a CPU.
pub const DEFAULT_REPLY_POLL: Duration = Duration::from_micros(100);

/// The most calls in flight at which the reader polls. With more, the reader seldom waits,
/// and when it does the server is busy with a batch and needs the CPU itself.
pub(super) const POLL_UP_TO_CALLS: usize = 16;

/// The most waits skipped after polls that ran out.
pub(super) const MOST_SKIPPED: u32 = 64;

/// One reader's way of waiting for its next frame.
pub(super) struct ReplyWait {
    /// How long one poll may run; zero never polls.
    budget: Duration,
    /// How many waits to skip polling for, after the last poll that ran out.
    skip: u32,
    /// How many of those have been skipped so far.
    skipped: u32,
}

/// How a poll ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Polled {
    /// A frame came while polling.
    Hit,
    /// The time ran out first.
    RanOut,
    /// No call, or too many, were in flight: nothing to poll for.
    NotNeeded,
}

impl ReplyWait {
    /// A reader's wait that polls for up to `budget`.
    pub(super) fn new(budget: Duration) -> ReplyWait {
        ReplyWait {
            budget,
            skip: 0,
            skipped: 0,
        }
    }

    /// The next item of `stream`: at once if one is ready, else after polling for it (when a
    /// few calls are in flight), else whenever it comes.
    pub(super) async fn next<S>(&mut self, stream: &mut S, core: &WsCore) -> Option<S::Item>
    where
        S: Stream + Unpin,
    {
        let mut next = stream.next();
        if let Poll::Ready(item) = poll_once(&mut next).await {
            return item;
        }
        if self.polls_this_time() {
            // The callers woken by the frame just read run first and send their next calls.
            tokio::task::yield_now().await;
            match poll_until(&mut next, core, Instant::now() + self.budget).await {
                Ok(item) => {
                    self.record(Polled::Hit);
                    return item;
                }
                Err(ended) => self.record(ended),
            }
        }
        next.await
    }

    /// Whether this wait polls: polling is on and not skipped after polls that ran out.
    pub(super) fn polls_this_time(&mut self) -> bool {
        if self.budget.is_zero() {
            return false;
        }
        if self.skipped < self.skip {
            self.skipped += 1;
            return false;
        }
        true
    }

    /// Learns from how a poll ended: one that ran out doubles the waits skipped next (up to
    /// [`MOST_SKIPPED`]); one that found its frame polls again next time.
    pub(super) fn record(&mut self, polled: Polled) {
        match polled {
            Polled::Hit => self.skip = 0,
            Polled::RanOut => self.skip = (self.skip * 2).clamp(1, MOST_SKIPPED),
            Polled::NotNeeded => {}
        }
        self.skipped = 0;
    }
}

/// Polls `future` until it is ready, while 1 to [`POLL_UP_TO_CALLS`] calls are in flight and
/// until `until`, giving way between two polls to the other threads on this CPU (the server
/// may be one of them) and to the other tasks on this worker.
pub(super) async fn poll_until<F: Future + Unpin>(
    future: &mut F,
    core: &WsCore,
    until: Instant,
) -> Result<F::Output, Polled> {
    loop {
        if let Poll::Ready(output) = poll_once(future).await {
            return Ok(output);
        }
        if !core.pending_within(POLL_UP_TO_CALLS) {
            return Err(Polled::NotNeeded);
        }
        if Instant::now() >= until {
            return Err(Polled::RanOut);
        }
        std::thread::yield_now();
        tokio::task::yield_now().await;
    }
}

/// Polls `future` once with the task's own waker, so that it wakes the task when it is ready
/// even if it is not polled again before then.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::task::{Context, Waker};

    use tokio::sync::mpsc;
    use tokio_tungstenite::tungstenite::Message;

    use super::*;
    use crate::events::bus::EventBus;
    use crate::transport::ws::core::Sending;
    use crate::transport::ws::slots::ConnState;

    /// A stream of what is sent into a channel.
    fn channel_stream() -> (
        mpsc::UnboundedSender<&'static str>,
        impl Stream<Item = &'static str> + Unpin,
    ) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        (
            tx,
            futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)),
        )
    }

    /// A connected core with `calls` calls waiting for their replies, and the calls.
    fn core_with_calls(calls: usize) -> (Arc<WsCore>, Vec<Sending<'static>>) {
        let core = WsCore::new(EventBus::new(1, 1024), None);
        let (conn, written) = mpsc::channel::<Message>(calls.max(1));
        core.set_state(ConnState::Up(conn));
        std::mem::forget(written);
        let sent = (0..calls)
            .map(|_| {
                let mut call = core.send("get_status", "{}".into(), Duration::from_secs(3600));
                let polled = Pin::new(&mut call).poll(&mut Context::from_waker(Waker::noop()));
                assert!(polled.is_pending(), "the call did not wait for its reply");
                call
            })
            .collect();
        (core, sent)
    }

    #[test]
    fn each_poll_that_runs_out_doubles_the_waits_skipped_and_a_hit_ends_skipping() {
        let mut wait = ReplyWait::new(DEFAULT_REPLY_POLL);
        assert!(wait.polls_this_time());
        let mut skipped_runs = Vec::new();
        for _ in 0..8 {
            wait.record(Polled::RanOut);
            let mut skipped = 0;
            while !wait.polls_this_time() {
                skipped += 1;
            }
            skipped_runs.push(skipped);
        }
        assert_eq!(skipped_runs, [1, 2, 4, 8, 16, 32, 64, 64]);
        wait.record(Polled::Hit);
        assert!(wait.polls_this_time());
        // Nothing to poll for teaches nothing.
        wait.record(Polled::NotNeeded);
        assert!(wait.polls_this_time());
    }

    #[test]
    fn a_zero_budget_never_polls() {
        let mut wait = ReplyWait::new(Duration::ZERO);
        assert!(!wait.polls_this_time());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn polling_takes_the_frame_another_task_sends_while_a_call_waits() {
        let (core, _calls) = core_with_calls(1);
        let (tx, mut rx) = channel_stream();
        // On this one-thread runtime the sender runs only when the poll gives way.
        tokio::spawn(async move {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            tx.send("reply").unwrap();
        });
        let far = Instant::now() + Duration::from_secs(3600);
        let got = poll_until(&mut rx.next(), &core, far).await;
        assert_eq!(got, Ok(Some("reply")));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn polling_stops_when_its_time_runs_out() {
        let (core, _calls) = core_with_calls(1);
        let (_tx, mut rx) = channel_stream();
        let until = Instant::now() + Duration::from_millis(1);
        let got = poll_until(&mut rx.next(), &core, until).await;
        assert_eq!(got, Err(Polled::RanOut));
        assert!(Instant::now() >= until);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn nothing_is_polled_for_without_calls_or_with_too_many() {
        let far = Instant::now() + Duration::from_secs(3600);
        for calls in [0, POLL_UP_TO_CALLS + 1] {
            let (core, _calls) = core_with_calls(calls);
            let (_tx, mut rx) = channel_stream();
            let got = poll_until(&mut rx.next(), &core, far).await;
            assert_eq!(got, Err(Polled::NotNeeded), "with {calls} calls in flight");
        }
        let (core, _calls) = core_with_calls(POLL_UP_TO_CALLS);
        let (_tx, mut rx) = channel_stream();
        let until = Instant::now() + Duration::from_millis(1);
        let got = poll_until(&mut rx.next(), &core, until).await;
        assert_eq!(
            got,
            Err(Polled::RanOut),
            "with {POLL_UP_TO_CALLS} calls in flight"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_wait_after_polls_that_ran_out_still_gets_its_frame() {
        let (core, _calls) = core_with_calls(1);
        let (tx, mut rx) = channel_stream();
        let mut wait = ReplyWait::new(Duration::from_millis(1));
        // Sent only once the wait has given up polling and sleeps.
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            tx.send("late").unwrap();
            tx
        });
        assert_eq!(wait.next(&mut rx, &core).await, Some("late"));
        let tx = sender.await.unwrap();
        // A frame already there is taken at once, polling or not.
        tx.send("ready").unwrap();
        assert_eq!(wait.next(&mut rx, &core).await, Some("ready"));
    }
}
