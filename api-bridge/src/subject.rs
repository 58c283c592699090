//! The subjects on NATS: `napcat.<self_id>.event.<post_type>.<detail>.<partition>` for events
//! and `napcat.<self_id>.action.<wire name>` for action requests, so that a worker subscribes
//! to what it handles (one account, one kind of event) with NATS wildcards. The last token of
//! an event's subject is its chat's [partition](crate::partition).

use std::borrow::Cow;

/// The first token of every subject.
pub const ROOT: &str = "napcat";

/// The subject of an action request for the account `self_id`, e.g.
/// `napcat.10001.action.send_group_msg`.
pub fn action(self_id: u64, wire_name: &str) -> String {
    format!("{ROOT}.{self_id}.action.{}", token(wire_name))
}

/// The subject of an event of the account `self_id`, e.g.
/// `napcat.10001.event.message.group.3`. `detail` is the event's `message_type`,
/// `notice_type`, `request_type` or `meta_event_type`; `partition` its chat's partition.
pub fn event(self_id: u64, post_type: &str, detail: &str, partition: u16) -> String {
    format!(
        "{ROOT}.{self_id}.event.{}.{}.{partition}",
        token(post_type),
        token(detail)
    )
}

/// The filter for every event of one account (`Some`), or of every account (`None`).
pub fn events_of(self_id: Option<u64>) -> String {
    match self_id {
        Some(id) => format!("{ROOT}.{id}.event.>"),
        None => format!("{ROOT}.*.event.>"),
    }
}

/// The filter for every event of one account's chat partition `partition`.
pub fn events_in_partition(self_id: u64, partition: u16) -> String {
    format!("{ROOT}.{self_id}.event.*.*.{partition}")
}

/// The filter for every action request of one account (`Some`), or of every account (`None`).
pub fn actions_of(self_id: Option<u64>) -> String {
    match self_id {
        Some(id) => format!("{ROOT}.{id}.action.*"),
        None => format!("{ROOT}.*.action.*"),
    }
}

/// Whether NATS gives `c` a meaning in subjects: `.`, `*`, `>` or white space.
fn is_special(c: char) -> bool {
    matches!(c, '.' | '*' | '>') || c.is_whitespace()
}

/// Whether `name` is one subject token as it is: not empty, and without a character NATS
/// gives a meaning in subjects.
pub fn is_token(name: &str) -> bool {
    !name.is_empty() && !name.contains(is_special)
}

/// `name` as one subject token: a character NATS gives a meaning in subjects (`.`, `*`, `>`,
/// white space) becomes `_`, and an empty name becomes `_`, so a strange name from the server
/// can neither split a token nor act as a wildcard.
fn token(name: &str) -> Cow<'_, str> {
    if name.is_empty() {
        Cow::Borrowed("_")
    } else if name.contains(is_special) {
        Cow::Owned(name.replace(is_special, "_"))
    } else {
        Cow::Borrowed(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_account_and_the_kind() {
        assert_eq!(
            action(10001, "send_group_msg"),
            "napcat.10001.action.send_group_msg"
        );
        assert_eq!(
            event(10001, "message", "group", 3),
            "napcat.10001.event.message.group.3"
        );
        assert_eq!(events_of(Some(10001)), "napcat.10001.event.>");
        assert_eq!(events_in_partition(10001, 3), "napcat.10001.event.*.*.3");
        assert_eq!(events_of(None), "napcat.*.event.>");
        assert_eq!(actions_of(None), "napcat.*.action.*");
    }

    #[test]
    fn names_cannot_split_a_token_or_act_as_a_wildcard() {
        assert_eq!(
            event(1, "notice", "a.b *>", 0),
            "napcat.1.event.notice.a_b___.0"
        );
        assert_eq!(
            event(1, "meta_event", "", 0),
            "napcat.1.event.meta_event._.0"
        );
        assert_eq!(action(1, ".get"), "napcat.1.action._get");
        assert!(is_token("workers-1"));
        for not_one in ["", "a.b", "a*", ">", "a b"] {
            assert!(!is_token(not_one), "{not_one:?}");
        }
    }
}
