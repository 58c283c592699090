//! Events pushed by the server (frames with `post_type`), for any number of subscribers,
//! typed ([`Event`]) or raw.

use serde::Deserialize;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::types::Event;

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

    /// The next event, typed. An event that does not decode (a known kind with fields the
    /// spec does not expect) is logged as a warning and arrives as [`Event::Unknown`] with its
    /// JSON as it came: one odd event never ends the stream.
    pub async fn recv(&mut self) -> Result<Event, EventsError> {
        let raw = self.recv_raw().await?;
        Ok(decode(raw))
    }

    /// An event already waiting, as raw JSON, without waiting for one (`Ok(None)` when none is).
    pub fn try_recv_raw(&mut self) -> Result<Option<Value>, EventsError> {
        match self.rx.try_recv() {
            Ok(v) => Ok(Some(v)),
            Err(broadcast::error::TryRecvError::Empty) => Ok(None),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Err(EventsError::Lagged(n)),
            Err(broadcast::error::TryRecvError::Closed) => Err(EventsError::Closed),
        }
    }

    /// The next event, as raw JSON.
    pub async fn recv_raw(&mut self) -> Result<Value, EventsError> {
        self.rx.recv().await.map_err(|e| match e {
            broadcast::error::RecvError::Lagged(n) => EventsError::Lagged(n),
            broadcast::error::RecvError::Closed => EventsError::Closed,
        })
    }
}

/// Decodes one event, falling back to [`Event::Unknown`] with a warning.
pub fn decode(raw: Value) -> Event {
    match Event::deserialize(&raw) {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(error = %e, event = %crate::reply::log_text(raw.to_string().as_bytes()), "an event did not decode; passing it on as Event::Unknown");
            Event::Unknown(raw)
        }
    }
}
