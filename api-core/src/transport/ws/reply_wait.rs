//! How a connection's reader waits for its next frame: with a few calls in flight, it keeps
//! polling the socket for a short while before it lets its thread sleep.
//!
//! A reply from a server on the same machine often comes back within tens of microseconds.
//! A thread that sleeps meanwhile must be woken when it arrives, and on a virtual machine
//! whose idle CPUs halt at once that wakeup is most of the round trip (BENCHMARKS.md §2,
//! round nine). Polling keeps a thread of the client awake for the reply instead.
//!
//! Between two polls the reader gives way to every other thread on its CPU (`sched_yield`: on
//! a busy machine the server itself may be waiting for that CPU) and to the runtime (tokio's
//! `yield_now`). The runtime then runs the worker's other tasks, the callers among them, and
//! polls the I/O driver without sleeping; on the multi-thread runtime, when another worker
//! holds the driver, the yielding worker wakes a parked one to look for work, and whichever
//! holds the driver sees the reply. So the wait costs the CPU time of those threads while it
//! polls, which BENCHMARKS.md measures (about 20 µs per call at one call in flight).
//!
//! The poll is bounded and learns: it runs only while 1 to [`POLL_UP_TO_CALLS`] calls are in
//! flight (with more, the replies keep coming without a wait, and the CPU time belongs to the
//! server), for at most the configured time. The first poll comes after one turn of the
//! runtime, in which the callers woken by the frame just read send their next calls: a caller
//! woken by the reader usually runs on the reader's worker. One that runs elsewhere (the body
//! of `#[tokio::main]` runs on a thread of its own) may not have sent its call by then; the
//! reader then sleeps as it would without polling. A poll that runs out without a frame makes
//! the reader skip polling for the next 1, 2, 4, … up to [`MOST_SKIPPED`] waits, so a server
//! that answers in milliseconds costs about one poll in that many.

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

/// The longest poll allowed: longer ones would keep a CPU busy for nothing, since a reply that
/// takes longer than this is better waited for asleep.
pub const MAX_REPLY_POLL: Duration = Duration::from_millis(10);

/// Checks a configured poll time against [`MAX_REPLY_POLL`]; the error says what to set.
pub(crate) fn check_reply_poll(poll: Duration) -> Result<(), String> {
    if poll > MAX_REPLY_POLL {
        return Err(format!(
            "reply_poll of {poll:?} is longer than the most allowed, {MAX_REPLY_POLL:?}: a \
             reply slower than that is better waited for asleep; set at most {MAX_REPLY_POLL:?}, \
             or Duration::ZERO to never poll"
        ));
    }
    Ok(())
}

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

/// Why a poll ended without a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Missed {
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
        if self.take_turn() {
            // The callers woken by the frame just read run first and send their next calls.
            tokio::task::yield_now().await;
            // A budget too long to add to the clock (refused where it is set) polls not at all.
            if let Some(until) = Instant::now().checked_add(self.budget) {
                match poll_until(&mut next, core, until).await {
                    Ok(item) => {
                        self.record_hit();
                        return item;
                    }
                    Err(missed) => self.record_miss(missed),
                }
            }
        }
        next.await
    }

    /// Takes this wait's turn: whether it polls (polling is on, and this wait is not one of
    /// those skipped after a poll that ran out).
    pub(super) fn take_turn(&mut self) -> bool {
        if self.budget.is_zero() {
            return false;
        }
        if self.skipped < self.skip {
            self.skipped += 1;
            return false;
        }
        true
    }

    /// A poll found its frame: the next wait polls again.
    pub(super) fn record_hit(&mut self) {
        self.skip = 0;
        self.skipped = 0;
    }

    /// A poll ended without its frame: one that ran out doubles the waits skipped next (up to
    /// [`MOST_SKIPPED`]); one with nothing to poll for teaches nothing.
    pub(super) fn record_miss(&mut self, missed: Missed) {
        if missed == Missed::RanOut {
            self.skip = (self.skip * 2).clamp(1, MOST_SKIPPED);
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
) -> Result<F::Output, Missed> {
    loop {
        if let Poll::Ready(output) = poll_once(future).await {
            return Ok(output);
        }
        if !core.pending_within(POLL_UP_TO_CALLS) {
            return Err(Missed::NotNeeded);
        }
        if Instant::now() >= until {
            return Err(Missed::RanOut);
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

    /// A call's timeout that never runs out in a test.
    const FAR: Duration = Duration::from_secs(3600);
    /// A poll longer than a few turns of the runtime take, however loaded the machine: a poll
    /// that should find its frame and runs out instead shows a poll that does not give way.
    const LONG_POLL: Duration = Duration::from_secs(10);

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

    /// A connected core with `calls` calls waiting for their replies; the calls, and the
    /// connection's queue, which holds their frames.
    struct Connected {
        core: Arc<WsCore>,
        _calls: Vec<Sending<'static>>,
        _queue: mpsc::Receiver<Message>,
    }

    fn connected_with_calls(calls: usize) -> Connected {
        let core = WsCore::new(EventBus::new(1, 1024), None);
        let (conn, queue) = mpsc::channel::<Message>(calls.max(1));
        core.set_state(ConnState::Up(conn));
        let calls = (0..calls)
            .map(|_| {
                let mut call = core.send("get_status", "{}".into(), FAR);
                let polled = Pin::new(&mut call).poll(&mut Context::from_waker(Waker::noop()));
                assert!(polled.is_pending(), "the call did not wait for its reply");
                call
            })
            .collect();
        Connected {
            core,
            _calls: calls,
            _queue: queue,
        }
    }

    /// How many waits after the last one pass without polling.
    fn waits_skipped(wait: &mut ReplyWait) -> u32 {
        let mut skipped = 0;
        while !wait.take_turn() {
            skipped += 1;
        }
        skipped
    }

    #[test]
    fn each_poll_that_runs_out_doubles_the_waits_skipped_and_a_hit_ends_skipping() {
        let mut wait = ReplyWait::new(DEFAULT_REPLY_POLL);
        assert!(wait.take_turn());
        let skipped: Vec<u32> = (0..8)
            .map(|_| {
                wait.record_miss(Missed::RanOut);
                waits_skipped(&mut wait)
            })
            .collect();
        assert_eq!(skipped, [1, 2, 4, 8, 16, 32, 64, 64]);
        wait.record_hit();
        assert!(wait.take_turn());
        // Nothing to poll for teaches nothing.
        wait.record_miss(Missed::NotNeeded);
        assert!(wait.take_turn());
    }

    #[test]
    fn a_zero_budget_never_polls_and_a_budget_over_the_most_is_refused() {
        let mut wait = ReplyWait::new(Duration::ZERO);
        assert!(!wait.take_turn());
        assert!(check_reply_poll(MAX_REPLY_POLL).is_ok());
        let refused = check_reply_poll(Duration::MAX).unwrap_err();
        assert!(refused.contains("at most 10ms"), "{refused}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn polling_takes_the_frame_another_task_sends_while_a_call_waits() {
        let conn = connected_with_calls(1);
        let (tx, mut rx) = channel_stream();
        // On this one-thread runtime the sender runs only when the poll gives way.
        tokio::spawn(async move {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            tx.send("reply").unwrap();
        });
        let got = poll_until(&mut rx.next(), &conn.core, Instant::now() + LONG_POLL).await;
        assert_eq!(got, Ok(Some("reply")));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn polling_stops_when_its_time_runs_out() {
        let conn = connected_with_calls(1);
        let (_tx, mut rx) = channel_stream();
        let until = Instant::now() + Duration::from_millis(1);
        let got = poll_until(&mut rx.next(), &conn.core, until).await;
        assert_eq!(got, Err(Missed::RanOut));
        assert!(Instant::now() >= until);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn nothing_is_polled_for_without_calls_or_with_too_many() {
        for calls in [0, POLL_UP_TO_CALLS + 1] {
            let conn = connected_with_calls(calls);
            let (_tx, mut rx) = channel_stream();
            let got = poll_until(&mut rx.next(), &conn.core, Instant::now() + LONG_POLL).await;
            assert_eq!(got, Err(Missed::NotNeeded), "with {calls} calls in flight");
        }
        let conn = connected_with_calls(POLL_UP_TO_CALLS);
        let (_tx, mut rx) = channel_stream();
        let until = Instant::now() + Duration::from_millis(1);
        let got = poll_until(&mut rx.next(), &conn.core, until).await;
        assert_eq!(got, Err(Missed::RanOut), "with {POLL_UP_TO_CALLS} calls");
    }

    /// The runtime's clock is paused: a sleeping task wakes only once nothing else can run,
    /// that is once the reader stopped polling and sleeps.
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_reader_learns_from_its_polls_and_gets_every_frame() {
        let conn = connected_with_calls(1);
        let (tx, mut rx) = channel_stream();
        let mut wait = ReplyWait::new(Duration::from_millis(1));

        // Sent only once the reader sleeps: the poll ran out, the frame still comes.
        let sender = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            sender.send("late").unwrap();
        });
        assert_eq!(wait.next(&mut rx, &conn.core).await, Some("late"));
        assert_eq!(wait.skip, 1, "the poll that ran out was not counted");

        // The next wait does not poll (a frame sent only once the reader sleeps).
        let sender = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            sender.send("skipped").unwrap();
        });
        assert_eq!(wait.next(&mut rx, &conn.core).await, Some("skipped"));
        assert_eq!((wait.skip, wait.skipped), (1, 1));

        // The one after polls, and its frame, sent while it polls, is a hit.
        wait.budget = LONG_POLL;
        let sender = tx.clone();
        tokio::spawn(async move {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            sender.send("polled").unwrap();
        });
        assert_eq!(wait.next(&mut rx, &conn.core).await, Some("polled"));
        assert_eq!(wait.skip, 0, "the frame found while polling was not a hit");

        // A frame already there is taken at once.
        tx.send("ready").unwrap();
        assert_eq!(wait.next(&mut rx, &conn.core).await, Some("ready"));
    }
}
