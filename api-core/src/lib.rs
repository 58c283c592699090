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

extern crate self as api_core;

mod action;
mod base64_bytes;
mod bot;
mod call;
mod client;
pub mod cq;
mod de;
mod deadline;
mod download;
mod dynamic;
mod error;
mod events;
mod files;
mod forward;
mod http;
#[cfg(feature = "http-post")]
mod http_post;
mod ids;
mod message;
pub mod reply;
mod reverse;
mod seconds;
mod secret;
mod sse;
mod stream;
mod tag_scan;
mod upload;
mod uploadable;
mod ws;

pub use base64_bytes::Base64;
pub use ws::KeepAlive;

pub use action::{Action, ActionCall, ActionInfo, ParamInfo, StreamCall};
pub use call::CallFuture;
pub use client::{
    ApiFuture, Client, ClientBuilder, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_REPLY_BYTES,
    DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_STREAM_UPLOAD_ABOVE, DEFAULT_TIMEOUT, EVENT_BUFFER,
    UploadStrategy,
};
pub use download::{FileDownload, Progress, Saved};
pub use dynamic::{DynAction, Erased, ErasedStream};
pub use error::{Body, Error};
pub use events::{Events, EventsError};
#[cfg(feature = "http-post")]
pub use http_post::{HttpPostOptions, HttpPostServer, QuickHandler};
pub use ids::{GroupId, UserId};
pub use message::Message;
pub use reverse::{Connected, ReverseOptions, ReverseServer};
pub use secret::AccessToken;
pub use stream::{ActionStream, StreamAction};
pub use upload::{
    DEFAULT_UPLOAD_CHUNK, DEFAULT_UPLOAD_IN_FLIGHT, FileUpload, UploadSource, Uploaded,
};
pub use uploadable::Uploadable;

/// The API generated from the spec files.
mod generated {
    api_macros::generate_api! {
        builtin = true,
    }
}

pub use generated::{ACTIONS, action_by_name, examples, requests, types};

/// The README's Rust examples, compiled so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Support for generated code; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::de::{
        EnumFallback, Key, TagSeed, TagValue, UnionKey, UnionKeySeed, deserialize_enum,
    };
    pub use crate::files::{Blank, CollectFiles, serialize_with_tag};
    pub use crate::seconds::WholeSeconds;
    pub use crate::tag_scan::{JsonText, TagScan, find_tag};
    pub use api_lenient::{Lenient, LenientSeed, lenient};
    /// Durations sent as whole seconds.
    pub mod seconds {
        pub use crate::seconds::{serialize, serialize_option};
    }
    pub use serde;
    pub use serde_json;
}
