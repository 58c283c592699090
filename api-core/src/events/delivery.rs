//! One event with what acknowledges it to its source: a message broker forgets an event once
//! told it was handled, and delivers it again otherwise.

use std::fmt;

use bytes::Bytes;

/// One event from a relay: its JSON as NapCat sent it, and what acknowledges it.
pub struct Delivery {
    /// The event's bytes, as NapCat sent them. Bytes that are not an event as a connection
    /// would hand it on (UTF-8 JSON with a `post_type`; see
    /// [`Events::recv_bytes`](crate::events::Events::recv_bytes)) are skipped by the
    /// subscription, with a warning, and marked handled.
    pub event: Bytes,
    /// Called once the event has been handled.
    pub handled: Handled,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("event", &crate::wire::reply::log_text(&self.event))
            .finish_non_exhaustive()
    }
}

/// Tells an event's source that the event has been handled: a message broker then forgets
/// it. An event whose `Handled` is dropped without [`done`](Handled::done) (its handler was
/// stopped, the worker died) is not acknowledged, and a broker delivers it again.
///
/// Over a NapCat connection there is nobody to tell, and `done` does nothing.
#[must_use = "an event not marked done is delivered again by a message broker"]
pub struct Handled(Option<Box<dyn FnOnce() + Send + Sync>>);

impl Handled {
    /// Calls `acknowledge` once the event is handled.
    pub fn new(acknowledge: impl FnOnce() + Send + Sync + 'static) -> Handled {
        Handled(Some(Box::new(acknowledge)))
    }

    /// For an event nobody needs to hear about.
    pub fn nobody() -> Handled {
        Handled(None)
    }

    /// Marks the event handled.
    pub fn done(mut self) {
        if let Some(acknowledge) = self.0.take() {
            acknowledge();
        }
    }
}

impl fmt::Debug for Handled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Handled(pending)"
        } else {
            "Handled(nobody)"
        })
    }
}
