//! Who an `@` segment names: one user, or everyone (`all` on the wire).

use crate::types::AtSegment;
use crate::wire::ids::UserId;

/// Who an `@` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtTarget {
    /// One member, by QQ number.
    User(UserId),
    /// Everyone in the group (@全体成员; `all` on the wire).
    Everyone,
}

impl AtSegment {
    /// An `@` of one user.
    pub fn user(user_id: impl Into<UserId>) -> Self {
        AtSegment::new(user_id.into().to_string())
    }

    /// An `@` of everyone in the group.
    pub fn everyone() -> Self {
        AtSegment::new("all")
    }

    /// Who it names; `None` when the wire text is neither `all` nor a QQ number.
    pub fn target(&self) -> Option<AtTarget> {
        match self.qq.trim() {
            "all" => Some(AtTarget::Everyone),
            digits => digits.parse().ok().map(AtTarget::User),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_at_names_a_user_or_everyone() {
        assert_eq!(
            AtSegment::user(UserId(123)).target(),
            Some(AtTarget::User(UserId(123)))
        );
        assert_eq!(AtSegment::everyone().target(), Some(AtTarget::Everyone));
        assert_eq!(AtSegment::new("someone").target(), None);
    }
}
