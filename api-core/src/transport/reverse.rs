//! Reverse WebSocket: the bot listens and NapCat dials in (`X-Self-ID`, `Authorization`,
//! `x-client-role`). Each account gets one [`Client`]; when NapCat reconnects for the same
//! account, the same `Client` carries on.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

use crate::client::Client;
use crate::client::builder::{DEFAULT_MAX_REPLY_BYTES, DEFAULT_TIMEOUT};
use crate::events::bus::EventBus;
use crate::events::{EVENT_BUFFER, EVENT_BUFFER_BYTES};
use crate::files::uploadable::UploadStrategy;
use crate::secret::AccessToken;
use crate::transport::forward::WsTransport;
use crate::transport::ws::core::{KeepAlive, WsCore};

/// Settings for a [`ReverseServer`].
#[derive(Clone, Debug)]
pub struct ReverseOptions {
    /// The token NapCat must send as `Authorization: Bearer <token>`; `None` accepts all.
    pub access_token: Option<AccessToken>,
    /// The default timeout of the clients handed out.
    pub timeout: Duration,
    /// The largest frame accepted, in bytes.
    pub max_reply_bytes: usize,
    /// Keep-alive pings on each connection (default: every 30 s, answered within 20 s);
    /// `None` sends none.
    pub keepalive: Option<KeepAlive>,
    /// How many events may wait for a busy subscriber of each account (see
    /// [`ClientBuilder::event_buffer`](crate::client::builder::ClientBuilder::event_buffer)).
    pub event_buffer: usize,
    /// How many bytes of events may wait for a busy subscriber of each account (default
    /// [`EVENT_BUFFER_BYTES`]; see
    /// [`ClientBuilder::event_buffer_bytes`](crate::client::builder::ClientBuilder::event_buffer_bytes)).
    pub event_buffer_bytes: usize,
    /// How the clients handed out send file parameters holding local data (see
    /// [`ClientBuilder::upload_strategy`](crate::client::builder::ClientBuilder::upload_strategy)).
    pub upload_strategy: UploadStrategy,
    /// Whether each connection sends each write at once (`TCP_NODELAY`, default `true`; see
    /// [`ClientBuilder::tcp_nodelay`](crate::client::builder::ClientBuilder::tcp_nodelay)).
    pub tcp_nodelay: bool,
}

impl Default for ReverseOptions {
    fn default() -> Self {
        ReverseOptions {
            access_token: None,
            timeout: DEFAULT_TIMEOUT,
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
            keepalive: Some(KeepAlive::default()),
            event_buffer: EVENT_BUFFER,
            event_buffer_bytes: EVENT_BUFFER_BYTES,
            upload_strategy: UploadStrategy::default(),
            tcp_nodelay: true,
        }
    }
}

/// An account that connected: its QQ number (from `X-Self-ID`) and its client.
#[derive(Debug, Clone)]
pub struct Connected {
    /// The `X-Self-ID` header NapCat sent.
    pub self_id: String,
    /// The `x-client-role` header (`Universal` for NapCat).
    pub role: String,
    /// A client whose calls go over this account's connection.
    pub client: Client,
}

/// Listens for NapCat's reverse WebSocket connections.
pub struct ReverseServer {
    local_addr: SocketAddr,
    incoming: mpsc::Receiver<Connected>,
    /// The accept loop; taken by [`shutdown`](ReverseServer::shutdown).
    task: Option<JoinHandle<()>>,
    accounts: Arc<Accounts>,
}

impl fmt::Debug for ReverseServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReverseServer")
            .field("local_addr", &self.local_addr)
            .field("accounts", &lock(&self.accounts.cores).len())
            .field("refused_connections", &self.refused_connections())
            .finish()
    }
}

impl Drop for ReverseServer {
    fn drop(&mut self) {
        self.accounts.stopping.cancel();
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

struct Accounts {
    options: ReverseOptions,
    cores: Mutex<HashMap<String, Arc<WsCore>>>,
    new_accounts: mpsc::Sender<Connected>,
    /// Connections refused at the handshake (wrong token, no `X-Self-ID`).
    refused: AtomicU64,
    /// Cancelled by [`ReverseServer::shutdown`]: no connection is taken any more.
    stopping: CancellationToken,
}

impl ReverseServer {
    /// Binds `addr` (port 0 picks one) and starts accepting.
    pub async fn bind(addr: SocketAddr, options: ReverseOptions) -> std::io::Result<ReverseServer> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (tx, incoming) = mpsc::channel(64);
        let accounts = Arc::new(Accounts {
            options,
            cores: Mutex::new(HashMap::new()),
            new_accounts: tx,
            refused: AtomicU64::new(0),
            stopping: CancellationToken::new(),
        });
        let serving = accounts.clone();
        let task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        tokio::spawn(serve(serving.clone(), stream, peer));
                    }
                    Err(e) => tracing::warn!(error = %e, "reverse WebSocket accept failed"),
                }
            }
        });
        Ok(ReverseServer {
            local_addr,
            incoming,
            task: Some(task),
            accounts,
        })
    }

    /// The bound address; give NapCat `ws://<addr>/` as its reverse WebSocket URL.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Waits for the next account to connect for the first time; `None` once the server is
    /// shut down.
    pub async fn accept(&mut self) -> Option<Connected> {
        tokio::select! {
            connected = self.incoming.recv() => connected,
            () = self.accounts.stopping.cancelled() => None,
        }
    }

    /// How many connections were refused at the handshake so far: a wrong or missing access
    /// token (HTTP 401), or no `X-Self-ID` header (HTTP 400). Each is also logged as a
    /// warning naming the peer and the reason; a bot that sees this grow while waiting in
    /// [`accept`](Self::accept) can tell its NapCat's settings are off.
    pub fn refused_connections(&self) -> u64 {
        self.accounts.refused.load(Ordering::Relaxed)
    }

    /// Stops the server: the port is released, no connection is taken any more, and every
    /// account's client is closed ([`Client::close`]: its connection ends with a close frame,
    /// its calls with [`Error::Closed`](crate::error::Error::Closed)). Returns once every
    /// connection has ended. Stopping twice is harmless.
    pub async fn shutdown(&mut self) {
        self.accounts.stopping.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        let cores: Vec<Arc<WsCore>> = lock(&self.accounts.cores).values().cloned().collect();
        for core in cores {
            core.close().await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Handshake {
    self_id: String,
    role: String,
}

async fn serve(accounts: Arc<Accounts>, stream: TcpStream, peer: SocketAddr) {
    if let Err(e) = stream.set_nodelay(accounts.options.tcp_nodelay) {
        tracing::debug!(%peer, error = %e, "could not set TCP_NODELAY on a reverse WebSocket connection");
    }
    let handshake = accounts
        .stopping
        .run_until_cancelled(handshake(&accounts, stream, peer));
    let Some(Some((ws, hs))) = handshake.await else {
        return;
    };
    let (core, is_new) = {
        let mut cores = lock(&accounts.cores);
        if accounts.stopping.is_cancelled() {
            return;
        }
        match cores.get(&hs.self_id) {
            // A closed account's client is done: the account comes back as a new one.
            Some(core) if !core.is_closed() => (core.clone(), false),
            _ => {
                let events = EventBus::new(
                    accounts.options.event_buffer,
                    accounts.options.event_buffer_bytes,
                );
                let core = WsCore::new(events, accounts.options.keepalive);
                cores.insert(hs.self_id.clone(), core.clone());
                (core, true)
            }
        }
    };
    tracing::info!(%peer, self_id = %hs.self_id, role = %hs.role, reconnect = !is_new, "reverse WebSocket connected");
    if is_new {
        let transport = WsTransport::attached(core.clone(), format!("reverse:{peer}"));
        let client = Client::over_ws(
            transport,
            accounts.options.timeout,
            accounts.options.upload_strategy,
        );
        let _ = accounts
            .new_accounts
            .send(Connected {
                self_id: hs.self_id.clone(),
                role: hs.role.clone(),
                client,
            })
            .await;
    }
    let end = core.run(ws, None, accounts.options.tcp_nodelay).await;
    tracing::info!(%peer, self_id = %hs.self_id, ?end, "reverse WebSocket connection ended");
}

/// The upgrade, with the checks NapCat's side must pass: the access token, when one is set,
/// and an `X-Self-ID` naming the account. `None` when the connection was refused (counted
/// and logged) or did not complete.
async fn handshake(
    accounts: &Accounts,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<(WebSocketStream<TcpStream>, Handshake)> {
    let expected = accounts.options.access_token.clone();
    let seen: Arc<Mutex<Option<Handshake>>> = Arc::default();
    let seen_in_callback = seen.clone();
    let refused = |status: StatusCode, why: &str| {
        accounts.refused.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(%peer, "refused a reverse WebSocket connection: {why}");
        let mut denied = ErrorResponse::new(Some(why.to_owned()));
        *denied.status_mut() = status;
        denied
    };
    // The signature is tungstenite's `Callback`; its error type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let check = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if let Some(token) = expected.as_ref().filter(|t| !t.is_empty()) {
            let given = header("authorization");
            let given = given.as_deref().and_then(|h| h.split("Bearer ").last());
            if !given.is_some_and(|g| token.matches(g)) {
                return Err(refused(
                    StatusCode::UNAUTHORIZED,
                    "wrong or missing access token (set the same token in NapCat's \
                     websocketClients entry and in ReverseOptions::access_token)",
                ));
            }
        }
        let Some(self_id) = header("x-self-id").filter(|id| !id.trim().is_empty()) else {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                "no X-Self-ID header naming the account (NapCat sends its QQ number there; \
                 another OneBot implementation must too)",
            ));
        };
        *lock(&seen_in_callback) = Some(Handshake {
            self_id,
            role: header("x-client-role").unwrap_or_else(|| "Universal".into()),
        });
        Ok(resp)
    };
    let max = accounts.options.max_reply_bytes;
    let config = WebSocketConfig::default()
        .max_message_size(Some(max))
        .max_frame_size(Some(max));
    match tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(config)).await {
        Ok(ws) => lock(&seen).take().map(|hs| (ws, hs)),
        Err(e) => {
            tracing::debug!(%peer, error = %e, "reverse WebSocket handshake did not complete");
            None
        }
    }
}
