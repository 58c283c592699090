//! Paced sends: limits on how fast a client sends messages, per account and per chat, so
//! that an account stays out of QQ's risk control whatever code sends. Off by default
//! ([`ClientBuilder::pacing`](crate::client::builder::ClientBuilder::pacing),
//! [`Client::set_pacing`](crate::client::Client::set_pacing)).
//!
//! Each limit is a token bucket: `count` sends per `per`, up to `burst` at once after a
//! quiet spell. A send waits for its turn before it goes out (the wait is not part of its
//! timeout); one chat's sends go one after another in the order they were made: each waits
//! for its turn under the limits and for the reply to the one before it (or its failure),
//! so they reach NapCat, and the chat, in that order, over any transport; at most
//! `max_queued` sends wait at once, and further ones wait to join
//! the queue (back-pressure on whatever produces them). Each send that had to wait is logged at `debug` with its wait and the
//! queue's depth.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::action::info::ActionInfo;

/// The actions paced: those that say something in a chat (messages, forwards, voice, files
/// and pokes; the spec marks them `paced`), whether called through a typed method or by name.
pub fn paced_actions() -> impl Iterator<Item = &'static ActionInfo> {
    crate::ACTIONS.iter().filter(|a| a.paced)
}

/// How many sends may wait for their turn at once, by default; see [`Pacing::max_queued`].
pub const DEFAULT_MAX_QUEUED: usize = 1024;

/// A rate: `count` sends per `per`, and up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Sends per `per`.
    pub count: u32,
    /// The period.
    pub per: Duration,
    /// How many may go at once after a quiet spell (at least 1).
    pub burst: u32,
}

impl Rate {
    /// `count` sends a second, one at a time.
    pub fn per_second(count: u32) -> Rate {
        Rate {
            count,
            per: Duration::from_secs(1),
            burst: 1,
        }
    }

    /// `count` sends a minute, one at a time.
    pub fn per_minute(count: u32) -> Rate {
        Rate {
            count,
            per: Duration::from_secs(60),
            burst: 1,
        }
    }

    /// The same rate, allowing `burst` sends at once after a quiet spell.
    pub fn burst(self, burst: u32) -> Rate {
        Rate { burst, ..self }
    }

    /// The time between two sends at the rate.
    fn interval(&self) -> Duration {
        self.per / self.count.max(1)
    }
}

/// The limits a client's message sends keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacing {
    /// For all the account's sends; `None` for no limit.
    pub account: Option<Rate>,
    /// For each chat (a group, or the private chat with a user); `None` for no limit.
    pub chat: Option<Rate>,
    /// How many sends may wait for their turn at once (default [`DEFAULT_MAX_QUEUED`]).
    pub max_queued: usize,
}

impl Pacing {
    /// A cautious starting point (not a figure QQ publishes): one send a second for the
    /// account with bursts of five, twenty a minute in any one chat with bursts of three.
    pub fn conservative() -> Pacing {
        Pacing {
            account: Some(Rate::per_second(1).burst(5)),
            chat: Some(Rate::per_minute(20).burst(3)),
            max_queued: DEFAULT_MAX_QUEUED,
        }
    }
}

/// One bucket's state, as the time its next send is due (generic cell rate: a send is
/// allowed once `due - tolerance` has passed).
#[derive(Debug, Clone, Copy)]
struct Bucket {
    due: Instant,
    /// The last send reserved through it, to keep a chat's sends in order.
    last: Instant,
}

impl Bucket {
    fn new(now: Instant) -> Bucket {
        Bucket {
            due: now,
            last: now,
        }
    }

    /// When a send reserved now may go, under `rate`.
    fn allowed(&self, now: Instant, rate: &Rate) -> Instant {
        let tolerance = rate.interval() * rate.burst.max(1).saturating_sub(1);
        now.max(self.due.checked_sub(tolerance).unwrap_or(now))
    }

    /// Takes the slot at `at`.
    fn take(&mut self, at: Instant, rate: &Rate) {
        self.due = self.due.max(at) + rate.interval();
        self.last = self.last.max(at);
    }
}

/// Where a send goes, as its params say.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ChatKey {
    Group(String),
    Private(String),
    Unknown,
}

impl ChatKey {
    fn of(params: &str) -> ChatKey {
        #[derive(Deserialize)]
        struct Target {
            group_id: Option<Value>,
            user_id: Option<Value>,
            message_type: Option<String>,
        }
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match serde_json::from_str::<Target>(params) {
            Ok(Target {
                group_id: Some(g),
                message_type,
                ..
            }) if message_type.as_deref() != Some("private") => ChatKey::Group(text(&g)),
            Ok(Target {
                user_id: Some(u), ..
            }) => ChatKey::Private(text(&u)),
            _ => ChatKey::Unknown,
        }
    }
}

/// One client's pacing state.
#[derive(Debug)]
pub(crate) struct Pacer {
    pacing: Pacing,
    queue: Semaphore,
    waiting: AtomicUsize,
    buckets: Mutex<Buckets>,
}

#[derive(Debug)]
struct Buckets {
    account: Bucket,
    chats: HashMap<ChatKey, Bucket>,
    /// Each chat's line of sends: one permit, handed on in the order sends queue for it.
    lines: HashMap<ChatKey, Arc<Semaphore>>,
}

/// A send's turn in its chat: the chat's next send goes only once this is dropped (the
/// send's reply came, or it failed, or it was dropped).
#[derive(Debug)]
pub(crate) struct Turn {
    _held: Option<OwnedSemaphorePermit>,
}

/// A place in a chat's line, queued already: what completes when the sends before it are
/// done.
type InLine = Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>;

impl Pacer {
    pub(crate) fn new(pacing: Pacing) -> Pacer {
        let now = Instant::now();
        Pacer {
            queue: Semaphore::new(pacing.max_queued.max(1)),
            pacing,
            waiting: AtomicUsize::new(0),
            buckets: Mutex::new(Buckets {
                account: Bucket::new(now),
                chats: HashMap::new(),
                lines: HashMap::new(),
            }),
        }
    }

    /// Whether the action called `action` (a wire name, alias or Rust name) is paced.
    pub(crate) fn paces(action: &str) -> bool {
        crate::action_by_name(action).is_some_and(|a| a.paced())
    }

    /// Waits until a send of `action` with `params` may go out; the chat's next send waits
    /// for the returned turn to be dropped.
    pub(crate) async fn wait(&self, action: &str, params: &str) -> Turn {
        let Ok(_slot) = self.queue.acquire().await else {
            return Turn { _held: None };
        };
        let (line, at) = {
            let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
            let chat = ChatKey::of(params);
            // The place in line and the slot are taken under one lock: the line's order is
            // the order of the slots.
            (
                Self::join_line(&mut buckets, &chat),
                self.reserve_in(&mut buckets, chat, Instant::now()),
            )
        };
        let now = Instant::now();
        let queued = (at > now).then(|| Waiting::join(&self.waiting));
        if let Some(queued) = &queued {
            tracing::debug!(action, wait = ?(at - now), queued = queued.depth, "a paced send waits for its turn");
        }
        let (held, ()) = tokio::join!(
            async {
                match line {
                    Some(Ok(held)) => Some(held),
                    Some(Err(mut in_line)) => in_line.as_mut().await.ok(),
                    None => None,
                }
            },
            tokio::time::sleep_until(at)
        );
        Turn { _held: held }
    }

    /// Queues a send in `chat`'s line: its turn now (`Ok`), or its place in the line;
    /// `None` for a send whose chat its params do not say.
    fn join_line(
        buckets: &mut Buckets,
        chat: &ChatKey,
    ) -> Option<Result<OwnedSemaphorePermit, InLine>> {
        if *chat == ChatKey::Unknown {
            return None;
        }
        // Forget the lines no send holds or waits in.
        if buckets.lines.len() > 1024 {
            buckets.lines.retain(|_, line| Arc::strong_count(line) > 1);
        }
        let line = buckets
            .lines
            .entry(chat.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(1)))
            .clone();
        let mut in_line: InLine = Box::pin(line.acquire_owned());
        match in_line
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(Ok(held)) => Some(Ok(held)),
            // The line's semaphore is never closed.
            Poll::Ready(Err(_)) => None,
            Poll::Pending => Some(Err(in_line)),
        }
    }

    /// Reserves the next slot for a send to `chat` made at `now`: when it may go.
    #[cfg(test)]
    fn reserve(&self, chat: ChatKey, now: Instant) -> Instant {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        self.reserve_in(&mut buckets, chat, now)
    }

    /// As `reserve`, with the buckets locked already.
    fn reserve_in(&self, buckets: &mut Buckets, chat: ChatKey, now: Instant) -> Instant {
        let Buckets { account, chats, .. } = buckets;
        // Forget chats whose buckets are full again, so the map holds only busy chats.
        if chats.len() > 1024 {
            chats.retain(|_, b| b.due > now || b.last > now);
        }
        let mut at = now;
        if let Some(rate) = &self.pacing.account {
            at = at.max(account.allowed(now, rate));
        }
        let chat_rate = self.pacing.chat.filter(|_| chat != ChatKey::Unknown);
        if let Some(rate) = &chat_rate {
            let bucket = chats
                .entry(chat.clone())
                .or_insert_with(|| Bucket::new(now));
            at = at.max(bucket.allowed(now, rate)).max(bucket.last);
        }
        if let Some(rate) = &self.pacing.account {
            account.take(at, rate);
        }
        if let Some(rate) = &chat_rate
            && let Some(bucket) = chats.get_mut(&chat)
        {
            bucket.take(at, rate);
        }
        at
    }

    /// How many sends wait for their turn now.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

/// One send counted among those waiting for their turn, for as long as it waits: the count
/// goes down when the wait ends or the send is dropped mid-wait (a timeout around it, a
/// shutdown).
struct Waiting<'a> {
    count: &'a AtomicUsize,
    /// How many waited, this one included, when it joined.
    depth: usize,
}

impl<'a> Waiting<'a> {
    fn join(count: &'a AtomicUsize) -> Waiting<'a> {
        let depth = count.fetch_add(1, Ordering::Relaxed) + 1;
        Waiting { count, depth }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer(account: Option<Rate>, chat: Option<Rate>) -> Pacer {
        Pacer::new(Pacing {
            account,
            chat,
            max_queued: DEFAULT_MAX_QUEUED,
        })
    }

    const GROUP: &str = r#"{"group_id": 100200, "message": "hi"}"#;
    const OTHER_GROUP: &str = r#"{"group_id": "300400", "message": "hi"}"#;

    /// Sends made all at once go out at the configured rate: over 10 s, 5 a second after
    /// the burst, counted on the paused clock.
    #[tokio::test(start_paused = true)]
    async fn sends_hold_the_account_rate() {
        let pacer = std::sync::Arc::new(pacer(Some(Rate::per_second(5).burst(3)), None));
        let start = Instant::now();
        let mut sends = Vec::new();
        for _ in 0..200 {
            let pacer = pacer.clone();
            sends.push(tokio::spawn(async move {
                pacer.wait("send_group_msg", GROUP).await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for send in sends {
            times.push(send.await.unwrap() - start);
        }
        let window = Duration::from_secs(10);
        let in_window = times.iter().filter(|t| **t < window).count();
        // The burst of 3 at once, then one every 200 ms: 3 + 49 sends start before 10 s.
        assert_eq!(in_window, 3 + 49);
        let rate = (in_window - 3) as f64 / window.as_secs_f64();
        assert!((rate - 5.0).abs() / 5.0 <= 0.05, "{rate} sends a second");
    }

    /// A send dropped while it waits (a timeout around it, a shutdown) no longer counts as
    /// waiting.
    #[tokio::test(start_paused = true)]
    async fn a_send_dropped_mid_wait_leaves_the_queue() {
        let pacer = pacer(Some(Rate::per_second(1)), None);
        pacer.wait("send_group_msg", GROUP).await;
        let second = tokio::time::timeout(
            Duration::from_millis(10),
            pacer.wait("send_group_msg", GROUP),
        );
        assert!(second.await.is_err(), "the second send waits its turn");
        assert_eq!(pacer.waiting(), 0);
    }

    /// A chat's limit holds that chat back, not another one; the account's limit holds all.
    #[tokio::test(start_paused = true)]
    async fn chats_are_paced_apart() {
        let pacer = pacer(None, Some(Rate::per_minute(6)));
        let now = Instant::now();
        assert_eq!(pacer.reserve(ChatKey::of(GROUP), now), now);
        assert_eq!(
            pacer.reserve(ChatKey::of(GROUP), now),
            now + Duration::from_secs(10)
        );
        assert_eq!(pacer.reserve(ChatKey::of(OTHER_GROUP), now), now);
        let private = r#"{"user_id": 123456, "message": "hi"}"#;
        assert_eq!(pacer.reserve(ChatKey::of(private), now), now);
        let both = pacer_both();
        assert_eq!(both.reserve(ChatKey::of(GROUP), now), now);
        assert_eq!(
            both.reserve(ChatKey::of(OTHER_GROUP), now),
            now + Duration::from_secs(1)
        );
    }

    fn pacer_both() -> Pacer {
        pacer(Some(Rate::per_second(1)), Some(Rate::per_minute(6)))
    }

    /// A chat's sends keep their order even when the account's limit pushes one back and
    /// the chat's burst would let the next go sooner.
    #[tokio::test(start_paused = true)]
    async fn a_chats_sends_stay_in_order() {
        let pacer = pacer(
            Some(Rate::per_second(1)),
            Some(Rate::per_second(10).burst(5)),
        );
        let now = Instant::now();
        let mut last = now;
        for params in [OTHER_GROUP, OTHER_GROUP, GROUP, GROUP, GROUP] {
            let at = pacer.reserve(ChatKey::of(params), now);
            if params == GROUP {
                assert!(at >= last, "in order");
                last = at;
            }
        }
    }

    /// A chat's next send goes only once the one before it is done (its reply came: the
    /// turn is dropped), even with no limit holding it back; another chat's send does not
    /// wait for it.
    #[tokio::test(start_paused = true)]
    async fn a_chats_next_send_waits_for_the_one_before() {
        let pacer = pacer(None, None);
        let first = pacer.wait("send_group_msg", GROUP).await;
        let second = pacer.wait("send_group_msg", GROUP);
        tokio::pin!(second);
        let a_while = Duration::from_secs(60);
        assert!(
            tokio::time::timeout(a_while, &mut second).await.is_err(),
            "the second send waits while the first is out"
        );
        let other = tokio::time::timeout(a_while, pacer.wait("send_group_msg", OTHER_GROUP));
        assert!(other.await.is_ok(), "another chat goes at once");
        drop(first);
        assert!(tokio::time::timeout(a_while, second).await.is_ok());
    }

    /// A send dropped while it waits in line (a timeout around it) holds up no send after
    /// it, and those keep their order.
    #[tokio::test(start_paused = true)]
    async fn a_send_dropped_in_line_holds_up_no_one() {
        let pacer = pacer(None, None);
        let a_while = Duration::from_secs(60);
        let first = pacer.wait("send_group_msg", GROUP).await;
        let mut second = Box::pin(pacer.wait("send_group_msg", GROUP));
        let mut third = Box::pin(pacer.wait("send_group_msg", GROUP));
        let mut fourth = Box::pin(pacer.wait("send_group_msg", GROUP));
        for waiting in [&mut second, &mut third, &mut fourth] {
            assert!(
                tokio::time::timeout(a_while, waiting.as_mut())
                    .await
                    .is_err()
            );
        }
        drop(second);
        drop(first);
        assert!(
            tokio::time::timeout(a_while, fourth.as_mut())
                .await
                .is_err(),
            "the fourth waits for the third"
        );
        let third = tokio::time::timeout(a_while, third).await;
        assert!(third.is_ok(), "the third goes once the first is done");
        drop(third);
        assert!(tokio::time::timeout(a_while, fourth).await.is_ok());
    }

    /// The spec marks every action that says something in a chat `paced`, and only those;
    /// a send called by any of its names is paced.
    #[test]
    fn the_spec_marks_the_sends_paced() {
        let mut paced: Vec<&str> = paced_actions().map(|a| a.wire_name).collect();
        paced.sort_unstable();
        assert_eq!(
            paced,
            [
                "forward_friend_single_msg",
                "forward_group_single_msg",
                "friend_poke",
                "group_poke",
                "send_forward_msg",
                "send_group_ai_record",
                "send_group_forward_msg",
                "send_group_msg",
                "send_msg",
                "send_poke",
                "send_private_forward_msg",
                "send_private_msg",
                "upload_group_file",
                "upload_private_file",
            ]
        );
        assert!(Pacer::paces("send_group_msg"));
        assert!(!Pacer::paces("get_status"));
        assert!(!Pacer::paces("no_such_action"));
    }

    /// Where a send goes, read from its params.
    #[test]
    fn the_chat_is_read_from_the_params() {
        assert_eq!(ChatKey::of(GROUP), ChatKey::Group("100200".into()));
        assert_eq!(ChatKey::of(OTHER_GROUP), ChatKey::Group("300400".into()));
        assert_eq!(
            ChatKey::of(r#"{"message_type": "private", "user_id": 1, "group_id": 2}"#),
            ChatKey::Private("1".into())
        );
        assert_eq!(ChatKey::of(r#"{"messages": []}"#), ChatKey::Unknown);
    }
}
