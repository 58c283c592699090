//! The calls in flight of one WebSocket client and how a call is sent: queued on the current
//! connection at once, or once there is a connection with room for it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::events::bus::EventBus;
use crate::transport::ws::deadline::DeadlineSleeper;
use crate::transport::ws::slots::{
    Calls, ConnState, Deadline, Ended, Pending, SHARDS, Shard, lock,
};
use crate::wire::reply::RawReply;

/// The calls in flight and the current connection of one WebSocket client.
pub(crate) struct WsCore {
    pub(super) shards: [Shard; SHARDS],
    /// Ends the calls whose deadline passed.
    pub(super) sleeper: DeadlineSleeper,
    pub(super) next_echo: AtomicU64,
    pub(super) state: watch::Sender<ConnState>,
    pub(super) events: EventBus,
    pub(super) keepalive: Option<KeepAlive>,
    /// Frames received on the current connection (any kind, pongs included).
    pub(super) received: AtomicU64,
    /// Frames the writer handed to the socket, and flushes it completed, on the current
    /// connection: progress, counted per frame so that a long batch under steady load counts.
    pub(super) written: AtomicU64,
    /// The writer has taken frames and not yet flushed them.
    pub(super) writing: AtomicBool,
    /// The reader is holding a frame for a stream whose buffer is full: the peer is alive
    /// even though nothing more is read meanwhile.
    pub(super) holding: AtomicBool,
    /// Cancelled when the client is closed: the connection ends, no other is made, and every
    /// call ends with [`Error::Closed`].
    pub(super) closing: CancellationToken,
}

/// Why a closed client's connection state says it is closed.
pub(super) const CLOSED: &str = "the client was closed";

/// Keep-alive pings: a ping every `interval`; when nothing at all (a pong, a reply, an event)
/// arrives within `deadline` of one, the connection counts as lost and the normal reconnect
/// follows. A peer that vanished without closing is noticed this way even by an idle bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAlive {
    /// How often to ping.
    pub interval: Duration,
    /// How long to wait for any frame after a ping.
    pub deadline: Duration,
}

impl Default for KeepAlive {
    /// A ping every 30 s, answered within 20 s.
    fn default() -> Self {
        KeepAlive {
            interval: Duration::from_secs(30),
            deadline: Duration::from_secs(20),
        }
    }
}

impl WsCore {
    /// The share holding the call with `echo`, locked.
    pub(super) fn calls(&self, echo: u64) -> MutexGuard<'_, Calls> {
        lock(&self.shards[(echo % SHARDS as u64) as usize].0)
    }

    /// Every share, locked one after another.
    pub(super) fn each_share(&self) -> impl Iterator<Item = MutexGuard<'_, Calls>> {
        self.shards.iter().map(|shard| lock(&shard.0))
    }
}

/// The reply to one call, as the reader (or `fail_all`) hands it over. Dropping it first
/// (a timeout, a cancelled call) frees the call's pending slot. Written out by hand rather
/// than as an `async fn`, so that a call in flight holds these few words and no more; it
/// borrows nothing but its action's name, so a call of a `'static` action is `'static`.
pub(crate) struct Reply<'a> {
    pub(super) core: Arc<WsCore>,
    pub(super) echo: u64,
    pub(super) action: &'a str,
    pub(super) rx: oneshot::Receiver<Result<RawReply, Ended>>,
    /// The reader or `fail_all` took the slot out (the channel resolved).
    pub(super) delivered: bool,
}

impl Reply<'_> {
    /// The reply, or why the connection ended the call.
    pub(super) fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Result<RawReply, Ended>> {
        let reply = std::task::ready!(Pin::new(&mut self.rx).poll(cx));
        // Either way the reader (or `fail_all`) has taken the slot out.
        self.delivered = true;
        Poll::Ready(reply.unwrap_or_else(|_| Err(Ended::Lost("the connection closed".into()))))
    }
}

impl Drop for Reply<'_> {
    fn drop(&mut self) {
        if !self.delivered {
            self.core.calls(self.echo).pending.remove(&self.echo);
        }
    }
}

/// Queueing a frame once there is a connection with room for it.
pub(super) type BoxedWait<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;

/// A call on its way: queued on a WebSocket and waiting for its reply (the usual case), waiting
/// for a connection or for room in the queue first, or an HTTP call. It borrows only the
/// action's name.
pub(crate) enum Sending<'a> {
    /// Queued; only the reply is awaited.
    Queued(Reply<'a>),
    /// Not queued yet: `wait` queues the frame (within the call's time) and puts the call's
    /// slot, with its deadline, in place; then the reply is awaited as a queued call's is.
    Late {
        wait: Option<BoxedWait<'a>>,
        reply: Reply<'a>,
    },
    /// An HTTP call, or a relay's.
    Boxed(crate::transport::BoxedReply<'a>),
}

impl Future for Sending<'_> {
    type Output = Result<RawReply, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let reply = match &mut *self {
                Sending::Queued(reply) => reply,
                Sending::Late { wait, reply } => {
                    if let Some(queueing) = wait {
                        std::task::ready!(queueing.as_mut().poll(cx))?;
                        // Queued: the wait's state is freed, and the connection's deadline
                        // sleeper keeps the rest of the call's time.
                        *wait = None;
                    }
                    reply
                }
                Sending::Boxed(fut) => return fut.as_mut().poll(cx),
            };
            match std::task::ready!(reply.poll_outcome(cx)) {
                Ok(reply) => return Poll::Ready(Ok(reply)),
                // The server never saw the frame: it waits for the next connection, as a call
                // made while disconnected does.
                Err(Ended::Unwritten { frame, deadline }) => {
                    let (core, action, echo) = (reply.core.clone(), reply.action, reply.echo);
                    *self = core.send_late(action, echo, frame, deadline);
                }
                Err(ended) => return Poll::Ready(Err(ended.into_error(reply.action))),
            }
        }
    }
}

impl WsCore {
    pub(crate) fn new(events: EventBus, keepalive: Option<KeepAlive>) -> Arc<WsCore> {
        Arc::new(WsCore {
            shards: Default::default(),
            sleeper: DeadlineSleeper::new(),
            next_echo: AtomicU64::new(1),
            state: watch::Sender::new(ConnState::Connecting(None)),
            events,
            keepalive,
            received: AtomicU64::new(0),
            written: AtomicU64::new(0),
            writing: AtomicBool::new(false),
            holding: AtomicBool::new(false),
            closing: CancellationToken::new(),
        })
    }

    /// Records the connection's state. Once the client is closed it stays closed, whatever a
    /// connection that was ending meanwhile reports.
    pub(crate) fn set_state(&self, state: ConnState) {
        let state = match state {
            ConnState::Closed(_) => state,
            _ if self.closing.is_cancelled() => ConnState::Closed(CLOSED.into()),
            other => other,
        };
        for mut calls in self.each_share() {
            calls.conn = match &state {
                ConnState::Up(conn) => Some(conn.clone()),
                _ => None,
            };
        }
        self.state.send_replace(state);
    }

    /// Closes the client: the current connection ends (its calls with [`Error::Closed`]), no
    /// other is made or taken, and calls waiting for one end with the same error. Returns once
    /// the connection has ended.
    pub(crate) async fn close(&self) {
        self.closing.cancel();
        let mut state = self.state.subscribe();
        // While a connection runs, it ends itself and records it; with none, this does.
        if !matches!(*state.borrow(), ConnState::Up(_)) {
            self.set_state(ConnState::Closed(CLOSED.into()));
        }
        let _ = state.wait_for(|s| matches!(s, ConnState::Closed(_))).await;
    }

    /// Whether the client was closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.closing.is_cancelled()
    }

    /// Cancelled when the client is closed.
    pub(crate) fn closing(&self) -> &CancellationToken {
        &self.closing
    }

    pub(crate) fn subscribe_state(&self) -> watch::Receiver<ConnState> {
        self.state.subscribe()
    }

    /// Why the last connection attempt failed, while there is no connection.
    pub(crate) fn last_connect_failure(&self) -> Option<String> {
        match &*self.state.borrow() {
            ConnState::Connecting(Some(reason)) => Some(reason.clone()),
            _ => None,
        }
    }

    /// The sender events are broadcast on.
    pub(crate) fn events(&self) -> &EventBus {
        &self.events
    }

    /// How many calls wait for their reply.
    pub(crate) fn pending_count(&self) -> usize {
        self.pending_beyond(usize::MAX)
    }

    /// How many calls (or streams) wait for their replies: exact when at most `limit`, else
    /// some number above it. It stops at the first share that shows more than `limit`, so with
    /// many calls in flight it takes a lock or two, not one per share.
    fn pending_beyond(&self, limit: usize) -> usize {
        let mut seen = 0;
        for calls in self.each_share() {
            seen += calls.pending.len();
            if seen > limit {
                break;
            }
        }
        seen
    }

    /// Whether at most one call waits for its reply.
    pub(super) fn at_most_one_pending(&self) -> bool {
        self.pending_beyond(1) <= 1
    }

    /// Whether between one and `most` calls (or streams) wait for their replies.
    pub(super) fn pending_within(&self, most: usize) -> bool {
        (1..=most).contains(&self.pending_beyond(most))
    }

    /// Sends one call and waits, up to `timeout`, for the reply with its echo.
    pub(crate) fn send<'a>(
        self: &Arc<Self>,
        action: &'a str,
        params: String,
        timeout: Duration,
    ) -> Sending<'a> {
        let echo = self.next_echo.fetch_add(1, Ordering::Relaxed);
        let frame = request_frame(action, &params, echo);
        let (tx, rx) = oneshot::channel();
        let message = Message::Text(frame.into());
        // `None`: a timeout too long to add to the clock, so no deadline.
        let deadline = Instant::now()
            .checked_add(timeout)
            .map(|at| Deadline { at, after: timeout });
        // Fast path: connected and the queue has room. One lock, no sender clone, no await,
        // and no timer: the connection's deadline sleeper ends the call if it runs out of time.
        let queued = {
            let mut calls = self.calls(echo);
            let queued = match &calls.conn {
                Some(conn) => conn.try_send(message).map_err(|e| e.into_inner()),
                None => Err(message),
            };
            // The slot is taken under the same lock, so its reply cannot be read before.
            if queued.is_ok() {
                calls.pending.insert(echo, Pending::Call { tx, deadline });
            }
            queued
        };
        match queued {
            Ok(()) => {
                if let Some(deadline) = deadline {
                    self.sleeper.watch(deadline.at);
                }
                Sending::Queued(self.reply(action, echo, rx))
            }
            Err(message) => self.send_late(action, echo, message, deadline),
        }
    }

    /// Sends a call whose frame is not queued (no connection, no room in its queue, or its
    /// connection ended before writing it) once there is a connection with room, within
    /// `deadline`.
    pub(super) fn send_late<'a>(
        self: &Arc<Self>,
        action: &'a str,
        echo: u64,
        frame: Message,
        deadline: Option<Deadline>,
    ) -> Sending<'a> {
        let (tx, rx) = oneshot::channel();
        Sending::Late {
            wait: Some(self.queue_later(action, echo, frame, tx, deadline)),
            reply: self.reply(action, echo, rx),
        }
    }

    /// The reply to the call with `echo`, whose slot holds the sender of `rx`.
    pub(super) fn reply<'a>(
        self: &Arc<Self>,
        action: &'a str,
        echo: u64,
        rx: oneshot::Receiver<Result<RawReply, Ended>>,
    ) -> Reply<'a> {
        Reply {
            core: self.clone(),
            echo,
            action,
            rx,
            delivered: false,
        }
    }

    /// Waiting for a connection or for room in its queue, then queueing the call's frame: rare,
    /// and what the wait holds (a timer of its own among it) is freed once the frame is queued.
    /// Only `send_late` builds one.
    pub(super) fn queue_later<'a>(
        self: &Arc<Self>,
        action: &'a str,
        echo: u64,
        message: Message,
        tx: oneshot::Sender<Result<RawReply, Ended>>,
        deadline: Option<Deadline>,
    ) -> BoxedWait<'a> {
        let core = self.clone();
        Box::pin(async move {
            let slot = Pending::Call { tx, deadline };
            let queueing = core.queue_when_up(action, echo, message, slot);
            match deadline {
                Some(d) => tokio::time::timeout_at(d.at, queueing)
                    .await
                    .unwrap_or_else(|_| Err(core.timed_out(action, d.after))),
                None => queueing.await,
            }
        })
    }

    /// Queues a frame once there is a connection with room for it, and puts its call's `slot`
    /// in place. Both happen under the share's lock, and only while that connection is the
    /// current one: so when a connection ends, every frame queued on it is either written or
    /// still in its queue, where `fail_all` finds it.
    pub(super) async fn queue_when_up(
        &self,
        action: &str,
        echo: u64,
        message: Message,
        slot: Pending,
    ) -> Result<(), Error> {
        let mut state = self.state.subscribe();
        loop {
            let seen = state.borrow_and_update().clone();
            match seen {
                ConnState::Up(conn) => {
                    // A queue whose connection ended is closed, and gives no room.
                    if let Ok(room) = conn.reserve().await {
                        let mut calls = self.calls(echo);
                        if calls.conn.as_ref().is_some_and(|c| c.same_channel(&conn)) {
                            room.send(message);
                            let deadline = match &slot {
                                Pending::Call { deadline, .. } => *deadline,
                                _ => None,
                            };
                            calls.pending.insert(echo, slot);
                            drop(calls);
                            if let Some(d) = deadline {
                                self.sleeper.watch(d.at);
                            }
                            return Ok(());
                        }
                    }
                }
                other => {
                    if let Some(e) = other.final_error(action) {
                        return Err(e);
                    }
                }
            }
            if state.changed().await.is_err() {
                return Err(shutting_down(action));
            }
        }
    }

    /// The error for a call whose time ran out: when there was no connection to send it on and
    /// the last attempt to make one failed, that failure (the call was never sent); otherwise
    /// [`Error::Timeout`].
    pub(crate) fn timed_out(&self, action: &str, after: Duration) -> Error {
        match self.last_connect_failure() {
            Some(reason) => Error::Transport {
                action: action.to_owned(),
                source: format!(
                    "not connected within {after:?}, so the call was not sent; the last connection attempt failed: {reason}"
                )
                .into(),
            },
            None => Error::Timeout {
                action: action.to_owned(),
                after,
            },
        }
    }

    /// Ends every call and stream the ended connection had taken; each names its own action
    /// in the error it returns. A call whose frame is among `unwritten` (left in the
    /// connection's queue) is handed its frame back to send on the next connection.
    pub(crate) fn fail_all(&self, why: Ended, mut unwritten: Unwritten) {
        let mut ended = |echo: u64, deadline: Option<Deadline>| match unwritten.remove(&echo) {
            Some(frame) => Ended::Unwritten { frame, deadline },
            None => why.clone(),
        };
        let mut drained: Vec<(u64, Pending)> = Vec::new();
        for mut calls in self.each_share() {
            drained.extend(calls.pending.drain());
        }
        for (echo, pending) in drained {
            match pending {
                Pending::Call { tx, deadline } => {
                    let _ = tx.send(Err(ended(echo, deadline)));
                }
                // Its reader drains what arrived, then learns why nothing more comes.
                Pending::Stream(sink) => {
                    let _ = sink.end.set(ended(echo, None));
                }
                Pending::Abandoned => {}
            }
        }
    }
}

/// The frames an ended connection never wrote, by echo.
pub(super) type Unwritten = rustc_hash::FxHashMap<u64, Message>;

/// The error of a call that waited for a connection while the client shut down.
pub(super) fn shutting_down(action: &str) -> Error {
    Error::Disconnected {
        action: action.to_owned(),
        reason: "the client is shutting down".into(),
    }
}

/// `{"params":…,"action":…,"echo":N}` (NapCat reads the keys in any order), in a buffer of
/// exactly its size. The frame is freed by the connection's writer, often on another thread
/// than the caller that made it: a small exact allocation is one the allocator takes back
/// cheaply from any thread (a 128-byte serde buffer was not, measured in BENCHMARKS.md), and
/// a full buffer becomes the frame's bytes without another allocation.
pub(super) fn request_frame(action: &str, params: &str, echo: u64) -> String {
    use std::fmt::Write as _;
    const PARAMS: &str = "{\"params\":";
    const ACTION: &str = ",\"action\":";
    const ECHO: &str = ",\"echo\":";
    let escaped = action
        .bytes()
        .any(|b| b == b'"' || b == b'\\' || b < 0x20)
        .then(|| serde_json::Value::from(action).to_string());
    let action_len = escaped.as_ref().map_or(action.len() + 2, String::len);
    let echo_len = echo.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut frame = String::with_capacity(
        PARAMS.len() + params.len() + ACTION.len() + action_len + ECHO.len() + echo_len + 1,
    );
    frame.push_str(PARAMS);
    frame.push_str(params);
    frame.push_str(ACTION);
    match escaped {
        Some(action) => frame.push_str(&action),
        None => {
            frame.push('"');
            frame.push_str(action);
            frame.push('"');
        }
    }
    // Writing to a `String` cannot fail.
    let _ = write!(frame, "{ECHO}{echo}}}");
    frame
}
