//! A typed async client for QQ bots on NapCat (OneBot 11 plus NapCat's extensions).
//!
//! Every action is generated from the declarative spec in `api-spec/spec/`: a method on
//! [`Client`], a `*Request` struct (the exact wire params) and a `*Call` builder for optional
//! parameters and timeouts that can be awaited directly (both in [`requests`]), and typed
//! results ([`types`]).
//!
//! ```no_run
//! use api_core::Client;
//! use api_core::types::Sex;
//!
//! # async fn run() -> Result<(), api_core::Error> {
//! let api = Client::builder().base_url("http://127.0.0.1:3000").build()?;
//! api.set_qq_profile("阿猫", "保持学习", Sex::Male).await?;
//! for friend in api.get_friend_list().await? {
//!     println!("{} {}", friend.user_id, friend.nickname);
//! }
//! # Ok(()) }
//! ```
//!
//! Features, each a transport or what it needs:
//!
//! - `http` (default): calls over NapCat's HTTP server ([`ClientBuilder::base_url`]).
//! - `sse` (default, needs `http`): events over its SSE stream ([`ClientBuilder::sse_events`]).
//! - `ws` (default): calls and events over NapCat's forward WebSocket
//!   ([`ClientBuilder::ws_url`]).
//! - `reverse` (default, needs `ws`): [`ReverseServer`], where NapCat dials in (many accounts).
//! - `tls`: `https://` and `wss://`, with the system's root certificates.
//! - `http-post`: `HttpPostServer`, which receives the events NapCat POSTs.
//!
//! A build with `default-features = false` takes only the transports it names; one with
//! neither `http` nor `ws` has types and messages but no client to send them with
//! ([`ClientBuilder::build`] says so).

// On the published API docs, items behind a feature are labelled with it.
#![cfg_attr(docsrs, feature(doc_cfg))]
// With a default transport left out, the parts only it uses (the event buffer's intake, the
// tag scans of incoming frames, …) are compiled but not called: unused there, not dead. The
// full build (every default feature) is the one the lint checks.
#![cfg_attr(
    not(all(feature = "http", feature = "ws", feature = "reverse", feature = "sse")),
    allow(dead_code, unused_imports, unused_variables, irrefutable_let_patterns)
)]

extern crate self as api_core;

mod action;
mod bot;
mod client;
mod error;
mod events;
mod files;
mod message;
mod pacing;
#[doc(hidden)]
pub mod runtime;
mod secret;
mod transport;
mod wire;

// The generated API: `types`, `requests`, the methods on `Client`, `ACTIONS` and
// `action_by_name` are defined here, at the crate root. It names this crate only through
// `runtime`.
api_macros::generate_api! {
    builtin = true,
}

pub use action::dynamic::{DynAction, Erased, ErasedStream};
pub use action::info::{ActionInfo, ParamInfo};
pub use action::{Action, ActionCall};
#[cfg(feature = "ws")]
pub use client::builder::DEFAULT_HANDSHAKE_TIMEOUT;
#[cfg(feature = "http")]
pub use client::builder::DEFAULT_POOL_IDLE_TIMEOUT;
pub use client::builder::{ClientBuilder, DEFAULT_MAX_REPLY_BYTES, DEFAULT_TIMEOUT};
pub use client::call::CallFuture;
pub use client::connection::Connection;
pub use client::{ApiFuture, Client};
pub use error::{Body, Error};
pub use events::delivery::{Delivery, Handled};
pub use events::{Deliveries, EVENT_BUFFER, EVENT_BUFFER_BYTES, Events, EventsError};
pub use files::download::{DEFAULT_MAX_DOWNLOAD_BYTES, FileDownload, Progress, Saved};
pub use files::stream::{ActionStream, StreamAction, StreamCall};
pub use files::upload::{
    DEFAULT_UPLOAD_CHUNK, DEFAULT_UPLOAD_IN_FLIGHT, FileUpload, UploadSource, Uploaded,
};
pub use files::uploadable::{DEFAULT_STREAM_UPLOAD_ABOVE, UploadStrategy, Uploadable};
pub use message::at::AtTarget;
pub use message::{Message, cq};
pub use pacing::{DEFAULT_MAX_QUEUED, Pacing, Rate, paced_actions};
pub use runtime::HasPayload;
pub use secret::AccessToken;
#[cfg(feature = "http-post")]
pub use transport::http_post::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_POST_CONNECTIONS,
    HttpPostOptions, HttpPostServer, QuickHandler,
};
pub use transport::relay::Relay;
#[cfg(feature = "reverse")]
pub use transport::reverse::{
    Connected, DEFAULT_ACCOUNT_LINGER, DEFAULT_MAX_ACCOUNTS, DEFAULT_REVERSE_CONNECTIONS,
    ReverseOptions, ReverseServer,
};
#[cfg(feature = "ws")]
pub use transport::ws::core::KeepAlive;
#[cfg(feature = "ws")]
pub use transport::ws::reply_wait::{DEFAULT_REPLY_POLL, MAX_REPLY_POLL};
pub use wire::base64::Base64;
pub use wire::header::Header;
pub use wire::ids::{AnyMessageId, ForwardId, GroupId, LongMessageId, MessageId, UserId};
pub use wire::reply::RawReply;

/// The README's Rust examples, compiled so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
