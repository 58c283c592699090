//! Forward WebSocket: the client dials NapCat and keeps one connection, reconnecting with
//! capped exponential backoff.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::secret::AccessToken;
use crate::transport::Backoff;
use crate::transport::upgrade::{self, PLACEHOLDER, Swap, Upgraded};
use crate::transport::ws::connection::{closed_with, socket_config, token_refusal};
use crate::transport::ws::core::WsCore;
use crate::transport::ws::slots::{ConnEnd, ConnState};

/// Where and how to dial.
#[derive(Clone)]
pub(crate) struct Dial {
    /// The URL without the token.
    pub url: String,
    pub token: Option<AccessToken>,
    pub token_in_query: bool,
    pub max_reply_bytes: usize,
    pub backoff: Backoff,
    /// How long one connection attempt (TCP connect and the upgrade) may take.
    pub handshake_timeout: Duration,
    /// Whether frames go out as soon as they are written (`TCP_NODELAY`).
    pub nodelay: bool,
    /// How long the reader polls for an expected reply before its thread sleeps.
    pub reply_poll: Duration,
}

impl Dial {
    /// The upgrade request, with [`PLACEHOLDER`] where the token goes, and the swap that puts
    /// the token there below the WebSocket library (which logs the request it writes).
    fn request(
        &self,
    ) -> Result<
        (
            tokio_tungstenite::tungstenite::handshake::client::Request,
            Option<Swap>,
        ),
        String,
    > {
        let url = match (&self.token, self.token_in_query) {
            (Some(_), true) => {
                let mut url = url::Url::parse(&self.url)
                    .map_err(|e| format!("`{}` is not a URL: {e}", self.url))?;
                url.query_pairs_mut()
                    .append_pair("access_token", PLACEHOLDER);
                url.to_string()
            }
            _ => self.url.clone(),
        };
        let mut req = url
            .into_client_request()
            .map_err(|e| self.redact(e.to_string()))?;
        let swap = match (&self.token, self.token_in_query) {
            // Percent-encoded, so a token with `&`, `#`, `+` or `%` reaches NapCat unchanged.
            (Some(t), true) => {
                let mut encoded = url::Url::parse("ws://token/").expect("a valid URL");
                encoded
                    .query_pairs_mut()
                    .append_pair("access_token", t.expose());
                Some(Swap {
                    find: format!("access_token={PLACEHOLDER}").into_bytes(),
                    put: encoded.query().unwrap_or_default().as_bytes().to_vec(),
                })
            }
            (Some(t), false) => {
                HeaderValue::from_str(&format!("Bearer {}", t.expose()))
                    .map_err(|_| "the access token is not a valid header value".to_owned())?;
                req.headers_mut().insert(
                    "authorization",
                    HeaderValue::from_str(&format!("Bearer {PLACEHOLDER}"))
                        .expect("a valid header value"),
                );
                Some(Swap {
                    find: format!("\r\nauthorization: Bearer {PLACEHOLDER}\r\n").into_bytes(),
                    put: format!("\r\nauthorization: Bearer {}\r\n", t.expose()).into_bytes(),
                })
            }
            (None, _) => None,
        };
        Ok((req, swap))
    }

    /// Why an attempt failed, naming the URL, and what to change when the port answered
    /// plain HTTP (NapCat's HTTP server given as a WebSocket URL).
    fn failed(&self, e: &tokio_tungstenite::tungstenite::Error) -> String {
        let why = self.redact(e.to_string());
        match e {
            tokio_tungstenite::tungstenite::Error::Http(reply) => format!(
                "{}: {why}: the server answered HTTP {} instead of switching to WebSocket; if \
                 this is NapCat's HTTP server, use Client::builder().base_url(\"http://host:port\"), \
                 and for WebSocket the port of a `websocketServers` entry",
                self.url,
                reply.status().as_u16()
            ),
            _ => format!("{}: {why}", self.url),
        }
    }

    fn redact(&self, text: String) -> String {
        match &self.token {
            Some(t) => t.redact(&text),
            None => text,
        }
    }
}

/// The forward WebSocket transport: a dialer task and the shared core.
pub(crate) struct WsTransport {
    pub(crate) core: Arc<WsCore>,
    url: String,
    dialer: Option<JoinHandle<()>>,
}

impl fmt::Debug for WsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsTransport")
            .field("url", &self.url)
            .field("pending", &self.core.pending_count())
            .finish()
    }
}

impl Drop for WsTransport {
    fn drop(&mut self) {
        if let Some(d) = &self.dialer {
            d.abort();
        }
        self.core
            .set_state(ConnState::Closed("the client was dropped".into()));
    }
}

impl WsTransport {
    /// Starts dialing in the background (needs a Tokio runtime).
    pub(crate) fn forward(core: Arc<WsCore>, dial: Dial) -> Result<WsTransport, Error> {
        dial.request().map_err(Error::Config)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Config("a WebSocket client must be built inside a Tokio runtime".into())
        })?;
        let url = dial.url.clone();
        let dialer = runtime.spawn(dial_loop(core.clone(), dial));
        Ok(WsTransport {
            core,
            url,
            dialer: Some(dialer),
        })
    }

    /// A transport over connections someone else attaches (reverse WebSocket).
    pub(crate) fn attached(core: Arc<WsCore>, peer: String) -> WsTransport {
        WsTransport {
            core,
            url: peer,
            dialer: None,
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Why this transport receives no events, when it cannot: NapCat's forward WebSocket
    /// server sends only replies on `/api` (`websocket-server.ts`).
    pub(crate) fn no_events(&self) -> Option<String> {
        let path = url::Url::parse(&self.url).ok()?.path().to_owned();
        (self.dialer.is_some() && path.trim_end_matches('/') == "/api").then(|| {
            format!(
                "this client receives no events: NapCat's WebSocket server sends only replies \
                 on `/api` ({}); connect to the server's root path `/` for replies and events",
                self.url
            )
        })
    }

    pub(crate) fn send<'a>(
        &self,
        action: &'a str,
        params: String,
        timeout: Duration,
    ) -> crate::transport::ws::core::Sending<'a> {
        self.core.send(action, params, timeout)
    }

    pub(crate) async fn send_stream(
        &self,
        action: &str,
        params: String,
        stall: Duration,
    ) -> Result<crate::transport::ws::stream::WsPackets, Error> {
        self.core.send_stream(action, params, stall).await
    }
}

async fn dial_loop(core: Arc<WsCore>, dial: Dial) {
    let mut delay = dial.backoff.initial;
    let config = socket_config(dial.max_reply_bytes);
    // Once the client is closed no connection is made: an attempt or a wait in between is
    // dropped, and a connection that is up ends itself (`WsCore::run`).
    let closing = core.closing().clone();
    loop {
        let Some(admitted) = closing.run_until_cancelled(connect(&dial, config)).await else {
            return;
        };
        let end = match admitted {
            Ok((ws, first)) => {
                tracing::info!(url = %dial.url, "WebSocket connected");
                delay = dial.backoff.initial;
                core.run(
                    ws,
                    first,
                    dial.nodelay,
                    dial.reply_poll,
                    std::future::pending(),
                )
                .await
            }
            Err(ConnEnd::Lost(reason)) => {
                tracing::warn!(url = %dial.url, %reason, retry_in = ?delay, "WebSocket connect failed");
                core.set_state(ConnState::Connecting(Some(reason)));
                if !wait_to_retry(&closing, &mut delay, dial.backoff.max).await {
                    return;
                }
                continue;
            }
            Err(refused) => {
                core.end_with(&refused, None);
                refused
            }
        };
        match end {
            ConnEnd::AuthRefused(message) => {
                tracing::error!(url = %dial.url, %message, "the server refused the access token; not reconnecting");
                return;
            }
            ConnEnd::Closed => {
                tracing::info!(url = %dial.url, "WebSocket client closed");
                return;
            }
            ConnEnd::Lost(reason) => {
                tracing::warn!(url = %dial.url, %reason, "WebSocket connection lost; reconnecting");
            }
        }
        if !wait_to_retry(&closing, &mut delay, dial.backoff.max).await {
            return;
        }
    }
}

/// Waits `delay` before the next attempt and doubles it up to `max`; `false` when the client
/// was closed meanwhile.
async fn wait_to_retry(closing: &CancellationToken, delay: &mut Duration, max: Duration) -> bool {
    let waited = closing
        .run_until_cancelled(tokio::time::sleep(*delay))
        .await;
    *delay = (*delay * 2).min(max);
    waited.is_some()
}

/// One connection attempt: TCP, the upgrade, and the server's first word (see [`admission`]).
async fn connect(
    dial: &Dial,
    config: WebSocketConfig,
) -> Result<(Upgraded, Option<Bytes>), ConnEnd> {
    // Bounded: a server (or proxy) that takes the TCP connection and never answers the
    // upgrade must not wedge the client; the attempt fails and the backoff goes on.
    let (req, swap) = dial.request().map_err(ConnEnd::Lost)?;
    let mut ws = match tokio::time::timeout(
        dial.handshake_timeout,
        upgrade::open(req, swap, config, dial.nodelay),
    )
    .await
    {
        Ok(done) => done.map_err(|e| ConnEnd::Lost(dial.failed(&e)))?,
        Err(_) => {
            return Err(ConnEnd::Lost(format!(
                "the WebSocket handshake did not complete within {:?}",
                dial.handshake_timeout
            )));
        }
    };
    let first = admission(&mut ws, dial.handshake_timeout).await?;
    Ok((ws, first))
}

/// Waits for the server's first word on a fresh connection, so that a refused token fails
/// the connection attempt itself. NapCat checks the token as soon as the upgrade completes
/// and, when it refuses it, sends one retcode-1403 envelope and closes; when it accepts it, it
/// sends a lifecycle event, except on `/api`, where it sends nothing at all
/// (`packages/napcat-onebot/network/websocket-server.ts`, `authorize` and the `connection`
/// handler). So the client pings: whatever comes first, refusal, event or pong, tells which.
/// A frame that is not the refusal is handed back to be routed as usual.
async fn admission<S>(
    ws: &mut WebSocketStream<S>,
    within: Duration,
) -> Result<Option<Bytes>, ConnEnd>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let first_word = async {
        ws.send(Message::Ping(Bytes::from_static(b"napcat-rs")))
            .await
            .map_err(|e| ConnEnd::Lost(format!("write failed: {e}")))?;
        loop {
            match ws.next().await {
                None => return Err(ConnEnd::Lost("the server closed the connection".into())),
                Some(Err(e)) => return Err(ConnEnd::Lost(format!("read failed: {e}"))),
                Some(Ok(Message::Text(text))) => {
                    let frame = Bytes::from(text);
                    return match token_refusal(&frame) {
                        Some(message) => Err(ConnEnd::AuthRefused(message)),
                        None => Ok(Some(frame)),
                    };
                }
                Some(Ok(Message::Pong(_))) => return Ok(None),
                Some(Ok(Message::Close(frame))) => return Err(ConnEnd::Lost(closed_with(frame))),
                // A ping from the server (answered by the library) or a binary frame.
                Some(Ok(_)) => {}
            }
        }
    };
    match tokio::time::timeout(within, first_word).await {
        Ok(word) => word,
        Err(_) => Err(ConnEnd::Lost(format!(
            "the server did not answer a ping within {within:?} of the upgrade"
        ))),
    }
}
