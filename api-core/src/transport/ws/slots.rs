//! What the core keeps for each call in flight: its slot, its deadline, why the connection
//! ended it, and the connection's state as callers see it.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::error::Error;
use crate::wire::reply::RawReply;

/// The connection as callers see it.
#[derive(Debug, Clone)]
pub(crate) enum ConnState {
    /// Not connected now; calls wait (within their timeout). Holds the last failure.
    Connecting(Option<String>),
    /// Connected: frames go here.
    Up(mpsc::Sender<Message>),
    /// The server refused the token; no reconnect is tried.
    AuthFailed(String),
    /// The client shut the connection down for good.
    Closed(String),
}

impl ConnState {
    /// The error a call of `action` gets in this state when waiting cannot help: the token
    /// was refused, or the client shut down. `None` while connected or connecting.
    pub(crate) fn final_error(&self, action: &str) -> Option<Error> {
        match self {
            ConnState::AuthFailed(message) => Some(Error::Auth {
                action: action.to_owned(),
                message: message.clone(),
                http_status: None,
            }),
            ConnState::Closed(_) => Some(Error::Closed {
                action: action.to_owned(),
            }),
            ConnState::Up(_) | ConnState::Connecting(_) => None,
        }
    }
}

/// Why a connection ended.
#[derive(Debug)]
pub(crate) enum ConnEnd {
    /// Closed or broken; reconnecting may help.
    Lost(String),
    /// Retcode 1403: the token was refused.
    AuthRefused(String),
    /// The client was closed ([`Client::close`](crate::client::Client::close)).
    Closed,
}

/// Why a call in flight was ended by the connection rather than by a reply.
#[derive(Debug, Clone)]
pub(crate) enum Ended {
    /// The connection closed or broke.
    Lost(String),
    /// The token was refused.
    Auth(String),
    /// The client was closed.
    Closed,
    /// A stream's packets were not taken for this long, so the connection stopped holding
    /// them for it.
    Stalled(Duration),
    /// The call's reply did not come within its timeout.
    TimedOut(Duration),
    /// The connection ended before its writer took the call's frame: the server never saw
    /// it, so the call sends it again on the next connection, within its deadline (a stream's
    /// call, within the wait for its next packet).
    Unwritten {
        frame: Message,
        deadline: Option<Deadline>,
    },
}

impl Ended {
    pub(crate) fn into_error(self, action: &str) -> Error {
        match self {
            Ended::Lost(reason) => Error::Disconnected {
                action: action.to_owned(),
                reason,
            },
            Ended::Auth(message) => Error::Auth {
                action: action.to_owned(),
                message,
                http_status: None,
            },
            Ended::Closed => Error::Closed {
                action: action.to_owned(),
            },
            Ended::Stalled(after) => Error::StreamStalled {
                action: action.to_owned(),
                after,
            },
            Ended::TimedOut(after) => Error::Timeout {
                action: action.to_owned(),
                after,
            },
            // A call sends its frame again instead (`Sending::poll`, `WsPackets::next`).
            Ended::Unwritten { .. } => Error::Disconnected {
                action: action.to_owned(),
                reason: "the connection closed before the request was written".into(),
            },
        }
    }
}

/// A call waiting for what the server sends back with its echo. Its slot is taken when its
/// frame is queued on the current connection, under the same lock: so the calls in the slots
/// are exactly those the current connection has taken, and a call still waiting for a
/// connection, or for room in the queue, is timed on its own and waits through the end of a
/// connection it was not sent on.
pub(super) enum Pending {
    /// An ordinary call: one reply, due by its deadline (`None`: a call whose wait is timed
    /// on its own, or that has no end).
    Call {
        tx: oneshot::Sender<Result<RawReply, Ended>>,
        deadline: Option<Deadline>,
    },
    /// A stream action's call: every envelope up to and including the final one.
    Stream(StreamSink),
    /// A stream nobody reads any more: its remaining envelopes are skipped, quietly, until
    /// the final one.
    Abandoned,
}

/// When a call runs out of time, and the timeout it was given (for its error).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(super) at: Instant,
    pub(super) after: Duration,
}

/// Where the reader puts a stream's envelopes.
#[derive(Clone)]
pub(super) struct StreamSink {
    pub(super) tx: mpsc::Sender<RawReply>,
    /// Why the envelopes stopped before the final one, when they did.
    pub(super) end: Arc<OnceLock<Ended>>,
    /// How long the reader waits for room in `tx` before it gives up on the stream.
    pub(super) stall: Duration,
}

/// How many envelopes of one stream wait for their reader before the connection waits too.
pub(super) const STREAM_BUFFER: usize = 8;

/// What the reader must still do with a frame it routed.
pub(super) enum Routed {
    /// Nothing.
    Done,
    /// End the connection.
    End(ConnEnd),
    /// A stream's buffer is full: wait (up to its stall time) for its reader to make room.
    Wait {
        echo: u64,
        sink: StreamSink,
        reply: RawReply,
        last: bool,
    },
}

/// How many locks the calls in flight are spread over, by echo: a caller sending a call and
/// the reader handing over a reply mostly take different ones.
pub(super) const SHARDS: usize = 8;

/// One share of the calls in flight: those whose echo falls to it, under one lock, so that
/// sending a call takes one lock once.
#[derive(Default)]
pub(super) struct Calls {
    /// The calls and streams waiting for what the server sends back, by echo. Echoes are
    /// ours (a counter), so a fast hash does.
    pub(super) pending: rustc_hash::FxHashMap<u64, Pending>,
    /// Where frames go while connected.
    pub(super) conn: Option<mpsc::Sender<Message>>,
}

/// A share's lock, on a cache line of its own so that locking one does not slow the others.
#[derive(Default)]
#[repr(align(128))]
pub(super) struct Shard(pub(super) Mutex<Calls>);

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
