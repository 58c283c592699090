//! NapCat accounts and bot workers joined through NATS JetStream.
//!
//! What the bridge (which holds the NapCat connections) and the workers (which run the bots)
//! agree on: the [`subject`]s events and actions travel on, and the [`event_key`] of each
//! event, whose message id lets JetStream drop a copy published twice (a second bridge, a
//! reconnect) within the stream's duplicate window.
//!
//! With the `testing` feature, `testing::NatsServer` runs a real `nats-server` with
//! JetStream for tests.

pub mod event_key;
pub mod subject;
#[cfg(feature = "testing")]
pub mod testing;
