//! Stateful handlers, one module per domain. An action without one here is answered with its
//! spec reply example (see `dispatch`); a test checks that every action has one or the other.

mod files;
mod friends;
mod groups;
pub(crate) mod handler;
mod messages;
mod profile;
mod quick;
mod requests;
mod sending;
mod streams;

use crate::handlers::handler::{Handler, StreamHandler};

const DOMAINS: &[&[(&str, Handler)]] = &[
    profile::HANDLERS,
    friends::HANDLERS,
    messages::HANDLERS,
    groups::HANDLERS,
    requests::HANDLERS,
    sending::HANDLERS,
    streams::ONE_REPLY,
    files::HANDLERS,
    quick::HANDLERS,
];

/// The handler for a wire action name (not an alias), if there is one.
pub fn find(wire: &str) -> Option<Handler> {
    DOMAINS
        .iter()
        .flat_map(|d| d.iter())
        .find(|(name, _)| *name == wire)
        .map(|(_, h)| *h)
}

/// The stream handler for a wire action name (not an alias), if there is one.
pub fn find_stream(wire: &str) -> Option<StreamHandler> {
    streams::HANDLERS
        .iter()
        .find(|(name, _)| *name == wire)
        .map(|(_, h)| *h)
}

/// Every wire action name with a stateful handler.
pub fn names() -> impl Iterator<Item = &'static str> {
    DOMAINS
        .iter()
        .flat_map(|d| d.iter())
        .map(|(name, _)| *name)
        .chain(streams::HANDLERS.iter().map(|(name, _)| *name))
}
