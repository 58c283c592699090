//! Actions chosen at run time by name: the CLI, fuzzing and other tools that start from a
//! string rather than a type.

use std::marker::PhantomData;

use serde_json::Value;

use crate::action::Action;
use crate::client::{ApiFuture, Client};
use crate::error::Error;
use crate::files::stream::StreamAction;
use crate::wire::reply::RawReply;

/// One generated action behind a trait object (see the generated `action_by_name`).
pub trait DynAction: Sync {
    /// The wire name.
    fn wire_name(&self) -> &'static str;

    /// Whether it waits for its turn under a client's send limits ([`Action::PACED`]).
    fn paced(&self) -> bool;

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

    fn paced(&self) -> bool {
        A::PACED
    }

    fn call(&self, client: &Client, params: Value) -> ApiFuture<Value> {
        let client = client.clone();
        Box::pin(async move {
            let output = client.into_call(request_from::<A>(params)?, None).await?;
            encode::<A, _>(output)
        })
    }

    fn decode(&self, reply: &RawReply) -> Result<Value, Error> {
        to_json::<A>(A::decode_reply(reply)?, reply)
    }
}

/// The [`DynAction`] for a stream action's request type `A`: a call reads the whole stream
/// and gives `{"packets": [...], "result": ...}`.
pub struct ErasedStream<A>(PhantomData<fn() -> A>);

impl<A> ErasedStream<A> {
    /// The handle (a zero-sized value).
    pub const NEW: ErasedStream<A> = ErasedStream(PhantomData);
}

impl<A: StreamAction> DynAction for ErasedStream<A> {
    fn wire_name(&self) -> &'static str {
        A::WIRE_NAME
    }

    fn paced(&self) -> bool {
        A::PACED
    }

    fn call(&self, client: &Client, params: Value) -> ApiFuture<Value> {
        let client = client.clone();
        Box::pin(async move {
            let mut stream = client.into_stream(request_from::<A>(params)?, None).await?;
            let mut packets = Vec::new();
            while let Some(packet) = stream.packet().await? {
                packets.push(encode::<A, _>(packet)?);
            }
            let result = encode::<A, _>(stream.finish().await?)?;
            Ok(serde_json::json!({ "packets": packets, "result": result }))
        })
    }

    /// Decodes one envelope as the stream's final result.
    fn decode(&self, reply: &RawReply) -> Result<Value, Error> {
        to_json::<A>(A::decode_reply(reply)?, reply)
    }
}

/// Reads wire params into `A`'s request type, naming the param at fault.
fn request_from<A: Action>(params: Value) -> Result<A, Error> {
    serde_path_to_error::deserialize(params).map_err(|e| {
        let path = e.path().to_string();
        let param = if path == "." {
            "(params)".to_owned()
        } else {
            path
        };
        Error::invalid_argument(A::WIRE_NAME, &param, e.inner().to_string())
    })
}

/// A typed value of `A`'s as JSON.
fn encode<A: Action, T: serde::Serialize>(value: T) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::Decode {
        action: A::WIRE_NAME.to_owned(),
        path: "data".into(),
        message: e.to_string(),
        body: Default::default(),
    })
}

pub(crate) fn to_json<A: Action>(output: A::Output, reply: &RawReply) -> Result<Value, Error> {
    serde_json::to_value(output).map_err(|e| Error::Decode {
        action: A::WIRE_NAME.to_owned(),
        path: "data".into(),
        message: e.to_string(),
        body: reply.body.clone().into(),
    })
}
