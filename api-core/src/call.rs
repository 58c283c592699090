//! The future of a typed call: what awaiting a generated `*Call` (or [`Client::call`]) gives.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::action::Action;
use crate::ws::Sending;
use crate::{Client, Error};

/// A typed call on its way: sends its request when first polled, then decodes the reply.
///
/// It is a named type rather than a boxed future, so awaiting a call allocates nothing of its
/// own: its few words live in the awaiting task. It is `Send` and `'static`, so it can be
/// spawned or stored; [`Box::pin`] it where one type must hold calls of several actions.
/// Dropping it before it completes cancels the call: its reply, if one comes, is skipped.
#[must_use = "a call is sent only when it is awaited"]
pub struct CallFuture<A: Action> {
    client: Client,
    state: State<A>,
}

/// Reading a request's files, then encoding it: its params and the timeout its call gets.
pub(crate) type ReadingFiles =
    Pin<Box<dyn Future<Output = Result<(String, Duration), Error>> + Send>>;

/// A checked request, ready to send or still to read its files (see [`Client::prepare`]).
pub(crate) enum Prepared {
    /// Encoded: the params, and the timeout its call gets.
    Ready(String, Duration),
    /// Reading its local files; encoded when that ends (boxed, so that a call without files
    /// does not carry the file reader's state).
    ReadingFiles(ReadingFiles),
}

impl Prepared {
    /// The params and timeout, once any files are read.
    pub(crate) async fn finish(self) -> Result<(String, Duration), Error> {
        match self {
            Prepared::Ready(params, timeout) => Ok((params, timeout)),
            Prepared::ReadingFiles(reading) => reading.await,
        }
    }
}

enum State<A> {
    /// Not polled yet.
    Start {
        request: A,
        timeout: Option<Duration>,
    },
    /// Reading the request's local files before it is encoded.
    ReadingFiles(ReadingFiles),
    /// Sent, or waiting for a connection to send it on.
    Sent(Sending<'static>),
    /// Finished: the output was returned.
    Done,
}

// Nothing in a call is pinned in place: the request is moved out before it is sent, and what
// is polled (the file reader, the reply) is boxed or `Unpin` itself.
impl<A: Action> Unpin for CallFuture<A> {}

impl<A: Action> CallFuture<A> {
    pub(crate) fn new(client: Client, request: A, timeout: Option<Duration>) -> Self {
        CallFuture {
            client,
            state: State::Start { request, timeout },
        }
    }
}

impl<A: Action> Future for CallFuture<A> {
    type Output = Result<A::Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let send = |client: &Client, (params, timeout): (String, Duration)| {
            State::Sent(client.start(A::WIRE_NAME, params, timeout))
        };
        loop {
            // Each state is taken out and put back only if it must wait: an error or the
            // reply leaves `Done`.
            this.state = match std::mem::replace(&mut this.state, State::Done) {
                State::Start { request, timeout } => match this.client.prepare(request, timeout) {
                    Ok(Prepared::Ready(params, timeout)) => send(&this.client, (params, timeout)),
                    Ok(Prepared::ReadingFiles(reading)) => State::ReadingFiles(reading),
                    Err(e) => return Poll::Ready(Err(e)),
                },
                State::ReadingFiles(mut reading) => match reading.as_mut().poll(cx) {
                    Poll::Ready(Ok(prepared)) => send(&this.client, prepared),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        this.state = State::ReadingFiles(reading);
                        return Poll::Pending;
                    }
                },
                State::Sent(mut sending) => match Pin::new(&mut sending).poll(cx) {
                    // The reply came (or the call ended): nothing is left to cancel.
                    Poll::Ready(reply) => {
                        return Poll::Ready(reply.and_then(|reply| {
                            crate::client::log_reply(A::WIRE_NAME, &reply);
                            A::decode_reply(&reply)
                        }));
                    }
                    Poll::Pending => {
                        this.state = State::Sent(sending);
                        return Poll::Pending;
                    }
                },
                State::Done => panic!("a CallFuture polled after it completed"),
            };
        }
    }
}

impl<A: Action> fmt::Debug for CallFuture<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Start { .. } => "not sent",
            State::ReadingFiles(_) => "reading files",
            State::Sent(_) => "sent",
            State::Done => "done",
        };
        f.debug_struct("CallFuture")
            .field("action", &A::WIRE_NAME)
            .field("state", &state)
            .finish()
    }
}
