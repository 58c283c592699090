//! Stateful handlers, one module per domain. An action without one here is answered with its
//! spec reply example (see `dispatch`); a test checks that every action has one or the other.

mod friends;
mod groups;
mod messages;
mod profile;
mod requests;
mod sending;

use crate::params::Params;
use crate::state::{Outcome, State};

/// A stateful handler: reads and changes the account, returns `data` (or `None` for absent).
pub type Handler = fn(&mut State, &Params) -> Outcome;

const DOMAINS: &[&[(&str, Handler)]] = &[
    profile::HANDLERS,
    friends::HANDLERS,
    messages::HANDLERS,
    groups::HANDLERS,
    requests::HANDLERS,
    sending::HANDLERS,
];

/// The handler for a wire action name (not an alias), if there is one.
pub fn find(wire: &str) -> Option<Handler> {
    DOMAINS
        .iter()
        .flat_map(|d| d.iter())
        .find(|(name, _)| *name == wire)
        .map(|(_, h)| *h)
}

/// Every wire action name with a stateful handler.
pub fn names() -> impl Iterator<Item = &'static str> {
    DOMAINS.iter().flat_map(|d| d.iter()).map(|(name, _)| *name)
}
