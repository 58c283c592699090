//! The simulator's events, to every connection that receives them. Each connection has a
//! queue of its own that holds what it has not sent yet, so that a burst loses nothing:
//! NapCat writes events straight to its sockets and never drops one for a slow connection.
//! A connection that falls [`QUEUE_LIMIT`] events behind (a peer that stopped reading) is
//! closed, with an error logged, rather than held without bound.

use std::sync::Mutex;

use serde_json::Value;
use tokio::sync::mpsc;

/// How many events a connection may have waiting before it is closed.
pub(crate) const QUEUE_LIMIT: usize = 1 << 18;

/// Every receiving connection's queue.
#[derive(Debug)]
pub(crate) struct Fanout {
    queues: Mutex<Vec<mpsc::Sender<Value>>>,
    limit: usize,
}

impl Default for Fanout {
    fn default() -> Self {
        Fanout::with_limit(QUEUE_LIMIT)
    }
}

impl Fanout {
    /// Queues of `limit` events each.
    fn with_limit(limit: usize) -> Fanout {
        Fanout {
            queues: Mutex::default(),
            limit,
        }
    }

    /// A queue that gets every event sent from now on, in the order sent, until it is dropped
    /// or falls behind; then it ends, after what it holds.
    pub(crate) fn subscribe(&self) -> mpsc::Receiver<Value> {
        let (tx, rx) = mpsc::channel(self.limit);
        crate::lock(&self.queues).push(tx);
        rx
    }

    /// Queues `event` for every connection. A queue whose connection has gone is forgotten,
    /// and so is one that is full: its connection ends once it has sent what it holds.
    pub(crate) fn send(&self, event: Value) {
        crate::lock(&self.queues).retain(|queue| match queue.try_send(event.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::error!(
                    limit = self.limit,
                    "a connection fell too many events behind (its peer stopped reading); closing it"
                );
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_reaches_every_queue_whole_and_in_order() {
        let fanout = Fanout::default();
        let (mut a, mut b) = (fanout.subscribe(), fanout.subscribe());
        for i in 0..100_000 {
            fanout.send(Value::from(i));
        }
        for queue in [&mut a, &mut b] {
            for i in 0..100_000 {
                assert_eq!(queue.try_recv().ok(), Some(Value::from(i)));
            }
            assert!(queue.try_recv().is_err());
        }
        // A queue dropped is forgotten at the next event.
        drop(b);
        fanout.send(Value::from("after"));
        assert_eq!(crate::lock(&fanout.queues).len(), 1);
        assert_eq!(a.try_recv().ok(), Some(Value::from("after")));
    }

    #[test]
    fn a_queue_that_falls_behind_ends_after_what_it_holds() {
        let fanout = Fanout::with_limit(3);
        let (mut slow, mut quick) = (fanout.subscribe(), fanout.subscribe());
        for i in 0..3 {
            fanout.send(Value::from(i));
            assert_eq!(quick.try_recv().ok(), Some(Value::from(i)));
        }
        fanout.send(Value::from(3));
        assert_eq!(quick.try_recv().ok(), Some(Value::from(3)));
        for i in 0..3 {
            assert_eq!(slow.try_recv().ok(), Some(Value::from(i)));
        }
        assert_eq!(
            slow.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected),
            "the slow queue ends: its connection closes"
        );
    }
}
