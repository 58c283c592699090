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
type ReadingFiles = Pin<Box<dyn Future<Output = Result<(String, Duration), Error>> + Send>>;

enum State<A> {
    /// Not polled yet.
    Start {
        request: A,
        timeout: Option<Duration>,
    },
    /// Reading the request's local files before it is encoded (boxed, so that a call
    /// without files does not carry the file reader's state).
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

    /// Checks the request, then encodes and sends it, or starts reading its files first.
    fn start(&self, mut request: A, timeout: Option<Duration>) -> Result<State<A>, Error> {
        request.validate()?;
        if request.uploads().is_empty() {
            let (params, timeout) = self.client.encode(&request, timeout)?;
            return Ok(State::Sent(self.client.start(
                A::WIRE_NAME,
                params,
                timeout,
            )));
        }
        let client = self.client.clone();
        Ok(State::ReadingFiles(Box::pin(async move {
            client.read_files(&mut request).await?;
            client.encode(&request, timeout)
        })))
    }
}

impl<A: Action> Future for CallFuture<A> {
    type Output = Result<A::Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            let next = match &mut this.state {
                State::Sent(sending) => {
                    let reply = std::task::ready!(Pin::new(sending).poll(cx));
                    // The reply came (or the call ended): nothing is left to cancel.
                    this.state = State::Done;
                    return Poll::Ready(reply.and_then(|reply| {
                        crate::client::log_reply(A::WIRE_NAME, &reply);
                        A::decode_reply(&reply)
                    }));
                }
                State::ReadingFiles(reading) => {
                    let prepared = std::task::ready!(reading.as_mut().poll(cx));
                    prepared.map(|(params, timeout)| {
                        State::Sent(this.client.start(A::WIRE_NAME, params, timeout))
                    })
                }
                State::Start { .. } => match std::mem::replace(&mut this.state, State::Done) {
                    State::Start { request, timeout } => this.start(request, timeout),
                    _ => unreachable!("matched as Start above"),
                },
                State::Done => panic!("a CallFuture polled after it completed"),
            };
            match next {
                Ok(state) => this.state = state,
                Err(e) => {
                    this.state = State::Done;
                    return Poll::Ready(Err(e));
                }
            }
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
