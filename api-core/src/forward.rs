//! Forward WebSocket: the client dials NapCat and keeps one connection, reconnecting with
//! capped exponential backoff.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::reply::RawReply;
use crate::ws::{ConnEnd, ConnState, WsCore};
use crate::{AccessToken, Error};

/// Reconnect delays: doubling from `initial` up to `max`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

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
}

impl Dial {
    fn request(
        &self,
    ) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, String> {
        let url = match (&self.token, self.token_in_query) {
            // Percent-encoded, so a token with `&`, `#`, `+` or `%` reaches NapCat unchanged.
            (Some(t), true) => {
                let mut url = reqwest::Url::parse(&self.url)
                    .map_err(|e| format!("`{}` is not a URL: {e}", self.url))?;
                url.query_pairs_mut()
                    .append_pair("access_token", t.expose());
                url.to_string()
            }
            _ => self.url.clone(),
        };
        let mut req = url
            .into_client_request()
            .map_err(|e| self.redact(e.to_string()))?;
        if let (Some(t), false) = (&self.token, self.token_in_query) {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", t.expose()))
                .map_err(|_| "the access token is not a valid header value".to_owned())?;
            v.set_sensitive(true);
            req.headers_mut().insert("authorization", v);
        }
        Ok(req)
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

    pub(crate) async fn send(&self, action: &str, params: Vec<u8>) -> Result<RawReply, Error> {
        self.core.send(action, params).await
    }
}

async fn dial_loop(core: Arc<WsCore>, dial: Dial) {
    let mut delay = dial.backoff.initial;
    let config = WebSocketConfig::default()
        .max_message_size(Some(dial.max_reply_bytes))
        .max_frame_size(Some(dial.max_reply_bytes));
    loop {
        // Bounded: a server (or proxy) that takes the TCP connection and never answers the
        // upgrade must not wedge the client; the attempt fails and the backoff goes on.
        let attempt = match dial.request() {
            Ok(req) => match tokio::time::timeout(
                dial.handshake_timeout,
                tokio_tungstenite::connect_async_with_config(req, Some(config), true),
            )
            .await
            {
                Ok(done) => done.map_err(|e| dial.redact(e.to_string())),
                Err(_) => Err(format!(
                    "the WebSocket handshake did not complete within {:?}",
                    dial.handshake_timeout
                )),
            },
            Err(e) => Err(e),
        };
        match attempt {
            Ok((ws, _)) => {
                tracing::info!(url = %dial.url, "WebSocket connected");
                delay = dial.backoff.initial;
                match core.run(ws).await {
                    ConnEnd::AuthRefused(message) => {
                        tracing::error!(url = %dial.url, %message, "the server refused the access token; not reconnecting");
                        return;
                    }
                    ConnEnd::Lost(reason) => {
                        tracing::warn!(url = %dial.url, %reason, "WebSocket connection lost; reconnecting");
                    }
                }
            }
            Err(reason) => {
                tracing::warn!(url = %dial.url, %reason, retry_in = ?delay, "WebSocket connect failed");
                core.set_state(ConnState::Connecting(Some(reason)));
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(dial.backoff.max);
    }
}
