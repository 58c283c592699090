//! Events pushed by the server (frames with `post_type`), for any number of subscribers.

use serde_json::Value;
use tokio::sync::broadcast;

/// Why [`Events::recv`] returned no event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventsError {
    /// This subscriber fell behind and this many events were dropped for it; it can go on
    /// receiving newer ones. Replies are never held up by a slow subscriber.
    #[error("fell behind: {0} events were dropped")]
    Lagged(u64),
    /// The client is gone; no more events will come.
    #[error("the client was dropped")]
    Closed,
}

/// A subscription to the events a client receives (from [`Client::events`](crate::Client::events)).
///
/// Over HTTP no events arrive. Over WebSocket, events arrive on connections to any path
/// except `/api`.
#[derive(Debug)]
pub struct Events {
    rx: broadcast::Receiver<Value>,
}

impl Events {
    pub(crate) fn new(rx: broadcast::Receiver<Value>) -> Self {
        Events { rx }
    }

    /// The next event, as raw JSON.
    pub async fn recv(&mut self) -> Result<Value, EventsError> {
        self.rx.recv().await.map_err(|e| match e {
            broadcast::error::RecvError::Lagged(n) => EventsError::Lagged(n),
            broadcast::error::RecvError::Closed => EventsError::Closed,
        })
    }
}
