//! How a [`Bridge`](crate::bridge::Bridge) runs: its name, the stream and bucket it uses, the
//! lease's length, and the pacing of sends.

use std::time::Duration;

use api_core::Pacing;

use crate::partition::{DEFAULT_PARTITIONS, Partitions};

/// The JetStream stream events are published to, by default.
pub const DEFAULT_STREAM: &str = "NAPCAT_EVENTS";

/// The key-value bucket that holds which bridge owns which account, by default.
pub const DEFAULT_LEASE_BUCKET: &str = "napcat_accounts";

/// The queue group the bridges answer action requests in, by default.
pub const DEFAULT_QUEUE_GROUP: &str = "napcat-bridge";

/// How long an account's lease lasts without being renewed, by default.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(15);

/// How long JetStream remembers a message id to drop a republished copy, by default.
pub const DEFAULT_DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// How many events an account has on their way to the stream, not yet acknowledged by it, by
/// default.
pub const DEFAULT_PUBLISH_WINDOW: usize = 256;

/// Settings for a [`Bridge`](crate::bridge::Bridge).
#[derive(Debug, Clone)]
pub struct BridgeOptions {
    /// This bridge's name, written in the leases it holds. Two bridges must not share one: a
    /// bridge takes a lease that names it as its own.
    pub bridge_id: String,
    /// The stream events are published to (default [`DEFAULT_STREAM`]); made, over the
    /// subjects `napcat.*.event.>`, when it does not exist.
    pub stream: String,
    /// The stream's duplicate window, when the bridge makes it (default
    /// [`DEFAULT_DUPLICATE_WINDOW`]): a copy of an event published again within it is dropped.
    pub duplicate_window: Duration,
    /// The key-value bucket of the account leases (default [`DEFAULT_LEASE_BUCKET`]).
    pub lease_bucket: String,
    /// How long a lease lasts without renewal (default [`DEFAULT_LEASE_TTL`]): the bucket's
    /// age limit when the bridge makes it. A bridge renews its leases three times per TTL and
    /// stops answering an account's actions once two thirds of a TTL pass without a renewal,
    /// so that another bridge takes over within about one TTL of this one dying and two never
    /// answer at once. An existing bucket keeps its own limit, and that limit is used.
    pub lease_ttl: Duration,
    /// The queue group action requests are answered in (default [`DEFAULT_QUEUE_GROUP`]).
    pub queue_group: String,
    /// How many events of one account may be on their way to the stream at once, waiting for
    /// the stream's acknowledgement (default [`DEFAULT_PUBLISH_WINDOW`]).
    pub publish_window: usize,
    /// How many chat partitions each account's events are divided into (default
    /// [`DEFAULT_PARTITIONS`]): up to this many of an account's events are handled at once by
    /// workers that keep per-chat order. The first bridge writes it in the stream's metadata;
    /// a bridge with another count for that stream does not start.
    pub partitions: Partitions,
    /// The limits each account's message sends keep, applied by the bridge that holds the
    /// account, so they hold across every worker (`None`, the default: no pacing).
    pub pacing: Option<Pacing>,
}

impl BridgeOptions {
    /// The defaults, with `bridge_id` as this bridge's name.
    pub fn new(bridge_id: impl Into<String>) -> BridgeOptions {
        BridgeOptions {
            bridge_id: bridge_id.into(),
            stream: DEFAULT_STREAM.to_owned(),
            duplicate_window: DEFAULT_DUPLICATE_WINDOW,
            lease_bucket: DEFAULT_LEASE_BUCKET.to_owned(),
            lease_ttl: DEFAULT_LEASE_TTL,
            queue_group: DEFAULT_QUEUE_GROUP.to_owned(),
            publish_window: DEFAULT_PUBLISH_WINDOW,
            partitions: DEFAULT_PARTITIONS,
            pacing: None,
        }
    }
}
