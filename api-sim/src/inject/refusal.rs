//! Why an injection is refused, and the look-ups that refuse: what is injected must be able
//! to happen to the account as it is.

use crate::groups::{Group, Member};
use crate::state::State;

/// Why an injection was refused: it could not happen to the account as it is (a group the
/// bot is not in, someone who is not a member, a message that is not there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectError(pub String);

impl std::fmt::Display for InjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InjectError {}

/// Refuses with `text`.
pub(super) fn refuse<T>(text: impl Into<String>) -> Result<T, InjectError> {
    Err(InjectError(text.into()))
}

/// A group the bot is in.
pub(super) fn group_of(state: &State, group_id: i64) -> Result<&Group, InjectError> {
    match state.groups.get(&group_id) {
        Some(g) => Ok(g),
        None => refuse(format!("the bot is not in group {group_id}")),
    }
}

/// A member of a group the bot is in.
pub(super) fn member_of(
    state: &State,
    group_id: i64,
    user_id: i64,
) -> Result<&Member, InjectError> {
    match group_of(state, group_id)?.members.get(&user_id) {
        Some(m) => Ok(m),
        None => refuse(format!("{user_id} is not a member of group {group_id}")),
    }
}
