//! A NapCat simulator: a stand-in for the server, for tests and demos without a QQ account.
//!
//! It serves NapCat's HTTP protocol on a loopback port (port 0 allowed; the bound address is
//! reported): `POST /{action}` with a JSON body, the envelope with `data` absent where NapCat
//! omits it, retcode 400 for bad parameters and 200 for handler errors and unknown actions,
//! HTTP 403 `{"message":"token verify failed!"}` for a bad token, HTTP 400 `Invalid JSON`,
//! and the `_async` / `_rate_limited` aliases.
//!
//! Every action of the spec is served: its params are checked as NapCat's schema checks them
//! (required keys, types with NapCat's conversions, enum values, alias keys; none for the
//! actions NapCat does not check), then a stateful handler runs against the account
//! ([`State`]), so later calls see earlier changes, or, for an action without one, the spec's
//! reply example is the answer.
//!
//! For tests it records every call ([`Simulator::calls`]) and can be told to answer an
//! action with a fault instead ([`Simulator::script`]).

mod control;
mod dispatch;
mod fanout;
mod files;
mod groups;
mod handlers;
mod http;
pub mod inject;
mod params;
mod post;
mod quick_operation;
mod scenario;
mod state;
mod store;
mod subscriber;
mod typebox;
mod ws;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

pub use files::{FileKind, SeedFile, SeedFileKind, SimFile, TEMP_DIR};
pub use groups::{Role, SimGroup, SimGroupRequest, SimMember};
pub use handlers::handler::Handler;
pub use handlers::names as handled_actions;
pub use params::Params;
pub use state::{Failure, Outcome, Packets, Reply, Seed, SimFriend, SimRequest, State};

/// How the simulator is set up.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Access token required from clients; `None` accepts everyone.
    pub token: Option<String>,
    /// The account's starting data.
    pub seed: Seed,
    /// Where the HTTP server listens; port 0 picks a free port.
    pub http_addr: SocketAddr,
    /// Where the forward WebSocket server listens; port 0 picks a free port.
    pub ws_addr: SocketAddr,
    /// How often heartbeats are pushed on WebSocket paths other than `/api`.
    pub heartbeat: Duration,
    /// Whether the bot's own messages come back as `message_sent` events (NapCat's
    /// `reportSelfMessage`; off by default there and here).
    pub report_self_message: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            token: None,
            seed: Seed::default(),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ws_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            heartbeat: Duration::from_secs(30),
            report_self_message: false,
        }
    }
}

/// One call the simulator received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    /// The action as sent (aliases included).
    pub action: String,
    /// The params as received (after merging the query string).
    pub params: Value,
    /// `http`, `ws` (forward) or `ws-reverse`.
    pub transport: &'static str,
    /// What the action answered: `Ok(data)` (`None` when `data` is absent) or `Err(message)`;
    /// `None` while it runs, or when a scripted fault answered instead.
    pub reply: Option<Result<Option<Value>, String>>,
    id: u64,
}

/// What an action answered, and how NapCat marks its envelopes.
#[derive(Debug)]
pub(crate) struct Answer {
    /// NapCat's `useStream`: envelopes marked `stream-action`, failures with error data.
    pub stream_action: bool,
    pub outcome: Result<Reply, Failure>,
}

/// A scripted answer that replaces the next call of an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this HTTP status and body.
    Raw {
        /// HTTP status.
        status: u16,
        /// Body, sent as is.
        body: String,
    },
    /// Answer with this envelope (HTTP 200).
    Envelope(Value),
    /// Wait this long, then run the action normally.
    Delay(Duration),
    /// Never answer.
    Hang,
    /// Close the WebSocket connection (code 1001) instead of answering. Over HTTP the
    /// call is left unanswered, as with [`Fault::Hang`].
    CloseConnection,
    /// Run the action; a stream action sends its first `after` packets, then the connection
    /// breaks: closed (WebSocket) or the body cut off mid-way (HTTP).
    BreakStream {
        /// How many envelopes go out before the break.
        after: usize,
    },
    /// Run the action; a stream action sends its first `after` packets, then nothing more,
    /// with the connection left open.
    StallStream {
        /// How many envelopes go out before the stall.
        after: usize,
    },
}

/// How a scripted fault cuts a stream action's envelopes short.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cut {
    /// The connection breaks after this many.
    Break(usize),
    /// Nothing more is sent after this many.
    Stall(usize),
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) token: Option<String>,
    pub(crate) state: Mutex<State>,
    pub(crate) calls: Mutex<Vec<RecordedCall>>,
    pub(crate) faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    pub(crate) events: fanout::Fanout,
    pub(crate) heartbeat: Duration,
    /// The forward WebSocket server's one heartbeat timer, shared by its event clients.
    pub(crate) beats: ws::SharedBeat,
    ws_connections: AtomicUsize,
    /// How many connections receive pushed events right now.
    pub(crate) event_clients: tokio::sync::watch::Sender<usize>,
    pub(crate) shutdown: tokio::sync::watch::Sender<bool>,
    jitter_nanos: AtomicU64,
    jitter_seed: AtomicU64,
    next_call: AtomicU64,
}

/// Parses a request body or frame as NapCat does (JSON5, which JSON is part of).
pub(crate) fn parse_json5(bytes: &[u8]) -> Option<Value> {
    if let Ok(v) = serde_json::from_slice(bytes) {
        return Some(v);
    }
    json5::from_str(std::str::from_utf8(bytes).ok()?).ok()
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// The state a simulator serves from, before any server is bound.
    pub(crate) fn new(token: Option<String>, seed: Seed, heartbeat: Duration) -> Arc<Shared> {
        Arc::new(Shared {
            token,
            state: Mutex::new(State::new(seed)),
            calls: Mutex::new(Vec::new()),
            faults: Mutex::new(HashMap::new()),
            events: fanout::Fanout::default(),
            heartbeat,
            beats: ws::SharedBeat::default(),
            ws_connections: AtomicUsize::new(0),
            event_clients: tokio::sync::watch::Sender::new(0),
            shutdown: tokio::sync::watch::Sender::new(false),
            jitter_nanos: AtomicU64::new(0),
            jitter_seed: AtomicU64::new(1),
            next_call: AtomicU64::new(0),
        })
    }

    /// Records a call; the id is for [`Shared::run`] to record its reply.
    pub(crate) fn record(&self, action: &str, params: &Value, transport: &'static str) -> u64 {
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        lock(&self.calls).push(RecordedCall {
            action: action.to_owned(),
            params: params.clone(),
            transport,
            reply: None,
            id,
        });
        id
    }

    pub(crate) fn ws_connected(&self) {
        self.ws_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// Waits a pseudo-random share of the configured jitter.
    pub(crate) async fn jitter(&self) {
        let max = Duration::from_nanos(self.jitter_nanos.load(Ordering::Relaxed));
        let seed = self.jitter_seed.fetch_add(1, Ordering::Relaxed);
        let d = ws::jitter_delay(max, seed);
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    pub(crate) fn next_fault(&self, action: &str) -> Option<Fault> {
        lock(&self.faults).get_mut(action)?.pop_front()
    }

    /// Runs an action against the state, resolving the alias suffixes, and records the reply
    /// on the call recorded as `call`.
    pub(crate) fn run(&self, call: u64, action: &str, params: &Value) -> Answer {
        let base = action
            .strip_suffix("_async")
            .or_else(|| action.strip_suffix("_rate_limited"))
            .unwrap_or(action);
        let (stream_action, outcome) = self.with_state(|state| dispatch::run(state, base, params));
        if let Some(c) = lock(&self.calls).iter_mut().rev().find(|c| c.id == call) {
            c.reply = Some(match &outcome {
                Ok(Reply::Data(data)) => Ok(data.clone()),
                Ok(Reply::Packets(p)) => match &p.end {
                    Ok(end) => Ok(Some(end.clone())),
                    Err(Failure::Schema(m) | Failure::Handler(m) | Failure::Unknown(m)) => {
                        Err(m.clone())
                    }
                },
                Err(Failure::Schema(m) | Failure::Handler(m)) => Err(m.clone()),
                Err(Failure::Unknown(name)) => Err(format!("unknown action {name}")),
            });
        }
        Answer {
            stream_action,
            outcome,
        }
    }

    /// Changes the state under its lock, then pushes the events the change queued (after the
    /// lock is released, so a slow subscriber never holds it).
    pub(crate) fn with_state<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let (result, events) = {
            let mut state = lock(&self.state);
            let result = change(&mut state);
            (result, std::mem::take(&mut state.outbox))
        };
        for event in events {
            self.events.send(event);
        }
        result
    }

    pub(crate) fn token_ok(&self, query_token: Option<&str>, header: Option<&str>) -> bool {
        let Some(expected) = self.token.as_deref().filter(|t| !t.is_empty()) else {
            return true;
        };
        let given = match query_token.filter(|t| !t.is_empty()) {
            Some(t) => Some(t),
            None => header.and_then(|h| h.split("Bearer ").last()),
        };
        given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes()))
    }
}

/// Byte-wise equality in time that does not depend on where the inputs differ (token checks).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    std::hint::black_box(diff) == 0
}

/// A running simulator; stops when dropped.
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<Shared>,
    http_addr: SocketAddr,
    ws_addr: SocketAddr,
    ws_task: tokio::task::JoinHandle<()>,
    /// The bound sockets (HTTP, WebSocket), kept so that [`Simulator::restart`] serves on
    /// them again instead of binding the ports anew, which another process could take.
    sockets: (std::net::TcpListener, std::net::TcpListener),
    config: SimConfig,
}

impl Simulator {
    /// Binds the HTTP and WebSocket ports and starts serving.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        let http = tokio::net::TcpListener::bind(config.http_addr)
            .await?
            .into_std()?;
        let ws = tokio::net::TcpListener::bind(config.ws_addr)
            .await?
            .into_std()?;
        Simulator::serve(config, (http, ws))
    }

    /// Stops serving, as a dropped simulator does (every connection closes), and serves again
    /// on the same sockets with fresh state from the same [`SimConfig`]: a NapCat restart,
    /// without giving the ports up in between.
    pub fn restart(mut self) -> std::io::Result<Simulator> {
        let sockets = (self.sockets.0.try_clone()?, self.sockets.1.try_clone()?);
        let config = self.config.clone();
        self.stop();
        drop(self);
        Simulator::serve(config, sockets)
    }

    fn serve(
        config: SimConfig,
        sockets: (std::net::TcpListener, std::net::TcpListener),
    ) -> std::io::Result<Simulator> {
        let shared = Shared::new(config.token.clone(), config.seed.clone(), config.heartbeat);
        lock(&shared.state).report_self_message = config.report_self_message;
        let tokio_listener = |s: &std::net::TcpListener| {
            let s = s.try_clone()?;
            s.set_nonblocking(true)?;
            tokio::net::TcpListener::from_std(s)
        };
        let listener = tokio_listener(&sockets.0)?;
        let http_addr = listener.local_addr()?;
        let app = http::router(shared.clone());
        let mut stop = shared.shutdown.subscribe();
        tokio::spawn(async move {
            // Graceful, so kept-alive connections close too when the simulator is dropped.
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "simulator HTTP server stopped");
            }
        });
        let ws_listener = tokio_listener(&sockets.1)?;
        let ws_addr = ws_listener.local_addr()?;
        let ws_task = tokio::spawn(ws::accept_loop(shared.clone(), ws_listener));
        Ok(Simulator {
            shared,
            http_addr,
            ws_addr,
            ws_task,
            sockets,
            config,
        })
    }

    fn stop(&mut self) {
        // The HTTP server winds down on the signal; the WebSocket listener stops at once and
        // its connections close on the same signal.
        self.shared.shutdown.send_replace(true);
        self.ws_task.abort();
    }

    /// The bound WebSocket address.
    pub fn ws_addr(&self) -> SocketAddr {
        self.ws_addr
    }

    /// `ws://<addr><path>`: `/` carries replies and events, `/api` replies only.
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.ws_addr)
    }

    /// How many WebSocket connections were opened so far (forward and reverse).
    pub fn ws_connections(&self) -> usize {
        self.shared.ws_connections.load(Ordering::Relaxed)
    }

    /// How many WebSocket connections receive pushed events right now.
    pub fn event_clients(&self) -> usize {
        *self.shared.event_clients.borrow()
    }

    /// Waits until at least `n` connections receive pushed events, so that an event pushed
    /// next reaches them (a connection subscribes once it is served, which can be just after
    /// the client sees it open).
    pub async fn wait_for_event_clients(&self, n: usize) {
        let mut rx = self.shared.event_clients.subscribe();
        let _ = rx.wait_for(|c| *c >= n).await;
    }

    /// Serves the control API (see the README's "Testing a bot in any language against the
    /// simulator") on `addr` (port 0 picks one) until the simulator stops, for other
    /// processes to inject events and read the recorded calls; returns the bound address.
    /// A restarted simulator serves its own.
    pub async fn serve_control(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        control::spawn(self.shared.clone(), listener);
        Ok(bound)
    }

    /// Posts every event from now on to a bot's HTTP endpoint, as NapCat's `httpClients` do:
    /// one POST per event (meta events excepted), `x-self-id`, and `x-signature` when `token`
    /// is given; a JSON answer is applied as a quick operation (a reply, approving a request).
    /// Stops with the simulator.
    pub fn post_events_to(&self, url: &str, token: Option<&str>) {
        post::spawn(
            self.shared.clone(),
            url.to_owned(),
            token.map(str::to_owned),
        );
    }

    /// Pushes an event to every event client: WebSocket connections that carry events, SSE
    /// streams and HTTP post targets ([`post_events_to`](Self::post_events_to)).
    pub fn push_event(&self, event: Value) {
        self.shared.events.send(event);
    }

    /// A friend (or anyone) sends the bot a private message: it is stored (so `get_msg` and
    /// the history find it) and pushed as a `message` event, as NapCat would. `message` is
    /// a segment array, one segment or a CQ string. Returns the message id.
    pub fn inject_private_message(&self, user_id: i64, message: Value) -> i64 {
        let nick = lock(&self.shared.state)
            .friends
            .get(&user_id)
            .map(|f| f.nickname.clone())
            .unwrap_or_default();
        self.receive(store::Chat::Private(user_id), user_id, &nick, message)
    }

    /// Makes something happen to the account as QQ would (a member speaks, is banned, leaves;
    /// a friend request comes; …): the state changes as it would, and the event NapCat
    /// pushes for it goes to every event client. Refused when it could not happen to the
    /// account as it is (a group the bot is not in, someone who is not a member).
    pub fn inject(
        &self,
        injection: inject::Injection,
    ) -> Result<inject::Injected, inject::InjectError> {
        self.shared
            .with_state(|state| inject::apply(state, injection))
    }

    /// A member posts `message` in a group the bot is in: stored and pushed as a group
    /// `message` event. Returns the message id.
    pub fn inject_group_message(
        &self,
        group_id: i64,
        user_id: i64,
        nickname: &str,
        message: Value,
    ) -> i64 {
        self.receive(store::Chat::Group(group_id), user_id, nickname, message)
    }

    /// Someone asks to join group `group_id` (the bot must be in it): a `request` event of
    /// sub-type `add` is pushed, and `set_group_add_request` with the returned flag answers
    /// it; approving adds them and pushes `group_increase`.
    pub fn inject_group_request(
        &self,
        group_id: i64,
        user_id: i64,
        nickname: &str,
        comment: &str,
    ) -> String {
        self.shared.with_state(|state| {
            state.add_group_request(group_id, user_id, nickname, comment, false)
        })
    }

    /// `user_id` asks to become the bot's friend: a `request` event of type `friend` is
    /// pushed, and `set_friend_add_request` with the returned flag answers it; approving makes
    /// a friend and pushes the `friend_add` notice.
    pub fn inject_friend_request(&self, user_id: i64, nickname: &str, comment: &str) -> String {
        self.shared
            .with_state(|state| state.add_friend_request(user_id, nickname, comment))
    }

    /// Member `user_id` of group `group_id` invites the bot: a `request` event of sub-type
    /// `invite` is pushed; approving it with the returned flag makes the bot a member (a
    /// group it was not in appears, named `group_name`).
    pub fn inject_group_invite(
        &self,
        group_id: i64,
        group_name: &str,
        user_id: i64,
        nickname: &str,
    ) -> String {
        self.shared.with_state(|state| {
            state.groups_named(group_id, group_name);
            state.add_group_request(group_id, user_id, nickname, "", true)
        })
    }

    fn receive(&self, chat: store::Chat, user_id: i64, nickname: &str, message: Value) -> i64 {
        let segments = store::segments_of(message);
        self.shared.with_state(|state| {
            state.receive(store::StoredMessage::new(chat, user_id, nickname, segments))
        })
    }

    /// Delays every WebSocket and HTTP reply by a pseudo-random time below `max`, so
    /// concurrent replies come back shuffled.
    pub fn set_jitter(&self, max: Duration) {
        self.shared.jitter_nanos.store(
            max.as_nanos().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
    }

    /// Dials a bot's reverse WebSocket endpoint as NapCat does (`X-Self-ID`,
    /// `Authorization: Bearer`, `x-client-role: Universal`) and serves calls on it until
    /// the connection ends. The task's result says why a connection could not be made.
    pub fn connect_reverse(
        &self,
        url: &str,
        token: Option<&str>,
    ) -> tokio::task::JoinHandle<Result<(), String>> {
        tokio::spawn(ws::dial_reverse(
            self.shared.clone(),
            url.to_owned(),
            token.map(str::to_owned),
        ))
    }

    /// Keeps a bot's reverse WebSocket endpoint connected as NapCat's `websocketClients` do:
    /// dials it (as [`connect_reverse`](Self::connect_reverse) does), and after the
    /// connection ends or an attempt fails waits `reconnect_interval` (NapCat's default:
    /// 5 s) and dials again, until the simulator stops. Events pushed while it is not
    /// connected are lost, as with NapCat.
    pub fn connect_reverse_with_reconnect(
        &self,
        url: &str,
        token: Option<&str>,
        reconnect_interval: Duration,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(ws::keep_dialing(
            self.shared.clone(),
            url.to_owned(),
            token.map(str::to_owned),
            reconnect_interval,
        ))
    }

    /// The bound HTTP address.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// `http://<addr>`, for `Client::builder().base_url(..)`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// Every call received so far.
    pub fn calls(&self) -> Vec<RecordedCall> {
        lock(&self.shared.calls).clone()
    }

    /// Every call received so far, clearing the record.
    pub fn take_calls(&self) -> Vec<RecordedCall> {
        std::mem::take(&mut *lock(&self.shared.calls))
    }

    /// Answers the next call of `action` (as sent, aliases included) with `fault`.
    /// Several faults for one action are used in order, one per call.
    pub fn script(&self, action: &str, fault: Fault) {
        lock(&self.shared.faults)
            .entry(action.to_owned())
            .or_default()
            .push_back(fault);
    }

    /// Reads the account state.
    pub fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&lock(&self.shared.state))
    }

    /// Gives QQ a file (as if it had been received), which the stream downloads then find by
    /// the returned file id or by `name`.
    pub fn add_file(&self, name: &str, data: impl Into<bytes::Bytes>, kind: FileKind) -> String {
        lock(&self.shared.state).files.add(name, data, kind)
    }

    /// Puts `data` on the simulated internet at `url`, for `download_file` and file
    /// parameters given as URLs (the simulator reaches no other).
    pub fn add_url(&self, url: &str, data: impl Into<bytes::Bytes>) {
        lock(&self.shared.state)
            .files
            .urls
            .insert(url.to_owned(), data.into());
    }

    /// Member `user_id` uploads a file to the root of group `group_id`'s files: it is listed
    /// there and the `group_upload` notice is pushed. Returns its file id.
    pub fn inject_group_file(
        &self,
        group_id: i64,
        user_id: i64,
        name: &str,
        data: impl Into<bytes::Bytes>,
    ) -> String {
        let data = data.into();
        self.shared
            .with_state(|state| state.upload_group_file(group_id, user_id, name, data))
    }

    /// A file in NapCat's temp directory (where stream uploads land), by the path NapCat gave.
    pub fn temp_file(&self, path: &str) -> Option<bytes::Bytes> {
        lock(&self.shared.state).files.temp(path).cloned()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop();
    }
}
