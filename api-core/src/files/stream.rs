//! Stream actions: NapCat answers one call with several envelopes sharing its echo (marked
//! `stream: "stream-action"`), packets whose `data.type` is `"stream"` and then one final
//! envelope, the result or a failure. Over HTTP they arrive in one body, each followed by
//! `\r\n\r\n`; over WebSocket as separate frames.

use std::marker::PhantomData;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::action::Action;
use crate::error::Error;
#[cfg(feature = "http")]
use crate::transport::http::HttpPackets;
#[cfg(feature = "ws")]
use crate::transport::ws::stream::WsPackets;
use crate::wire::reply::{self, RawReply, is_packet};
use crate::wire::tag_scan::is_stream_tag;

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

/// A generated `*Call` builder of a stream action: awaiting it sends the request and gives
/// the [`ActionStream`](ActionStream) its packets and result are read from.
pub trait StreamCall:
    std::future::IntoFuture<Output = Result<ActionStream<<Self as StreamCall>::Request>, Error>>
{
    /// The request type this call sends.
    type Request: StreamAction;

    /// The request as it will be sent.
    fn request(&self) -> &Self::Request;
}

/// Where a stream's envelopes come from.
pub(crate) enum Packets {
    #[cfg(feature = "http")]
    Http(HttpPackets),
    #[cfg(feature = "ws")]
    Ws(WsPackets),
}

impl Packets {
    /// The next envelope; `None` when an HTTP body ended (before the final envelope, if the
    /// caller still expects one).
    async fn next(&mut self, action: &str) -> Result<Option<RawReply>, Error> {
        match self {
            #[cfg(feature = "http")]
            Packets::Http(p) => p.next(action).await,
            #[cfg(feature = "ws")]
            Packets::Ws(p) => p.next(action).await.map(Some),
            #[cfg(not(any(feature = "http", feature = "ws")))]
            _ => match *self {},
        }
    }

    /// The final envelope arrived.
    fn done(&mut self) {
        #[cfg(feature = "ws")]
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
/// method, or [`Client::call_stream`](crate::client::Client::call_stream)).
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

    /// The packets as a [`Stream`](futures_util::Stream), for stream combinators; it ends
    /// after the last packet, or with the error that broke it. The final result is not in it:
    /// use [`packet`](Self::packet) and [`finish`](Self::finish) to keep it.
    pub fn into_packets(self) -> impl futures_util::Stream<Item = Result<A::Packet, Error>> {
        futures_util::stream::unfold(Some(self), |stream| async move {
            let mut stream = stream?;
            match stream.packet().await {
                Ok(Some(packet)) => Some((Ok(packet), Some(stream))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
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
        // A packet in NapCat's own envelope decodes in one pass over its `data`.
        if reply.parsed.is_none()
            && let Some(data) = napcat_packet(&reply.body)
            && let Ok(packet) = A::decode_packet(data)
        {
            self.received += 1;
            return Ok(Some(packet));
        }
        let (parsed, decoded) = read_envelope::<A>(&reply)?;
        reply.parsed = Some(parsed);
        if let Some(decoded) = decoded {
            self.received += 1;
            return match decoded {
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

/// What decoding a packet gave: `None` for the final envelope, else the packet's decoding
/// (`None` inside when it had no `data`).
type Decoded<P> = Option<Option<Result<P, serde_json::Error>>>;

/// Reads an envelope (the connection hands a stream's envelopes over unread): what it says,
/// and its packet decoded from the text that reading checked, if it is a packet.
fn read_envelope<A: StreamAction>(
    reply: &RawReply,
) -> Result<(reply::Parsed, Decoded<A::Packet>), Error> {
    if let Some(parsed) = &reply.parsed {
        let decoded = is_packet(parsed, &reply.body)
            .then(|| parsed.data_text(&reply.body).map(A::decode_packet));
        return Ok((parsed.clone(), decoded));
    }
    let env = reply::parse_envelope(A::WIRE_NAME, reply)?;
    let data = env.data.map(|d| d.get()).filter(|d| *d != "null");
    let packet =
        env.outcome() == reply::Outcome::Ok && data.is_some_and(|d| is_stream_tag(d.as_bytes()));
    let decoded = packet.then(|| data.map(A::decode_packet));
    Ok((reply::Parsed::new(env, &reply.body), decoded))
}

/// NapCat writes a successful packet's envelope the same way every time:
const PACKET_HEAD: &[u8] = br#"{"status":"ok","retcode":0,"data":"#;
/// … and after `data` (then the echo and the stream marker):
const PACKET_TAIL: &[u8] = br#","message":"","wording":"","echo":"#;

/// The `data` of a frame in NapCat's exact envelope of a successful packet, found without
/// parsing: the head, then `data`, then the tail, the echo and `,"stream":"stream-action"}`.
/// Whether `data` is one whole JSON value is for its decoding to tell; a frame in any other
/// shape is `None` and read in full.
fn napcat_packet(body: &[u8]) -> Option<&str> {
    let inner = body
        .strip_prefix(PACKET_HEAD)?
        .strip_suffix(br#","stream":"stream-action"}"#)?;
    let colon = inner.iter().rposition(|b| *b == b':')?;
    let echo = &inner[colon + 1..];
    let number = !echo.is_empty() && echo.iter().all(u8::is_ascii_digit);
    // HTTP's echo is NapCat's random base-36 text.
    let text = echo.len() >= 2
        && echo.starts_with(b"\"")
        && echo.ends_with(b"\"")
        && echo[1..echo.len() - 1]
            .iter()
            .all(u8::is_ascii_alphanumeric);
    if !(number || text) {
        return None;
    }
    let data = std::str::from_utf8(inner[..colon + 1].strip_suffix(PACKET_TAIL)?).ok()?;
    is_stream_tag(data.as_bytes()).then_some(data)
}

#[cfg(test)]
mod tests {
    use super::napcat_packet;

    #[test]
    fn napcats_packet_envelope_is_read_without_parsing() {
        let data = r#"{"type":"stream","data_type":"file_chunk","index":0}"#;
        for echo in ["7", "\"k3j2h1\""] {
            let frame = format!(
                r#"{{"status":"ok","retcode":0,"data":{data},"message":"","wording":"","echo":{echo},"stream":"stream-action"}}"#
            );
            assert_eq!(napcat_packet(frame.as_bytes()), Some(data));
        }
        // Not NapCat's shape, not a packet, or a failure: read in full.
        for frame in [
            r#"{"retcode":0,"status":"ok","data":{"type":"stream"},"message":"","wording":"","echo":1,"stream":"stream-action"}"#,
            r#"{"status":"ok","retcode":0,"data":{"type":"response"},"message":"","wording":"","echo":1,"stream":"stream-action"}"#,
            r#"{"status":"failed","retcode":1200,"data":{"type":"error"},"message":"x","wording":"x","echo":1,"stream":"stream-action"}"#,
            r#"{"status":"ok","retcode":0,"data":{"type":"stream"},"message":"","wording":"","echo":"a\"b","stream":"stream-action"}"#,
        ] {
            assert_eq!(napcat_packet(frame.as_bytes()), None, "{frame}");
        }
        // What sits between head and tail is `data` only if it is one JSON value: here it is
        // not, so decoding it fails and the frame is read in full.
        let sly = r#"{"status":"ok","retcode":0,"data":{"type":"stream"},"message":"hi","x":{"a":1},"message":"","wording":"","echo":1,"stream":"stream-action"}"#;
        let data = napcat_packet(sly.as_bytes()).unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(data).is_err(),
            "{data}"
        );
    }
}
