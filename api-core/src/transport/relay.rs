//! A transport written outside this crate: calls and events carried through something else
//! than a NapCat connection, e.g. the NATS transport of `api-bridge`, whose events come from a
//! message broker and are acknowledged once handled. [`ClientBuilder::relay`](crate::client::builder::ClientBuilder::relay)
//! builds a [`Client`](crate::client::Client) over one; the generated methods, the events and
//! the bot layer work over it as over any transport.

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::error::Error;
use crate::events::Deliveries;
use crate::wire::reply::RawReply;

/// Calls and events carried through something else than a NapCat connection.
pub trait Relay: fmt::Debug + Send + Sync + 'static {
    /// Sends the call `action` with `params` (a JSON object) and waits, up to `timeout`, for
    /// the reply as NapCat sent it. A reply that does not come in time is
    /// [`Error::Timeout`].
    fn call(
        &self,
        action: &str,
        params: String,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<RawReply, Error>>;

    /// A new subscription to the events, each with its
    /// [`Handled`](crate::events::delivery::Handled); `Err` with the reason
    /// (and the fix) when none can come.
    fn subscribe(&self) -> Result<Deliveries, String>;

    /// Where calls go, for logs and [`Client::url`](crate::client::Client::url).
    fn describe(&self) -> &str;

    /// Stops the relay when its client is closed: subscriptions end, and later calls fail.
    /// Does nothing by default.
    fn close(&self) -> BoxFuture<'static, ()> {
        Box::pin(std::future::ready(()))
    }
}
