//! The layer a bot is written in, on top of the `api-core` client: a dispatcher whose
//! handlers are async functions taking what they need (the typed event, the client of the
//! account it came to, shared state, a parsed command), typed commands
//! (`#[derive(Commands)]`), filters, conversations and a test harness on the simulator.
//!
//! ```no_run
//! use api_bot::dispatcher::Bot;
//! use api_core::types::MessageEvent;
//! use api_core::{Client, Error};
//!
//! async fn echo(api: Client, m: MessageEvent) -> Result<(), Error> {
//!     api.reply(&m, m.message.clone()).await.map(drop)
//! }
//!
//! # async fn run() -> Result<(), Error> {
//! let api = Client::builder().ws_url("ws://127.0.0.1:3001/").connect().await?;
//! Bot::new().on(echo).run(api).await;
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod claim;
pub mod commands;
pub mod context;
pub mod conversation;
pub mod dispatcher;
pub mod error;
pub mod extract;
pub mod filter;
pub mod handler;
pub mod reply;
pub mod report;
mod sequence;
pub mod shutdown;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod waiters;

pub use dispatcher::Bot;

/// The crate README's Rust example, compiled so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
