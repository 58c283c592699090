//! What forward and reverse WebSocket share: calls in flight matched to replies by echo,
//! one task reading and writing a connection, events handed to subscribers.
//!
//! From the bottom up: [`slots`] (what is kept per call), [`core`] (sending a call),
//! [`stream`] (stream actions' envelopes), [`reply_wait`] (how the reader waits for a frame),
//! [`connection`] (serving one connection).

pub(crate) mod connection;
pub(crate) mod core;
mod deadline;
pub(crate) mod reply_wait;
pub(crate) mod slots;
pub(crate) mod stream;

#[cfg(test)]
mod tests;
