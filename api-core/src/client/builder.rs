//! Building a [`Client`]: its URL, token, timeouts and transport settings.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::client::{Client, Inner, Transport};
use crate::error::Error;
use crate::events::bus::EventBus;
use crate::events::{EVENT_BUFFER, EVENT_BUFFER_BYTES};
use crate::files::uploadable::UploadStrategy;
use crate::pacing::Pacing;
use crate::secret::AccessToken;
#[cfg(any(feature = "ws", feature = "sse"))]
use crate::transport::Backoff;
#[cfg(feature = "ws")]
use crate::transport::forward::{Dial, WsTransport};
#[cfg(feature = "http")]
use crate::transport::http::HttpTransport;
use crate::transport::relay::Relay;
#[cfg(feature = "sse")]
use crate::transport::sse::{self, SseSource};
#[cfg(feature = "ws")]
use crate::transport::ws::core::{KeepAlive, WsCore};
#[cfg(feature = "ws")]
use crate::transport::ws::reply_wait::{DEFAULT_REPLY_POLL, check_reply_poll};
#[cfg(feature = "ws")]
use crate::transport::ws::slots::ConnState;

/// The largest reply the client reads by default (64 MiB); see [`ClientBuilder::max_reply_size`].
pub const DEFAULT_MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

/// How long an idle HTTP connection stays pooled by default: under the 5 s after which
/// NapCat's HTTP server closes idle keep-alive connections.
#[cfg(feature = "http")]
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);

/// How long a forward WebSocket connection attempt may take by default.
#[cfg(feature = "ws")]
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The default timeout for a call when neither the spec nor the caller sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What [`ClientBuilder::build`] says when no URL was given: the methods this build has.
#[cfg(all(feature = "http", feature = "ws"))]
const NO_URL: &str =
    "no server URL; call .base_url(\"http://host:port\") or .ws_url(\"ws://host:port\")";
#[cfg(all(feature = "http", not(feature = "ws")))]
const NO_URL: &str = "no server URL; call .base_url(\"http://host:port\") (a WebSocket URL needs \
     api-core's `ws` feature)";
#[cfg(all(not(feature = "http"), feature = "ws"))]
const NO_URL: &str = "no server URL; call .ws_url(\"ws://host:port\") (an HTTP URL needs \
     api-core's `http` feature)";
#[cfg(not(any(feature = "http", feature = "ws")))]
const NO_URL: &str = "this build of api-core has no transport to make a client with: enable \
     its `http` or `ws` feature (both are on by default)";

impl Client {
    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

/// Builds a [`Client`].
#[derive(Default, Clone)]
pub struct ClientBuilder {
    #[cfg(feature = "http")]
    base_url: Option<String>,
    #[cfg(feature = "ws")]
    ws_url: Option<String>,
    #[cfg(feature = "ws")]
    token_in_query: bool,
    #[cfg(any(feature = "ws", feature = "sse"))]
    reconnect: Option<(Duration, Duration)>,
    token: Option<AccessToken>,
    timeout: Option<Duration>,
    max_reply_bytes: Option<usize>,
    #[cfg(feature = "http")]
    http: Option<reqwest::Client>,
    #[cfg(feature = "ws")]
    keepalive: Option<Option<KeepAlive>>,
    #[cfg(feature = "ws")]
    handshake_timeout: Option<Duration>,
    #[cfg(feature = "ws")]
    tcp_nodelay: Option<bool>,
    #[cfg(feature = "ws")]
    reply_poll: Option<Duration>,
    #[cfg(feature = "http")]
    pool_idle_timeout: Option<Duration>,
    #[cfg(feature = "sse")]
    sse_events: bool,
    event_buffer: Option<usize>,
    event_buffer_bytes: Option<usize>,
    upload_strategy: UploadStrategy,
    pacing: Option<Pacing>,
    relay: Option<Arc<dyn Relay>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("ClientBuilder");
        #[cfg(feature = "http")]
        f.field("base_url", &self.base_url);
        #[cfg(feature = "ws")]
        f.field("ws_url", &self.ws_url);
        f.field("relay", &self.relay)
            .field("access_token", &self.token)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ClientBuilder {
    /// NapCat's HTTP server, e.g. `http://127.0.0.1:3000`.
    #[cfg(feature = "http")]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// NapCat's forward WebSocket server, e.g. `ws://127.0.0.1:3001/` (replies and events)
    /// or `ws://127.0.0.1:3001/api` (replies only). Replaces [`base_url`](Self::base_url).
    ///
    /// One connection carries every call; replies are matched by echo. When the connection
    /// drops, calls in flight fail at once with [`Error::Disconnected`] and the client
    /// reconnects with capped exponential backoff; calls made while it is disconnected wait
    /// for the reconnect within their own timeout. A refused token (retcode 1403) is not
    /// retried: [`connect`](Self::connect) and later calls fail with [`Error::Auth`].
    #[cfg(feature = "ws")]
    pub fn ws_url(mut self, url: impl Into<String>) -> Self {
        self.ws_url = Some(url.into());
        self
    }

    /// Sends the token as the `access_token` query parameter instead of a header
    /// (WebSocket only; the token never appears in logs or errors either way).
    #[cfg(feature = "ws")]
    pub fn token_in_query(mut self, yes: bool) -> Self {
        self.token_in_query = yes;
        self
    }

    /// Reconnect delays for forward WebSocket: from `initial`, doubling up to `max`
    /// (default 100 ms to 5 s).
    #[cfg(any(feature = "ws", feature = "sse"))]
    pub fn reconnect_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.reconnect = Some((initial, max.max(initial)));
        self
    }

    /// The access token, sent as `Authorization: Bearer <token>`.
    pub fn access_token(mut self, token: impl Into<AccessToken>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The default timeout for calls (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The largest reply to read, in bytes (default [`DEFAULT_MAX_REPLY_BYTES`]); a larger one
    /// is an [`Error::BadReply`] and memory stays bounded.
    pub fn max_reply_size(mut self, bytes: usize) -> Self {
        self.max_reply_bytes = Some(bytes);
        self
    }

    /// Keep-alive pings over forward WebSocket (default: a ping every 30 s, answered within
    /// 20 s); `None` sends none. A connection whose peer stopped answering counts as lost and
    /// is reconnected, as after a close.
    #[cfg(feature = "ws")]
    pub fn keepalive(mut self, keepalive: Option<KeepAlive>) -> Self {
        self.keepalive = Some(keepalive);
        self
    }

    /// How long one forward WebSocket connection attempt (TCP connect, upgrade, and the
    /// server's answer to the first ping, which tells whether it took the token) may take
    /// before it counts as failed and the backoff goes on (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`]).
    #[cfg(feature = "ws")]
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = Some(timeout);
        self
    }

    /// Whether the forward WebSocket connection sends each write at once (`TCP_NODELAY`,
    /// default `true`). With `false`, the system holds small writes back while earlier ones
    /// are unacknowledged and sends them together (Nagle's algorithm): fewer, larger packets
    /// when many calls are in flight at once, at the cost of latency, most of all for large
    /// requests. BENCHMARKS.md measures both. Over HTTP, set it on the
    /// [`http_client`](Self::http_client) you pass.
    #[cfg(feature = "ws")]
    pub fn tcp_nodelay(mut self, yes: bool) -> Self {
        self.tcp_nodelay = Some(yes);
        self
    }

    /// How long the WebSocket connection's reader keeps polling for an expected reply before
    /// its thread sleeps (default [`DEFAULT_REPLY_POLL`], 100 µs; `Duration::ZERO` never
    /// polls).
    ///
    /// A server on the same machine often answers a small call within tens of microseconds,
    /// less than it takes to wake a sleeping thread (on a virtual machine, whose idle CPUs
    /// halt, far less). Polling meanwhile makes such a call up to about twice as fast, and
    /// spends CPU time that was idle: the reader gives way to other threads and tasks between
    /// two polls, and on the multi-thread runtime a second worker may be kept awake looking
    /// for work meanwhile. It polls only while 1 to 16 calls are in flight, and after a poll
    /// that ran out with no reply it skips the next 1, 2, 4, … up to 64 waits, so against a
    /// server that answers in milliseconds it costs about one poll in 64. Set it to zero where
    /// CPU time counts more than latency (a shared machine billed by the CPU second). At most
    /// [`MAX_REPLY_POLL`](crate::MAX_REPLY_POLL) (10 ms); a longer one fails the build with
    /// [`Error::Config`].
    #[cfg(feature = "ws")]
    pub fn reply_poll(mut self, poll: Duration) -> Self {
        self.reply_poll = Some(poll);
        self
    }

    /// How long an idle HTTP connection stays in the pool (default
    /// [`DEFAULT_POOL_IDLE_TIMEOUT`]). Keep it below the server's own idle close: NapCat's HTTP
    /// server (Node's) closes idle keep-alive connections after 5 s, and a call sent on a
    /// connection the server is closing fails. Ignored with [`http_client`](Self::http_client).
    /// A request is never sent twice: only one that was never written is retried (by the
    /// connection pool itself).
    #[cfg(feature = "http")]
    pub fn http_pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = Some(timeout);
        self
    }

    /// HTTP only: also read NapCat's SSE event stream (`GET {base}/_events`, served when the
    /// HTTP port is an `httpSseServers` entry in NapCat's network config), so
    /// [`Client::events`] works without a WebSocket. The stream is read in the background from
    /// `build()` on and reopened with the reconnect backoff when it ends; a refused token
    /// stops it (logged). NapCat sends no heartbeat on it.
    #[cfg(feature = "sse")]
    pub fn sse_events(mut self, yes: bool) -> Self {
        self.sse_events = yes;
        self
    }

    /// How many events may wait for a subscriber that is busy (default [`EVENT_BUFFER`]).
    /// A subscriber further behind than this is told how many it missed
    /// ([`EventsError::Lagged`](crate::events::EventsError::Lagged)); replies are never held up. Raise
    /// it for bursts a bot must not miss: each waiting event holds its frame (about 1 KiB for a
    /// message).
    pub fn event_buffer(mut self, events: usize) -> Self {
        self.event_buffer = Some(events.max(1));
        self
    }

    /// How many bytes of events may wait for a subscriber that is busy (default
    /// [`EVENT_BUFFER_BYTES`], 64 MiB), across the [`event_buffer`](Self::event_buffer)'s
    /// events. When a new event would go over it, the oldest waiting events are dropped at once
    /// for every subscriber that has not taken them yet, and each is told how many it missed
    /// ([`EventsError::Lagged`](crate::events::EventsError::Lagged)), so that subscribers that
    /// stopped reading hold this much memory at most. The newest event is always kept, so one
    /// event larger than this still reaches subscribers that keep up.
    pub fn event_buffer_bytes(mut self, bytes: usize) -> Self {
        self.event_buffer_bytes = Some(bytes);
        self
    }

    /// Carries calls and events over `relay`, a transport written outside this crate (the
    /// NATS transport of `api-bridge`: `api_bridge::worker`), instead of a NapCat connection.
    /// The URL methods must not be called too. Of the other settings, the timeout, upload
    /// strategy and pacing apply.
    pub fn relay(mut self, relay: impl Relay) -> Self {
        self.relay = Some(Arc::new(relay));
        self
    }

    /// How file parameters holding local data (a path, bytes) reach NapCat (default
    /// [`UploadStrategy::StreamAbove`] 16 MiB): large files go by stream upload first,
    /// instead of one giant `base64://` frame.
    pub fn upload_strategy(mut self, strategy: UploadStrategy) -> Self {
        self.upload_strategy = strategy;
        self
    }

    /// Uses the caller's `reqwest::Client` (connection pool, proxy, TLS settings).
    #[cfg(feature = "http")]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The event buffer this builder's settings make.
    fn event_bus(&self) -> EventBus {
        EventBus::new(
            self.event_buffer.unwrap_or(EVENT_BUFFER),
            self.event_buffer_bytes.unwrap_or(EVENT_BUFFER_BYTES),
        )
    }

    /// Paces the client's message sends (off by default; see [`Pacing`], and
    /// [`Pacing::conservative`] for a cautious start).
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = Some(pacing);
        self
    }

    /// Builds the client; fails on a missing or malformed URL. A WebSocket client must be
    /// built inside a Tokio runtime and connects in the background; see
    /// [`connect`](Self::connect) to wait for the first connection.
    pub fn build(mut self) -> Result<Client, Error> {
        let pacing = self.pacing.take();
        let client = self.build_client()?;
        if let Some(pacing) = pacing {
            client.set_pacing(pacing);
        }
        Ok(client)
    }

    fn build_client(self) -> Result<Client, Error> {
        if let Some(relay) = self.relay.clone() {
            return self.build_relay(relay);
        }
        #[cfg(feature = "ws")]
        if let Some(url) = self.ws_url.clone() {
            return self.build_ws(url);
        }
        #[cfg(feature = "http")]
        if let Some(base) = self.base_url.clone() {
            return self.build_http(base);
        }
        Err(Error::Config(NO_URL.into()))
    }

    /// A client over `relay`.
    fn build_relay(self, relay: Arc<dyn Relay>) -> Result<Client, Error> {
        let urls_given = [
            #[cfg(feature = "http")]
            self.base_url.is_some(),
            #[cfg(feature = "ws")]
            self.ws_url.is_some(),
        ];
        if urls_given.contains(&true) {
            return Err(Error::Config(format!(
                "both a server URL and a relay ({}) were given; keep one",
                relay.describe()
            )));
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        Ok(Client::over_relay(relay, timeout, self.upload_strategy))
    }

    /// A forward WebSocket client for `url`.
    #[cfg(feature = "ws")]
    fn build_ws(self, url: String) -> Result<Client, Error> {
        let max_reply_bytes = self.max_reply_bytes.unwrap_or(DEFAULT_MAX_REPLY_BYTES);
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let events = self.event_bus();
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(Error::Config(format!(
                "WebSocket URL `{url}` must start with ws:// or wss://"
            )));
        }
        let reply_poll = self.reply_poll.unwrap_or(DEFAULT_REPLY_POLL);
        check_reply_poll(reply_poll).map_err(Error::Config)?;
        let (initial, max) = self
            .reconnect
            .unwrap_or((Duration::from_millis(100), Duration::from_secs(5)));
        let core = WsCore::new(events, self.keepalive.unwrap_or(Some(KeepAlive::default())));
        let transport = WsTransport::forward(
            core,
            Dial {
                url,
                token: self.token,
                token_in_query: self.token_in_query,
                max_reply_bytes,
                backoff: Backoff { initial, max },
                handshake_timeout: self.handshake_timeout.unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT),
                nodelay: self.tcp_nodelay.unwrap_or(true),
                reply_poll,
            },
        )?;
        Ok(Client::over_ws(transport, timeout, self.upload_strategy))
    }

    /// An HTTP client for `base`, reading SSE events when asked to.
    #[cfg(feature = "http")]
    fn build_http(self, base: String) -> Result<Client, Error> {
        let max_reply_bytes = self.max_reply_bytes.unwrap_or(DEFAULT_MAX_REPLY_BYTES);
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let events = self.event_bus();
        let http = match self.http {
            Some(own) => own,
            None => reqwest::Client::builder()
                .pool_idle_timeout(self.pool_idle_timeout.unwrap_or(DEFAULT_POOL_IDLE_TIMEOUT))
                .build()
                .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?,
        };
        let transport = HttpTransport::new(
            http.clone(),
            &base,
            self.token.as_ref().map(AccessToken::expose),
            max_reply_bytes,
        )?;
        #[cfg(feature = "sse")]
        let sse_events = self.sse_events;
        #[cfg(not(feature = "sse"))]
        let sse_events = false;
        let no_events = (!sse_events).then(|| {
            format!(
                "this client receives no events: NapCat's HTTP server at {} sends none; call \
                 .sse_events(true) when it is an `httpSseServers` entry (api-core's `sse` \
                 feature), or connect with .ws_url(\"ws://host:port/\") to a \
                 `websocketServers` entry (its `ws` feature)",
                transport.base()
            )
        });
        #[cfg(not(feature = "sse"))]
        let event_reader = None;
        #[cfg(feature = "sse")]
        let event_reader = if sse_events {
            tokio::runtime::Handle::try_current().map_err(|_| {
                Error::Config("an SSE event reader must be built inside a Tokio runtime".into())
            })?;
            let (initial, max) = self
                .reconnect
                .unwrap_or((sse::DEFAULT_RETRY, Duration::from_secs(5)));
            Some(sse::spawn(
                SseSource {
                    http,
                    url: format!("{}/_events", transport.base()),
                    auth: transport.auth().cloned(),
                    max_event_bytes: max_reply_bytes,
                    backoff: Backoff { initial, max },
                },
                events.clone(),
            ))
        } else {
            None
        };
        Ok(Client {
            inner: Arc::new(Inner {
                transport: Transport::Http(Arc::new(transport)),
                default_timeout: timeout,
                upload_strategy: self.upload_strategy,
                events,
                no_events,
                event_reader,
                closing: CancellationToken::new(),
                pacing: OnceLock::new(),
            }),
        })
    }

    /// Builds the client and, for WebSocket, waits until the first connection is up or the
    /// first attempt fails: [`Error::Auth`] when the server refuses the token,
    /// [`Error::Transport`] naming the reason otherwise. A connection counts as up once the
    /// server has answered a ping after the upgrade (or sent a frame that is not a refusal),
    /// bounded by `handshake_timeout`. HTTP clients return at once.
    pub async fn connect(self) -> Result<Client, Error> {
        let client = self.build()?;
        #[cfg(feature = "ws")]
        Self::first_connection(&client).await?;
        Ok(client)
    }

    /// Waits until `client`'s first WebSocket connection is up, or says why it is not.
    #[cfg(feature = "ws")]
    async fn first_connection(client: &Client) -> Result<(), Error> {
        let Transport::Ws(t) = &client.inner.transport else {
            return Ok(());
        };
        let mut state = t.core.subscribe_state();
        loop {
            let now = state.borrow_and_update().clone();
            match now {
                ConnState::Up(_) => return Ok(()),
                // The first attempt failed: say why rather than wait for the next.
                ConnState::Connecting(Some(reason)) | ConnState::Closed(reason) => {
                    return Err(Error::Transport {
                        action: "connect".into(),
                        source: reason.into(),
                    });
                }
                other => {
                    if let Some(e) = other.final_error("connect") {
                        return Err(e);
                    }
                }
            }
            if state.changed().await.is_err() {
                return Err(Error::Config(
                    "the client shut down while connecting".into(),
                ));
            }
        }
    }
}
