//! What every generated request implements, and the action table's entry types.

pub(crate) mod dynamic;
pub(crate) mod info;

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::files::uploadable::Uploadable;
use crate::wire::reply::{self, DecodeRules, RawReply};

/// A request that can be sent with [`Client::call`](crate::client::Client::call).
///
/// Implemented by every generated `*Request` struct; its `Serialize` output is the exact
/// wire `params` object, and it reads back from that object (`Deserialize`), which is how a
/// call given as JSON gets the same checks and file handling as a typed one.
pub trait Action: Serialize + DeserializeOwned + Send + 'static {
    /// The typed result of a successful call.
    type Output: DeserializeOwned + Serialize + Send + 'static;
    /// The action name on the wire.
    const WIRE_NAME: &'static str;
    /// The Rust method name.
    const RUST_NAME: &'static str;
    /// A timeout the spec sets for this action, overriding the client default.
    const TIMEOUT: Option<Duration> = None;
    /// A boolean field of `data` whose `false` means failure despite `status: "ok"`.
    const FAILURE_FLAG: Option<&'static str> = None;
    /// Whether `data` is ignored on success (the action returns `()`).
    const DISCARDS_DATA: bool = false;
    /// Whether it says something in a chat, and so waits for its turn under the client's
    /// send limits ([`Pacing`](crate::pacing::Pacing)); the spec's `paced`.
    const PACED: bool = false;
    /// Whether a parameter may hold a file to read before sending (then
    /// [`uploads`](Self::uploads) lists them).
    const HAS_UPLOADS: bool = false;

    /// Checks the arguments before anything is sent.
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }

    /// Checks a reply's envelope and decodes this action's typed result from it.
    fn decode_reply(reply: &RawReply) -> Result<Self::Output, Error> {
        reply::decode(
            DecodeRules {
                action: Self::WIRE_NAME,
                failure_flag: Self::FAILURE_FLAG,
                discards_data: Self::DISCARDS_DATA,
            },
            reply,
        )
    }

    /// Every file in the request with its place (`file`, `message[1].data.file`), to be read
    /// before sending. Read only when [`HAS_UPLOADS`](Self::HAS_UPLOADS) is `true`.
    fn uploads(&mut self) -> Vec<(String, &mut Uploadable)> {
        Vec::new()
    }
}

/// A generated `*Call` builder: a request waiting to be awaited.
///
/// Lets code handle any pending call generically, e.g. to log what it will send.
pub trait ActionCall:
    std::future::IntoFuture<Output = Result<<Self::Request as Action>::Output, Error>>
{
    /// The request type this call sends.
    type Request: Action;

    /// The request as it will be sent.
    fn request(&self) -> &Self::Request;
}
