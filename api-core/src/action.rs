//! What every generated request implements, and the action table's entry types.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::reply::{self, DecodeRules, RawReply};
use crate::{Error, Uploadable};

/// A request that can be sent with [`Client::call`](crate::Client::call).
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
    /// before sending.
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

/// A generated `*Call` builder of a stream action: awaiting it sends the request and gives
/// the [`ActionStream`](crate::ActionStream) its packets and result are read from.
pub trait StreamCall:
    std::future::IntoFuture<Output = Result<crate::ActionStream<<Self as StreamCall>::Request>, Error>>
{
    /// The request type this call sends.
    type Request: crate::StreamAction;

    /// The request as it will be sent.
    fn request(&self) -> &Self::Request;
}

/// One action of the generated API, for introspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionInfo {
    /// Rust method name.
    pub rust_name: &'static str,
    /// Wire action name.
    pub wire_name: &'static str,
    /// Other wire names NapCat answers for this action (deprecated names).
    pub aliases: &'static [&'static str],
    /// Spec category (file).
    pub category: &'static str,
    /// Section within the category.
    pub section: &'static str,
    /// First line of the doc text.
    pub summary: &'static str,
    /// Return type as written in the spec (a stream action's final result).
    pub returns: &'static str,
    /// A stream action's packet type as written in the spec; `None` for one-reply actions.
    pub packets: Option<&'static str>,
    /// Parameters in positional order.
    pub params: &'static [ParamInfo],
}

/// One parameter of an [`ActionInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    /// Rust name.
    pub rust_name: &'static str,
    /// Wire name.
    pub wire_name: &'static str,
    /// Type as written in the spec (`qq`, `string?`, `Sex` ...).
    pub ty: &'static str,
    /// Whether it is positional.
    pub required: bool,
    /// The default sent when it is not set, as JSON text.
    pub default_json: Option<&'static str>,
    /// Other keys NapCat accepts for this parameter.
    pub aliases: &'static [&'static str],
    /// The keys it may send: its wire name, or one of an either-or union's keys.
    pub keys: &'static [&'static str],
}
