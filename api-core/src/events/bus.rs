//! Where a connection puts the events it receives, for every subscriber: a broadcast buffer
//! bounded both in events and in bytes.
//!
//! Each event is held, as the bytes it came as, until every subscriber has taken it. The
//! buffer keeps at most its count of events (the oldest are dropped as new ones come) and,
//! across those, at most its byte budget: when a new event would go over it, the oldest held
//! events give their bytes up at once, and a subscriber that had not taken them is told it
//! lagged, as when it falls behind by count. The newest event is always kept, so one event
//! larger than the budget still reaches subscribers that keep up.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bytes::Bytes;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// The sending side, shared by whatever feeds one client's (or one server's) subscribers.
#[derive(Clone)]
pub(crate) struct EventBus {
    tx: broadcast::Sender<Held>,
    budget: Arc<Budget>,
}

/// The bytes the held events take, and which are oldest.
struct Budget {
    max_bytes: usize,
    /// The bytes of every event still held.
    bytes: AtomicUsize,
    /// The events sent, oldest first, while any of them may still be held.
    order: Mutex<VecDeque<Weak<Frame>>>,
}

/// One event in the buffer; its bytes go when every subscriber has taken it, or when the
/// budget needs the room.
struct Frame {
    bytes: Mutex<Option<Bytes>>,
    size: usize,
    budget: Arc<Budget>,
}

/// An event as the broadcast buffer holds it.
#[derive(Clone)]
struct Held(Arc<Frame>);

impl Drop for Frame {
    fn drop(&mut self) {
        let bytes = self.bytes.get_mut().unwrap_or_else(|e| e.into_inner());
        if bytes.take().is_some() {
            self.budget.bytes.fetch_sub(self.size, Ordering::Relaxed);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl EventBus {
    /// A buffer of at most `events` events (at least 1) and `max_bytes` bytes.
    pub(crate) fn new(events: usize, max_bytes: usize) -> Self {
        let (tx, _) = broadcast::channel(events.max(1));
        EventBus {
            tx,
            budget: Arc::new(Budget {
                max_bytes,
                bytes: AtomicUsize::new(0),
                order: Mutex::default(),
            }),
        }
    }

    /// Hands `event` to every subscriber (none is fine: events are optional).
    pub(crate) fn send(&self, event: Bytes) {
        let budget = &self.budget;
        let frame = Arc::new(Frame {
            size: event.len(),
            bytes: Mutex::new(Some(event)),
            budget: budget.clone(),
        });
        budget.bytes.fetch_add(frame.size, Ordering::Relaxed);
        {
            let mut order = lock(&budget.order);
            while order.front().is_some_and(|f| f.strong_count() == 0) {
                order.pop_front();
            }
            while budget.bytes.load(Ordering::Relaxed) > budget.max_bytes {
                let Some(oldest) = order.pop_front() else {
                    break;
                };
                // Taken first, so that the frame's drop, which may come at the end of this
                // block, finds nothing to give back.
                if let Some(f) = oldest.upgrade()
                    && lock(&f.bytes).take().is_some()
                {
                    budget.bytes.fetch_sub(f.size, Ordering::Relaxed);
                }
            }
            order.push_back(Arc::downgrade(&frame));
        }
        let _ = self.tx.send(Held(frame));
    }

    /// A subscription to the events sent from now on.
    pub(crate) fn subscribe(&self) -> Subscriber {
        Subscriber {
            rx: self.tx.subscribe(),
            next: None,
        }
    }

    /// The bytes the buffer holds now.
    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        self.budget.bytes.load(Ordering::Relaxed)
    }
}

/// One subscriber's end of the buffer.
pub(crate) struct Subscriber {
    rx: broadcast::Receiver<Held>,
    /// An event that came after some this subscriber missed: it is handed over after the
    /// count of the missed ones.
    next: Option<Bytes>,
}

impl Subscriber {
    /// The next event, or how many this subscriber missed since the last one (by count or by
    /// bytes, together), or `Closed` once every sender is gone.
    pub(crate) async fn recv(&mut self) -> Result<Bytes, RecvError> {
        if let Some(event) = self.next.take() {
            return Ok(event);
        }
        let mut missed = 0;
        loop {
            // Once some were missed, only what is already there is looked at, so that the
            // count comes at once.
            let got = if missed == 0 {
                self.rx.recv().await
            } else {
                match self.rx.try_recv() {
                    Ok(held) => Ok(held),
                    Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                    Err(TryRecvError::Empty | TryRecvError::Closed) => {
                        return Err(RecvError::Lagged(missed));
                    }
                }
            };
            match got {
                Ok(Held(frame)) => match lock(&frame.bytes).clone() {
                    Some(event) if missed == 0 => return Ok(event),
                    Some(event) => {
                        self.next = Some(event);
                        return Err(RecvError::Lagged(missed));
                    }
                    None => missed += 1,
                },
                Err(RecvError::Lagged(n)) => missed += n,
                Err(RecvError::Closed) => return Err(RecvError::Closed),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u8, len: usize) -> Bytes {
        Bytes::from(vec![n; len])
    }

    #[tokio::test]
    async fn the_oldest_events_give_their_bytes_up_beyond_the_budget() {
        let bus = EventBus::new(1024, 1000);
        let mut slow = bus.subscribe();
        for n in 0..10 {
            bus.send(event(n, 300));
        }
        assert_eq!(bus.held_bytes(), 900, "three events fit");
        assert_eq!(slow.recv().await, Err(RecvError::Lagged(7)));
        for n in 7..10 {
            assert_eq!(slow.recv().await.unwrap()[0], n);
        }
        assert_eq!(
            bus.held_bytes(),
            0,
            "taken by every subscriber, nothing is held"
        );
    }

    #[tokio::test]
    async fn the_newest_event_is_kept_whatever_its_size() {
        let bus = EventBus::new(1024, 100);
        let mut sub = bus.subscribe();
        bus.send(event(1, 10));
        bus.send(event(2, 500));
        assert_eq!(bus.held_bytes(), 500);
        assert_eq!(sub.recv().await, Err(RecvError::Lagged(1)));
        assert_eq!(sub.recv().await.unwrap().len(), 500);
    }

    #[tokio::test]
    async fn misses_by_count_and_by_bytes_are_told_together() {
        let bus = EventBus::new(4, 1000);
        let mut sub = bus.subscribe();
        for n in 0..12 {
            bus.send(event(n, 300));
        }
        // 8 overwritten in the ring of 4, one more given up for the budget.
        assert_eq!(sub.recv().await, Err(RecvError::Lagged(9)));
        assert_eq!(sub.recv().await.unwrap()[0], 9);
    }

    #[tokio::test]
    async fn a_subscriber_that_keeps_up_misses_nothing() {
        let bus = EventBus::new(1024, 100);
        let mut sub = bus.subscribe();
        for n in 0..50 {
            bus.send(event(n, 60));
            assert_eq!(sub.recv().await.unwrap()[0], n);
        }
        drop(bus);
        assert_eq!(sub.recv().await, Err(RecvError::Closed));
    }
}
