//! The client: a cheap-to-clone handle that sends calls over its transport (HTTP or a
//! WebSocket) and hands out its events. [`builder`] makes one; [`call`] adds the typed calls.

pub(crate) mod builder;
pub(crate) mod call;
pub(crate) mod connection;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::client::connection::Connection;
use crate::error::Error;
use crate::events::Events;
use crate::events::bus::EventBus;
use crate::files::stream::Packets;
use crate::files::uploadable::UploadStrategy;
use crate::pacing::{Pacer, Pacing};
#[cfg(not(feature = "ws"))]
use crate::transport::Sending;
#[cfg(feature = "ws")]
use crate::transport::forward::WsTransport;
#[cfg(feature = "http")]
use crate::transport::http::HttpTransport;
use crate::transport::relay::Relay;
#[cfg(feature = "ws")]
use crate::transport::ws::core::Sending;
use crate::wire::reply::{self, RawReply};
use tokio_util::sync::CancellationToken;

/// A boxed call future, `Send` and `'static`, so it can be spawned: what stream calls, uploads
/// and calls by name return. A typed call returns its own [`CallFuture`](crate::client::call::CallFuture).
pub type ApiFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>;

/// A NapCat client. Cloning is cheap (one `Arc`); clones share the transport.
///
/// ```no_run
/// # async fn run() -> Result<(), api_core::Error> {
/// let api = api_core::Client::builder()
///     .base_url("http://127.0.0.1:3000")
///     .access_token("secret")
///     .build()?;
/// let me = api.get_login_info().await?;
/// api.send_like(api_core::UserId(123456)).times(5).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    default_timeout: Duration,
    upload_strategy: UploadStrategy,
    events: EventBus,
    /// Why this client receives no events, when it cannot (an HTTP client without SSE, a
    /// WebSocket at `/api`): what [`Client::events`] reports.
    no_events: Option<String>,
    /// The SSE reader of an HTTP client that reads events; stopped with the last handle.
    event_reader: Option<tokio::task::JoinHandle<()>>,
    /// Cancelled by [`Client::close`]; for WebSocket, the core's own.
    closing: CancellationToken,
    /// The limits message sends keep, once set ([`Client::set_pacing`]).
    pacing: OnceLock<Arc<Pacer>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(reader) = &self.event_reader {
            reader.abort();
        }
    }
}

/// A boxed reply (an HTTP call's, a relay's) as the [`Sending`] every transport returns.
fn boxed_reply(reply: crate::transport::BoxedReply<'_>) -> Sending<'_> {
    #[cfg(feature = "ws")]
    return Sending::Boxed(reply);
    #[cfg(not(feature = "ws"))]
    return reply;
}

/// What a client's calls travel over: one variant per transport compiled in.
#[derive(Debug)]
enum Transport {
    #[cfg(feature = "http")]
    Http(Arc<HttpTransport>),
    #[cfg(feature = "ws")]
    Ws(WsTransport),
    /// A transport written outside this crate.
    Relay(Arc<dyn Relay>),
}

impl Transport {
    /// Sends one call and waits for its reply, up to `timeout`. What it returns borrows only
    /// `action`.
    fn send<'a>(
        &self,
        action: &'a str,
        params: String,
        timeout: Duration,
        closing: &CancellationToken,
    ) -> Sending<'a> {
        match self {
            // Boxed: reqwest's request future is several times the WebSocket one, and a call
            // future is as large as its largest branch. An HTTP call allocates plenty anyway.
            #[cfg(feature = "http")]
            Transport::Http(t) => {
                let (t, closing) = (t.clone(), closing.clone());
                boxed_reply(Box::pin(async move {
                    let call = tokio::time::timeout(timeout, t.send(action, params));
                    match closing.run_until_cancelled(call).await {
                        Some(reply) => {
                            reply.unwrap_or_else(|_| Err(HttpTransport::timed_out(action, timeout)))
                        }
                        None => Err(Error::Closed {
                            action: action.to_owned(),
                        }),
                    }
                }))
            }
            #[cfg(feature = "ws")]
            Transport::Ws(t) => t.send(action, params, timeout),
            Transport::Relay(relay) => {
                let (call, closing) = (relay.call(action, params, timeout), closing.clone());
                // The call's time holds whatever the relay does.
                let call = tokio::time::timeout(timeout, call);
                boxed_reply(Box::pin(async move {
                    match closing.run_until_cancelled(call).await {
                        Some(Ok(reply)) => reply,
                        Some(Err(_)) => Err(Error::Timeout {
                            action: action.to_owned(),
                            after: timeout,
                        }),
                        None => Err(Error::Closed {
                            action: action.to_owned(),
                        }),
                    }
                }))
            }
        }
    }

    /// The error for a call whose time ran out: over WebSocket, when there was no connection
    /// to send it on and the last attempt to make one failed, that failure (the call was never
    /// sent); otherwise [`Error::Timeout`].
    fn timed_out(&self, action: &str, after: Duration) -> Error {
        match self {
            #[cfg(feature = "ws")]
            Transport::Ws(t) => t.core.timed_out(action, after),
            #[cfg(feature = "http")]
            Transport::Http(_) => HttpTransport::timed_out(action, after),
            Transport::Relay(_) => Error::Timeout {
                action: action.to_owned(),
                after,
            },
        }
    }

    async fn send_stream(
        &self,
        action: &str,
        params: String,
        per_packet: Duration,
    ) -> Result<Packets, Error> {
        match self {
            #[cfg(feature = "http")]
            Transport::Http(t) => t.send_stream(action, params).await.map(Packets::Http),
            #[cfg(feature = "ws")]
            Transport::Ws(t) => t
                .send_stream(action, params, per_packet)
                .await
                .map(Packets::Ws),
            Transport::Relay(relay) => Err(Error::invalid_argument(
                action,
                "(transport)",
                format!(
                    "a stream action's packets are not carried over {}; call it over a NapCat connection",
                    relay.describe()
                ),
            )),
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.inner.transport)
            .field("default_timeout", &self.inner.default_timeout)
            .finish()
    }
}

impl Client {
    /// A client over a WebSocket transport (forward, or an account of a reverse server).
    #[cfg(feature = "ws")]
    pub(crate) fn over_ws(
        transport: WsTransport,
        default_timeout: Duration,
        upload_strategy: UploadStrategy,
    ) -> Client {
        let events = transport.core.events().clone();
        let closing = transport.core.closing().clone();
        let no_events = transport.no_events();
        Client {
            inner: Arc::new(Inner {
                transport: Transport::Ws(transport),
                default_timeout,
                upload_strategy,
                events,
                no_events,
                event_reader: None,
                closing,
                pacing: OnceLock::new(),
            }),
        }
    }

    /// A client over `relay`, a transport written outside this crate.
    pub(crate) fn over_relay(
        relay: Arc<dyn Relay>,
        default_timeout: Duration,
        upload_strategy: UploadStrategy,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                transport: Transport::Relay(relay),
                default_timeout,
                upload_strategy,
                events: EventBus::new(1, 1),
                no_events: None,
                event_reader: None,
                closing: CancellationToken::new(),
                pacing: OnceLock::new(),
            }),
        }
    }

    /// Paces this client's message sends from now on (see [`Pacing`]): every send, by
    /// whatever code, waits for its turn under the limits. `false` when the client is paced
    /// already (the first limits stay).
    pub fn set_pacing(&self, pacing: Pacing) -> bool {
        self.inner.pacing.set(Arc::new(Pacer::new(pacing))).is_ok()
    }

    /// How many message sends wait for their turn under the client's pacing now.
    pub fn paced_sends_waiting(&self) -> usize {
        self.inner.pacing.get().map_or(0, |p| p.waiting())
    }

    /// The pacer, when this client is paced and `action` is a send.
    pub(crate) fn pacer_for(&self, action: &str) -> Option<Arc<Pacer>> {
        self.inner
            .pacing
            .get()
            .filter(|_| Pacer::paces(action))
            .cloned()
    }

    /// Subscribes to the events the server pushes: over WebSocket (paths other than `/api`),
    /// or over HTTP when the client reads NapCat's SSE stream
    /// ([`ClientBuilder::sse_events`](crate::client::builder::ClientBuilder::sse_events)).
    /// Every subscriber gets every event; one that falls behind is told how many it missed.
    ///
    /// Over a [`Relay`] (a message broker) the subscriptions share the work instead: each
    /// event goes to one subscription (of this client, or of another worker's in the same
    /// group), and must be acknowledged once handled (see
    /// [`Events::recv_handled`](crate::events::Events::recv_handled)).
    ///
    /// A client that can receive no events (plain HTTP, a WebSocket at `/api`) says so: the
    /// subscription's `recv` returns [`EventsError::Unavailable`](crate::events::EventsError::Unavailable)
    /// naming the reason and the fix, and a warning is logged. After [`close`](Self::close)
    /// every subscription ends with [`EventsError::Closed`](crate::events::EventsError::Closed).
    pub fn events(&self) -> Events {
        if let Some(reason) = &self.inner.no_events {
            tracing::warn!(url = %self.url(), "{reason}");
            return Events::unavailable(reason.clone());
        }
        if let Transport::Relay(relay) = &self.inner.transport {
            return match relay.subscribe() {
                Ok(deliveries) => Events::relayed(deliveries),
                Err(reason) => {
                    tracing::warn!(url = %self.url(), "{reason}");
                    Events::unavailable(reason)
                }
            };
        }
        Events::new(self.inner.events.subscribe(), self.inner.closing.clone())
    }

    /// Closes the client, and every clone of it: calls waiting for their reply end with
    /// [`Error::Closed`], later calls fail with it at once, the WebSocket connection is closed
    /// (with a close frame) and not made again, an SSE reader stops, and event subscriptions
    /// end. Returns once the connection has ended. Closing twice is harmless.
    pub async fn close(&self) {
        self.inner.closing.cancel();
        if let Some(reader) = &self.inner.event_reader {
            reader.abort();
        }
        match &self.inner.transport {
            #[cfg(feature = "ws")]
            Transport::Ws(t) => t.core.close().await,
            Transport::Relay(relay) => relay.close().await,
            #[cfg(feature = "http")]
            Transport::Http(_) => {}
        }
    }

    /// The connection to NapCat, watched: whether it is up, as it changes.
    pub fn connection(&self) -> Connection {
        match &self.inner.transport {
            #[cfg(feature = "ws")]
            Transport::Ws(t) => Connection::watching(t.core.subscribe_state()),
            _ => Connection::always_up(),
        }
    }

    /// Whether [`close`](Self::close) was called on this client or a clone of it.
    pub fn is_closed(&self) -> bool {
        self.inner.closing.is_cancelled()
    }

    /// How many calls wait for their reply (WebSocket; always 0 over HTTP).
    pub fn pending_calls(&self) -> usize {
        match &self.inner.transport {
            #[cfg(feature = "http")]
            Transport::Http(_) => 0,
            #[cfg(feature = "ws")]
            Transport::Ws(t) => t.core.pending_count(),
            Transport::Relay(_) => 0,
        }
    }

    /// Calls any action by wire name with JSON params, and returns `data` as JSON (`null`
    /// when absent). For actions the spec does not have yet, and to read everything the
    /// server sent for actions whose typed result is `()`.
    pub fn call_json(
        &self,
        action: impl Into<String>,
        params: serde_json::Value,
    ) -> ApiFuture<serde_json::Value> {
        let client = self.clone();
        let action: String = action.into();
        Box::pin(async move {
            let reply = client.call_raw(&action, &params, None).await?;
            let parsed = reply::parse(&action, &reply)?;
            reply::check_failed(&action, &parsed, &reply)?;
            Ok(parsed
                .data_text(&reply.body)
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| Error::Decode {
                    action: action.clone(),
                    path: "data".into(),
                    message: e.to_string(),
                    body: reply.body.clone().into(),
                })?
                .unwrap_or(serde_json::Value::Null))
        })
    }

    /// Sends any action and returns the reply as received, without checking it. A message
    /// send waits for its turn under the client's pacing, as its typed method does.
    pub async fn call_raw(
        &self,
        action: &str,
        params: &serde_json::Value,
        timeout: Option<Duration>,
    ) -> Result<RawReply, Error> {
        let params = serde_json::to_string(params)
            .map_err(|e| Error::invalid_argument(action, "(params)", e.to_string()))?;
        // A send called by name is paced like its typed method, and holds its turn in its
        // chat until the reply.
        let _turn = match self.pacer_for(action) {
            Some(pacer) => Some(pacer.wait(action, &params).await),
            None => None,
        };
        self.send(
            action,
            params,
            timeout.unwrap_or(self.inner.default_timeout),
        )
        .await
    }

    async fn send(
        &self,
        action: &str,
        params: String,
        timeout: Duration,
    ) -> Result<RawReply, Error> {
        let reply = self.start(action, params, timeout).await?;
        log_reply(action, &reply);
        Ok(reply)
    }

    /// Sends one call; the returned future waits, up to `timeout`, for its reply.
    pub(crate) fn start<'a>(
        &self,
        action: &'a str,
        params: String,
        timeout: Duration,
    ) -> Sending<'a> {
        tracing::debug!(action, params = %reply::log_text(params.as_bytes()), "sending");
        self.inner
            .transport
            .send(action, params, timeout, &self.inner.closing)
    }

    /// The client-wide default timeout.
    pub fn default_timeout(&self) -> Duration {
        self.inner.default_timeout
    }

    /// The HTTP base URL or WebSocket URL (without any token).
    pub fn url(&self) -> &str {
        match &self.inner.transport {
            #[cfg(feature = "http")]
            Transport::Http(t) => t.base(),
            #[cfg(feature = "ws")]
            Transport::Ws(t) => t.url(),
            Transport::Relay(relay) => relay.describe(),
        }
    }
}

/// Logs a call's reply as received (at `trace`).
pub(crate) fn log_reply(action: &str, reply: &RawReply) {
    tracing::trace!(action, status = ?reply.http_status, body = %reply::log_text(&reply.body), "reply");
}
