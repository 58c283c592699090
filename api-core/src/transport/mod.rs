//! How calls and events travel: HTTP, the WebSocket core that forward and reverse
//! connections share, NapCat's SSE stream, and the HTTP-post server that receives events.

pub(crate) mod forward;
pub(crate) mod http;
#[cfg(feature = "http-post")]
pub(crate) mod http_post;
pub(crate) mod listen;
pub(crate) mod reverse;
pub(crate) mod sse;
pub(crate) mod upgrade;
pub(crate) mod ws;
