//! Serving one connection: its reader routes frames to calls, streams and event subscribers,
//! its writer sends queued frames, keep-alive pings and deadlines run beside them, and its end
//! ends the calls it took.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::SplitSink;
use futures_util::{Sink, SinkExt, StreamExt};
use serde_json::value::RawValue;
use std::borrow::Cow;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use crate::events::is_event;
use crate::transport::ws::core::{CLOSED, Unwritten, WsCore};
use crate::transport::ws::reply_wait::ReplyWait;
use crate::transport::ws::slots::{ConnEnd, ConnState, Deadline, Ended, Pending, Routed, lock};
use crate::transport::ws::stream::deliver;
use crate::wire::reply::is_packet;
use crate::wire::reply::{Envelope, Parsed, RawReply, log_text};
use crate::wire::tag_scan::{TagScan, find_tag_at_end, find_uint_at_end};

/// How long a closing client waits for its close frame to be written.
const CLOSE_FRAME_WAIT: Duration = Duration::from_secs(1);

/// How many frames may wait to be written before callers wait.
pub(super) const OUTGOING_QUEUE: usize = 1024;

/// The most a single read from the socket takes. The WebSocket library zeroes this much of its
/// read buffer before every read, found frame or not; its default (128 KiB) made that the
/// largest single cost of a small reply's round trip (BENCHMARKS.md §2). A frame larger than
/// this is still read whole, in reads of this size.
pub(crate) const READ_CHUNK: usize = 16 * 1024;

/// The WebSocket settings of every connection: frames and messages up to `max_reply_bytes`,
/// read in chunks of [`READ_CHUNK`].
pub(crate) fn socket_config(max_reply_bytes: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_CHUNK)
        .max_message_size(Some(max_reply_bytes))
        .max_frame_size(Some(max_reply_bytes))
}

impl WsCore {
    /// Ends the calls whose time ran out, sleeping until the soonest deadline in between;
    /// runs as long as the connection does.
    pub(super) async fn expire_calls(&self) -> ConnEnd {
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

    /// Routes one text frame: to its call, to its stream, or to the event subscribers. A reply
    /// whose echo is found at its end goes over unread; anything else is read here once, and
    /// what was read is handed over with the bytes.
    pub(super) fn on_frame(&self, frame: Bytes) -> Routed {
        // A reply shows its echo next to last, as NapCat writes it. It goes to its caller (or
        // its stream's reader) unread: the receiver reads the envelope and the data in one go,
        // on its own task, so this one reader does as little per frame as it can.
        if let Some(echo) = find_uint_at_end(&frame, "echo") {
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
        if let Some(TagScan::Found(_)) = find_tag_at_end(&frame, "post_type") {
            self.events.send(frame);
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

    /// Routes a frame and does what routing left to do; returns why the connection must
    /// end, if it must.
    pub(super) async fn route(&self, frame: Bytes) -> Option<ConnEnd> {
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
    pub(super) fn on_event(&self, frame: Bytes) {
        match is_event(&frame) {
            Ok(true) => {
                // No subscriber is fine: events are optional.
                self.events.send(frame);
            }
            Ok(false) => {
                tracing::warn!(frame = %log_text(&frame), "skipping a frame that is neither a reply nor an event")
            }
            Err(e) => {
                tracing::warn!(error = %e, frame = %log_text(&frame), "skipping a frame that is not JSON")
            }
        }
    }

    /// Serves one connection until it ends, or until `until` completes (a newer connection
    /// took over); marks the core connected meanwhile. `first` is a frame already read from
    /// this connection (while checking the token) and routed first.
    /// `nodelay`: the socket sends each write at once (`TCP_NODELAY`), so frames queued together
    /// are written with one flush; otherwise the system coalesces writes itself (Nagle's
    /// algorithm), and each frame is flushed as soon as it is taken, which keeps the server fed
    /// (BENCHMARKS.md §2c measures both). `reply_poll`: how long the reader polls for an
    /// expected reply before its thread sleeps ([`ReplyWait`]).
    pub(crate) async fn run<S>(
        self: &Arc<Self>,
        ws: WebSocketStream<S>,
        first: Option<Bytes>,
        nodelay: bool,
        reply_poll: Duration,
        until: impl Future<Output = ()>,
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
            let mut wait = ReplyWait::new(reply_poll);
            loop {
                let next = wait.next(&mut stream, &core).await;
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
        let keepalive = self.keep_alive(&pinger);
        let end = tokio::select! {
            end = &mut reader => end.unwrap_or_else(|e| ConnEnd::Lost(format!("reader task ended: {e}"))),
            end = &mut writer => end.unwrap_or_else(|e| ConnEnd::Lost(format!("writer task ended: {e}"))),
            end = keepalive => end,
            end = self.expire_calls() => end,
            () = self.closing.cancelled() => ConnEnd::Closed,
            () = until => ConnEnd::Lost("a newer connection for this account took over".into()),
        };
        if let ConnEnd::Closed = end {
            // A clean close: the writer sends a close frame, then stops once no sender is
            // left (the state drops the calls' senders).
            self.set_state(ConnState::Closed(CLOSED.into()));
            let close = Message::Close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "the client was closed".into(),
            }));
            if pinger.try_send(close).is_ok() {
                drop(pinger);
                let _ = tokio::time::timeout(CLOSE_FRAME_WAIT, &mut writer).await;
            }
        }
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

    /// Keep-alive pings while the connection runs; returns why it counts as lost. A ping is
    /// not waited for: with no room in the queue the writer is far behind, and the check
    /// after the deadline tells whether it is stuck. The connection is lost when nothing at all
    /// arrived since the ping (a peer that vanished), or when frames wait to be written and
    /// none was since the ping (a peer that stopped reading, whose socket took no more).
    /// Progress is counted per frame, so a writer kept busy by steady load without a pause
    /// to flush is not taken for a stuck one.
    async fn keep_alive(&self, pinger: &mpsc::Sender<Message>) -> ConnEnd {
        let Some(k) = self.keepalive else {
            return std::future::pending().await;
        };
        let mut tick = tokio::time::interval(k.interval);
        tick.tick().await;
        loop {
            tick.tick().await;
            let received = self.received.load(Ordering::Relaxed);
            let written = self.written.load(Ordering::Relaxed);
            if let Err(mpsc::error::TrySendError::Closed(_)) =
                pinger.try_send(Message::Ping(Vec::new().into()))
            {
                return ConnEnd::Lost("writer stopped".into());
            }
            tokio::time::sleep(k.deadline).await;
            if self.received.load(Ordering::Relaxed) == received
                && !self.holding.load(Ordering::Relaxed)
            {
                return ConnEnd::Lost(format!(
                    "no answer to a keep-alive ping within {:?}",
                    k.deadline
                ));
            }
            let waiting =
                self.writing.load(Ordering::Relaxed) || pinger.capacity() < pinger.max_capacity();
            if waiting && self.written.load(Ordering::Relaxed) == written {
                return ConnEnd::Lost(format!(
                    "the peer stopped reading: nothing could be written for {:?}",
                    k.deadline
                ));
            }
        }
    }

    /// The connection's writer: sends what its queue holds until the queue closes or a write
    /// fails. With `nodelay`, the frames already queued are flushed together.
    pub(super) async fn write_frames<S>(
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
            self.writing.store(true, Ordering::Relaxed);
            let mut next = Some(first);
            let mut yielded = false;
            while let Some(m) = next {
                if let Err(e) = sink.feed(m).await {
                    return ConnEnd::Lost(format!("write failed: {e}"));
                }
                // Progress for the keep-alive check: a frame the socket took.
                self.written.fetch_add(1, Ordering::Relaxed);
                // With TCP_NODELAY, what is already queued goes with this frame: one packet
                // for many frames when many calls are in flight.
                next = if nodelay { queue.try_recv().ok() } else { None };
                // The callers woken by the same batch of replies have not run yet: a task
                // that wakes this one takes the worker's next turn, ahead of them. Letting them
                // queue their frames first makes one write of many frames instead of many
                // writes of one (BENCHMARKS.md §2, round eight).
                if next.is_none() && nodelay && !yielded && !self.at_most_one_pending() {
                    yielded = true;
                    tokio::task::yield_now().await;
                    next = queue.try_recv().ok();
                }
            }
            if let Err(e) = sink.flush().await {
                return ConnEnd::Lost(format!("write failed: {e}"));
            }
            self.writing.store(false, Ordering::Relaxed);
            self.written.fetch_add(1, Ordering::Relaxed);
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
            ConnEnd::Closed => {
                self.set_state(ConnState::Closed(CLOSED.into()));
                self.fail_all(Ended::Closed, Unwritten::default());
                return;
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
                    Message::Text(text) => find_uint_at_end(text.as_bytes(), "echo"),
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
pub(super) struct Outgoing {
    pub(super) queue: mpsc::Receiver<Message>,
    pub(super) handed_back: HandedBack,
}

/// Where a stopped writer leaves its queue.
pub(super) type HandedBack = Arc<Mutex<Option<mpsc::Receiver<Message>>>>;

impl Outgoing {
    pub(super) fn new(queue: mpsc::Receiver<Message>) -> (Outgoing, HandedBack) {
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
pub(super) struct OwnedTask<T>(tokio::task::JoinHandle<T>);

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
pub(super) fn unmatched(env: Envelope<'_>, frame: &[u8]) -> Routed {
    if env.retcode == Some(1403) {
        return Routed::End(ConnEnd::AuthRefused(refusal_text(env)));
    }
    tracing::warn!(echo = ?env.echo.map(RawValue::get), frame = %log_text(frame), "skipping a reply with an unknown echo (late, duplicated or not ours)");
    Routed::Done
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

pub(super) fn refusal_text(env: Envelope<'_>) -> String {
    env.message
        .map_or_else(|| "token验证失败".into(), Cow::into_owned)
}

/// Leaves a no-op waker where the writer's was, once everything written is flushed.
///
/// tokio-tungstenite wakes the task that last wrote whenever the socket turns readable, as
/// well as the reader (`compat.rs`: one waker proxy per direction wakes both). With the
/// writer's waker left there, a reply wakes the writer for nothing and, on a multi-thread
/// runtime, a second worker with it. The writer's next write registers its waker again
/// before it can need waking. `Pending` (the reader holds the stream) leaves the writer's
/// waker in place: one spurious wake, as without this.
pub(super) fn release_write_waker<S>(
    sink: &mut SplitSink<WebSocketStream<S>, Message>,
) -> Poll<Result<(), tokio_tungstenite::tungstenite::Error>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    Pin::new(sink).poll_flush(&mut Context::from_waker(std::task::Waker::noop()))
}
