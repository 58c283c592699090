//! Events NapCat POSTs to the bot (its `httpClients` network entries): a small HTTP server
//! that checks each post's signature, hands the event to [`Events`] subscribers and answers
//! with a quick operation when the bot gives one.
//!
//! NapCat posts every event but meta events, one request each, concurrently (so they may
//! arrive out of order), with `x-self-id` and, when a token is set, `x-signature:
//! sha1=<hex HMAC-SHA1 of the body, keyed with the token>`. A 2xx answer with a JSON body is
//! a quick operation for that event; an empty one (204) means none
//! (packages/napcat-onebot/network/http-client.ts).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::events::bus::EventBus;
use crate::events::{EVENT_BUFFER, EVENT_BUFFER_BYTES};
use crate::events::{Events, decode};
use crate::secret::AccessToken;
use crate::types::{Event, QuickOperation};

/// Decides the quick operation for an event as it arrives (answered in the POST's response).
pub type QuickHandler = Arc<dyn Fn(&Event) -> Option<QuickOperation> + Send + Sync>;

/// How the receiver checks and answers posts.
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
}

impl fmt::Debug for HttpPostOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpPostOptions")
            .field("secret", &self.secret)
            .field("quick", &self.quick.as_ref().map(|_| "Fn"))
            .field("event_buffer", &self.event_buffer)
            .field("event_buffer_bytes", &self.event_buffer_bytes)
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

struct Shared {
    events: EventBus,
    options: HttpPostOptions,
}

/// How long [`HttpPostServer::shutdown`] lets posts being answered finish.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

impl HttpPostServer {
    /// Listens on `addr` (port 0 picks a free one; see [`local_addr`](Self::local_addr)).
    /// Every path is accepted, as NapCat posts to the whole URL it is given.
    pub async fn bind(addr: SocketAddr, options: HttpPostOptions) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let events = EventBus::new(
            options.event_buffer.unwrap_or(EVENT_BUFFER),
            options.event_buffer_bytes.unwrap_or(EVENT_BUFFER_BYTES),
        );
        let shared = Arc::new(Shared {
            events: events.clone(),
            options,
        });
        let app = Router::new().fallback(receive).with_state(shared);
        let stopping = CancellationToken::new();
        let stop = stopping.clone().cancelled_owned();
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(stop);
            if let Err(e) = serving.await {
                tracing::error!(error = %e, "the event receiver stopped");
            }
        });
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

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(secret) = &shared.options.secret {
        let given = headers
            .get("x-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !signature_ok(secret.expose().as_bytes(), &body, given) {
            tracing::warn!(
                self_id = ?headers.get("x-self-id"),
                "refusing an event post without a valid x-signature"
            );
            return (StatusCode::FORBIDDEN, "bad signature").into_response();
        }
    }
    match crate::events::is_event(&body) {
        Ok(true) => {}
        Ok(false) => return (StatusCode::BAD_REQUEST, "not an event").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "an event post that is not JSON");
            return (StatusCode::BAD_REQUEST, "not JSON").into_response();
        }
    }
    let quick = shared
        .options
        .quick
        .as_ref()
        .and_then(|decide| decide(&decode(&body)));
    shared.events.send(body);
    match quick.map(|op| serde_json::to_vec(&op)) {
        Some(Ok(body)) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "a quick operation did not serialize; answering none");
            StatusCode::NO_CONTENT.into_response()
        }
        None => StatusCode::NO_CONTENT.into_response(),
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
