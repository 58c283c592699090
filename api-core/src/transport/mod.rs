//! How calls and events travel: HTTP, the WebSocket core that forward and reverse
//! connections share, NapCat's SSE stream, and the HTTP-post server that receives events.
//! Each is behind the crate feature of its name (`http`, `ws`, `reverse`, `sse`,
//! `http-post`). A [`relay`] is a transport written outside this crate.

use std::time::Duration;

#[cfg(feature = "ws")]
pub(crate) mod forward;
#[cfg(feature = "http")]
pub(crate) mod http;
#[cfg(feature = "http-post")]
pub(crate) mod http_post;
#[cfg(any(feature = "reverse", feature = "http-post"))]
pub(crate) mod listen;
pub(crate) mod relay;
#[cfg(feature = "reverse")]
pub(crate) mod reverse;
#[cfg(feature = "sse")]
pub(crate) mod sse;
#[cfg(feature = "ws")]
pub(crate) mod upgrade;
#[cfg(feature = "ws")]
pub(crate) mod ws;

/// Reconnect delays: doubling from `initial` up to `max`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

/// A call on its way, with no WebSocket compiled in: its reply, once it comes. (With one,
/// `ws::core::Sending`, which holds an HTTP call's or a relay's boxed reply too.)
#[cfg(not(feature = "ws"))]
pub(crate) type Sending<'a> = BoxedReply<'a>;

/// An HTTP call's reply to come, or a relay's, boxed: reqwest's request future is several
/// times the WebSocket one, and a call future is as large as its largest branch.
pub(crate) type BoxedReply<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<crate::wire::reply::RawReply, crate::error::Error>>
            + Send
            + 'a,
    >,
>;
