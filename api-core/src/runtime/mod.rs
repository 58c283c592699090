//! The contract between the code generator and this crate: everything the code that
//! `generate_api!` writes may name, and nothing else.
//!
//! The generator (`api_spec::codegen`, run by the `api-macros` crate) names this crate only
//! through `::api_core::runtime::…`, so its code compiles the same inside `api-core` (which
//! declares `extern crate self as api_core`) and in an extension crate. `api-spec`'s
//! `tests/contract.rs` expands the built-in spec and fails if the code names any other path
//! of this crate. The list below is the whole contract; to give generated code something new,
//! add it here.
//!
//! What the generator writes per item, and what it leaves to this module:
//! - a struct: its fields, and a [`Record`] impl (keys, one line per field) that
//!   [`deserialize_record`] reads it with; unlisted keys go in its `extra`;
//! - an action: its `*Request` (fields, `new`, one setter per optional parameter, an
//!   [`Action`] impl, a [`Record`] impl), the same setters on its [`Call`] (each a one-line
//!   forward to the request's), and the client method that returns the call;
//! - once per spec: the action table ([`ActionInfo`]) and `action_by_name` ([`Erased`]).
//!
//! # Calls, and where middleware goes
//!
//! Every generated method returns a [`Call<R>`](Call) of its request `R` (a stream action's,
//! a `Call<R, Streamed>`), and every call is sent by `Call`'s `IntoFuture` impls in
//! `call.rs`: the one place all typed calls pass through between a generated method and the
//! transport, generic over the action, with its wire name (`R::WIRE_NAME`), params
//! (`R: Serialize`) and timeout at hand. Logging, pacing or retries hook in there: a layer the
//! client holds would be handed the request before it is sent and the typed result after, and
//! a retry sends a clone of the request again (every request is `Clone`). [`HasPayload`] gives
//! the request of any call or request, for code that reads or changes it generically. Nothing
//! generated changes when such a layer is added.

mod call;
mod enums;
mod record;
mod table;

// What generated signatures and fields show: ids, files, messages, the client, its errors.
pub use crate::client::Client;
pub use crate::error::Error;
pub use crate::files::uploadable::Uploadable;
pub use crate::message::Message;
pub use crate::wire::base64::Base64;
pub use crate::wire::header::Header;
pub use crate::wire::ids::{AnyMessageId, ForwardId, GroupId, LongMessageId, MessageId, UserId};
// The built-in spec's types, which an extension spec names without declaring them again.
pub use crate::types;

// Per action: the request's traits, its call, and the action table's entries.
pub use crate::action::dynamic::{DynAction, Erased, ErasedStream};
pub use crate::action::info::{ActionInfo, ParamInfo};
pub use crate::action::{Action, ActionCall};
pub use crate::files::stream::{StreamAction, StreamCall};
pub use call::{Call, HasPayload, OneReply, Streamed};

// Checks before sending: blank text, fractions of a second, the files to read.
pub use crate::files::collect::{Blank, CollectFiles};
pub use crate::wire::seconds::WholeSeconds;

// Reading replies: structs and requests, lenient scalars, enums, unions.
/// Gives a [`Record`] its `Deserialize` (one line per struct in generated code).
pub use crate::__deserialize_record as deserialize_record;
pub use crate::wire::lenient::{
    EnumFallback, TagSeed, TagValue, UnionKey, UnionKeySeed, deserialize_enum,
};
pub use crate::wire::tag_scan::{JsonText, TagScan, find_tag};
pub use api_lenient::{Lenient, LenientSeed};
pub use enums::{not_a_variant, position_ignoring_case};
pub use record::{
    Field, Keys, LenientField, MAX_TUPLE, Missing, Record, Split, Unlisted, decode_record, one_of,
};

// Writing requests: a union's tag beside its fields, durations as whole seconds, flags as
// numbers, serde itself.
pub use crate::files::collect::serialize_with_tag;
pub use serde;
pub use serde_json;

/// Durations sent as whole seconds (`serialize_with` paths).
pub mod seconds {
    pub use crate::wire::seconds::{serialize, serialize_option};
}

/// Yes/no values sent as `1`/`0` (`serialize_with` paths).
pub mod flag {
    pub use crate::wire::flag::{serialize, serialize_option};
}

/// Gives a [`Record`] its `Deserialize` ([`decode_record`]).
#[doc(hidden)]
#[macro_export]
macro_rules! __deserialize_record {
    ($name:ident) => {
        impl<'de> $crate::runtime::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::runtime::serde::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::runtime::decode_record(d)
            }
        }
    };
}

/// Declares `Call<R, K>` in an extension crate's generated `requests` module: [`Call`],
/// wrapped in a type of that crate, so that the generator can give it the setters of that
/// crate's actions (only the crate that defines a type may add methods to it).
#[doc(hidden)]
#[macro_export]
macro_rules! __extension_call {
    () => {
        /// A call of one of this spec's actions waiting to be awaited: an
        /// `api_core::runtime::Call` with this spec's setters.
        #[must_use = "a call is sent only when it is awaited"]
        #[derive(Debug, Clone)]
        pub struct Call<R, K = $crate::runtime::OneReply>($crate::runtime::Call<R, K>);

        impl<R, K> Call<R, K> {
            /// A call of `client` that will send `request`.
            pub fn new(client: $crate::runtime::Client, request: R) -> Self {
                Call($crate::runtime::Call::new(client, request))
            }

            /// Overrides the timeout for this call only.
            pub fn timeout(self, timeout: ::std::time::Duration) -> Self {
                Call(self.0.timeout(timeout))
            }

            /// The request as it will be sent.
            pub fn request(&self) -> &R {
                self.0.request()
            }

            /// The call with its request passed through `f`.
            pub fn map_request(self, f: impl ::std::ops::FnOnce(R) -> R) -> Self {
                Call(self.0.map_request(f))
            }

            /// The `api_core::runtime::Call` this wraps.
            pub fn into_inner(self) -> $crate::runtime::Call<R, K> {
                self.0
            }
        }

        impl<R, K> ::std::future::IntoFuture for Call<R, K>
        where
            $crate::runtime::Call<R, K>: ::std::future::IntoFuture,
        {
            type Output = <$crate::runtime::Call<R, K> as ::std::future::IntoFuture>::Output;
            type IntoFuture =
                <$crate::runtime::Call<R, K> as ::std::future::IntoFuture>::IntoFuture;
            fn into_future(self) -> Self::IntoFuture {
                ::std::future::IntoFuture::into_future(self.0)
            }
        }

        impl<R: $crate::runtime::Action, K> $crate::runtime::HasPayload for Call<R, K> {
            type Payload = R;
            fn payload(&self) -> &R {
                $crate::runtime::HasPayload::payload(&self.0)
            }
            fn payload_mut(&mut self) -> &mut R {
                $crate::runtime::HasPayload::payload_mut(&mut self.0)
            }
        }

        impl<R: $crate::runtime::Action> $crate::runtime::ActionCall
            for Call<R, $crate::runtime::OneReply>
        {
            type Request = R;
            fn request(&self) -> &R {
                self.0.request()
            }
        }

        impl<R: $crate::runtime::StreamAction> $crate::runtime::StreamCall
            for Call<R, $crate::runtime::Streamed>
        {
            type Request = R;
            fn request(&self) -> &R {
                self.0.request()
            }
        }
    };
}

/// See [`__extension_call`](crate::__extension_call).
pub use crate::__extension_call as extension_call;
