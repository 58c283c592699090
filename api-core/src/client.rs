//! The client: a cheap-to-clone handle that sends any [`Action`] over its transport.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::Error;
use crate::action::Action;
use crate::http::HttpTransport;
use crate::reply::{self, DecodeRules, RawReply};

/// The future every call returns: boxed, `Send` and `'static`, so it can be spawned.
pub type ApiFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>;

/// The largest reply the client reads by default (64 MiB); see [`ClientBuilder::max_reply_size`].
pub const DEFAULT_MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

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
/// api.send_like(123456).times(5).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    default_timeout: Duration,
}

#[derive(Debug)]
enum Transport {
    Http(HttpTransport),
}

impl Transport {
    async fn send(&self, action: &str, params: Vec<u8>) -> Result<RawReply, Error> {
        match self {
            Transport::Http(t) => t.send(action, params).await,
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

    /// Sends a request and decodes its typed result.
    pub fn call<A: Action>(&self, request: A) -> ApiFuture<A::Output> {
        self.call_with_timeout(request, None)
    }

    /// Sends a request with a timeout for this call only (`None`: the action's spec timeout,
    /// else the client default).
    pub fn call_with_timeout<A: Action>(
        &self,
        mut request: A,
        timeout: Option<Duration>,
    ) -> ApiFuture<A::Output> {
        let client = self.clone();
        Box::pin(async move {
            request.validate()?;
            for (param, file) in request.uploads() {
                file.resolve(A::RUST_NAME, param).await?;
            }
            let params = serde_json::to_vec(&request)
                .map_err(|e| Error::invalid_argument(A::RUST_NAME, "(request)", e.to_string()))?;
            let timeout = timeout
                .or(A::TIMEOUT)
                .unwrap_or(client.inner.default_timeout);
            let reply = client.send(A::WIRE_NAME, params, timeout).await?;
            reply::decode(
                DecodeRules {
                    action: A::WIRE_NAME,
                    failure_flag: A::FAILURE_FLAG,
                    discards_data: A::DISCARDS_DATA,
                },
                &reply,
            )
        })
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
            let env = reply::parse_envelope(&action, &reply)?;
            reply::check_failed(&action, &env, &reply)?;
            Ok(env
                .data
                .map(|d| serde_json::from_str(d.get()))
                .transpose()
                .map_err(|e| Error::Decode {
                    action: action.clone(),
                    path: "data".into(),
                    message: e.to_string(),
                    body: reply.body.clone(),
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
        let params = serde_json::to_vec(params)
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
        params: Vec<u8>,
        timeout: Duration,
    ) -> Result<RawReply, Error> {
        tracing::debug!(action, params = %reply::log_text(&params), "sending");
        let reply = tokio::time::timeout(timeout, self.inner.transport.send(action, params))
            .await
            .map_err(|_| Error::Timeout {
                action: action.to_owned(),
                after: timeout,
            })??;
        tracing::trace!(action, status = ?reply.http_status, body = %reply::log_text(&reply.body), "reply");
        Ok(reply)
    }

    /// The client-wide default timeout.
    pub fn default_timeout(&self) -> Duration {
        self.inner.default_timeout
    }

    /// The base URL, for HTTP clients.
    pub fn base_url(&self) -> Option<&str> {
        match &self.inner.transport {
            Transport::Http(t) => Some(t.base()),
        }
    }
}

/// Builds a [`Client`].
#[derive(Default, Clone)]
pub struct ClientBuilder {
    base_url: Option<String>,
    token: Option<String>,
    timeout: Option<Duration>,
    max_reply_bytes: Option<usize>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("access_token", &self.token.as_ref().map(|_| "<redacted>"))
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

    /// The access token, sent as `Authorization: Bearer <token>`.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
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

    /// Uses the caller's `reqwest::Client` (connection pool, proxy, TLS settings).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the client; fails on a missing or malformed base URL.
    pub fn build(self) -> Result<Client, Error> {
        let base = self.base_url.ok_or_else(|| {
            Error::Config("no base URL; call .base_url(\"http://host:port\")".into())
        })?;
        let http = self.http.unwrap_or_default();
        let transport = HttpTransport::new(
            http,
            &base,
            self.token.as_deref(),
            self.max_reply_bytes.unwrap_or(DEFAULT_MAX_REPLY_BYTES),
        )?;
        Ok(Client {
            inner: Arc::new(Inner {
                transport: Transport::Http(transport),
                default_timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            }),
        })
    }
}
