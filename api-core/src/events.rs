//! Events pushed by the server (frames with `post_type`), for any number of subscribers,
//! typed ([`Event`]) or raw.

use bytes::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::types::Event;

/// How many events wait for a slow subscriber before it is told it lagged, by default; see
/// [`ClientBuilder::event_buffer`](crate::client::builder::ClientBuilder::event_buffer).
pub const EVENT_BUFFER: usize = 1024;

/// Where a connection puts the events it receives: each as the bytes it came as, decoded
/// by each subscriber (typed or raw), so the connection itself does no more than tell
/// events from replies.
pub(crate) type EventBus = broadcast::Sender<Bytes>;

/// Whether `frame` is an event (a JSON object with `post_type`), read without building it.
pub(crate) fn is_event(frame: &[u8]) -> Result<bool, serde_json::Error> {
    #[derive(Deserialize)]
    struct Probe {
        post_type: Option<IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(frame).map(|p| p.post_type.is_some())
}

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

/// A subscription to the events a client receives (from [`Client::events`](crate::client::Client::events)).
///
/// Over HTTP no events arrive. Over WebSocket, events arrive on connections to any path
/// except `/api`.
#[derive(Debug)]
pub struct Events {
    rx: broadcast::Receiver<Bytes>,
}

impl Events {
    pub(crate) fn new(rx: broadcast::Receiver<Bytes>) -> Self {
        Events { rx }
    }

    /// The next event, typed. An event that does not decode (a known kind with fields the
    /// spec does not expect) is logged as a warning and arrives as [`Event::Unknown`] with its
    /// JSON as it came (or its text, when it is not JSON): one odd event never ends the stream.
    pub async fn recv(&mut self) -> Result<Event, EventsError> {
        let frame = self.next_frame().await?;
        Ok(decode(&frame))
    }

    /// An event already waiting, as raw JSON, without waiting for one (`Ok(None)` when none is).
    pub fn try_recv_raw(&mut self) -> Result<Option<Value>, EventsError> {
        match self.rx.try_recv() {
            Ok(frame) => Ok(Some(raw(&frame))),
            Err(broadcast::error::TryRecvError::Empty) => Ok(None),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Err(EventsError::Lagged(n)),
            Err(broadcast::error::TryRecvError::Closed) => Err(EventsError::Closed),
        }
    }

    /// The next event, as raw JSON.
    pub async fn recv_raw(&mut self) -> Result<Value, EventsError> {
        Ok(raw(&self.next_frame().await?))
    }

    async fn next_frame(&mut self) -> Result<Bytes, EventsError> {
        self.rx.recv().await.map_err(|e| match e {
            broadcast::error::RecvError::Lagged(n) => EventsError::Lagged(n),
            broadcast::error::RecvError::Closed => EventsError::Closed,
        })
    }
}

/// An event's JSON; a frame that is not JSON (a connection hands on what ends like an event
/// without reading all of it) arrives as its text.
fn raw(frame: &[u8]) -> Value {
    serde_json::from_slice(frame)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(frame).into_owned()))
}

/// Decodes one event, falling back to [`Event::Unknown`] with a warning.
pub(crate) fn decode(frame: &[u8]) -> Event {
    match Event::from_slice(frame) {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(error = %e, event = %crate::wire::reply::log_text(frame), "an event did not decode; passing it on as Event::Unknown");
            Event::Unknown(raw(frame))
        }
    }
}
