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

    /// Reads wire `params` into the action's request type (a missing or mistyped param is
    /// [`Error::InvalidArgument`] naming it), sends it as a typed call would (argument checks,
    /// files read), and returns the typed result re-encoded as JSON.
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
        let client = client.clone();
        Box::pin(async move {
            let request: A = serde_path_to_error::deserialize(params).map_err(|e| {
                let path = e.path().to_string();
                let param = if path == "." {
                    "(params)".to_owned()
                } else {
                    path
                };
                Error::invalid_argument(A::RUST_NAME, &param, e.inner().to_string())
            })?;
            let output = client.into_call(request, None).await?;
            serde_json::to_value(output).map_err(|e| Error::Decode {
                action: A::WIRE_NAME.to_owned(),
                path: "data".into(),
                message: e.to_string(),
                body: Default::default(),
            })
        })
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
