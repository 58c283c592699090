//! One event client of the simulator (a WebSocket connection, an SSE stream, an HTTP post
//! target): subscribed at once, counted while it lives, ended when the simulator stops.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::Shared;

/// Counts an event client in `Shared::event_clients` while it lives.
pub(crate) struct Counted(Arc<Shared>);

impl Counted {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        shared.event_clients.send_modify(|c| *c += 1);
        Counted(shared)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0
            .event_clients
            .send_modify(|c| *c = c.saturating_sub(1));
    }
}

/// The events pushed from the moment it was made, until the simulator stops.
pub(crate) struct Subscriber {
    pushed: mpsc::Receiver<Value>,
    stop: watch::Receiver<bool>,
    _counted: Counted,
}

impl Subscriber {
    /// Subscribes now, so no event pushed after this returns is missed.
    pub(crate) fn new(shared: &Arc<Shared>) -> Self {
        Subscriber {
            pushed: shared.events.subscribe(),
            stop: shared.shutdown.subscribe(),
            _counted: Counted::new(shared.clone()),
        }
    }

    /// The next event that is not a meta event (neither SSE streams nor HTTP posts carry
    /// those); `None` once the simulator stops, or once this subscriber fell too many events
    /// behind (logged; its connection then ends).
    pub(crate) async fn next_non_meta(&mut self) -> Option<Value> {
        loop {
            let next = tokio::select! {
                next = self.pushed.recv() => next,
                _ = self.stop.wait_for(|s| *s) => return None,
            };
            match next {
                Some(event) if event["post_type"] == "meta_event" => continue,
                Some(event) => return Some(event),
                None => return None,
            }
        }
    }
}
