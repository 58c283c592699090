//! A NapCat simulator: a stand-in for the server, for tests and demos without a QQ account.
//!
//! It serves NapCat's HTTP protocol on a loopback port (port 0 allowed; the bound address is
//! reported): `POST /{action}` with a JSON body, the envelope with `data` absent where NapCat
//! omits it, retcode 400 for bad parameters and 200 for handler errors and unknown actions,
//! HTTP 403 `{"message":"token verify failed!"}` for a bad token, HTTP 400 `Invalid JSON`,
//! and the `_async` / `_rate_limited` aliases. The Account actions run against a stateful
//! account ([`State`]), so later calls see earlier changes.
//!
//! For tests it records every call ([`Simulator::calls`]) and can be told to answer an
//! action with a fault instead ([`Simulator::script`]).

mod http;
mod params;
mod state;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

pub use params::{Params, SchemaError};
pub use state::{Failure, Outcome, Seed, SimFriend, SimRequest, State};

/// How the simulator is set up.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Access token required from clients; `None` accepts everyone.
    pub token: Option<String>,
    /// The account's starting data.
    pub seed: Seed,
    /// Where the HTTP server listens; port 0 picks a free port.
    pub http_addr: SocketAddr,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            token: None,
            seed: Seed::default(),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
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
    /// `http` or `ws`.
    pub transport: &'static str,
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
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) token: Option<String>,
    pub(crate) state: Mutex<State>,
    pub(crate) calls: Mutex<Vec<RecordedCall>>,
    pub(crate) faults: Mutex<HashMap<String, VecDeque<Fault>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn record(&self, action: &str, params: &Value, transport: &'static str) {
        lock(&self.calls).push(RecordedCall {
            action: action.to_owned(),
            params: params.clone(),
            transport,
        });
    }

    pub(crate) fn next_fault(&self, action: &str) -> Option<Fault> {
        lock(&self.faults).get_mut(action)?.pop_front()
    }

    /// Runs an action against the state, resolving the alias suffixes.
    pub(crate) fn run(&self, action: &str, params: &serde_json::Map<String, Value>) -> Outcome {
        let base = action
            .strip_suffix("_async")
            .or_else(|| action.strip_suffix("_rate_limited"))
            .unwrap_or(action);
        lock(&self.state).handle(base, params)
    }

    pub(crate) fn token_ok(&self, query_token: Option<&str>, header: Option<&str>) -> bool {
        let Some(expected) = self.token.as_deref().filter(|t| !t.is_empty()) else {
            return true;
        };
        let given = match query_token.filter(|t| !t.is_empty()) {
            Some(t) => Some(t),
            None => header.and_then(|h| h.split("Bearer ").last()),
        };
        given == Some(expected)
    }
}

/// A running simulator; stops when dropped.
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<Shared>,
    http_addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Simulator {
    /// Binds the HTTP port and starts serving.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        let shared = Arc::new(Shared {
            token: config.token,
            state: Mutex::new(State::new(config.seed)),
            calls: Mutex::new(Vec::new()),
            faults: Mutex::new(HashMap::new()),
        });
        let listener = tokio::net::TcpListener::bind(config.http_addr).await?;
        let http_addr = listener.local_addr()?;
        let app = http::router(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "simulator HTTP server stopped");
            }
        });
        Ok(Simulator {
            shared,
            http_addr,
            task,
        })
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
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}
