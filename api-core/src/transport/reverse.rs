//! Reverse WebSocket: the bot listens and NapCat dials in (`X-Self-ID`, `Authorization`,
//! `x-client-role`). Each account gets one [`Client`]; when NapCat reconnects for the same
//! account, the same `Client` carries on.
//!
//! One connection serves an account at a time: a newer one for the same `X-Self-ID` (NapCat
//! restarting before the old connection was seen to end) takes over, and the older one is
//! ended first, so its end touches nothing of the newer's. An account left without a
//! connection is kept for [`ReverseOptions::account_linger`], then closed and forgotten;
//! there are at most [`ReverseOptions::max_accounts`] of them.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_util::sync::CancellationToken;

use crate::client::Client;
use crate::client::builder::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_REPLY_BYTES, DEFAULT_TIMEOUT};
use crate::events::bus::EventBus;
use crate::events::{EVENT_BUFFER, EVENT_BUFFER_BYTES, Events};
use crate::files::uploadable::UploadStrategy;
use crate::secret::AccessToken;
use crate::transport::forward::WsTransport;
use crate::transport::listen::{Accepted, Listener};
use crate::transport::ws::connection::socket_config;
use crate::transport::ws::core::{KeepAlive, WsCore};
use crate::transport::ws::reply_wait::{DEFAULT_REPLY_POLL, check_reply_poll};

/// How many connections a [`ReverseServer`] takes at once by default, upgrading or upgraded;
/// see [`ReverseOptions::max_connections`].
pub const DEFAULT_REVERSE_CONNECTIONS: usize = 512;

/// How many accounts a [`ReverseServer`] keeps by default; see
/// [`ReverseOptions::max_accounts`].
pub const DEFAULT_MAX_ACCOUNTS: usize = 1024;

/// How long an account without a connection is kept by default; see
/// [`ReverseOptions::account_linger`].
pub const DEFAULT_ACCOUNT_LINGER: Duration = Duration::from_secs(600);

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
    /// `None` sends none. A peer that stops answering, or stops reading what is written to
    /// it, is noticed within one interval and deadline and its connection ends.
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
    /// How long each connection's reader polls for an expected reply before its thread
    /// sleeps (default [`DEFAULT_REPLY_POLL`], at most
    /// [`MAX_REPLY_POLL`](crate::MAX_REPLY_POLL); see
    /// [`ClientBuilder::reply_poll`](crate::client::builder::ClientBuilder::reply_poll)).
    pub reply_poll: Duration,
    /// How long a connection may take to complete the upgrade (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`], 10 s); a slower one is closed.
    pub handshake_timeout: Duration,
    /// How many connections are taken at once, upgrading or upgraded (default
    /// [`DEFAULT_REVERSE_CONNECTIONS`]); more wait in the system's backlog until one ends. An
    /// accept that fails (out of file descriptors) is tried again after a growing pause.
    pub max_connections: usize,
    /// How many accounts are kept, connected or waiting for NapCat to dial in again (default
    /// [`DEFAULT_MAX_ACCOUNTS`]). When a new `X-Self-ID` comes with the server full, the
    /// account without a connection for longest is closed and forgotten to make room; when
    /// every account is connected, the new one is refused with HTTP 503.
    pub max_accounts: usize,
    /// How long an account whose connection ended is kept for NapCat to dial in again with
    /// the same `X-Self-ID`, its client waiting (default [`DEFAULT_ACCOUNT_LINGER`], 10 min).
    /// Then its client is closed ([`Client::close`]: calls end with
    /// [`Error::Closed`](crate::error::Error::Closed), event subscriptions end) and the
    /// account forgotten; if NapCat comes back later, it is a new account, handed out by
    /// [`ReverseServer::accept`] again. `None` keeps accounts until `max_accounts` needs the
    /// room.
    pub account_linger: Option<Duration>,
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
            reply_poll: DEFAULT_REPLY_POLL,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            max_connections: DEFAULT_REVERSE_CONNECTIONS,
            max_accounts: DEFAULT_MAX_ACCOUNTS,
            account_linger: Some(DEFAULT_ACCOUNT_LINGER),
        }
    }
}

/// An account that connected: its QQ number (from `X-Self-ID`), its client and its events.
#[derive(Debug)]
pub struct Connected {
    /// The `X-Self-ID` header NapCat sent.
    pub self_id: String,
    /// The `x-client-role` header (`Universal` for NapCat).
    pub role: String,
    /// A client whose calls go over this account's connection.
    pub client: Client,
    /// This account's events from its first frame on: subscribed before the connection is
    /// read, so none that NapCat sends right after connecting is missed (a subscription made
    /// later with `client.events()` sees only what comes after it). Drop it if unused.
    pub events: Events,
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
            .field("accounts", &self.account_count())
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
    by_id: Mutex<HashMap<String, Account>>,
    new_accounts: mpsc::Sender<Connected>,
    /// Connections refused at the handshake (wrong token, no `X-Self-ID`, no room).
    refused: AtomicU64,
    /// Cancelled by [`ReverseServer::shutdown`]: no connection is taken any more.
    stopping: CancellationToken,
}

/// One account: its client's core and the connection serving it.
struct Account {
    core: Arc<WsCore>,
    /// Cancelled when a newer connection for the account comes: the one serving it ends.
    current: CancellationToken,
    /// Held by the connection serving the account: a newer one waits for it to end.
    serving: Arc<tokio::sync::Mutex<()>>,
    /// Counts the account's connections: only the end of the latest leaves it idle.
    latest: u64,
    /// Since when the account has had no connection.
    idle_since: Option<Instant>,
}

/// A connection's hold on its account.
struct Taken {
    core: Arc<WsCore>,
    current: CancellationToken,
    serving: Arc<tokio::sync::Mutex<()>>,
    latest: u64,
    is_new: bool,
}

impl ReverseServer {
    /// Binds `addr` (port 0 picks one) and starts accepting. Options out of their range fail
    /// with [`std::io::ErrorKind::InvalidInput`], the message naming the option.
    pub async fn bind(addr: SocketAddr, options: ReverseOptions) -> std::io::Result<ReverseServer> {
        check_reply_poll(options.reply_poll)
            .map_err(|why| std::io::Error::new(std::io::ErrorKind::InvalidInput, why))?;
        let socket = TcpListener::bind(addr).await?;
        let local_addr = socket.local_addr()?;
        let mut listener = Listener::new(socket, options.max_connections, "reverse WebSocket");
        let (tx, incoming) = mpsc::channel(64);
        let accounts = Arc::new(Accounts {
            options,
            by_id: Mutex::new(HashMap::new()),
            new_accounts: tx,
            refused: AtomicU64::new(0),
            stopping: CancellationToken::new(),
        });
        let serving = accounts.clone();
        let task = tokio::spawn(async move {
            loop {
                let accepted = listener.next().await;
                tokio::spawn(serve(serving.clone(), accepted));
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
    /// token (HTTP 401), no `X-Self-ID` header holding a QQ number (HTTP 400), or no room for
    /// another account (HTTP 503, see [`ReverseOptions::max_accounts`]). Each is also logged
    /// as a warning naming the peer and the reason; a bot that sees this grow while waiting in
    /// [`accept`](Self::accept) can tell its NapCat's settings are off.
    pub fn refused_connections(&self) -> u64 {
        self.accounts.refused.load(Ordering::Relaxed)
    }

    /// How many accounts the server keeps now: connected, or waiting for NapCat to dial in
    /// again (see [`ReverseOptions::account_linger`]).
    pub fn account_count(&self) -> usize {
        lock(&self.accounts.by_id).len()
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
        let cores: Vec<Arc<WsCore>> = lock(&self.accounts.by_id)
            .values()
            .map(|account| account.core.clone())
            .collect();
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

async fn serve(accounts: Arc<Accounts>, accepted: Accepted) {
    let Accepted {
        stream,
        peer,
        place,
    } = accepted;
    if let Err(e) = stream.set_nodelay(accounts.options.tcp_nodelay) {
        tracing::debug!(%peer, error = %e, "could not set TCP_NODELAY on a reverse WebSocket connection");
    }
    let within = accounts.options.handshake_timeout;
    let handshake = tokio::time::timeout(within, handshake(&accounts, stream, peer));
    let (ws, hs) = match accounts.stopping.run_until_cancelled(handshake).await {
        Some(Ok(Some(upgraded))) => upgraded,
        Some(Err(_)) => {
            tracing::debug!(%peer, ?within, "a reverse WebSocket handshake did not complete in time; closing it");
            return;
        }
        Some(Ok(None)) | None => return,
    };
    let Some(taken) = take(&accounts, &hs.self_id) else {
        if !accounts.stopping.is_cancelled() {
            refuse(&accounts, peer, NO_ROOM);
        }
        return;
    };
    tracing::info!(%peer, self_id = %hs.self_id, role = %hs.role, reconnect = !taken.is_new, "reverse WebSocket connected");
    if taken.is_new {
        let transport = WsTransport::attached(taken.core.clone(), format!("reverse:{peer}"));
        let client = Client::over_ws(
            transport,
            accounts.options.timeout,
            accounts.options.upload_strategy,
        );
        let events = client.events();
        let connected = Connected {
            self_id: hs.self_id.clone(),
            role: hs.role.clone(),
            client,
            events,
        };
        let announced = accounts.new_accounts.send(connected);
        if accounts
            .stopping
            .run_until_cancelled(announced)
            .await
            .is_none()
        {
            return;
        }
    }
    // A connection this one took over ends first.
    let serving = taken.serving.lock().await;
    if taken.current.is_cancelled() {
        tracing::info!(%peer, self_id = %hs.self_id, "a newer reverse WebSocket connection took over before this one started");
        return;
    }
    let end = taken
        .core
        .run(
            ws,
            None,
            accounts.options.tcp_nodelay,
            accounts.options.reply_poll,
            taken.current.cancelled(),
        )
        .await;
    drop((serving, place));
    tracing::info!(%peer, self_id = %hs.self_id, ?end, "reverse WebSocket connection ended");
    linger(&accounts, &hs.self_id, &taken).await;
}

/// Why a connection for a new account was refused when every account kept is connected.
const NO_ROOM: &str = "no room for another account (ReverseOptions::max_accounts): every account \
                       kept is connected";

fn refuse(accounts: &Accounts, peer: SocketAddr, why: &str) {
    accounts.refused.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(%peer, "refused a reverse WebSocket connection: {why}");
}

/// The account `self_id` for a connection that just upgraded: the one kept (whose current
/// connection is told to end), or a new one. `None` when there is no room for a new one.
fn take(accounts: &Accounts, self_id: &str) -> Option<Taken> {
    let mut by_id = lock(&accounts.by_id);
    if accounts.stopping.is_cancelled() {
        return None;
    }
    // A closed account's client is done: the account comes back as a new one.
    if let Some(account) = by_id.get_mut(self_id).filter(|a| !a.core.is_closed()) {
        account.current.cancel();
        account.current = CancellationToken::new();
        account.latest += 1;
        account.idle_since = None;
        return Some(Taken {
            core: account.core.clone(),
            current: account.current.clone(),
            serving: account.serving.clone(),
            latest: account.latest,
            is_new: false,
        });
    }
    by_id.remove(self_id);
    if by_id.len() >= accounts.options.max_accounts.max(1) && !forget_longest_idle(&mut by_id) {
        return None;
    }
    let options = &accounts.options;
    let events = EventBus::new(options.event_buffer, options.event_buffer_bytes);
    let account = Account {
        core: WsCore::new(events, options.keepalive),
        current: CancellationToken::new(),
        serving: Arc::default(),
        latest: 0,
        idle_since: None,
    };
    let taken = Taken {
        core: account.core.clone(),
        current: account.current.clone(),
        serving: account.serving.clone(),
        latest: 0,
        is_new: true,
    };
    by_id.insert(self_id.to_owned(), account);
    Some(taken)
}

/// Whether there is room for the new account `self_id`: it is kept already, there are fewer
/// than `max_accounts`, or one of them has no connection (and would be forgotten).
fn room_for(accounts: &Accounts, self_id: &str) -> bool {
    let by_id = lock(&accounts.by_id);
    by_id.contains_key(self_id)
        || by_id.len() < accounts.options.max_accounts.max(1)
        || by_id.values().any(|a| a.idle_since.is_some())
}

/// Closes and forgets the account that has been without a connection for longest; `false`
/// when every account is connected.
fn forget_longest_idle(by_id: &mut HashMap<String, Account>) -> bool {
    let oldest = by_id
        .iter()
        .filter_map(|(id, a)| a.idle_since.map(|since| (since, id)))
        .min()
        .map(|(_, id)| id.clone());
    let Some(account) = oldest.and_then(|id| by_id.remove(&id)) else {
        return false;
    };
    tracing::info!(
        "forgetting the reverse WebSocket account without a connection for longest, to make room for a new one (ReverseOptions::max_accounts); its client is closed"
    );
    tokio::spawn(async move { account.core.close().await });
    true
}

/// After the account's connection ended: unless a newer one came meanwhile, the account
/// waits for NapCat to dial in again for `account_linger`, then is closed and forgotten.
async fn linger(accounts: &Accounts, self_id: &str, taken: &Taken) {
    let is_ours = |a: &Account| a.latest == taken.latest && Arc::ptr_eq(&a.core, &taken.core);
    match lock(&accounts.by_id).get_mut(self_id) {
        Some(account) if is_ours(account) => account.idle_since = Some(Instant::now()),
        _ => return,
    }
    let Some(linger) = accounts.options.account_linger else {
        return;
    };
    let waited = tokio::time::sleep(linger);
    if accounts
        .stopping
        .run_until_cancelled(waited)
        .await
        .is_none()
    {
        return;
    }
    let forgotten = {
        let mut by_id = lock(&accounts.by_id);
        match by_id.get(self_id) {
            Some(account) if is_ours(account) && account.idle_since.is_some() => {
                by_id.remove(self_id)
            }
            _ => None,
        }
    };
    if let Some(account) = forgotten {
        tracing::info!(self_id, after = ?linger, "forgetting a reverse WebSocket account NapCat did not dial in again for; its client is closed");
        account.core.close().await;
    }
}

/// Whether `id` is an account's QQ number, as NapCat sends it in `X-Self-ID`.
fn is_qq_number(id: &str) -> bool {
    (1..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

/// The upgrade, with the checks NapCat's side must pass: the access token, when one is set,
/// an `X-Self-ID` holding the account's QQ number, and room for the account. `None` when the
/// connection was refused (counted and logged) or did not complete.
async fn handshake(
    accounts: &Accounts,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<(WebSocketStream<TcpStream>, Handshake)> {
    let expected = accounts.options.access_token.clone();
    let seen: Arc<Mutex<Option<Handshake>>> = Arc::default();
    let seen_in_callback = seen.clone();
    let refused = |status: StatusCode, why: &str| {
        refuse(accounts, peer, why);
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
        let Some(self_id) = header("x-self-id").filter(|id| is_qq_number(id)) else {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                "no X-Self-ID header naming the account by its QQ number (NapCat sends it \
                 there; another OneBot implementation must too)",
            ));
        };
        if !room_for(accounts, &self_id) {
            return Err(refused(StatusCode::SERVICE_UNAVAILABLE, NO_ROOM));
        }
        *lock(&seen_in_callback) = Some(Handshake {
            self_id,
            role: header("x-client-role").unwrap_or_else(|| "Universal".into()),
        });
        Ok(resp)
    };
    let config = socket_config(accounts.options.max_reply_bytes);
    match tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(config)).await {
        Ok(ws) => lock(&seen).take().map(|hs| (ws, hs)),
        Err(e) => {
            tracing::debug!(%peer, error = %e, "reverse WebSocket handshake did not complete");
            None
        }
    }
}
