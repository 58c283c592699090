//! Actions chosen at run time by name: the CLI, fuzzing and other tools that start from a
//! string rather than a type.

use std::marker::PhantomData;

use serde_json::Value;

use crate::action::Action;
use crate::reply::RawReply;
use crate::{ApiFuture, Client, Error};

/// One generated action behind a trait object (see the generated `action_by_name`).
pub trait DynAction: Sync {
    /// The wire name.
    fn wire_name(&self) -> &'static str;

    /// Sends wire `params` and decodes the reply with the action's own types, returning the
    /// typed result re-encoded as JSON.
    fn call(&self, client: &Client, params: Value) -> ApiFuture<Value>;

    /// Checks and decodes a reply with the action's own types, as a call would.
    fn decode(&self, reply: &RawReply) -> Result<Value, Error>;
}

/// The [`DynAction`] for request type `A`.
pub struct Erased<A>(PhantomData<fn() -> A>);

impl<A> Erased<A> {
    /// The handle (a zero-sized value).
    pub const NEW: Erased<A> = Erased(PhantomData);
}

impl<A: Action> DynAction for Erased<A> {
    fn wire_name(&self) -> &'static str {
        A::WIRE_NAME
    }

    fn call(&self, client: &Client, params: Value) -> ApiFuture<Value> {
        client.call_decoded::<A>(params)
    }

    fn decode(&self, reply: &RawReply) -> Result<Value, Error> {
        to_json::<A>(A::decode_reply(reply)?, reply)
    }
}

pub(crate) fn to_json<A: Action>(output: A::Output, reply: &RawReply) -> Result<Value, Error> {
    serde_json::to_value(output).map_err(|e| Error::Decode {
        action: A::WIRE_NAME.to_owned(),
        path: "data".into(),
        message: e.to_string(),
        body: reply.body.clone().into(),
    })
}
