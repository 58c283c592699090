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
//! Features: `tls` (`https://` and `wss://`, with the system's root certificates) and
//! `http-post` (the server that receives events NapCat POSTs); both off by default.

// On the published API docs, items behind a feature are labelled with it.
#![cfg_attr(docsrs, feature(doc_cfg))]

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
pub use client::builder::{
    ClientBuilder, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_REPLY_BYTES, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_TIMEOUT,
};
pub use client::call::CallFuture;
pub use client::{ApiFuture, Client};
pub use error::{Body, Error};
pub use events::{EVENT_BUFFER, EVENT_BUFFER_BYTES, Events, EventsError};
pub use files::download::{DEFAULT_MAX_DOWNLOAD_BYTES, FileDownload, Progress, Saved};
pub use files::stream::{ActionStream, StreamAction, StreamCall};
pub use files::upload::{
    DEFAULT_UPLOAD_CHUNK, DEFAULT_UPLOAD_IN_FLIGHT, FileUpload, UploadSource, Uploaded,
};
pub use files::uploadable::{DEFAULT_STREAM_UPLOAD_ABOVE, UploadStrategy, Uploadable};
pub use message::at::AtTarget;
pub use message::{Message, cq};
pub use pacing::{DEFAULT_MAX_QUEUED, PACED_ACTIONS, Pacing, Rate};
pub use runtime::HasPayload;
pub use secret::AccessToken;
#[cfg(feature = "http-post")]
pub use transport::http_post::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_POST_CONNECTIONS,
    HttpPostOptions, HttpPostServer, QuickHandler,
};
pub use transport::reverse::{
    Connected, DEFAULT_ACCOUNT_LINGER, DEFAULT_MAX_ACCOUNTS, DEFAULT_REVERSE_CONNECTIONS,
    ReverseOptions, ReverseServer,
};
pub use transport::ws::core::KeepAlive;
pub use wire::base64::Base64;
pub use wire::header::Header;
pub use wire::ids::{AnyMessageId, ForwardId, GroupId, LongMessageId, MessageId, UserId};
pub use wire::reply::RawReply;

/// The README's Rust examples, compiled so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
