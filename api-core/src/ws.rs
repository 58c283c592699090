//! What forward and reverse WebSocket share: calls in flight matched to replies by echo,
//! one task reading and writing a connection, events handed to subscribers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::Error;
use crate::reply::{RawReply, log_text};

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

/// Why a connection ended.
#[derive(Debug)]
pub(crate) enum ConnEnd {
    /// Closed or broken; reconnecting may help.
    Lost(String),
    /// Retcode 1403: the token was refused.
    AuthRefused(String),
}

struct Pending {
    action: String,
    tx: oneshot::Sender<Result<RawReply, Error>>,
}

/// The calls in flight and the current connection of one WebSocket client.
pub(crate) struct WsCore {
    pending: Mutex<HashMap<u64, Pending>>,
    next_echo: AtomicU64,
    state: watch::Sender<ConnState>,
    events: broadcast::Sender<Value>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The fields of a frame needed to route it.
#[derive(Deserialize)]
struct Route<'a> {
    #[serde(default)]
    post_type: Option<IgnoredAny>,
    #[serde(borrow, default)]
    echo: Option<&'a RawValue>,
    #[serde(default)]
    retcode: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// Removes a call's pending slot however its future ends (reply, timeout, drop).
struct PendingSlot<'a> {
    core: &'a WsCore,
    echo: u64,
}

impl Drop for PendingSlot<'_> {
    fn drop(&mut self) {
        lock(&self.core.pending).remove(&self.echo);
    }
}

impl WsCore {
    pub(crate) fn new(events: broadcast::Sender<Value>) -> Arc<WsCore> {
        Arc::new(WsCore {
            pending: Mutex::new(HashMap::new()),
            next_echo: AtomicU64::new(1),
            state: watch::Sender::new(ConnState::Connecting(None)),
            events,
        })
    }

    pub(crate) fn set_state(&self, state: ConnState) {
        self.state.send_replace(state);
    }

    pub(crate) fn subscribe_state(&self) -> watch::Receiver<ConnState> {
        self.state.subscribe()
    }

    /// The sender events are broadcast on.
    pub(crate) fn events(&self) -> &broadcast::Sender<Value> {
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
        lock(&self.pending).insert(
            echo,
            Pending {
                action: action.to_owned(),
                tx,
            },
        );
        let _slot = PendingSlot { core: self, echo };
        let conn = self.wait_until_up(action).await?;
        conn.send(Message::Text(frame.into()))
            .await
            .map_err(|_| Error::Disconnected {
                action: action.to_owned(),
                reason: "the connection closed before the request was written".into(),
            })?;
        rx.await.unwrap_or_else(|_| {
            Err(Error::Disconnected {
                action: action.to_owned(),
                reason: "the connection closed".into(),
            })
        })
    }

    async fn wait_until_up(&self, action: &str) -> Result<mpsc::Sender<Message>, Error> {
        let mut rx = self.state.subscribe();
        loop {
            let state = rx.borrow_and_update().clone();
            match state {
                ConnState::Up(conn) => return Ok(conn),
                ConnState::AuthFailed(message) => {
                    return Err(Error::Auth {
                        action: action.to_owned(),
                        message,
                        http_status: None,
                    });
                }
                ConnState::Closed(reason) => {
                    return Err(Error::Disconnected {
                        action: action.to_owned(),
                        reason,
                    });
                }
                ConnState::Connecting(_) => {}
            }
            if rx.changed().await.is_err() {
                return Err(Error::Disconnected {
                    action: action.to_owned(),
                    reason: "the client is shutting down".into(),
                });
            }
        }
    }

    /// Ends every call in flight with the error `make` builds for its action.
    pub(crate) fn fail_all(&self, make: impl Fn(String) -> Error) {
        let drained: Vec<Pending> = lock(&self.pending).drain().map(|(_, p)| p).collect();
        for p in drained {
            let _ = p.tx.send(Err(make(p.action)));
        }
    }

    /// Routes one text frame; returns why the connection must end, if it must.
    fn on_frame(&self, frame: Bytes) -> Option<ConnEnd> {
        let route: Route = match serde_json::from_slice(&frame) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, frame = %log_text(&frame), "skipping a frame that is not JSON");
                return None;
            }
        };
        if route.post_type.is_some() {
            match serde_json::from_slice::<Value>(&frame) {
                Ok(event) => {
                    // No subscriber is fine: events are optional.
                    let _ = self.events.send(event);
                }
                Err(e) => tracing::warn!(error = %e, "skipping an event that is not valid JSON"),
            }
            return None;
        }
        let echo = route
            .echo
            .and_then(|e| serde_json::from_str::<u64>(e.get()).ok());
        let pending = echo.and_then(|e| lock(&self.pending).remove(&e));
        match pending {
            Some(p) => {
                let _ = p.tx.send(Ok(RawReply {
                    http_status: None,
                    body: frame,
                }));
                None
            }
            None if route.retcode == Some(1403) => Some(ConnEnd::AuthRefused(
                route.message.unwrap_or_else(|| "token验证失败".into()),
            )),
            None => {
                tracing::warn!(echo = ?route.echo.map(RawValue::get), frame = %log_text(&frame), "skipping a reply with an unknown echo (late, duplicated or not ours)");
                None
            }
        }
    }

    /// Serves one connection until it ends; marks the core connected meanwhile.
    pub(crate) async fn run<S>(&self, ws: WebSocketStream<S>) -> ConnEnd
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let (mut sink, mut stream) = ws.split();
        let (tx, mut rx) = mpsc::channel::<Message>(OUTGOING_QUEUE);
        self.set_state(ConnState::Up(tx));
        let writer = async {
            while let Some(m) = rx.recv().await {
                if let Err(e) = sink.send(m).await {
                    return ConnEnd::Lost(format!("write failed: {e}"));
                }
            }
            ConnEnd::Lost("writer stopped".into())
        };
        let reader = async {
            loop {
                match stream.next().await {
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
                    Some(Ok(Message::Close(frame))) => {
                        let why = frame.map_or_else(
                            || "no close code".to_owned(),
                            |f| format!("code {}, {:?}", u16::from(f.code), f.reason.as_str()),
                        );
                        return ConnEnd::Lost(format!("the server closed the connection ({why})"));
                    }
                    Some(Ok(_)) => {}
                }
            }
        };
        let end = tokio::select! {
            end = reader => end,
            end = writer => end,
        };
        match &end {
            ConnEnd::Lost(reason) => {
                self.set_state(ConnState::Connecting(Some(reason.clone())));
                self.fail_all(|action| Error::Disconnected {
                    action,
                    reason: reason.clone(),
                });
            }
            ConnEnd::AuthRefused(message) => {
                self.set_state(ConnState::AuthFailed(message.clone()));
                self.fail_all(|action| Error::Auth {
                    action,
                    message: message.clone(),
                    http_status: None,
                });
            }
        }
        end
    }
}

/// `{"action":…,"params":…,"echo":N}` without re-serializing the params.
fn request_frame(action: &str, params: &[u8], echo: u64) -> Result<String, String> {
    let params = std::str::from_utf8(params).map_err(|e| e.to_string())?;
    let action = serde_json::to_string(action).map_err(|e| e.to_string())?;
    Ok(format!(
        r#"{{"action":{action},"params":{params},"echo":{echo}}}"#
    ))
}
