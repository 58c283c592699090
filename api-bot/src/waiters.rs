//! Conversations waiting for an event: the dispatcher offers each event here first, and the
//! oldest waiter whose filter it passes takes it (no handler sees it then).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::context::Ctx;
use crate::filter::Filter;

/// The waiting conversations, oldest first.
#[derive(Default)]
pub(crate) struct Waiters {
    list: Mutex<Vec<Waiter>>,
    /// How many wait, as last seen under the lock: an event finds none without taking it.
    count: AtomicUsize,
    /// Set when the bot stops: no event comes any more, so no wait is kept.
    stopped: AtomicBool,
}

struct Waiter {
    filter: Filter,
    take: oneshot::Sender<Ctx>,
}

impl Waiters {
    /// Waits for the next event passing `filter`: the receiver gets it.
    /// Once the bot has stopped, the receiver ends at once (the conversation is told it
    /// stopped).
    pub(crate) fn wait(&self, filter: Filter) -> oneshot::Receiver<Ctx> {
        let (take, rx) = oneshot::channel();
        let mut list = self.lock();
        if !self.stopped.load(Ordering::Acquire) {
            list.push(Waiter { filter, take });
            self.count.store(list.len(), Ordering::Release);
        }
        rx
    }

    /// The bot stops: every waiting conversation is told so now, rather than at its timeout,
    /// and later waits end at once.
    pub(crate) fn stop(&self) {
        let mut list = self.lock();
        self.stopped.store(true, Ordering::Release);
        list.clear();
        self.count.store(0, Ordering::Release);
    }

    /// Hands `ctx` to the oldest waiter it is for; `false` when none took it.
    pub(crate) fn offer(&self, ctx: &Ctx) -> bool {
        // A wait begun before this event was taken is counted by now (the dispatcher takes
        // events one after another, and a wait starts in a handler of an earlier one).
        if self.count.load(Ordering::Acquire) == 0 {
            return false;
        }
        let mut list = self.lock();
        // A waiter whose conversation gave up (timed out, or its handler ended) is dropped.
        list.retain(|w| !w.take.is_closed());
        let mut taken = false;
        while let Some(at) = list.iter().position(|w| w.filter.test(ctx)) {
            let waiter = list.remove(at);
            if waiter.take.send(ctx.clone()).is_ok() {
                taken = true;
                break;
            }
        }
        self.count.store(list.len(), Ordering::Release);
        taken
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Waiter>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
