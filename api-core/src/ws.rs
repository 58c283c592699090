//! What forward and reverse WebSocket share: calls in flight matched to replies by echo,
//! one task reading and writing a connection, events handed to subscribers.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::SplitSink;
use futures_util::{Sink, SinkExt, StreamExt};
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use crate::Error;
use crate::deadline::DeadlineSleeper;
use crate::reply::{Envelope, Parsed, RawReply, log_text};

/// How many frames may wait to be written before callers wait.
const OUTGOING_QUEUE: usize = 1024;

/// The connection as callers see it.
#[derive(Debug, Clone)]
pub(crate) enum ConnState {
    /// Not connected now; calls wait (within their timeout). Holds the last failure.
    Connecting(Option<String>),
    /// Connected: frames go here.
    Up(mpsc::Sender<Message>),
    /// The server refused the token; no reconnect is tried.
    AuthFailed(String),
    /// The client shut the connection down for good.
    Closed(String),
}

impl ConnState {
    /// The error a call of `action` gets in this state when waiting cannot help: the token
    /// was refused, or the client shut down. `None` while connected or connecting.
    pub(crate) fn final_error(&self, action: &str) -> Option<Error> {
        match self {
            ConnState::AuthFailed(message) => Some(Error::Auth {
                action: action.to_owned(),
                message: message.clone(),
                http_status: None,
            }),
            ConnState::Closed(reason) => Some(Error::Disconnected {
                action: action.to_owned(),
                reason: reason.clone(),
            }),
            ConnState::Up(_) | ConnState::Connecting(_) => None,
        }
    }
}

/// Why a connection ended.
#[derive(Debug)]
pub(crate) enum ConnEnd {
    /// Closed or broken; reconnecting may help.
    Lost(String),
    /// Retcode 1403: the token was refused.
    AuthRefused(String),
}

/// Why a call in flight was ended by the connection rather than by a reply.
#[derive(Debug, Clone)]
pub(crate) enum Ended {
    /// The connection closed or broke.
    Lost(String),
    /// The token was refused.
    Auth(String),
    /// A stream's packets were not taken for this long, so the connection stopped holding
    /// them for it.
    Stalled(Duration),
    /// The call's reply did not come within its timeout.
    TimedOut(Duration),
    /// The connection ended before its writer took the call's frame: the server never saw
    /// it, so the call sends it again on the next connection, within its deadline (a stream's
    /// call, within the wait for its next packet).
    Unwritten {
        frame: Message,
        deadline: Option<Deadline>,
    },
}

impl Ended {
    pub(crate) fn into_error(self, action: &str) -> Error {
        match self {
            Ended::Lost(reason) => Error::Disconnected {
                action: action.to_owned(),
                reason,
            },
            Ended::Auth(message) => Error::Auth {
                action: action.to_owned(),
                message,
                http_status: None,
            },
            Ended::Stalled(after) => Error::StreamStalled {
                action: action.to_owned(),
                after,
            },
            Ended::TimedOut(after) => Error::Timeout {
                action: action.to_owned(),
                after,
            },
            // A call sends its frame again instead (`Sending::poll`, `WsPackets::next`).
            Ended::Unwritten { .. } => Error::Disconnected {
                action: action.to_owned(),
                reason: "the connection closed before the request was written".into(),
            },
        }
    }
}

/// A call waiting for what the server sends back with its echo. Its slot is taken when its
/// frame is queued on the current connection, under the same lock: so the calls in the slots
/// are exactly those the current connection has taken, and a call still waiting for a
/// connection, or for room in the queue, is timed on its own and waits through the end of a
/// connection it was not sent on.
enum Pending {
    /// An ordinary call: one reply, due by its deadline (`None`: a call whose wait is timed
    /// on its own, or that has no end).
    Call {
        tx: oneshot::Sender<Result<RawReply, Ended>>,
        deadline: Option<Deadline>,
    },
    /// A stream action's call: every envelope up to and including the final one.
    Stream(StreamSink),
    /// A stream nobody reads any more: its remaining envelopes are skipped, quietly, until
    /// the final one.
    Abandoned,
}

/// When a call runs out of time, and the timeout it was given (for its error).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Instant,
    after: Duration,
}

/// Where the reader puts a stream's envelopes.
#[derive(Clone)]
struct StreamSink {
    tx: mpsc::Sender<RawReply>,
    /// Why the envelopes stopped before the final one, when they did.
    end: Arc<OnceLock<Ended>>,
    /// How long the reader waits for room in `tx` before it gives up on the stream.
    stall: Duration,
}

/// How many envelopes of one stream wait for their reader before the connection waits too.
const STREAM_BUFFER: usize = 8;

/// What the reader must still do with a frame it routed.
enum Routed {
    /// Nothing.
    Done,
    /// End the connection.
    End(ConnEnd),
    /// A stream's buffer is full: wait (up to its stall time) for its reader to make room.
    Wait {
        echo: u64,
        sink: StreamSink,
        reply: RawReply,
        last: bool,
    },
}

/// How many locks the calls in flight are spread over, by echo: a caller sending a call and
/// the reader handing over a reply mostly take different ones.
const SHARDS: usize = 8;

/// One share of the calls in flight: those whose echo falls to it, under one lock, so that
/// sending a call takes one lock once.
#[derive(Default)]
struct Calls {
    /// The calls and streams waiting for what the server sends back, by echo. Echoes are
    /// ours (a counter), so a fast hash does.
    pending: rustc_hash::FxHashMap<u64, Pending>,
    /// Where frames go while connected.
    conn: Option<mpsc::Sender<Message>>,
}

/// A share's lock, on a cache line of its own so that locking one does not slow the others.
#[derive(Default)]
#[repr(align(128))]
struct Shard(Mutex<Calls>);

/// The calls in flight and the current connection of one WebSocket client.
pub(crate) struct WsCore {
    shards: [Shard; SHARDS],
    /// Ends the calls whose deadline passed.
    sleeper: DeadlineSleeper,
    next_echo: AtomicU64,
    state: watch::Sender<ConnState>,
    events: crate::events::EventBus,
    keepalive: Option<KeepAlive>,
    /// Frames received on the current connection (any kind, pongs included).
    received: AtomicU64,
    /// The reader is holding a frame for a stream whose buffer is full: the peer is alive
    /// even though nothing more is read meanwhile.
    holding: std::sync::atomic::AtomicBool,
}

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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl WsCore {
    /// The share holding the call with `echo`, locked.
    fn calls(&self, echo: u64) -> MutexGuard<'_, Calls> {
        lock(&self.shards[(echo % SHARDS as u64) as usize].0)
    }

    /// Every share, locked one after another.
    fn each_share(&self) -> impl Iterator<Item = MutexGuard<'_, Calls>> {
        self.shards.iter().map(|shard| lock(&shard.0))
    }
}

/// The envelopes of one stream action's call, as the connection's reader hands them over.
pub(crate) struct WsPackets {
    core: Arc<WsCore>,
    echo: u64,
    rx: mpsc::Receiver<RawReply>,
    end: Arc<OnceLock<Ended>>,
    stall: Duration,
}

impl WsPackets {
    /// The next envelope; `Err` when they stopped before the final one (the connection
    /// closed, or the stream was not read for its stall time). After the final envelope the
    /// caller stops asking. A request its connection never wrote is sent on the next one.
    pub(crate) async fn next(&mut self, action: &str) -> Result<RawReply, Error> {
        loop {
            if let Some(reply) = self.rx.recv().await {
                return Ok(reply);
            }
            let ended = self
                .end
                .get()
                .cloned()
                .unwrap_or_else(|| Ended::Lost("the connection closed".into()));
            let Ended::Unwritten { frame, .. } = ended else {
                return Err(ended.into_error(action));
            };
            let (slot, rx, end) = stream_slot(self.stall);
            self.core
                .queue_when_up(action, self.echo, frame, slot)
                .await?;
            (self.rx, self.end) = (rx, end);
        }
    }
}

/// A stream's slot, with the receiving end of its envelopes and where the reader says why
/// they stopped.
fn stream_slot(stall: Duration) -> (Pending, mpsc::Receiver<RawReply>, Arc<OnceLock<Ended>>) {
    let (tx, rx) = mpsc::channel(STREAM_BUFFER);
    let end = Arc::new(OnceLock::new());
    let slot = Pending::Stream(StreamSink {
        tx,
        end: end.clone(),
        stall,
    });
    (slot, rx, end)
}

impl WsPackets {
    /// The reader saw the final envelope: the slot is freed.
    pub(crate) fn done(&mut self) {
        self.core.calls(self.echo).pending.remove(&self.echo);
    }
}

impl Drop for WsPackets {
    /// A stream dropped before its final envelope: the rest is skipped when it arrives. If
    /// the final one already arrived unread, the slot is simply freed.
    fn drop(&mut self) {
        let mut ended = false;
        while let Ok(reply) = self.rx.try_recv() {
            ended |= match &reply.parsed {
                Some(parsed) => !is_packet(parsed, &reply.body),
                None => crate::reply::parse("", &reply)
                    .map_or(true, |parsed| !is_packet(&parsed, &reply.body)),
            };
        }
        let pending = &mut self.core.calls(self.echo).pending;
        if ended {
            pending.remove(&self.echo);
        } else if let Some(slot @ Pending::Stream(_)) = pending.get_mut(&self.echo) {
            *slot = Pending::Abandoned;
        }
    }
}

/// Hands a stream's envelope to its reader, or says to wait for room.
fn deliver(echo: u64, sink: StreamSink, reply: RawReply, last: bool) -> Routed {
    match sink.tx.try_send(reply) {
        Ok(()) => Routed::Done,
        Err(mpsc::error::TrySendError::Full(reply)) => Routed::Wait {
            echo,
            sink,
            reply,
            last,
        },
        // Its reader is being dropped, which marks the stream abandoned.
        Err(mpsc::error::TrySendError::Closed(_)) => Routed::Done,
    }
}

/// Whether a stream envelope is one of its packets (`data.type` is `"stream"`), not the final
/// result or a failure.
pub(crate) fn is_packet(parsed: &Parsed, body: &[u8]) -> bool {
    parsed.outcome == crate::reply::Outcome::Ok
        && parsed
            .data
            .clone()
            .and_then(|r| body.get(r))
            .is_some_and(crate::stream::is_stream_tag)
}

/// The reply to one call, as the reader (or `fail_all`) hands it over. Dropping it first
/// (a timeout, a cancelled call) frees the call's pending slot. Written out by hand rather
/// than as an `async fn`, so that a call in flight holds these few words and no more; it
/// borrows nothing but its action's name, so a call of a `'static` action is `'static`.
pub(crate) struct Reply<'a> {
    core: Arc<WsCore>,
    echo: u64,
    action: &'a str,
    rx: oneshot::Receiver<Result<RawReply, Ended>>,
    /// The reader or `fail_all` took the slot out (the channel resolved).
    delivered: bool,
}

impl Reply<'_> {
    /// The reply, or why the connection ended the call.
    fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Result<RawReply, Ended>> {
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
type BoxedWait<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;

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
    /// An HTTP call.
    Boxed(Pin<Box<dyn Future<Output = Result<RawReply, Error>> + Send + 'a>>),
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
    pub(crate) fn new(
        events: crate::events::EventBus,
        keepalive: Option<KeepAlive>,
    ) -> Arc<WsCore> {
        Arc::new(WsCore {
            shards: Default::default(),
            sleeper: DeadlineSleeper::new(),
            next_echo: AtomicU64::new(1),
            state: watch::Sender::new(ConnState::Connecting(None)),
            events,
            keepalive,
            received: AtomicU64::new(0),
            holding: std::sync::atomic::AtomicBool::new(false),
        })
    }

    pub(crate) fn set_state(&self, state: ConnState) {
        for mut calls in self.each_share() {
            calls.conn = match &state {
                ConnState::Up(conn) => Some(conn.clone()),
                _ => None,
            };
        }
        self.state.send_replace(state);
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
    pub(crate) fn events(&self) -> &crate::events::EventBus {
        &self.events
    }

    /// How many calls wait for their reply.
    pub(crate) fn pending_count(&self) -> usize {
        self.each_share().map(|calls| calls.pending.len()).sum()
    }

    /// Whether at most one call waits for its reply. Stops at the first share that shows
    /// more, so with many calls in flight it takes one or two locks, not one per share.
    fn at_most_one_pending(&self) -> bool {
        let mut seen = 0;
        self.each_share().all(|calls| {
            seen += calls.pending.len();
            seen <= 1
        })
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
    fn send_late<'a>(
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
    fn reply<'a>(
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
    fn queue_later<'a>(
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
    async fn queue_when_up(
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

    /// Ends the calls whose time ran out, sleeping until the soonest deadline in between;
    /// runs as long as the connection does.
    async fn expire_calls(&self) -> ConnEnd {
        let mut expired = Vec::new();
        loop {
            self.sleeper.looking();
            let now = Instant::now();
            let mut next: Option<Instant> = None;
            for mut calls in self.each_share() {
                let due = calls.pending.extract_if(|_, pending| match pending {
                    Pending::Call {
                        deadline: Some(Deadline { at, .. }),
                        ..
                    } => {
                        if *at > now {
                            next = Some(next.map_or(*at, |n| n.min(*at)));
                        }
                        *at <= now
                    }
                    _ => false,
                });
                expired.extend(due.filter_map(|(_, pending)| match pending {
                    Pending::Call {
                        tx,
                        deadline: Some(deadline),
                        ..
                    } => Some((tx, deadline.after)),
                    _ => None,
                }));
            }
            for (tx, after) in expired.drain(..) {
                let _ = tx.send(Err(Ended::TimedOut(after)));
            }
            self.sleeper.sleep(next).await;
        }
    }

    /// Sends one stream action's call; its envelopes come through the returned packets, each
    /// of which the reader holds for up to `stall` while the caller is not reading.
    pub(crate) async fn send_stream(
        self: &Arc<Self>,
        action: &str,
        params: String,
        stall: Duration,
    ) -> Result<WsPackets, Error> {
        let echo = self.next_echo.fetch_add(1, Ordering::Relaxed);
        let frame = request_frame(action, &params, echo);
        let (slot, rx, end) = stream_slot(stall);
        self.queue_when_up(action, echo, Message::Text(frame.into()), slot)
            .await?;
        // From here on, dropping the packets frees the slot.
        Ok(WsPackets {
            core: self.clone(),
            echo,
            rx,
            end,
            stall,
        })
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

    /// Routes one text frame: to its call, to its stream, or to the event subscribers. A reply
    /// whose echo is found at its end goes over unread; anything else is read here once, and
    /// what was read is handed over with the bytes.
    fn on_frame(&self, frame: Bytes) -> Routed {
        // A reply shows its echo next to last, as NapCat writes it. It goes to its caller (or
        // its stream's reader) unread: the receiver reads the envelope and the data in one go,
        // on its own task, so this one reader does as little per frame as it can.
        if let Some(echo) = crate::tag_scan::find_uint_at_end(&frame, "echo") {
            let mut calls = self.calls(echo);
            let pending = &mut calls.pending;
            match pending.get(&echo) {
                Some(Pending::Call { .. }) => {
                    if let Some(Pending::Call { tx, .. }) = pending.remove(&echo) {
                        drop(calls);
                        let _ = tx.send(Ok(RawReply::new(None, frame)));
                    }
                    return Routed::Done;
                }
                Some(Pending::Stream(sink)) => {
                    let sink = sink.clone();
                    drop(calls);
                    return deliver(echo, sink, RawReply::new(None, frame), false);
                }
                Some(Pending::Abandoned) | None => {}
            }
        }
        // An event as NapCat writes it shows `post_type` among its last entries: it goes to
        // the subscribers without being read further here (each of them decodes it).
        if let Some(crate::tag_scan::TagScan::Found(_)) =
            crate::tag_scan::find_tag_at_end(&frame, "post_type")
        {
            let _ = self.events.send(frame);
            return Routed::Done;
        }
        let env = match serde_json::from_slice::<Envelope>(&frame) {
            Ok(env) if env.post_type.is_none() => env,
            // Events are not envelopes: their `status` or `message` may be objects or arrays.
            _ => {
                self.on_event(frame);
                return Routed::Done;
            }
        };
        let echo = env
            .echo
            .and_then(|e| serde_json::from_str::<u64>(e.get()).ok());
        let Some(echo) = echo else {
            return unmatched(env, &frame);
        };
        let mut calls = self.calls(echo);
        let pending = &mut calls.pending;
        let Some(slot) = pending.get_mut(&echo) else {
            drop(calls);
            return unmatched(env, &frame);
        };
        let parsed = Parsed::new(env, &frame);
        let last = !is_packet(&parsed, &frame);
        let reply = RawReply {
            http_status: None,
            body: frame,
            parsed: Some(parsed),
        };
        match slot {
            Pending::Call { .. } => {
                if let Some(Pending::Call { tx, .. }) = pending.remove(&echo) {
                    let _ = tx.send(Ok(reply));
                }
                Routed::Done
            }
            Pending::Abandoned => {
                if last {
                    pending.remove(&echo);
                }
                tracing::debug!(echo, "skipping a packet of a stream nobody reads");
                Routed::Done
            }
            Pending::Stream(sink) => {
                let sink = sink.clone();
                if last {
                    pending.remove(&echo);
                }
                drop(calls);
                deliver(echo, sink, reply, last)
            }
        }
    }

    /// Waits for room in a stream's full buffer, holding up this connection's reader, for up
    /// to the stream's stall time; then gives up on that stream, which its reader learns as
    /// [`Error::StreamStalled`], and skips its remaining packets.
    async fn deliver_late(&self, echo: u64, sink: StreamSink, reply: RawReply, last: bool) {
        self.holding.store(true, Ordering::Relaxed);
        let sent = tokio::time::timeout(sink.stall, sink.tx.send(reply)).await;
        self.holding.store(false, Ordering::Relaxed);
        self.received.fetch_add(1, Ordering::Relaxed);
        match sent {
            Ok(_) => {}
            Err(_) => {
                let _ = sink.end.set(Ended::Stalled(sink.stall));
                if !last {
                    self.calls(echo).pending.insert(echo, Pending::Abandoned);
                }
                tracing::warn!(echo, stall = ?sink.stall, "a stream was not read for its stall time; skipping its remaining packets");
            }
        }
    }

    /// Routes a frame and does what routing left to do; returns why the connection must
    /// end, if it must.
    async fn route(&self, frame: Bytes) -> Option<ConnEnd> {
        match self.on_frame(frame) {
            Routed::Done => None,
            Routed::End(end) => Some(end),
            Routed::Wait {
                echo,
                sink,
                reply,
                last,
            } => {
                self.deliver_late(echo, sink, reply, last).await;
                None
            }
        }
    }

    /// Hands a frame that is not a reply to the event subscribers, if it is an event.
    fn on_event(&self, frame: Bytes) {
        match crate::events::is_event(&frame) {
            Ok(true) => {
                // No subscriber is fine: events are optional.
                let _ = self.events.send(frame);
            }
            Ok(false) => {
                tracing::warn!(frame = %log_text(&frame), "skipping a frame that is neither a reply nor an event")
            }
            Err(e) => {
                tracing::warn!(error = %e, frame = %log_text(&frame), "skipping a frame that is not JSON")
            }
        }
    }

    /// Serves one connection until it ends; marks the core connected meanwhile. `first` is a
    /// frame already read from this connection (while checking the token) and routed first.
    /// `nodelay`: the socket sends each write at once (`TCP_NODELAY`), so frames queued together
    /// are written with one flush; otherwise the system coalesces writes itself (Nagle's
    /// algorithm), and each frame is flushed as soon as it is taken, which keeps the server fed
    /// (BENCHMARKS.md §2c measures both).
    pub(crate) async fn run<S>(
        self: &Arc<Self>,
        ws: WebSocketStream<S>,
        first: Option<Bytes>,
        nodelay: bool,
    ) -> ConnEnd
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (sink, mut stream) = ws.split();
        let (tx, rx) = mpsc::channel::<Message>(OUTGOING_QUEUE);
        let (queue, handed_back) = Outgoing::new(rx);
        let pinger = tx.clone();
        self.set_state(ConnState::Up(tx));
        // The writer and the reader get tasks of their own, so that under load they run on
        // both cores, and neither waits for this task's other branches to be polled.
        let mut writer = OwnedTask(tokio::spawn(
            self.clone().write_frames(sink, queue, nodelay),
        ));
        let core = self.clone();
        let mut reader = OwnedTask(tokio::spawn(async move {
            if let Some(frame) = first
                && let Some(end) = core.route(frame).await
            {
                return end;
            }
            loop {
                let next = stream.next().await;
                core.received.fetch_add(1, Ordering::Relaxed);
                match next {
                    None => return ConnEnd::Lost("the server closed the connection".into()),
                    Some(Err(e)) => return ConnEnd::Lost(format!("read failed: {e}")),
                    Some(Ok(Message::Text(text))) => {
                        if let Some(end) = core.route(text.into()).await {
                            return end;
                        }
                    }
                    Some(Ok(Message::Binary(b))) => {
                        tracing::warn!(bytes = b.len(), "skipping a binary frame")
                    }
                    Some(Ok(Message::Close(frame))) => return ConnEnd::Lost(closed_with(frame)),
                    Some(Ok(_)) => {}
                }
            }
        }));
        let keepalive = async {
            let Some(k) = self.keepalive else {
                return std::future::pending::<ConnEnd>().await;
            };
            let mut tick = tokio::time::interval(k.interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                let before = self.received.load(Ordering::Relaxed);
                if pinger.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return ConnEnd::Lost("writer stopped".into());
                }
                tokio::time::sleep(k.deadline).await;
                if self.received.load(Ordering::Relaxed) == before
                    && !self.holding.load(Ordering::Relaxed)
                {
                    return ConnEnd::Lost(format!(
                        "no answer to a keep-alive ping within {:?}",
                        k.deadline
                    ));
                }
            }
        };
        let end = tokio::select! {
            end = &mut reader => end.unwrap_or_else(|e| ConnEnd::Lost(format!("reader task ended: {e}"))),
            end = &mut writer => end.unwrap_or_else(|e| ConnEnd::Lost(format!("writer task ended: {e}"))),
            end = keepalive => end,
            end = self.expire_calls() => end,
        };
        // Stopped, the writer hands its queue back (`Outgoing`).
        writer.0.abort();
        if !writer.0.is_finished() {
            let _ = (&mut writer).await;
        }
        drop((writer, reader));
        let queue = lock(&handed_back).take();
        self.end_with(&end, queue);
        end
    }

    /// The connection's writer: sends what its queue holds until the queue closes or a write
    /// fails. With `nodelay`, the frames already queued are flushed together.
    async fn write_frames<S>(
        self: Arc<Self>,
        mut sink: SplitSink<WebSocketStream<S>, Message>,
        mut outgoing: Outgoing,
        nodelay: bool,
    ) -> ConnEnd
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let queue = &mut outgoing.queue;
        while let Some(first) = queue.recv().await {
            let mut next = Some(first);
            while let Some(m) = next {
                if let Err(e) = sink.feed(m).await {
                    return ConnEnd::Lost(format!("write failed: {e}"));
                }
                // With TCP_NODELAY, what is already queued goes with this frame: one packet
                // for many frames when many calls are in flight.
                next = if nodelay { queue.try_recv().ok() } else { None };
            }
            if let Err(e) = sink.flush().await {
                return ConnEnd::Lost(format!("write failed: {e}"));
            }
            // With one call in flight, its reply would wake this task too, and a second worker
            // with it (see `release_write_waker`). With more in flight, that wake keeps the
            // second worker busy, which measured faster (BENCHMARKS.md §2).
            if queue.is_empty() && self.at_most_one_pending() {
                let _ = release_write_waker(&mut sink);
            }
        }
        ConnEnd::Lost("writer stopped".into())
    }

    /// Records why the connection ended and ends every call in flight with it. The calls whose
    /// frames are still in the connection's `queue` are sent again on the next connection.
    pub(crate) fn end_with(&self, end: &ConnEnd, queue: Option<mpsc::Receiver<Message>>) {
        let why = match end {
            ConnEnd::Lost(reason) => {
                self.set_state(ConnState::Connecting(Some(reason.clone())));
                Ended::Lost(reason.clone())
            }
            ConnEnd::AuthRefused(message) => {
                self.set_state(ConnState::AuthFailed(message.clone()));
                Ended::Auth(message.clone())
            }
        };
        // The connection is no longer the current one, so no frame enters its queue any
        // more: what is left there was never written.
        let mut unwritten = Unwritten::default();
        if let Some(mut queue) = queue {
            queue.close();
            while let Ok(frame) = queue.try_recv() {
                // A request frame ends with its echo (`request_frame`); pings have none.
                let echo = match &frame {
                    Message::Text(text) => {
                        crate::tag_scan::find_uint_at_end(text.as_bytes(), "echo")
                    }
                    _ => None,
                };
                if let Some(echo) = echo {
                    unwritten.insert(echo, frame);
                }
            }
        }
        self.fail_all(why, unwritten);
    }
}

/// The writer's end of a connection's outgoing queue. However the writer stops (its
/// connection failed, or it was stopped), the queue goes back to the connection with the
/// frames it never took, so that their calls can be sent again on the next connection.
struct Outgoing {
    queue: mpsc::Receiver<Message>,
    handed_back: HandedBack,
}

/// The frames an ended connection never wrote, by echo.
type Unwritten = rustc_hash::FxHashMap<u64, Message>;

/// Where a stopped writer leaves its queue.
type HandedBack = Arc<Mutex<Option<mpsc::Receiver<Message>>>>;

impl Outgoing {
    fn new(queue: mpsc::Receiver<Message>) -> (Outgoing, HandedBack) {
        let handed_back = HandedBack::default();
        let outgoing = Outgoing {
            queue,
            handed_back: handed_back.clone(),
        };
        (outgoing, handed_back)
    }
}

impl Drop for Outgoing {
    fn drop(&mut self) {
        let (_, stopped) = mpsc::channel(1);
        *lock(&self.handed_back) = Some(std::mem::replace(&mut self.queue, stopped));
    }
}

/// A task that belongs to one connection: it is stopped when this is dropped (the connection
/// ended, or whoever served it was stopped), so it cannot keep the socket or the calls alive.
struct OwnedTask<T>(tokio::task::JoinHandle<T>);

impl<T> Future for OwnedTask<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for OwnedTask<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A reply no call waits for: a token refusal ends the connection; anything else (late,
/// duplicated, not ours) is skipped with a warning.
fn unmatched(env: Envelope<'_>, frame: &[u8]) -> Routed {
    if env.retcode == Some(1403) {
        return Routed::End(ConnEnd::AuthRefused(refusal_text(env)));
    }
    tracing::warn!(echo = ?env.echo.map(RawValue::get), frame = %log_text(frame), "skipping a reply with an unknown echo (late, duplicated or not ours)");
    Routed::Done
}

/// The error of a call that waited for a connection while the client shut down.
fn shutting_down(action: &str) -> Error {
    Error::Disconnected {
        action: action.to_owned(),
        reason: "the client is shutting down".into(),
    }
}

/// Why the server closed, from its close frame.
pub(crate) fn closed_with(frame: Option<CloseFrame>) -> String {
    let why = frame.map_or_else(
        || "no close code".to_owned(),
        |f| format!("code {}, {:?}", u16::from(f.code), f.reason.as_str()),
    );
    format!("the server closed the connection ({why})")
}

/// The server's message when `frame` is a token refusal (a reply, not an event, with retcode
/// 1403), as NapCat sends it right after the upgrade before it closes.
pub(crate) fn token_refusal(frame: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Envelope>(frame) {
        Ok(env) if env.post_type.is_none() && env.retcode == Some(1403) => Some(refusal_text(env)),
        _ => None,
    }
}

fn refusal_text(env: Envelope<'_>) -> String {
    env.message
        .map_or_else(|| "token验证失败".into(), Cow::into_owned)
}

/// `{"params":…,"action":…,"echo":N}` (NapCat reads the keys in any order), in a buffer of
/// exactly its size. The frame is freed by the connection's writer, often on another thread
/// than the caller that made it: a small exact allocation is one the allocator takes back
/// cheaply from any thread (a 128-byte serde buffer was not, measured in BENCHMARKS.md), and
/// a full buffer becomes the frame's bytes without another allocation.
fn request_frame(action: &str, params: &str, echo: u64) -> String {
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

/// Leaves a no-op waker where the writer's was, once everything written is flushed.
///
/// tokio-tungstenite wakes the task that last wrote whenever the socket turns readable, as
/// well as the reader (`compat.rs`: one waker proxy per direction wakes both). With the
/// writer's waker left there, a reply wakes the writer for nothing and, on a multi-thread
/// runtime, a second worker with it. The writer's next write registers its waker again
/// before it can need waking. `Pending` (the reader holds the stream) leaves the writer's
/// waker in place: one spurious wake, as without this.
fn release_write_waker<S>(
    sink: &mut SplitSink<WebSocketStream<S>, Message>,
) -> Poll<Result<(), tokio_tungstenite::tungstenite::Error>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    Pin::new(sink).poll_flush(&mut Context::from_waker(std::task::Waker::noop()))
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;

    /// A waker that counts how often it is woken.
    #[derive(Default)]
    struct CountingWaker(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Both ends of a WebSocket over an in-memory pipe holding up to `buffer` bytes each way:
    /// ours (the client) and the server's.
    async fn ws_pair(
        buffer: usize,
    ) -> (
        WebSocketStream<tokio::io::DuplexStream>,
        WebSocketStream<tokio::io::DuplexStream>,
    ) {
        use tokio_tungstenite::tungstenite::protocol::Role;
        let (ours, theirs) = tokio::io::duplex(buffer);
        (
            WebSocketStream::from_raw_socket(ours, Role::Client, None).await,
            WebSocketStream::from_raw_socket(theirs, Role::Server, None).await,
        )
    }

    /// The reader waits for a frame, and the server sends one: the reader gets it.
    async fn server_sends_the_reader_a_frame(
        stream: &mut futures_util::stream::SplitStream<WebSocketStream<tokio::io::DuplexStream>>,
        theirs: &mut WebSocketStream<tokio::io::DuplexStream>,
    ) {
        let mut reader = Context::from_waker(Waker::noop());
        assert!(stream.poll_next_unpin(&mut reader).is_pending());
        theirs.send(Message::text("reply")).await.unwrap();
        let Poll::Ready(Some(Ok(Message::Text(frame)))) = stream.poll_next_unpin(&mut reader)
        else {
            panic!("the reader did not get the frame");
        };
        assert_eq!(frame.as_str(), "reply");
    }

    /// Writes a frame with a writer task's waker (then releases it, if `release`), lets the
    /// reader wait, and sends it a frame from the server: how often the writer was woken.
    async fn writer_wakes_when_a_frame_arrives(release: bool) -> usize {
        let (ours, mut theirs) = ws_pair(1 << 16).await;
        let (mut sink, mut stream) = ours.split();
        let writer = Arc::new(CountingWaker::default());
        let writer_waker = Waker::from(writer.clone());
        let mut cx = Context::from_waker(&writer_waker);
        let mut sink = Pin::new(&mut sink);
        assert!(matches!(
            sink.as_mut().poll_ready(&mut cx),
            Poll::Ready(Ok(()))
        ));
        sink.as_mut().start_send(Message::text("{}")).unwrap();
        assert!(matches!(
            sink.as_mut().poll_flush(&mut cx),
            Poll::Ready(Ok(()))
        ));
        if release {
            assert!(matches!(
                release_write_waker(sink.get_mut()),
                Poll::Ready(Ok(()))
            ));
        }
        // The reader gets the frame either way.
        server_sends_the_reader_a_frame(&mut stream, &mut theirs).await;
        writer.0.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn a_frame_arriving_does_not_wake_a_writer_that_released_its_waker() {
        // Without the release, tokio-tungstenite wakes the writer for every frame read: the
        // case the release is for.
        assert_eq!(writer_wakes_when_a_frame_arrives(false).await, 1);
        assert_eq!(writer_wakes_when_a_frame_arrives(true).await, 0);
    }

    /// Runs the writer over an in-memory connection with `calls` calls in flight, until it has
    /// written their frames and waits for more; then the reader gets a frame from the server:
    /// how often that woke the writer.
    async fn writer_wakes_on_a_reply_with_calls_in_flight(calls: usize) -> usize {
        let (ours, mut theirs) = ws_pair(1 << 16).await;
        let (sink, mut stream) = ours.split();
        let core = core_without_events();
        let (conn, queue) = mpsc::channel::<Message>(4);
        core.set_state(ConnState::Up(conn));
        let mut in_flight: Vec<_> = (0..calls)
            .map(|_| core.send("get_status", "{}".into(), Duration::from_secs(3600)))
            .collect();
        for call in &mut in_flight {
            assert!(poll_once(call).is_pending());
        }
        let woken = Arc::new(CountingWaker::default());
        let writer_waker = Waker::from(woken.clone());
        let mut writer = Box::pin(
            core.clone()
                .write_frames(sink, Outgoing::new(queue).0, true),
        );
        assert!(
            writer
                .as_mut()
                .poll(&mut Context::from_waker(&writer_waker))
                .is_pending()
        );
        for _ in 0..calls {
            assert!(matches!(theirs.next().await, Some(Ok(Message::Text(_)))));
        }
        let before = woken.0.load(Ordering::SeqCst);
        server_sends_the_reader_a_frame(&mut stream, &mut theirs).await;
        woken.0.load(Ordering::SeqCst) - before
    }

    #[tokio::test]
    async fn the_writer_releases_its_waker_only_with_one_call_in_flight() {
        assert_eq!(writer_wakes_on_a_reply_with_calls_in_flight(1).await, 0);
        // With more in flight the writer keeps its waker: the spurious wake measured faster.
        assert_eq!(writer_wakes_on_a_reply_with_calls_in_flight(2).await, 1);
    }

    #[tokio::test]
    async fn at_most_one_pending_counts_calls_across_shares() {
        let core = core_without_events();
        let (conn, _written) = mpsc::channel::<Message>(4);
        core.set_state(ConnState::Up(conn));
        assert!(core.at_most_one_pending());
        let mut first = core.send("get_status", "{}".into(), Duration::from_secs(3600));
        assert!(poll_once(&mut first).is_pending());
        assert!(core.at_most_one_pending());
        // Consecutive echoes fall in different shares.
        let mut second = core.send("get_status", "{}".into(), Duration::from_secs(3600));
        assert!(poll_once(&mut second).is_pending());
        assert_eq!(core.pending_count(), 2);
        assert!(!core.at_most_one_pending());
        drop(second);
        assert!(core.at_most_one_pending());
    }

    /// A core whose events go nowhere, not connected yet.
    fn core_without_events() -> Arc<WsCore> {
        let (events, _) = tokio::sync::broadcast::channel(1);
        WsCore::new(events, None)
    }

    /// Polls a call once, without a task to wake.
    fn poll_once(sending: &mut Sending<'static>) -> Poll<Result<RawReply, Error>> {
        Pin::new(sending).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[tokio::test]
    async fn a_call_meeting_a_stopped_writer_waits_for_the_next_connection() {
        let core = core_without_events();
        // A connection whose writer stopped, its end not recorded yet.
        let (stopped, _) = mpsc::channel::<Message>(1);
        core.set_state(ConnState::Up(stopped));
        let mut call = core.send("get_status", "{}".into(), Duration::from_secs(3600));
        for _ in 0..3 {
            assert!(
                poll_once(&mut call).is_pending(),
                "the call failed or ended"
            );
        }
        // The end is recorded, and the next connection comes up: the frame goes there.
        core.set_state(ConnState::Connecting(Some("writer stopped".into())));
        let (next, mut written) = mpsc::channel::<Message>(1);
        core.set_state(ConnState::Up(next));
        assert!(poll_once(&mut call).is_pending());
        let Ok(frame @ Message::Text(_)) = written.try_recv() else {
            panic!("the frame was not queued on the new connection");
        };
        let request: serde_json::Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
        assert_eq!(request["action"], "get_status");
        let reply = reply_to(&frame);
        assert!(matches!(core.on_frame(reply.into()), Routed::Done));
        let Poll::Ready(Ok(reply)) = poll_once(&mut call) else {
            panic!("the reply did not reach its call");
        };
        assert!(std::str::from_utf8(&reply.body).unwrap().contains("online"));
    }

    /// A successful reply to the request `frame`.
    fn reply_to(frame: &Message) -> String {
        let Message::Text(frame) = frame else {
            panic!("not a request frame: {frame:?}");
        };
        let frame: serde_json::Value = serde_json::from_str(frame).unwrap();
        format!(
            r#"{{"status":"ok","retcode":0,"data":{{"online":true}},"echo":{}}}"#,
            frame["echo"]
        )
    }

    #[tokio::test]
    async fn calls_the_ended_connection_never_wrote_are_sent_on_the_next_one() {
        let core = core_without_events();
        let (conn, mut queue) = mpsc::channel::<Message>(2);
        core.set_state(ConnState::Up(conn));
        let hour = Duration::from_secs(3600);
        let mut written = core.send("get_status", "{}".into(), hour);
        assert!(poll_once(&mut written).is_pending());
        // The writer takes the first frame: the server may have got it.
        let written_frame = queue.try_recv().unwrap();
        let mut unwritten = core.send("get_status", "{}".into(), hour);
        let mut waiting_for_room = [
            core.send("get_status", "{}".into(), hour),
            core.send("get_status", "{}".into(), hour),
        ];
        for call in [&mut unwritten, &mut written]
            .into_iter()
            .chain(&mut waiting_for_room)
        {
            assert!(poll_once(call).is_pending());
        }
        core.end_with(&ConnEnd::Lost("reset".into()), Some(queue));
        // The call whose frame was written ends with the connection, as its reply may never
        // come; the others were not sent, and wait for the next connection.
        let Poll::Ready(Err(Error::Disconnected { reason, .. })) = poll_once(&mut written) else {
            panic!("the written call did not end with its connection");
        };
        assert_eq!(reason, "reset");
        for call in std::iter::once(&mut unwritten).chain(&mut waiting_for_room) {
            assert!(poll_once(call).is_pending(), "an unsent call ended");
        }
        let (next, mut next_queue) = mpsc::channel::<Message>(8);
        core.set_state(ConnState::Up(next));
        for call in std::iter::once(&mut unwritten).chain(&mut waiting_for_room) {
            assert!(poll_once(call).is_pending());
        }
        // Each unsent call's frame goes out once on the new connection; the written one's not.
        let mut resent = Vec::new();
        while let Ok(frame) = next_queue.try_recv() {
            resent.push(frame);
        }
        assert_eq!(resent.len(), 3);
        assert!(!resent.contains(&written_frame));
        for frame in &resent {
            assert!(matches!(
                core.on_frame(reply_to(frame).into()),
                Routed::Done
            ));
        }
        for call in std::iter::once(&mut unwritten).chain(&mut waiting_for_room) {
            assert!(matches!(poll_once(call), Poll::Ready(Ok(_))));
        }
        assert_eq!(core.pending_count(), 0);
    }

    #[tokio::test]
    async fn a_stalled_writers_queue_goes_out_on_the_next_connection() {
        use tokio::io::AsyncReadExt;
        use tokio_tungstenite::tungstenite::protocol::Role;
        let core = core_without_events();
        let hour = Duration::from_secs(3600);
        // The first server reads a few bytes and then nothing: the writer stalls on its first
        // frame, and the frames of the calls made after it stay in the queue.
        let (ours, mut theirs) = tokio::io::duplex(64);
        let ws = WebSocketStream::from_raw_socket(ours, Role::Client, None).await;
        let first = tokio::spawn({
            let core = core.clone();
            async move { core.run(ws, None, true).await }
        });
        let mut state = core.subscribe_state();
        state
            .wait_for(|s| matches!(s, ConnState::Up(_)))
            .await
            .unwrap();
        let padded = format!(r#"{{"pad":"{}"}}"#, "x".repeat(4096));
        let stalled = tokio::spawn(core.send("get_status", padded, hour));
        let mut first_bytes = [0u8; 16];
        theirs.read_exact(&mut first_bytes).await.unwrap();
        let queued: Vec<_> = (0..3)
            .map(|_| tokio::spawn(core.send("get_status", "{}".into(), hour)))
            .collect();
        while core.pending_count() < 4 {
            tokio::task::yield_now().await;
        }
        drop(theirs);
        assert!(matches!(first.await.unwrap(), ConnEnd::Lost(_)));
        // The stalled frame was partly written: its call ends with the connection.
        assert!(matches!(
            stalled.await.unwrap(),
            Err(Error::Disconnected { .. })
        ));
        // The second server answers everything it gets, and notes each echo.
        let (ws, mut server) = ws_pair(1 << 16).await;
        let (echoes_tx, mut echoes) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(Ok(frame)) = server.next().await {
                if let Message::Text(text) = &frame {
                    let value: serde_json::Value = serde_json::from_str(text).unwrap();
                    echoes_tx.send(value["echo"].as_u64().unwrap()).unwrap();
                    server.send(Message::text(reply_to(&frame))).await.unwrap();
                }
            }
        });
        let second = tokio::spawn({
            let core = core.clone();
            async move { core.run(ws, None, true).await }
        });
        for call in queued {
            assert!(call.await.unwrap().is_ok());
        }
        second.abort();
        let mut seen = Vec::new();
        while let Ok(echo) = echoes.try_recv() {
            seen.push(echo);
        }
        let sent = seen.len();
        seen.sort();
        seen.dedup();
        assert_eq!(
            (sent, seen.len()),
            (3, 3),
            "each unsent frame once on the new connection"
        );
    }

    #[tokio::test]
    async fn a_stream_waiting_for_room_is_sent_on_the_next_connection() {
        let core = core_without_events();
        let (_call, queue) = one_call_queued(&core, Duration::from_secs(3600));
        // The queue is full: the stream's call waits for room, and has sent nothing.
        let mut stream = Box::pin(core.send_stream(
            "download_file_stream",
            "{}".into(),
            Duration::from_secs(3600),
        ));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(stream.as_mut().poll(&mut cx).is_pending());
        core.end_with(&ConnEnd::Lost("reset".into()), Some(queue));
        assert!(stream.as_mut().poll(&mut cx).is_pending());
        let (next, mut next_queue) = mpsc::channel::<Message>(8);
        core.set_state(ConnState::Up(next));
        let Poll::Ready(Ok(mut packets)) = stream.as_mut().poll(&mut cx) else {
            panic!("the stream's call was not sent on the new connection");
        };
        let frame = next_queue.try_recv().unwrap();
        assert!(matches!(&frame, Message::Text(t) if t.contains("download_file_stream")));
        assert!(matches!(
            core.on_frame(reply_to(&frame).into()),
            Routed::Done
        ));
        let reply = packets.next("download_file_stream").await.unwrap();
        assert!(std::str::from_utf8(&reply.body).unwrap().contains("online"));
    }

    #[tokio::test]
    async fn a_streams_request_left_in_the_queue_is_sent_on_the_next_connection() {
        let core = core_without_events();
        let (conn, queue) = mpsc::channel::<Message>(1);
        core.set_state(ConnState::Up(conn));
        let hour = Duration::from_secs(3600);
        let mut packets = core
            .send_stream("download_file_stream", "{}".into(), hour)
            .await
            .unwrap();
        core.end_with(&ConnEnd::Lost("reset".into()), Some(queue));
        let mut next = Box::pin(packets.next("download_file_stream"));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(next.as_mut().poll(&mut cx).is_pending(), "the stream ended");
        let (conn, mut next_queue) = mpsc::channel::<Message>(8);
        core.set_state(ConnState::Up(conn));
        assert!(next.as_mut().poll(&mut cx).is_pending());
        let frame = next_queue.try_recv().unwrap();
        assert!(matches!(&frame, Message::Text(t) if t.contains("download_file_stream")));
        assert!(matches!(
            core.on_frame(reply_to(&frame).into()),
            Routed::Done
        ));
        let Poll::Ready(Ok(reply)) = next.as_mut().poll(&mut cx) else {
            panic!("the envelope did not reach the stream");
        };
        assert!(std::str::from_utf8(&reply.body).unwrap().contains("online"));
    }

    /// A connection with one call queued, its frame not written yet: the call and the queue.
    fn one_call_queued(
        core: &Arc<WsCore>,
        timeout: Duration,
    ) -> (Sending<'static>, mpsc::Receiver<Message>) {
        let (conn, queue) = mpsc::channel::<Message>(1);
        core.set_state(ConnState::Up(conn));
        let mut call = core.send("get_status", "{}".into(), timeout);
        assert!(poll_once(&mut call).is_pending());
        (call, queue)
    }

    #[tokio::test]
    async fn an_unsent_call_still_times_out_while_there_is_no_connection() {
        let core = core_without_events();
        let (call, queue) = one_call_queued(&core, Duration::from_millis(50));
        core.end_with(&ConnEnd::Lost("reset".into()), Some(queue));
        match call.await {
            Err(Error::Transport { source, .. }) => {
                let text = source.to_string();
                assert!(text.contains("so the call was not sent"), "{text}");
                assert!(text.contains("reset"), "{text}");
            }
            other => panic!("expected the not-sent error, got {other:?}"),
        }
        assert_eq!(core.pending_count(), 0);
    }

    #[tokio::test]
    async fn an_unsent_call_gets_the_auth_error_when_the_token_was_refused() {
        let core = core_without_events();
        let (mut call, queue) = one_call_queued(&core, Duration::from_secs(3600));
        core.end_with(&ConnEnd::AuthRefused("token验证失败".into()), Some(queue));
        let Poll::Ready(Err(Error::Auth { message, .. })) = poll_once(&mut call) else {
            panic!("the call did not end with the refusal");
        };
        assert_eq!(message, "token验证失败");
    }

    #[test]
    fn a_request_frame_is_the_params_action_and_echo_as_json() {
        let frame = request_frame("get_login_info", r#"{"no_cache":true}"#, 42);
        let value: serde_json::Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"action": "get_login_info", "params": {"no_cache": true}, "echo": 42})
        );
        // An action name that JSON must escape is escaped.
        let frame = request_frame("odd\"name\\", "{}", 7);
        let value: serde_json::Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(value["action"], "odd\"name\\");
        assert_eq!(frame.len(), frame.capacity());
    }

    #[test]
    fn a_request_frame_fills_its_buffer_exactly() {
        for echo in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
            let frame = request_frame("get_status", "{}", echo);
            assert_eq!(frame.len(), frame.capacity(), "echo {echo}: {frame}");
            assert!(frame.ends_with(&format!(",\"echo\":{echo}}}")));
        }
    }
}
