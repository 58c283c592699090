//! Events NapCat POSTs to the bot (its `httpClients` network entries): a small HTTP server
//! that checks each post's signature, hands the event to [`Events`] subscribers and answers
//! with a quick operation when the bot gives one.
//!
//! NapCat posts every event but meta events, one request each, concurrently (so they may
//! arrive out of order), with `x-self-id` and, when a token is set, `x-signature:
//! sha1=<hex HMAC-SHA1 of the body, keyed with the token>`. A 2xx answer with a JSON body is
//! a quick operation for that event; an empty one (204) means none
//! (packages/napcat-onebot/network/http-client.ts).

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::http::{HeaderMap, StatusCode, header};
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use sha1::Sha1;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::client::builder::DEFAULT_MAX_REPLY_BYTES;
use crate::events::bus::EventBus;
use crate::events::{EVENT_BUFFER, EVENT_BUFFER_BYTES};
use crate::events::{Events, decode};
use crate::secret::AccessToken;
use crate::transport::listen::{Accepted, Listener};
use crate::types::{Event, QuickOperation};

/// Decides the quick operation for an event as it arrives (answered in the POST's response).
pub type QuickHandler = Arc<dyn Fn(&Event) -> Option<QuickOperation> + Send + Sync>;

/// How long a connection may take to send a request's headers by default; see
/// [`HttpPostOptions::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a post's body may take to arrive by default; see
/// [`HttpPostOptions::body_read_timeout`].
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// How many connections an [`HttpPostServer`] serves at once by default; see
/// [`HttpPostOptions::max_connections`].
pub const DEFAULT_POST_CONNECTIONS: usize = 256;

/// How the receiver checks and answers posts, and what it takes from a connection.
#[derive(Clone, Default)]
pub struct HttpPostOptions {
    /// NapCat's `token` for this `httpClients` entry: posts must carry its `x-signature`.
    /// `None` accepts unsigned posts.
    pub secret: Option<AccessToken>,
    /// The quick operation for each event, if any.
    pub quick: Option<QuickHandler>,
    /// How many events may wait for a busy subscriber (`None`: [`EVENT_BUFFER`]; see
    /// [`ClientBuilder::event_buffer`](crate::client::builder::ClientBuilder::event_buffer)).
    pub event_buffer: Option<usize>,
    /// How many bytes of events may wait for a busy subscriber (`None`:
    /// [`EVENT_BUFFER_BYTES`]; see
    /// [`ClientBuilder::event_buffer_bytes`](crate::client::builder::ClientBuilder::event_buffer_bytes)).
    pub event_buffer_bytes: Option<usize>,
    /// The largest post accepted, in bytes (`None`: [`DEFAULT_MAX_REPLY_BYTES`], 64 MiB, the
    /// largest frame the WebSocket transports take). A larger one is answered 413 and logged
    /// as a warning.
    pub max_body_bytes: Option<usize>,
    /// How long a connection may take to send a request's headers, from when the server
    /// starts waiting for them (`None`: [`DEFAULT_HEADER_READ_TIMEOUT`]). A connection that
    /// takes longer is closed; so is a kept-alive one left idle this long (NapCat opens
    /// another).
    pub header_read_timeout: Option<Duration>,
    /// How long a post's body may take to arrive once its headers did (`None`:
    /// [`DEFAULT_BODY_READ_TIMEOUT`]); a slower one is answered 408 and logged.
    pub body_read_timeout: Option<Duration>,
    /// How many connections are served at once (`None`: [`DEFAULT_POST_CONNECTIONS`]); more
    /// wait in the system's backlog until one closes. With the timeouts above, a peer holding
    /// connections half-sent keeps them only that long.
    pub max_connections: Option<usize>,
}

impl fmt::Debug for HttpPostOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpPostOptions")
            .field("secret", &self.secret)
            .field("quick", &self.quick.as_ref().map(|_| "Fn"))
            .field("event_buffer", &self.event_buffer)
            .field("event_buffer_bytes", &self.event_buffer_bytes)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// A server for the events NapCat POSTs; stops when dropped.
///
/// ```no_run
/// use api_core::{HttpPostOptions, HttpPostServer};
/// use api_core::types::Event;
///
/// # async fn run() -> std::io::Result<()> {
/// let server = HttpPostServer::bind("127.0.0.1:8080".parse().unwrap(), HttpPostOptions {
///     secret: Some("token".into()),
///     ..HttpPostOptions::default()
/// })
/// .await?;
/// let mut events = server.events();
/// while let Ok(event) = events.recv().await {
///     if let Event::Message(m) = event {
///         println!("{}", m.message);
///     }
/// }
/// # Ok(()) }
/// ```
pub struct HttpPostServer {
    local_addr: SocketAddr,
    events: EventBus,
    /// The server; taken by [`shutdown`](HttpPostServer::shutdown).
    task: Option<JoinHandle<()>>,
    /// Cancelled by [`shutdown`](HttpPostServer::shutdown): the server stops taking posts and
    /// event subscriptions end.
    stopping: CancellationToken,
}

impl fmt::Debug for HttpPostServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpPostServer")
            .field("local_addr", &self.local_addr)
            .finish()
    }
}

impl Drop for HttpPostServer {
    fn drop(&mut self) {
        self.stopping.cancel();
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// What every post's handling reads: the settings, resolved, and where events go.
struct Shared {
    events: EventBus,
    secret: Option<AccessToken>,
    quick: Option<QuickHandler>,
    max_body_bytes: usize,
    body_read_timeout: Duration,
}

/// How long [`HttpPostServer::shutdown`] lets posts being answered finish.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

impl HttpPostServer {
    /// Listens on `addr` (port 0 picks a free one; see [`local_addr`](Self::local_addr)).
    /// Every path is accepted, as NapCat posts to the whole URL it is given.
    pub async fn bind(addr: SocketAddr, options: HttpPostOptions) -> std::io::Result<Self> {
        let socket = tokio::net::TcpListener::bind(addr).await?;
        let local_addr = socket.local_addr()?;
        let events = EventBus::new(
            options.event_buffer.unwrap_or(EVENT_BUFFER),
            options.event_buffer_bytes.unwrap_or(EVENT_BUFFER_BYTES),
        );
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(
            options
                .header_read_timeout
                .unwrap_or(DEFAULT_HEADER_READ_TIMEOUT),
        );
        let listener = Listener::new(
            socket,
            options.max_connections.unwrap_or(DEFAULT_POST_CONNECTIONS),
            "HTTP post",
        );
        let shared = Arc::new(Shared {
            events: events.clone(),
            secret: options.secret,
            quick: options.quick,
            max_body_bytes: options.max_body_bytes.unwrap_or(DEFAULT_MAX_REPLY_BYTES),
            body_read_timeout: options
                .body_read_timeout
                .unwrap_or(DEFAULT_BODY_READ_TIMEOUT),
        });
        let stopping = CancellationToken::new();
        let task = tokio::spawn(serve(listener, http, shared, stopping.clone()));
        Ok(HttpPostServer {
            local_addr,
            events,
            task: Some(task),
            stopping,
        })
    }

    /// Stops the server: no more connections or posts are taken, posts being answered are
    /// finished (for up to [`SHUTDOWN_GRACE`]; then their connections are dropped), the port
    /// is released, and every event subscription ends with
    /// [`EventsError::Closed`](crate::events::EventsError::Closed) (a stream, with `None`).
    /// Stopping twice is harmless.
    pub async fn shutdown(&mut self) {
        self.stopping.cancel();
        let Some(mut task) = self.task.take() else {
            return;
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Subscribes to the events posted from now on.
    pub fn events(&self) -> Events {
        Events::new(self.events.subscribe(), self.stopping.clone())
    }
}

/// Takes connections until `stopping`, then lets each finish the post it is answering.
async fn serve(
    mut listener: Listener,
    http: hyper::server::conn::http1::Builder,
    shared: Arc<Shared>,
    stopping: CancellationToken,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.next() => {
                connections.spawn(connection(accepted, http.clone(), shared.clone(), stopping.clone()));
            }
            // Finished connections are let go of as they end.
            Some(_) = connections.join_next() => {}
            () = stopping.cancelled() => break,
        }
    }
    // The port is released at once; the posts being answered go on.
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// Serves one connection's posts (HTTP/1.1, kept alive) until it closes, times out or the
/// server stops; its place among the server's connections goes with it.
async fn connection(
    accepted: Accepted,
    http: hyper::server::conn::http1::Builder,
    shared: Arc<Shared>,
    stopping: CancellationToken,
) {
    let Accepted {
        stream,
        peer,
        place,
        ..
    } = accepted;
    let service = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(receive(&shared, req).await) }
    });
    let conn = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let served = tokio::select! {
        served = conn.as_mut() => served,
        () = stopping.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = served {
        tracing::debug!(%peer, error = %e, "an event post connection ended");
    }
    drop(place);
}

/// An answer with a short plain-text body (or none).
fn answer(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

async fn receive(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let self_id = parts.headers.get("x-self-id").cloned();
    let max = shared.max_body_bytes;
    let read = Limited::new(body, max).collect();
    let body = match tokio::time::timeout(shared.body_read_timeout, read).await {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            tracing::warn!(
                ?self_id,
                max,
                "refusing an event post larger than the limit (HttpPostOptions::max_body_bytes)"
            );
            return answer(StatusCode::PAYLOAD_TOO_LARGE, "too large");
        }
        Ok(Err(e)) => {
            tracing::debug!(?self_id, error = %e, "an event post's body did not arrive whole");
            return answer(StatusCode::BAD_REQUEST, "incomplete body");
        }
        Err(_) => {
            tracing::warn!(?self_id, after = ?shared.body_read_timeout, "refusing an event post whose body did not arrive in time (HttpPostOptions::body_read_timeout)");
            return answer(StatusCode::REQUEST_TIMEOUT, "body too slow");
        }
    };
    if let Some(refused) = check(shared, &parts.headers, &body) {
        return refused;
    }
    let quick = shared
        .quick
        .as_ref()
        .and_then(|decide| decide(&decode(&body)));
    shared.events.send(body);
    match quick.map(|op| serde_json::to_vec(&op)) {
        Some(Ok(body)) => {
            let mut response = Response::new(Full::new(Bytes::from(body)));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            response
        }
        Some(Err(e)) => {
            tracing::warn!(error = %e, "a quick operation did not serialize; answering none");
            answer(StatusCode::NO_CONTENT, "")
        }
        None => answer(StatusCode::NO_CONTENT, ""),
    }
}

/// The answer refusing a post: a missing or wrong signature, or a body that is not an event.
fn check(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Option<Response<Full<Bytes>>> {
    if let Some(secret) = &shared.secret {
        let given = headers
            .get("x-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !signature_ok(secret.expose().as_bytes(), body, given) {
            tracing::warn!(
                self_id = ?headers.get("x-self-id"),
                "refusing an event post without a valid x-signature"
            );
            return Some(answer(StatusCode::FORBIDDEN, "bad signature"));
        }
    }
    match crate::events::is_event(body) {
        Ok(true) => None,
        Ok(false) => Some(answer(StatusCode::BAD_REQUEST, "not an event")),
        Err(e) => {
            tracing::warn!(error = %e, "an event post that is not JSON");
            Some(answer(StatusCode::BAD_REQUEST, "not JSON"))
        }
    }
}

/// `sha1=<lower-case hex HMAC-SHA1(key, body)>`, compared in constant time.
fn signature_ok(key: &[u8], body: &[u8], given: &str) -> bool {
    let Some(hex) = given.strip_prefix("sha1=") else {
        return false;
    };
    let Some(bytes) = from_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked() {
        // HMAC-SHA1("key", "The quick brown fox jumps over the lazy dog").
        let body = b"The quick brown fox jumps over the lazy dog";
        let good = "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9";
        assert!(signature_ok(b"key", body, good));
        assert!(!signature_ok(b"other", body, good));
        assert!(!signature_ok(b"key", b"tampered", good));
        assert!(!signature_ok(
            b"key",
            body,
            "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
        ));
        assert!(!signature_ok(b"key", body, "sha1=zz"));
    }
}
