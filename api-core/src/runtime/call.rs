//! [`Call`]: what a generated client method returns, one generic type for every action.

use std::fmt;
use std::future::IntoFuture;
use std::marker::PhantomData;
use std::time::Duration;

use crate::action::{Action, ActionCall};
use crate::client::call::CallFuture;
use crate::client::{ApiFuture, Client};
use crate::error::Error;
use crate::files::stream::{ActionStream, StreamAction, StreamCall};

/// Awaiting a [`Call`] of this kind gives the action's typed result (the one reply).
#[derive(Debug, Clone, Copy)]
pub struct OneReply;

/// Awaiting a [`Call`] of this kind gives an [`ActionStream`] to read the packets and the
/// result from (a stream action's call).
#[derive(Debug, Clone, Copy)]
pub struct Streamed;

/// A call of one action waiting to be awaited: the request `R`, the client it goes through and
/// a timeout for this call only. `K` is [`OneReply`] or, for a stream action, [`Streamed`].
///
/// Every generated client method returns one (`api.send_like(UserId(1))` is a
/// `Call<SendLikeRequest>`, also named `SendLikeCall`). The action's optional parameters are
/// set with the same methods as on its request (`.times(5)`), and awaiting it sends the
/// request.
#[must_use = "a call is sent only when it is awaited"]
pub struct Call<R, K = OneReply> {
    client: Client,
    request: R,
    timeout: Option<Duration>,
    kind: PhantomData<K>,
}

impl<R, K> Call<R, K> {
    /// A call of `client` that will send `request`.
    pub fn new(client: Client, request: R) -> Self {
        Call {
            client,
            request,
            timeout: None,
            kind: PhantomData,
        }
    }

    /// Overrides the timeout for this call only.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The request as it will be sent.
    pub fn request(&self) -> &R {
        &self.request
    }

    /// The call with its request passed through `f`: how a call's setters use the request's
    /// own (`call.times(5)` is `call.map_request(|r| r.times(5))`).
    pub fn map_request(self, f: impl FnOnce(R) -> R) -> Self {
        Call {
            request: f(self.request),
            ..self
        }
    }

    /// The client, the request and the timeout set for this call (`None`: the action's spec
    /// timeout, else the client's).
    pub fn into_parts(self) -> (Client, R, Option<Duration>) {
        (self.client, self.request, self.timeout)
    }
}

impl<R: Clone, K> Clone for Call<R, K> {
    fn clone(&self) -> Self {
        Call {
            client: self.client.clone(),
            request: self.request.clone(),
            timeout: self.timeout,
            kind: PhantomData,
        }
    }
}

impl<R: fmt::Debug, K> fmt::Debug for Call<R, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("client", &self.client)
            .field("request", &self.request)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<R: Action> IntoFuture for Call<R, OneReply> {
    type Output = Result<R::Output, Error>;
    type IntoFuture = CallFuture<R>;

    fn into_future(self) -> CallFuture<R> {
        self.client.into_call(self.request, self.timeout)
    }
}

impl<R: StreamAction> IntoFuture for Call<R, Streamed> {
    type Output = Result<ActionStream<R>, Error>;
    type IntoFuture = ApiFuture<ActionStream<R>>;

    fn into_future(self) -> ApiFuture<ActionStream<R>> {
        self.client.into_stream(self.request, self.timeout)
    }
}

impl<R: Action> ActionCall for Call<R, OneReply> {
    type Request = R;

    fn request(&self) -> &R {
        &self.request
    }
}

impl<R: StreamAction> StreamCall for Call<R, Streamed> {
    type Request = R;

    fn request(&self) -> &R {
        &self.request
    }
}

/// Something that carries an action's request: the request itself, or a [`Call`] of it.
///
/// Code that handles calls of any action (logging what is about to be sent, changing a
/// parameter) reads or changes the request through this trait.
pub trait HasPayload {
    /// The request.
    type Payload: Action;

    /// The request, to read.
    fn payload(&self) -> &Self::Payload;

    /// The request, to change.
    fn payload_mut(&mut self) -> &mut Self::Payload;
}

impl<A: Action> HasPayload for A {
    type Payload = A;

    fn payload(&self) -> &A {
        self
    }

    fn payload_mut(&mut self) -> &mut A {
        self
    }
}

impl<R: Action, K> HasPayload for Call<R, K> {
    type Payload = R;

    fn payload(&self) -> &R {
        &self.request
    }

    fn payload_mut(&mut self) -> &mut R {
        &mut self.request
    }
}
