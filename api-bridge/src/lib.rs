//! NapCat accounts and bot workers joined through NATS JetStream.
//!
//! A [`Bridge`](bridge::Bridge) holds the NapCat connections (a reverse WebSocket server for
//! many accounts, or forward connections). It publishes every event to a JetStream stream on
//! the [`subject`] `napcat.<self_id>.event.<post_type>.<detail>.<partition>`, with a message
//! id (its [`event_key`]) that lets JetStream drop a copy published twice (a second bridge, a
//! reconnect) within the stream's duplicate window. It answers the workers' action requests
//! (`napcat.<self_id>.action.<wire name>`, the [`protocol`]) with NapCat's reply unchanged,
//! for the accounts whose lease it holds in a key-value bucket; two bridges can run for the
//! same accounts and one takes over when the other dies. Workers that ask for it get each
//! chat's events in order, across the workers, through the chat [`partition`] in the subject.
//!
//! With the `testing` feature, `testing::NatsServer` runs a real `nats-server` with
//! JetStream for tests.

mod actions;
pub mod bridge;
pub mod claim;
pub mod event_key;
mod lease;
pub mod options;
pub mod partition;
pub mod protocol;
pub mod publish;
pub mod subject;
#[cfg(feature = "testing")]
pub mod testing;
pub mod worker;
