//! What a handler is: the one shape every domain's handlers share, kept apart so that the
//! table in `handlers` and the domains below it both use it without using each other.

use crate::params::Params;
use crate::state::{Failure, Outcome, Packets, State};

/// A stateful handler: reads and changes the account, returns `data` (or `None` for absent).
pub type Handler = fn(&mut State, &Params) -> Outcome;

/// A stream action's handler: checks the call against the account and returns the packets
/// to send (made lazily, after the state's lock is released).
pub type StreamHandler = fn(&mut State, &Params) -> Result<Packets, Failure>;
