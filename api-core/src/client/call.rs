//! Typed calls: the [`Client`] methods that start one (`call`, `call_stream`), how a request
//! is checked, its files read and it is encoded, and [`CallFuture`], what awaiting a generated
//! `*Call` gives.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::action::Action;
use crate::client::{ApiFuture, Client, log_reply};
use crate::error::Error;
use crate::files::stream::{ActionStream, StreamAction};
use crate::files::upload::UploadSource;
use crate::files::uploadable::{UploadStrategy, Uploadable};
use crate::pacing::{Pacer, Turn};
#[cfg(not(feature = "ws"))]
use crate::transport::Sending;
#[cfg(feature = "ws")]
use crate::transport::ws::core::Sending;
use crate::wire::reply;

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

/// Reading a request's files, then encoding it: its params, the timeout its call gets and,
/// for a paced send, its turn in its chat (held until the reply).
pub(crate) type ReadingFiles =
    Pin<Box<dyn Future<Output = Result<(String, Duration, Option<Turn>), Error>> + Send>>;

/// A checked request, ready to send or still to read its files (see [`Client::prepare`]).
pub(crate) enum Prepared {
    /// Encoded: the params, and the timeout its call gets.
    Ready(String, Duration),
    /// Reading its local files; encoded when that ends (boxed, so that a call without files
    /// does not carry the file reader's state).
    ReadingFiles(ReadingFiles),
}

impl Prepared {
    /// The params and timeout, once any files are read, and the send's turn if it is paced.
    pub(crate) async fn finish(self) -> Result<(String, Duration, Option<Turn>), Error> {
        match self {
            Prepared::Ready(params, timeout) => Ok((params, timeout, None)),
            Prepared::ReadingFiles(reading) => reading.await,
        }
    }
}

/// Typed calls: what the generated methods and call builders start.
impl Client {
    /// Sends a request and decodes its typed result.
    pub fn call<A: Action>(&self, request: A) -> CallFuture<A> {
        self.call_with_timeout(request, None)
    }

    /// Sends a request with a timeout for this call only (`None`: the action's spec timeout,
    /// else the client default).
    pub fn call_with_timeout<A: Action>(
        &self,
        request: A,
        timeout: Option<Duration>,
    ) -> CallFuture<A> {
        self.clone().into_call(request, timeout)
    }

    /// Like [`call_with_timeout`](Self::call_with_timeout), consuming this handle (what the
    /// generated call builders use, saving a clone per call).
    pub fn into_call<A: Action>(self, request: A, timeout: Option<Duration>) -> CallFuture<A> {
        CallFuture::new(self, request, timeout)
    }

    /// Sends a stream action's request; its packets and result are read from the returned
    /// stream. `timeout` (else the action's spec timeout, else the client default) bounds
    /// the wait for the first packet and between packets, not the whole stream.
    pub fn call_stream<A: StreamAction>(
        &self,
        request: A,
        timeout: Option<Duration>,
    ) -> ApiFuture<ActionStream<A>> {
        self.clone().into_stream(request, timeout)
    }

    /// Like [`call_stream`](Self::call_stream), consuming this handle (what the generated
    /// call builders use).
    pub fn into_stream<A: StreamAction>(
        self,
        request: A,
        timeout: Option<Duration>,
    ) -> ApiFuture<ActionStream<A>> {
        let client = self;
        Box::pin(async move {
            let (params, timeout, _turn) = client.prepare(request, timeout)?.finish().await?;
            let action = A::WIRE_NAME;
            if client.is_closed() {
                return Err(Error::Closed {
                    action: action.to_owned(),
                });
            }
            tracing::debug!(action, params = %reply::log_text(params.as_bytes()), "sending a stream call");
            let packets = tokio::time::timeout(
                timeout,
                client.inner.transport.send_stream(action, params, timeout),
            )
            .await
            .map_err(|_| client.inner.transport.timed_out(action, timeout))??;
            Ok(ActionStream::new(packets, timeout))
        })
    }

    /// Makes a file parameter sendable: local data over the [`UploadStrategy`]'s threshold
    /// goes first by [`upload`](Self::upload) and the parameter names the uploaded path;
    /// anything else is read into the call.
    async fn resolve_file(
        &self,
        file: &mut Uploadable,
        action: &str,
        param: &str,
    ) -> Result<(), Error> {
        let UploadStrategy::StreamAbove(limit) = self.inner.upload_strategy else {
            return file.resolve(action, param).await;
        };
        let source = match file {
            Uploadable::Path(path) => match tokio::fs::metadata(&*path).await {
                Ok(meta) if meta.len() > limit => Some(UploadSource::Path(path.clone())),
                _ => None,
            },
            Uploadable::Bytes(bytes) if bytes.len() as u64 > limit => {
                Some(UploadSource::Bytes(std::mem::take(bytes).into()))
            }
            _ => None,
        };
        match source {
            Some(source) => {
                tracing::debug!(action, param, "sending a large file by stream upload first");
                let uploaded = self.upload(source).await?;
                *file = Uploadable::Server(uploaded.path);
                Ok(())
            }
            None => file.resolve(action, param).await,
        }
    }

    /// Checks a request and encodes it, with the timeout its call gets; a request with local
    /// files is encoded once they are read. Every typed call starts here.
    pub(crate) fn prepare<A: Action>(
        &self,
        mut request: A,
        timeout: Option<Duration>,
    ) -> Result<Prepared, Error> {
        request.validate()?;
        // What only some actions need (a send's turn, files to read) is behind the action's
        // constants, so that the others compile none of it.
        let pacer = if A::PACED {
            self.inner.pacing.get().cloned()
        } else {
            None
        };
        if !A::HAS_UPLOADS {
            let (params, timeout) = self.encode(&request, timeout)?;
            return Ok(match pacer {
                None => Prepared::Ready(params, timeout),
                Some(pacer) => Prepared::ReadingFiles(Box::pin(take_turn(
                    pacer,
                    A::WIRE_NAME,
                    params,
                    timeout,
                ))),
            });
        }
        let client = self.clone();
        Ok(Prepared::ReadingFiles(Box::pin(async move {
            client.read_files(&mut request).await?;
            let (params, timeout) = client.encode(&request, timeout)?;
            match pacer {
                // A paced send waits for its turn once encoded; the wait is not part of its
                // timeout.
                Some(pacer) => take_turn(pacer, A::WIRE_NAME, params, timeout).await,
                None => Ok((params, timeout, None)),
            }
        })))
    }

    /// Makes every file of a request sendable (see [`resolve_file`](Self::resolve_file)).
    async fn read_files<A: Action>(&self, request: &mut A) -> Result<(), Error> {
        for (param, file) in request.uploads() {
            self.resolve_file(file, A::WIRE_NAME, &param).await?;
        }
        Ok(())
    }

    /// A request's wire `params`, with the timeout its call gets: `timeout`, else the
    /// action's spec timeout, else the client default.
    fn encode<A: Action>(
        &self,
        request: &A,
        timeout: Option<Duration>,
    ) -> Result<(String, Duration), Error> {
        let params = serde_json::to_string(request)
            .map_err(|e| Error::invalid_argument(A::WIRE_NAME, "(request)", e.to_string()))?;
        let timeout = timeout.or(A::TIMEOUT).unwrap_or(self.inner.default_timeout);
        Ok((params, timeout))
    }
}

/// Waits for a send's turn under `pacer`: the encoded call with its turn.
async fn take_turn(
    pacer: Arc<Pacer>,
    action: &'static str,
    params: String,
    timeout: Duration,
) -> Result<(String, Duration, Option<Turn>), Error> {
    let turn = pacer.wait(action, &params).await;
    Ok((params, timeout, Some(turn)))
}

enum State<A> {
    /// Not polled yet.
    Start {
        request: A,
        timeout: Option<Duration>,
    },
    /// Reading the request's local files before it is encoded.
    ReadingFiles(ReadingFiles),
    /// Sent, or waiting for a connection to send it on; a paced send holds its turn in its
    /// chat until the reply.
    Sent(Sending<'static>, Option<Turn>),
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
        let send = |client: &Client, (params, timeout, turn): (String, Duration, Option<Turn>)| {
            State::Sent(client.start(A::WIRE_NAME, params, timeout), turn)
        };
        loop {
            // Each state is taken out and put back only if it must wait: an error or the
            // reply leaves `Done`.
            this.state = match std::mem::replace(&mut this.state, State::Done) {
                State::Start { request, timeout } => match this.client.prepare(request, timeout) {
                    Ok(Prepared::Ready(params, timeout)) => {
                        send(&this.client, (params, timeout, None))
                    }
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
                State::Sent(mut sending, turn) => match Pin::new(&mut sending).poll(cx) {
                    // The reply came (or the call ended): nothing is left to cancel.
                    Poll::Ready(reply) => {
                        return Poll::Ready(reply.and_then(|reply| {
                            log_reply(A::WIRE_NAME, &reply);
                            A::decode_reply(&reply)
                        }));
                    }
                    Poll::Pending => {
                        this.state = State::Sent(sending, turn);
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
            State::Sent(..) => "sent",
            State::Done => "done",
        };
        f.debug_struct("CallFuture")
            .field("action", &A::WIRE_NAME)
            .field("state", &state)
            .finish()
    }
}
