//! What forward and reverse WebSocket share: calls in flight matched to replies by echo,
//! one task reading and writing a connection, events handed to subscribers.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use crate::Error;
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
}

impl Ended {
    fn into_error(self, action: &str) -> Error {
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
        }
    }
}

type Pending = oneshot::Sender<Result<RawReply, Ended>>;

/// The calls in flight and the current connection of one WebSocket client.
pub(crate) struct WsCore {
    pending: Mutex<HashMap<u64, Pending>>,
    next_echo: AtomicU64,
    state: watch::Sender<ConnState>,
    events: crate::events::EventBus,
    keepalive: Option<KeepAlive>,
    /// Frames received on the current connection (any kind, pongs included).
    received: AtomicU64,
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

/// Removes a call's pending slot however its future ends (timeout, drop), unless the reader
/// already took it out to deliver the reply.
struct PendingSlot<'a> {
    core: &'a WsCore,
    echo: u64,
    delivered: bool,
}

impl Drop for PendingSlot<'_> {
    fn drop(&mut self) {
        if !self.delivered {
            lock(&self.core.pending).remove(&self.echo);
        }
    }
}

impl WsCore {
    pub(crate) fn new(
        events: crate::events::EventBus,
        keepalive: Option<KeepAlive>,
    ) -> Arc<WsCore> {
        Arc::new(WsCore {
            pending: Mutex::new(HashMap::new()),
            next_echo: AtomicU64::new(1),
            state: watch::Sender::new(ConnState::Connecting(None)),
            events,
            keepalive,
            received: AtomicU64::new(0),
        })
    }

    pub(crate) fn set_state(&self, state: ConnState) {
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
        lock(&self.pending).len()
    }

    /// Sends one call and waits for the reply with its echo.
    pub(crate) async fn send(&self, action: &str, params: Vec<u8>) -> Result<RawReply, Error> {
        let echo = self.next_echo.fetch_add(1, Ordering::Relaxed);
        let frame = request_frame(action, &params, echo)
            .map_err(|e| Error::invalid_argument(action, "(params)", e))?;
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(echo, tx);
        let mut slot = PendingSlot {
            core: self,
            echo,
            delivered: false,
        };
        let message = Message::Text(frame.into());
        // Fast path: connected and the queue has room; no sender clone, no await.
        let queued = match &*self.state.borrow() {
            ConnState::Up(conn) => conn.try_send(message).map_err(|e| e.into_inner()),
            _ => Err(message),
        };
        let message = match queued {
            Ok(()) => return self.await_reply(action, rx, &mut slot).await,
            Err(message) => message,
        };
        let conn = self.wait_until_up(action).await?;
        conn.send(message).await.map_err(|_| Error::Disconnected {
            action: action.to_owned(),
            reason: "the connection closed before the request was written".into(),
        })?;
        self.await_reply(action, rx, &mut slot).await
    }

    async fn await_reply(
        &self,
        action: &str,
        rx: oneshot::Receiver<Result<RawReply, Ended>>,
        slot: &mut PendingSlot<'_>,
    ) -> Result<RawReply, Error> {
        let reply = rx.await;
        // Either way the reader (or `fail_all`) has taken the slot out.
        slot.delivered = true;
        match reply {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(ended)) => Err(ended.into_error(action)),
            Err(_) => Err(Error::Disconnected {
                action: action.to_owned(),
                reason: "the connection closed".into(),
            }),
        }
    }

    async fn wait_until_up(&self, action: &str) -> Result<mpsc::Sender<Message>, Error> {
        let mut rx = self.state.subscribe();
        loop {
            let state = rx.borrow_and_update().clone();
            if let ConnState::Up(conn) = state {
                return Ok(conn);
            }
            if let Some(e) = state.final_error(action) {
                return Err(e);
            }
            if rx.changed().await.is_err() {
                return Err(Error::Disconnected {
                    action: action.to_owned(),
                    reason: "the client is shutting down".into(),
                });
            }
        }
    }

    /// Ends every call in flight; each names its own action in the error it returns.
    pub(crate) fn fail_all(&self, why: Ended) {
        let drained: Vec<Pending> = lock(&self.pending).drain().map(|(_, p)| p).collect();
        for tx in drained {
            let _ = tx.send(Err(why.clone()));
        }
    }

    /// Routes one text frame; returns why the connection must end, if it must. The envelope
    /// is read once here and handed to the caller with the bytes.
    fn on_frame(&self, frame: Bytes) -> Option<ConnEnd> {
        // An event as NapCat writes it shows `post_type` among its last entries: it goes to
        // the subscribers without being read further here (each of them decodes it).
        if let Some(crate::tag_scan::TagScan::Found(_)) =
            crate::tag_scan::find_tag_at_end(&frame, "post_type")
        {
            let _ = self.events.send(frame);
            return None;
        }
        let env = match serde_json::from_slice::<Envelope>(&frame) {
            Ok(env) if env.post_type.is_none() => env,
            // Events are not envelopes: their `status` or `message` may be objects or arrays.
            _ => {
                self.on_event(frame);
                return None;
            }
        };
        let echo = env
            .echo
            .and_then(|e| serde_json::from_str::<u64>(e.get()).ok());
        let pending = echo.and_then(|e| lock(&self.pending).remove(&e));
        match pending {
            Some(tx) => {
                let parsed = Parsed::new(env, &frame);
                let _ = tx.send(Ok(RawReply {
                    http_status: None,
                    body: frame,
                    parsed: Some(parsed),
                }));
                None
            }
            None if env.retcode == Some(1403) => Some(ConnEnd::AuthRefused(refusal_text(env))),
            None => {
                tracing::warn!(echo = ?env.echo.map(RawValue::get), frame = %log_text(&frame), "skipping a reply with an unknown echo (late, duplicated or not ours)");
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
    pub(crate) async fn run<S>(&self, ws: WebSocketStream<S>, first: Option<Bytes>) -> ConnEnd
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (mut sink, mut stream) = ws.split();
        let (tx, mut rx) = mpsc::channel::<Message>(OUTGOING_QUEUE);
        let pinger = tx.clone();
        self.set_state(ConnState::Up(tx));
        // The writer gets its own task so reading and writing use both cores under load.
        let mut writer = tokio::spawn(async move {
            // Write everything already queued, then flush once: one syscall for many frames
            // when many calls are in flight.
            while let Some(first) = rx.recv().await {
                let mut next = Some(first);
                while let Some(m) = next {
                    if let Err(e) = sink.feed(m).await {
                        return ConnEnd::Lost(format!("write failed: {e}"));
                    }
                    next = rx.try_recv().ok();
                }
                if let Err(e) = sink.flush().await {
                    return ConnEnd::Lost(format!("write failed: {e}"));
                }
            }
            ConnEnd::Lost("writer stopped".into())
        });
        let reader = async {
            if let Some(end) = first.and_then(|frame| self.on_frame(frame)) {
                return end;
            }
            loop {
                let next = stream.next().await;
                self.received.fetch_add(1, Ordering::Relaxed);
                match next {
                    None => return ConnEnd::Lost("the server closed the connection".into()),
                    Some(Err(e)) => return ConnEnd::Lost(format!("read failed: {e}")),
                    Some(Ok(Message::Text(text))) => {
                        if let Some(end) = self.on_frame(text.into()) {
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
        };
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
                if self.received.load(Ordering::Relaxed) == before {
                    return ConnEnd::Lost(format!(
                        "no answer to a keep-alive ping within {:?}",
                        k.deadline
                    ));
                }
            }
        };
        let end = tokio::select! {
            end = reader => end,
            end = &mut writer => end.unwrap_or_else(|e| ConnEnd::Lost(format!("writer task ended: {e}"))),
            end = keepalive => end,
        };
        writer.abort();
        self.end_with(&end);
        end
    }

    /// Records why the connection ended and ends every call in flight with it.
    pub(crate) fn end_with(&self, end: &ConnEnd) {
        match end {
            ConnEnd::Lost(reason) => {
                self.set_state(ConnState::Connecting(Some(reason.clone())));
                self.fail_all(Ended::Lost(reason.clone()));
            }
            ConnEnd::AuthRefused(message) => {
                self.set_state(ConnState::AuthFailed(message.clone()));
                self.fail_all(Ended::Auth(message.clone()));
            }
        }
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
    env.message.unwrap_or_else(|| "token验证失败".into())
}

/// `{"action":…,"params":…,"echo":N}` in one allocation, without re-serializing the params.
fn request_frame(action: &str, params: &[u8], echo: u64) -> Result<String, String> {
    let mut frame = Vec::with_capacity(params.len() + action.len() + 48);
    frame.extend_from_slice(b"{\"action\":");
    serde_json::to_writer(&mut frame, action).map_err(|e| e.to_string())?;
    frame.extend_from_slice(b",\"params\":");
    frame.extend_from_slice(params);
    frame.extend_from_slice(b",\"echo\":");
    write!(frame, "{echo}").map_err(|e| e.to_string())?;
    frame.push(b'}');
    String::from_utf8(frame).map_err(|e| e.to_string())
}
