//! Stream actions: NapCat answers one call with several envelopes sharing its echo (marked
//! `stream: "stream-action"`), packets whose `data.type` is `"stream"` and then one final
//! envelope, the result or a failure. Over HTTP they arrive in one body, each followed by
//! `\r\n\r\n`; over WebSocket as separate frames.

use std::marker::PhantomData;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::action::Action;
use crate::http::HttpPackets;
use crate::reply::{self, RawReply};
use crate::ws::{WsPackets, is_packet};

/// An action NapCat answers with packets before its result (`download_file_stream`, ...).
///
/// Implemented by the generated `*Request` structs of the spec's stream actions; its
/// [`Action::Output`] is the final result.
pub trait StreamAction: Action {
    /// What each packet before the result carries.
    type Packet: DeserializeOwned + Serialize + Send + 'static;

    /// Decodes one packet's `data`; generated code uses the packet type's fastest decoder
    /// (a tagged union's reads the tag from the text, not through a `Value`).
    fn decode_packet(data: &str) -> Result<Self::Packet, serde_json::Error> {
        serde_json::from_str(data)
    }
}

/// Where a stream's envelopes come from.
pub(crate) enum Packets {
    Http(HttpPackets),
    Ws(WsPackets),
}

impl Packets {
    /// The next envelope; `None` when an HTTP body ended (before the final envelope, if the
    /// caller still expects one).
    async fn next(&mut self, action: &str) -> Result<Option<RawReply>, Error> {
        match self {
            Packets::Http(p) => p.next(action).await,
            Packets::Ws(p) => p.next(action).await.map(Some),
        }
    }

    /// The final envelope arrived.
    fn done(&mut self) {
        if let Packets::Ws(p) = self {
            p.done();
        }
    }
}

/// Where a stream stands.
enum State<T> {
    /// Packets may come.
    Open,
    /// The final envelope arrived: the result, until [`ActionStream::finish`] takes it.
    Done(Option<T>),
    /// It failed; the error was returned, this is its text.
    Failed(String),
}

/// The packets and then the result of one stream action's call (from awaiting the generated
/// method, or [`Client::call_stream`](crate::Client::call_stream)).
///
/// Read packets with [`packet`](Self::packet) until it returns `Ok(None)`, then take the
/// result with [`finish`](Self::finish) (which also skips any packets left unread). Each
/// packet must arrive within the call's timeout of the one before; a stream that breaks
/// mid-way (the connection closes, the body ends early, the server reports a failure) is an
/// `Err`, never a quiet end.
///
/// Over WebSocket the connection holds a few unread packets for the stream; when they are not
/// read within the call's timeout either, it stops holding them
/// ([`Error::StreamStalled`]), since the same connection carries every other call and event.
/// Dropping the stream skips the rest of its packets.
pub struct ActionStream<A: StreamAction> {
    packets: Packets,
    per_packet: Duration,
    received: u64,
    state: State<A::Output>,
    _action: PhantomData<fn() -> A>,
}

impl<A: StreamAction> std::fmt::Debug for ActionStream<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionStream")
            .field("action", &A::WIRE_NAME)
            .field("received", &self.received)
            .field("per_packet", &self.per_packet)
            .finish()
    }
}

impl<A: StreamAction> ActionStream<A> {
    pub(crate) fn new(packets: Packets, per_packet: Duration) -> Self {
        ActionStream {
            packets,
            per_packet,
            received: 0,
            state: State::Open,
            _action: PhantomData,
        }
    }

    /// How many packets arrived so far.
    pub fn packets_received(&self) -> u64 {
        self.received
    }

    /// The next packet; `Ok(None)` once the final result arrived.
    pub async fn packet(&mut self) -> Result<Option<A::Packet>, Error> {
        match &self.state {
            State::Open => {}
            State::Done(_) => return Ok(None),
            State::Failed(text) => return Err(self.failed_before(text)),
        }
        match self.read().await {
            Ok(packet) => Ok(packet),
            Err(e) => {
                self.state = State::Failed(e.to_string());
                Err(e)
            }
        }
    }

    /// The final result, once [`packet`](Self::packet) returned `Ok(None)`; taken, so a
    /// second call gives `None`.
    pub fn take_result(&mut self) -> Option<A::Output> {
        match &mut self.state {
            State::Done(result) => result.take(),
            _ => None,
        }
    }

    /// Skips the packets not read yet and returns the final result.
    pub async fn finish(mut self) -> Result<A::Output, Error> {
        while self.packet().await?.is_some() {}
        match std::mem::replace(&mut self.state, State::Done(None)) {
            State::Done(Some(result)) => Ok(result),
            State::Failed(text) => Err(self.failed_before(&text)),
            State::Done(None) | State::Open => Err(Error::Transport {
                action: A::WIRE_NAME.to_owned(),
                source: "the result was already taken".into(),
            }),
        }
    }

    async fn read(&mut self) -> Result<Option<A::Packet>, Error> {
        let action = A::WIRE_NAME;
        let next = tokio::time::timeout(self.per_packet, self.packets.next(action))
            .await
            .map_err(|_| Error::Timeout {
                action: action.to_owned(),
                after: self.per_packet,
            })??;
        let Some(mut reply) = next else {
            return Err(Error::Disconnected {
                action: action.to_owned(),
                reason: format!(
                    "the reply ended after {} packets, before the final result",
                    self.received
                ),
            });
        };
        // The envelope is read here (the connection hands packets over unread), and a packet
        // decoded from the text that reading checked.
        let (parsed, fast) = match &reply.parsed {
            Some(parsed) => {
                let packet = is_packet(parsed, &reply.body);
                let fast = packet.then(|| parsed.data_text(&reply.body).map(A::decode_packet));
                (parsed.clone(), fast)
            }
            None => {
                let env = reply::parse_envelope(action, &reply)?;
                let data = env.data.map(|d| d.get()).filter(|d| *d != "null");
                let packet = env.outcome() == reply::Outcome::Ok
                    && data.is_some_and(|d| {
                        matches!(crate::tag_scan::find_tag(d.as_bytes(), "type"), crate::tag_scan::TagScan::Found(t) if t == "stream")
                    });
                let fast = packet.then(|| data.map(A::decode_packet));
                (reply::Parsed::new(env, &reply.body), fast)
            }
        };
        reply.parsed = Some(parsed);
        if let Some(fast) = fast {
            self.received += 1;
            return match fast {
                Some(Ok(packet)) => Ok(Some(packet)),
                // Decoded again for the error's path and message.
                _ => reply::decode_data(action, &reply).map(Some),
            };
        }
        self.packets.done();
        let result = A::decode_reply(&reply)?;
        self.state = State::Done(Some(result));
        Ok(None)
    }

    fn failed_before(&self, text: &str) -> Error {
        Error::Transport {
            action: A::WIRE_NAME.to_owned(),
            source: format!("the stream already failed: {text}").into(),
        }
    }
}
