//! Keeping one chat's events in order: each event of a chat waits for the one before it to
//! be handled (as grammY's `sequentialize`), while other chats go on in parallel.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

/// The chats with events being handled: for each, how many and the last one's signal.
pub(crate) struct Order<K> {
    chats: Mutex<HashMap<K, Tail>>,
}

struct Tail {
    pending: usize,
    /// Closed when the last event taken for the chat is handled.
    last: oneshot::Receiver<()>,
}

/// One event's place in its chat's line; dropping it lets the next one go.
pub(crate) struct Turn<K: Eq + Hash> {
    before: Option<oneshot::Receiver<()>>,
    _done: oneshot::Sender<()>,
    key: K,
    order: Arc<Order<K>>,
}

impl<K: Eq + Hash + Clone> Order<K> {
    /// No chat in line yet.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Order {
            chats: Mutex::new(HashMap::new()),
        })
    }

    /// Puts the next event of chat `key` in line, behind the ones taken before it. Called in
    /// the order events arrive.
    pub(crate) fn enter(self: &Arc<Self>, key: K) -> Turn<K> {
        let (done, last) = oneshot::channel();
        let mut chats = self.chats.lock().unwrap_or_else(PoisonError::into_inner);
        let before = match chats.get_mut(&key) {
            Some(tail) => {
                tail.pending += 1;
                Some(std::mem::replace(&mut tail.last, last))
            }
            None => {
                chats.insert(key.clone(), Tail { pending: 1, last });
                None
            }
        };
        Turn {
            before,
            _done: done,
            key,
            order: self.clone(),
        }
    }

    /// How many chats have events in line (for tests).
    #[cfg(test)]
    fn chats(&self) -> usize {
        self.chats.lock().unwrap().len()
    }
}

impl<K: Eq + Hash> Turn<K> {
    /// Whether no earlier event of the chat is still being handled.
    pub(crate) fn is_free(&mut self) -> bool {
        if let Some(before) = &mut self.before {
            if matches!(before.try_recv(), Err(oneshot::error::TryRecvError::Empty)) {
                return false;
            }
            self.before = None;
        }
        true
    }

    /// Waits until the event before this one in its chat is handled.
    pub(crate) async fn wait(&mut self) {
        if let Some(before) = self.before.take() {
            let _ = before.await;
        }
    }
}

impl<K: Eq + Hash> Drop for Turn<K> {
    fn drop(&mut self) {
        let mut chats = self
            .order
            .chats
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(tail) = chats.get_mut(&self.key) {
            tail.pending -= 1;
            if tail.pending == 0 {
                chats.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The second event of a chat waits for the first; another chat's does not; the chat
    /// is forgotten once its line is empty.
    #[tokio::test]
    async fn a_chat_waits_for_its_previous_event_only() {
        let order = Order::new();
        let first = order.enter(1);
        let mut second = order.enter(1);
        let mut other = order.enter(2);
        other.wait().await;
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(20), second.wait());
        assert!(
            waiting.await.is_err(),
            "the second waits while the first runs"
        );
        drop(first);
        second.wait().await;
        drop((second, other));
        assert_eq!(order.chats(), 0);
    }
}
