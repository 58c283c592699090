//! A typed async client for QQ bots on NapCat (OneBot 11 plus NapCat's extensions).
//!
//! Every action is generated from the declarative spec in `api-spec/spec/`: a method on
//! [`Client`], a `*Request` struct (the exact wire params), a `*Call` builder for optional
//! parameters and timeouts that can be awaited directly, and typed results.
//!
//! ```no_run
//! use api_core::{Client, Sex};
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
mod client;
mod de;
mod dynamic;
mod error;
mod events;
mod forward;
mod http;
pub mod reply;
mod reverse;
mod uploadable;
mod ws;

pub use action::{Action, ActionCall, ActionInfo, ParamInfo};
pub use client::{
    ApiFuture, Client, ClientBuilder, DEFAULT_MAX_REPLY_BYTES, DEFAULT_TIMEOUT, EVENT_BUFFER,
};
pub use dynamic::{DynAction, Erased};
pub use error::{Body, Error};
pub use events::{Events, EventsError};
pub use reverse::{Connected, ReverseOptions, ReverseServer};
pub use uploadable::Uploadable;

/// The API generated from the spec files.
mod generated {
    api_macros::generate_api! {
        specs = ["../../api-spec/spec/account.toml"],
    }
}

pub use generated::*;

/// The README's Rust examples, compiled so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Support for generated code; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::de::{Key, Lenient, LenientSeed, deserialize_enum};
    pub use serde;
    pub use serde_json;
}
