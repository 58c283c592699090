//! Events pushed by the server (frames with `post_type`), for any number of subscribers,
//! typed ([`Event`]) or raw.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_util::Stream;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::{CancellationToken, ReusableBoxFuture};

use crate::events::bus::Subscriber;
use crate::events::delivery::{Delivery, Handled};
use crate::types::Event;
use crate::wire::nesting::{MAX_NESTING, nesting_within};

pub(crate) mod bus;
pub(crate) mod delivery;

/// A relay's events as they come, each with what acknowledges it (see
/// [`Relay::subscribe`](crate::transport::relay::Relay::subscribe)).
pub type Deliveries = Pin<Box<dyn Stream<Item = Result<Delivery, EventsError>> + Send>>;

/// How many events wait for a slow subscriber before it is told it lagged, by default; see
/// [`ClientBuilder::event_buffer`](crate::client::builder::ClientBuilder::event_buffer).
pub const EVENT_BUFFER: usize = 1024;

/// How many bytes of events wait for a slow subscriber, at most, by default (64 MiB, the
/// largest frame a WebSocket takes by default): beyond it the oldest are dropped for it and it is
/// told it lagged; see
/// [`ClientBuilder::event_buffer_bytes`](crate::client::builder::ClientBuilder::event_buffer_bytes).
pub const EVENT_BUFFER_BYTES: usize = 64 * 1024 * 1024;

/// Whether `frame` is an event (a JSON object with `post_type`), read without building it.
/// It must be JSON a subscriber can decode: serde_json passes over the values it does not
/// read without checking their text is UTF-8 or how deep they nest, so both are checked here.
pub(crate) fn is_event(frame: &[u8]) -> Result<bool, serde_json::Error> {
    #[derive(Deserialize)]
    struct Probe {
        post_type: Option<IgnoredAny>,
    }
    use serde::de::Error as _;
    if let Err(e) = std::str::from_utf8(frame) {
        return Err(serde_json::Error::custom(format_args!(
            "invalid UTF-8 at byte {}",
            e.valid_up_to()
        )));
    }
    if !nesting_within(frame, MAX_NESTING) {
        return Err(serde_json::Error::custom(format_args!(
            "nested more than {MAX_NESTING} deep"
        )));
    }
    serde_json::from_slice::<Probe>(frame).map(|p| p.post_type.is_some())
}

/// Why [`Events::recv`] returned no event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventsError {
    /// This subscriber fell behind and this many events were dropped for it; it can go on
    /// receiving newer ones. Replies are never held up by a slow subscriber.
    #[error("fell behind: {0} events were dropped")]
    Lagged(u64),
    /// The client was closed or dropped (or the server stopped); no more events will come.
    #[error("the client was closed; no more events will come")]
    Closed,
    /// This client can receive no events, as the text says, with the fix: an HTTP client
    /// that does not read NapCat's SSE stream, or a WebSocket at `/api`.
    #[error("{0}")]
    Unavailable(String),
}

/// A subscription to the events a client receives (from [`Client::events`](crate::client::Client::events)).
///
/// Read it with [`recv`](Self::recv) in a loop, or as a [`Stream`] of
/// `Result<Event, EventsError>` that ends when the client is closed (a lag arrives as
/// `Err(EventsError::Lagged(n))` and the stream goes on).
///
/// Over plain HTTP and on a WebSocket's `/api` path no events arrive: then `recv` returns
/// [`EventsError::Unavailable`] at once, naming the fix.
///
/// Over a message broker (a [`Relay`](crate::transport::relay::Relay)), each event must be
/// acknowledged once handled, or it is delivered again: [`recv_handled`](Self::recv_handled)
/// hands the acknowledgement to the caller; every other method acknowledges an event when the
/// next one is asked for. An event in hand when the subscription is dropped is not
/// acknowledged.
pub struct Events {
    source: Source,
    /// Over a relay: the last event handed out by a method that does not hand out its
    /// [`Handled`], marked done when the next one is asked for.
    in_hand: Option<Handled>,
}

/// Where a subscription's events come from.
enum Source {
    /// A connection's frames. The receiver lives inside the wait for the next frame between
    /// polls, so that the wait can be polled as a stream's.
    Frames(ReusableBoxFuture<'static, Next>),
    /// A relay's events (a message broker's), each with what acknowledges it.
    Relay(Deliveries),
    /// This client receives no events, for this reason; `reported` once a stream said so.
    Unavailable { reason: String, reported: bool },
}

/// One wait's outcome, with what the next wait needs.
type Next = (Result<Bytes, RecvError>, Subscriber, CancellationToken);

/// The next frame, or `Closed` once `closing` is cancelled.
async fn next_frame(mut rx: Subscriber, closing: CancellationToken) -> Next {
    let frame = tokio::select! {
        biased;
        () = closing.cancelled() => Err(RecvError::Closed),
        frame = rx.recv() => frame,
    };
    (frame, rx, closing)
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Frames(_) => f.write_str("Events"),
            Source::Relay(_) => f.write_str("Events::Relay"),
            Source::Unavailable { reason, .. } => {
                f.debug_tuple("Events::Unavailable").field(reason).finish()
            }
        }
    }
}

impl Events {
    /// Events from `rx`, ending when `closing` is cancelled.
    pub(crate) fn new(rx: Subscriber, closing: CancellationToken) -> Self {
        Events {
            source: Source::Frames(ReusableBoxFuture::new(next_frame(rx, closing))),
            in_hand: None,
        }
    }

    /// A relay's events.
    pub(crate) fn relayed(deliveries: Deliveries) -> Self {
        Events {
            source: Source::Relay(deliveries),
            in_hand: None,
        }
    }

    /// A subscription of a client that receives no events, for `reason`.
    pub(crate) fn unavailable(reason: String) -> Self {
        Events {
            source: Source::Unavailable {
                reason,
                reported: false,
            },
            in_hand: None,
        }
    }

    /// The next event, typed. An event that does not decode (a known kind with fields the
    /// spec does not expect) is logged as a warning and arrives as [`Event::Unknown`] with its
    /// JSON as it came (or its text, when it is not JSON): one odd event never ends the stream.
    pub async fn recv(&mut self) -> Result<Event, EventsError> {
        let frame = std::future::poll_fn(|cx| self.poll_frame(cx)).await?;
        Ok(decode(&frame))
    }

    /// An event already waiting, as raw JSON, without waiting for one (`Ok(None)` when none is).
    pub fn try_recv_raw(&mut self) -> Result<Option<Value>, EventsError> {
        match self.poll_frame(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(frame) => frame.map(|f| Some(raw(&f))),
            Poll::Pending => Ok(None),
        }
    }

    /// The next event, as raw JSON.
    pub async fn recv_raw(&mut self) -> Result<Value, EventsError> {
        Ok(raw(&std::future::poll_fn(|cx| self.poll_frame(cx)).await?))
    }

    /// The next event, as the bytes the server sent, unchanged and not decoded: for handing
    /// events on (a bridge that publishes them to a message broker) without building them.
    /// The frame is known to be UTF-8 JSON that nests within the decoder's limit and has a
    /// `post_type`.
    pub async fn recv_bytes(&mut self) -> Result<Bytes, EventsError> {
        std::future::poll_fn(|cx| self.poll_frame(cx)).await
    }

    /// The next event, typed, with what tells its source it was handled: call
    /// [`Handled::done`] once it is. Over a message broker (a client built over a
    /// [`Relay`](crate::transport::relay::Relay), e.g. the NATS transport of `api-bridge`), an
    /// event not marked done is delivered again (to this worker or another); over a NapCat
    /// connection `done` does nothing. [`recv`](Self::recv) and the other methods mark an
    /// event done when the next one is asked for.
    pub async fn recv_handled(&mut self) -> Result<(Event, Handled), EventsError> {
        let (frame, handled) = std::future::poll_fn(|cx| self.poll_delivery(cx)).await?;
        Ok((decode(&frame), handled))
    }

    /// The next event's bytes; the event is marked handled when the next one is asked for.
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Result<Bytes, EventsError>> {
        let (frame, handled) = std::task::ready!(self.poll_delivery(cx))?;
        self.in_hand = Some(handled);
        Poll::Ready(Ok(frame))
    }

    /// The next event's bytes and what acknowledges it. The event handed out last without
    /// its `Handled` is marked done first: asking for the next one says it was handled.
    fn poll_delivery(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(Bytes, Handled), EventsError>> {
        if let Some(handled) = self.in_hand.take() {
            handled.done();
        }
        match &mut self.source {
            Source::Frames(wait) => {
                let (frame, rx, closing) = std::task::ready!(wait.poll(cx));
                wait.set(next_frame(rx, closing));
                Poll::Ready(
                    frame
                        .map(|frame| (frame, Handled::nobody()))
                        .map_err(|e| match e {
                            RecvError::Lagged(n) => EventsError::Lagged(n),
                            RecvError::Closed => EventsError::Closed,
                        }),
                )
            }
            Source::Relay(deliveries) => loop {
                match std::task::ready!(deliveries.as_mut().poll_next(cx)) {
                    // Held to what a connection hands on: JSON a subscriber can decode, with a
                    // `post_type`. Anything else is skipped (and acknowledged, so that it
                    // does not come back).
                    Some(Ok(delivery)) => match is_event(&delivery.event) {
                        Ok(true) => return Poll::Ready(Ok((delivery.event, delivery.handled))),
                        Ok(false) => {
                            tracing::warn!(frame = %crate::wire::reply::log_text(&delivery.event), "skipping a relayed message that is not an event");
                            delivery.handled.done();
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, frame = %crate::wire::reply::log_text(&delivery.event), "skipping a relayed message that is not JSON");
                            delivery.handled.done();
                        }
                    },
                    Some(Err(e)) => return Poll::Ready(Err(e)),
                    None => return Poll::Ready(Err(EventsError::Closed)),
                }
            },
            Source::Unavailable { reason, .. } => {
                Poll::Ready(Err(EventsError::Unavailable(reason.clone())))
            }
        }
    }
}

impl Stream for Events {
    type Item = Result<Event, EventsError>;

    /// The next event; `None` once the client is closed. A client that receives no events
    /// yields its [`EventsError::Unavailable`] once, then ends.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Source::Unavailable { reported, .. } = &mut self.source {
            if *reported {
                return Poll::Ready(None);
            }
            *reported = true;
        }
        match std::task::ready!(self.poll_frame(cx)) {
            Ok(frame) => Poll::Ready(Some(Ok(decode(&frame)))),
            Err(EventsError::Closed) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(e))),
        }
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
