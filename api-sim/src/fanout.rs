//! The simulator's events, to every connection that receives them. Each connection has a
//! queue of its own that holds what it has not sent yet, however large a burst: NapCat writes
//! events straight to its sockets and never drops one for a slow connection, and neither does
//! the simulator.

use std::sync::Mutex;

use serde_json::Value;
use tokio::sync::mpsc;

/// Every receiving connection's queue.
#[derive(Debug, Default)]
pub(crate) struct Fanout {
    queues: Mutex<Vec<mpsc::UnboundedSender<Value>>>,
}

impl Fanout {
    /// A queue that gets every event sent from now on, in the order sent, until it is dropped.
    pub(crate) fn subscribe(&self) -> mpsc::UnboundedReceiver<Value> {
        let (tx, rx) = mpsc::unbounded_channel();
        crate::lock(&self.queues).push(tx);
        rx
    }

    /// Queues `event` for every connection; a queue whose connection has gone is forgotten.
    pub(crate) fn send(&self, event: Value) {
        crate::lock(&self.queues).retain(|queue| queue.send(event.clone()).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_larger_than_any_buffer_reaches_every_queue_whole_and_in_order() {
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
}
