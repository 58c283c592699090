//! The client: a cheap-to-clone handle that sends any [`Action`] over its transport.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::{AccessToken, CallFuture, Error, UploadSource, Uploadable};
use tokio::sync::broadcast;

use crate::action::Action;
use crate::call::Prepared;
use crate::events::Events;
use crate::forward::{Backoff, Dial, WsTransport};
use crate::http::HttpTransport;
use crate::reply::{self, RawReply};
use crate::stream::{ActionStream, Packets, StreamAction};
use crate::ws::{ConnState, KeepAlive, Sending, WsCore};

/// A boxed call future, `Send` and `'static`, so it can be spawned: what stream calls, uploads
/// and calls by name return. A typed call returns its own [`CallFuture`].
pub type ApiFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>;

/// The largest reply the client reads by default (64 MiB); see [`ClientBuilder::max_reply_size`].
pub const DEFAULT_MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

/// How many events wait for a slow subscriber before it is told it lagged, by default; see
/// [`ClientBuilder::event_buffer`].
pub const EVENT_BUFFER: usize = 1024;

/// How long an idle HTTP connection stays pooled by default: under the 5 s after which
/// NapCat's HTTP server closes idle keep-alive connections.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);

/// How long a forward WebSocket connection attempt may take by default.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Local files larger than this go by stream upload by default; see [`UploadStrategy`].
pub const DEFAULT_STREAM_UPLOAD_ABOVE: u64 = 16 * 1024 * 1024;

/// How a file parameter holding local data (a path, bytes) reaches NapCat, which may run on
/// another machine; see [`ClientBuilder::upload_strategy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadStrategy {
    /// Always inside the call, as `base64://` (a third larger than the file; NapCat's
    /// WebSocket server takes frames up to 50 MiB).
    Inline,
    /// A file larger than this many bytes is sent first with [`Client::upload`] (in chunks,
    /// its hash checked), and the call names the uploaded file's path; smaller ones inline.
    StreamAbove(u64),
}

impl Default for UploadStrategy {
    /// Stream upload above [`DEFAULT_STREAM_UPLOAD_ABOVE`].
    fn default() -> Self {
        UploadStrategy::StreamAbove(DEFAULT_STREAM_UPLOAD_ABOVE)
    }
}

/// The default timeout for a call when neither the spec nor the caller sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

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
    events: crate::events::EventBus,
    /// The SSE reader of an HTTP client that reads events; stopped with the last handle.
    event_reader: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(reader) = &self.event_reader {
            reader.abort();
        }
    }
}

#[derive(Debug)]
enum Transport {
    Http(Arc<HttpTransport>),
    Ws(WsTransport),
}

impl Transport {
    /// Sends one call and waits for its reply, up to `timeout`. What it returns borrows only
    /// `action`.
    fn send<'a>(&self, action: &'a str, params: String, timeout: Duration) -> Sending<'a> {
        match self {
            // Boxed: reqwest's request future is several times the WebSocket one, and a call
            // future is as large as its largest branch. An HTTP call allocates plenty anyway.
            Transport::Http(t) => {
                let t = t.clone();
                Sending::Boxed(Box::pin(async move {
                    tokio::time::timeout(timeout, t.send(action, params))
                        .await
                        .unwrap_or_else(|_| Err(HttpTransport::timed_out(action, timeout)))
                }))
            }
            Transport::Ws(t) => t.send(action, params, timeout),
        }
    }

    /// The error for a call whose time ran out: over WebSocket, when there was no connection
    /// to send it on and the last attempt to make one failed, that failure (the call was never
    /// sent); otherwise [`Error::Timeout`].
    fn timed_out(&self, action: &str, after: Duration) -> Error {
        match self {
            Transport::Ws(t) => t.core.timed_out(action, after),
            Transport::Http(_) => HttpTransport::timed_out(action, after),
        }
    }

    async fn send_stream(
        &self,
        action: &str,
        params: String,
        per_packet: Duration,
    ) -> Result<Packets, Error> {
        match self {
            Transport::Http(t) => t.send_stream(action, params).await.map(Packets::Http),
            Transport::Ws(t) => t
                .send_stream(action, params, per_packet)
                .await
                .map(Packets::Ws),
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
    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn over_ws(
        transport: WsTransport,
        default_timeout: Duration,
        upload_strategy: UploadStrategy,
    ) -> Client {
        let events = transport.core.events().clone();
        Client {
            inner: Arc::new(Inner {
                transport: Transport::Ws(transport),
                default_timeout,
                upload_strategy,
                events,
                event_reader: None,
            }),
        }
    }

    /// Subscribes to the events the server pushes: over WebSocket (paths other than `/api`),
    /// or over HTTP when the client reads NapCat's SSE stream
    /// ([`ClientBuilder::sse_events`]). Every subscriber gets every event; one that falls
    /// behind is told how many it missed.
    pub fn events(&self) -> Events {
        Events::new(self.inner.events.subscribe())
    }

    /// How many calls wait for their reply (WebSocket; always 0 over HTTP).
    pub fn pending_calls(&self) -> usize {
        match &self.inner.transport {
            Transport::Http(_) => 0,
            Transport::Ws(t) => t.core.pending_count(),
        }
    }

    /// Sends a request and decodes its typed result.
    pub fn call<A: Action>(&self, request: A) -> CallFuture<A> {
        self.call_with_timeout(request, None)
    }

    /// Sends a request with a timeout for this call only (`None`: the action's spec timeout,
    /// else the client default).
    pub fn call_with_timeout<A: Action>(
        &self,
        request: A,
        timeout: Option<Duration>,
    ) -> CallFuture<A> {
        self.clone().into_call(request, timeout)
    }

    /// Like [`call_with_timeout`](Self::call_with_timeout), consuming this handle (what the
    /// generated call builders use, saving a clone per call).
    pub fn into_call<A: Action>(self, request: A, timeout: Option<Duration>) -> CallFuture<A> {
        CallFuture::new(self, request, timeout)
    }

    /// Sends a stream action's request; its packets and result are read from the returned
    /// stream. `timeout` (else the action's spec timeout, else the client default) bounds
    /// the wait for the first packet and between packets, not the whole stream.
    pub fn call_stream<A: StreamAction>(
        &self,
        request: A,
        timeout: Option<Duration>,
    ) -> ApiFuture<ActionStream<A>> {
        self.clone().into_stream(request, timeout)
    }

    /// Like [`call_stream`](Self::call_stream), consuming this handle (what the generated
    /// call builders use).
    pub fn into_stream<A: StreamAction>(
        self,
        request: A,
        timeout: Option<Duration>,
    ) -> ApiFuture<ActionStream<A>> {
        let client = self;
        Box::pin(async move {
            let (params, timeout) = client.prepare(request, timeout)?.finish().await?;
            let action = A::WIRE_NAME;
            tracing::debug!(action, params = %reply::log_text(params.as_bytes()), "sending a stream call");
            let packets = tokio::time::timeout(
                timeout,
                client.inner.transport.send_stream(action, params, timeout),
            )
            .await
            .map_err(|_| client.inner.transport.timed_out(action, timeout))??;
            Ok(ActionStream::new(packets, timeout))
        })
    }

    /// Makes a file parameter sendable: local data over the [`UploadStrategy`]'s threshold
    /// goes first by [`upload`](Self::upload) and the parameter names the uploaded path;
    /// anything else is read into the call.
    async fn resolve_file(
        &self,
        file: &mut Uploadable,
        action: &str,
        param: &str,
    ) -> Result<(), Error> {
        let UploadStrategy::StreamAbove(limit) = self.inner.upload_strategy else {
            return file.resolve(action, param).await;
        };
        let source = match file {
            Uploadable::Path(path) => match tokio::fs::metadata(&*path).await {
                Ok(meta) if meta.len() > limit => Some(UploadSource::Path(path.clone())),
                _ => None,
            },
            Uploadable::Bytes(bytes) if bytes.len() as u64 > limit => {
                Some(UploadSource::Bytes(std::mem::take(bytes).into()))
            }
            _ => None,
        };
        match source {
            Some(source) => {
                tracing::debug!(action, param, "sending a large file by stream upload first");
                let uploaded = self.upload(source).await?;
                *file = Uploadable::Server(uploaded.path);
                Ok(())
            }
            None => file.resolve(action, param).await,
        }
    }

    /// Checks a request and encodes it, with the timeout its call gets; a request with local
    /// files is encoded once they are read. Every typed call starts here.
    pub(crate) fn prepare<A: Action>(
        &self,
        mut request: A,
        timeout: Option<Duration>,
    ) -> Result<Prepared, Error> {
        request.validate()?;
        if request.uploads().is_empty() {
            let (params, timeout) = self.encode(&request, timeout)?;
            return Ok(Prepared::Ready(params, timeout));
        }
        let client = self.clone();
        Ok(Prepared::ReadingFiles(Box::pin(async move {
            client.read_files(&mut request).await?;
            client.encode(&request, timeout)
        })))
    }

    /// Makes every file of a request sendable (see [`resolve_file`](Self::resolve_file)).
    async fn read_files<A: Action>(&self, request: &mut A) -> Result<(), Error> {
        for (param, file) in request.uploads() {
            self.resolve_file(file, A::RUST_NAME, &param).await?;
        }
        Ok(())
    }

    /// A request's wire `params`, with the timeout its call gets: `timeout`, else the
    /// action's spec timeout, else the client default.
    fn encode<A: Action>(
        &self,
        request: &A,
        timeout: Option<Duration>,
    ) -> Result<(String, Duration), Error> {
        let params = serde_json::to_string(request)
            .map_err(|e| Error::invalid_argument(A::RUST_NAME, "(request)", e.to_string()))?;
        let timeout = timeout.or(A::TIMEOUT).unwrap_or(self.inner.default_timeout);
        Ok((params, timeout))
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

    /// Sends any action and returns the reply as received, without checking it.
    pub async fn call_raw(
        &self,
        action: &str,
        params: &serde_json::Value,
        timeout: Option<Duration>,
    ) -> Result<RawReply, Error> {
        let params = serde_json::to_string(params)
            .map_err(|e| Error::invalid_argument(action, "(params)", e.to_string()))?;
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
        self.inner.transport.send(action, params, timeout)
    }

    /// The client-wide default timeout.
    pub fn default_timeout(&self) -> Duration {
        self.inner.default_timeout
    }

    /// The HTTP base URL or WebSocket URL (without any token).
    pub fn url(&self) -> &str {
        match &self.inner.transport {
            Transport::Http(t) => t.base(),
            Transport::Ws(t) => t.url(),
        }
    }
}

/// Logs a call's reply as received (at `trace`).
pub(crate) fn log_reply(action: &str, reply: &RawReply) {
    tracing::trace!(action, status = ?reply.http_status, body = %reply::log_text(&reply.body), "reply");
}

/// Builds a [`Client`].
#[derive(Default, Clone)]
pub struct ClientBuilder {
    base_url: Option<String>,
    ws_url: Option<String>,
    token_in_query: bool,
    reconnect: Option<(Duration, Duration)>,
    token: Option<AccessToken>,
    timeout: Option<Duration>,
    max_reply_bytes: Option<usize>,
    http: Option<reqwest::Client>,
    keepalive: Option<Option<KeepAlive>>,
    handshake_timeout: Option<Duration>,
    tcp_nodelay: Option<bool>,
    pool_idle_timeout: Option<Duration>,
    sse_events: bool,
    event_buffer: Option<usize>,
    upload_strategy: UploadStrategy,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("ws_url", &self.ws_url)
            .field("access_token", &self.token)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ClientBuilder {
    /// NapCat's HTTP server, e.g. `http://127.0.0.1:3000`.
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
    pub fn ws_url(mut self, url: impl Into<String>) -> Self {
        self.ws_url = Some(url.into());
        self
    }

    /// Sends the token as the `access_token` query parameter instead of a header
    /// (WebSocket only; the token never appears in logs or errors either way).
    pub fn token_in_query(mut self, yes: bool) -> Self {
        self.token_in_query = yes;
        self
    }

    /// Reconnect delays for forward WebSocket: from `initial`, doubling up to `max`
    /// (default 100 ms to 5 s).
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
    pub fn keepalive(mut self, keepalive: Option<KeepAlive>) -> Self {
        self.keepalive = Some(keepalive);
        self
    }

    /// How long one forward WebSocket connection attempt (TCP connect, upgrade, and the
    /// server's answer to the first ping, which tells whether it took the token) may take
    /// before it counts as failed and the backoff goes on (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`]).
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
    pub fn tcp_nodelay(mut self, yes: bool) -> Self {
        self.tcp_nodelay = Some(yes);
        self
    }

    /// How long an idle HTTP connection stays in the pool (default
    /// [`DEFAULT_POOL_IDLE_TIMEOUT`]). Keep it below the server's own idle close: NapCat's HTTP
    /// server (Node's) closes idle keep-alive connections after 5 s, and a call sent on a
    /// connection the server is closing fails. Ignored with [`http_client`](Self::http_client).
    /// A request is never sent twice: only one that was never written is retried (by the
    /// connection pool itself).
    pub fn http_pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = Some(timeout);
        self
    }

    /// HTTP only: also read NapCat's SSE event stream (`GET {base}/_events`, served when the
    /// HTTP port is an `httpSseServers` entry in NapCat's network config), so
    /// [`Client::events`] works without a WebSocket. The stream is read in the background from
    /// `build()` on and reopened with the reconnect backoff when it ends; a refused token
    /// stops it (logged). NapCat sends no heartbeat on it.
    pub fn sse_events(mut self, yes: bool) -> Self {
        self.sse_events = yes;
        self
    }

    /// How many events may wait for a subscriber that is busy (default [`EVENT_BUFFER`]).
    /// A subscriber further behind than this is told how many it missed
    /// ([`EventsError::Lagged`](crate::EventsError::Lagged)); replies are never held up. Raise
    /// it for bursts a bot must not miss: each waiting event holds its frame (about 1 KiB for a
    /// message).
    pub fn event_buffer(mut self, events: usize) -> Self {
        self.event_buffer = Some(events.max(1));
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
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the client; fails on a missing or malformed URL. A WebSocket client must be
    /// built inside a Tokio runtime and connects in the background; see
    /// [`connect`](Self::connect) to wait for the first connection.
    pub fn build(self) -> Result<Client, Error> {
        let max_reply_bytes = self.max_reply_bytes.unwrap_or(DEFAULT_MAX_REPLY_BYTES);
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if let Some(url) = self.ws_url {
            if !(url.starts_with("ws://") || url.starts_with("wss://")) {
                return Err(Error::Config(format!(
                    "WebSocket URL `{url}` must start with ws:// or wss://"
                )));
            }
            let (initial, max) = self
                .reconnect
                .unwrap_or((Duration::from_millis(100), Duration::from_secs(5)));
            let (events, _) = broadcast::channel(self.event_buffer.unwrap_or(EVENT_BUFFER));
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
                },
            )?;
            return Ok(Client::over_ws(transport, timeout, self.upload_strategy));
        }
        let base = self.base_url.ok_or_else(|| {
            Error::Config(
                "no server URL; call .base_url(\"http://host:port\") or .ws_url(\"ws://host:port\")"
                    .into(),
            )
        })?;
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
        let (events, _) = broadcast::channel(self.event_buffer.unwrap_or(EVENT_BUFFER));
        let event_reader = if self.sse_events {
            tokio::runtime::Handle::try_current().map_err(|_| {
                Error::Config("an SSE event reader must be built inside a Tokio runtime".into())
            })?;
            let (initial, max) = self
                .reconnect
                .unwrap_or((crate::sse::DEFAULT_RETRY, Duration::from_secs(5)));
            Some(crate::sse::spawn(
                crate::sse::SseSource {
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
                event_reader,
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
        let Transport::Ws(t) = &client.inner.transport else {
            return Ok(client);
        };
        let mut state = t.core.subscribe_state();
        loop {
            let now = state.borrow_and_update().clone();
            match now {
                ConnState::Up(_) => return Ok(client),
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
