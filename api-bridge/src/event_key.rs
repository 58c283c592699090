//! Where an event goes and what it is called on JetStream: its [`subject`]
//! and a message id. A copy published twice (a bridge that publishes again after a reconnect,
//! two bridges given the same bytes) carries the same id, and JetStream keeps only the first
//! within the stream's duplicate window.
//!
//! A message's id is NapCat's `message_id`. Other events carry no id, so theirs is a hash of
//! their bytes: two copies of one notice collapse only when NapCat wrote them byte for byte
//! alike, and two distinct notices that are byte for byte alike within the window (the same
//! poke twice in one second: `time` counts whole seconds) collapse too.
//!
//! The subject ends in the event's chat [partition](crate::partition). A message's chat is the
//! one a reply goes to (`MessageEvent::reply_target`): a group message's group; in a private
//! chat the other user (for a message the account sent, its `target_id`). Another event's chat
//! is its `group_id` when it has one, else its `user_id`; a meta event has none.

use std::fmt::Write;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::partition::Partitions;
use crate::subject;

/// An event's subject and message id, read from the event as NapCat sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventKey {
    /// The account that received the event.
    pub self_id: u64,
    /// `napcat.<self_id>.event.<post_type>.<detail>.<partition>`.
    pub subject: String,
    /// The number of the event's chat (a group's id, or the other user's id in a private
    /// chat), when it has one.
    pub chat: Option<u64>,
    /// `<self_id>:<post_type>:<message_id>` for a message (the id NapCat gives it), otherwise
    /// `<self_id>:<SHA-256 of the event's bytes, first 16 bytes in hex>`.
    pub msg_id: String,
}

/// Why an event has no key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The bytes are not a JSON object with the fields read.
    #[error("the event is not a JSON object NapCat would send: {0}")]
    NotAnEvent(#[from] serde_json::Error),
    /// A field every event has is absent.
    #[error("the event has no `{0}`; every NapCat event names its account and its kind")]
    Missing(&'static str),
}

/// The fields the key is made of; the rest of the event is skipped.
#[derive(Deserialize)]
struct Head {
    self_id: Option<u64>,
    post_type: Option<String>,
    message_type: Option<String>,
    notice_type: Option<String>,
    request_type: Option<String>,
    meta_event_type: Option<String>,
    /// A number as NapCat sends it; read loosely, so an odd type falls back to the hash.
    message_id: Option<serde_json::Value>,
    /// The ids that name the chat, read loosely (a number, or a number in a string), so that
    /// an odd one only loses the event its chat.
    group_id: Option<serde_json::Value>,
    user_id: Option<serde_json::Value>,
    target_id: Option<serde_json::Value>,
    /// Present on a message the account sent.
    message_sent_type: Option<serde_json::Value>,
    sender: Option<serde_json::Value>,
}

impl Head {
    /// The number of the event's chat, when it has one.
    fn chat(&self, post_type: &str, detail: Option<&str>) -> Option<u64> {
        let id = |value: &Option<serde_json::Value>| match value {
            Some(serde_json::Value::Number(n)) => n.as_u64().filter(|&id| id != 0),
            Some(serde_json::Value::String(s)) => s.parse().ok().filter(|&id| id != 0),
            _ => None,
        };
        match post_type {
            // As `MessageEvent::reply_target` reads it.
            "message" | "message_sent" => match id(&self.group_id) {
                Some(group) if detail == Some("group") => Some(group),
                _ => self
                    .message_sent_type
                    .as_ref()
                    .and_then(|_| id(&self.target_id))
                    .or_else(|| id(&self.user_id))
                    .or_else(|| {
                        let sender = self.sender.as_ref()?.get("user_id").cloned();
                        id(&sender)
                    }),
            },
            "meta_event" => None,
            _ => id(&self.group_id).or_else(|| id(&self.user_id)),
        }
    }
}

impl EventKey {
    /// The key of the event `raw` (its JSON as NapCat sent it), its chat in one of
    /// `partitions`.
    pub fn of(raw: &[u8], partitions: Partitions) -> Result<EventKey, KeyError> {
        let mut head: Head = serde_json::from_slice(raw)?;
        let self_id = head.self_id.ok_or(KeyError::Missing("self_id"))?;
        let post_type = head
            .post_type
            .take()
            .ok_or(KeyError::Missing("post_type"))?;
        let detail = match &*post_type {
            "message" | "message_sent" => head.message_type.take(),
            "notice" => head.notice_type.take(),
            "request" => head.request_type.take(),
            "meta_event" => head.meta_event_type.take(),
            _ => None,
        };
        let chat = head.chat(&post_type, detail.as_deref());
        let subject = subject::event(
            self_id,
            &post_type,
            detail.as_deref().unwrap_or(""),
            partitions.of_chat(chat),
        );
        let message_id = head.message_id.and_then(|id| match id {
            serde_json::Value::Number(n) => Some(n.to_string()),
            // Only a plain id goes into the message id header; anything else is hashed.
            serde_json::Value::String(s) if is_plain_id(&s) => Some(s),
            _ => None,
        });
        let msg_id = match message_id {
            Some(id) if matches!(&*post_type, "message" | "message_sent") => {
                format!("{self_id}:{post_type}:{id}")
            }
            _ => {
                let digest = Sha256::digest(raw);
                let mut id = format!("{self_id}:");
                for byte in &digest[..16] {
                    let _ = write!(id, "{byte:02x}");
                }
                id
            }
        };
        Ok(EventKey {
            self_id,
            subject,
            chat,
            msg_id,
        })
    }
}

/// Whether `id` is a non-empty run of ASCII letters, digits, `_` and `-` (safe in a header).
fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::DEFAULT_PARTITIONS;

    const GROUP_MESSAGE: &str = r#"{"self_id":10001,"user_id":20002,"time":1700000000,"message_id":123,"message_type":"group","sub_type":"normal","group_id":30003,"message":[{"type":"text","data":{"text":"hi"}}],"raw_message":"hi","font":14,"post_type":"message"}"#;

    #[test]
    fn a_message_is_keyed_by_its_id() {
        let key = EventKey::of(GROUP_MESSAGE.as_bytes(), DEFAULT_PARTITIONS).unwrap();
        assert_eq!(key.self_id, 10001);
        assert_eq!(key.subject, "napcat.10001.event.message.group.3");
        assert_eq!(key.msg_id, "10001:message:123");
        assert_eq!(key.chat, Some(30003));
    }

    #[test]
    fn each_event_falls_in_its_chats_partition() {
        let chat = |event: &str| EventKey::of(event.as_bytes(), DEFAULT_PARTITIONS).unwrap();
        // A private message: the other user; one the account sent: its target.
        let private = r#"{"self_id":1,"user_id":20002,"time":1,"message_id":5,"message_type":"private","sub_type":"friend","message":[],"raw_message":"","font":14,"post_type":"message"}"#;
        assert_eq!(chat(private).chat, Some(20002));
        assert_eq!(chat(private).subject, "napcat.1.event.message.private.2");
        let sent = r#"{"self_id":1,"user_id":1,"target_id":20007,"time":1,"message_id":6,"message_type":"private","message_sent_type":"self","message":[],"raw_message":"","font":14,"post_type":"message_sent"}"#;
        assert_eq!(chat(sent).chat, Some(20007));
        // Without `message_sent_type`, and without a `user_id`: as a reply would go.
        let bare = sent.replace(r#""message_sent_type":"self","#, "");
        assert_eq!(chat(&bare).chat, Some(1));
        let anonymous = private.replace(
            r#""user_id":20002,"#,
            r#""sender":{"user_id":20003,"nickname":"x"},"#,
        );
        assert_eq!(chat(&anonymous).chat, Some(20003));
        // A group notice: the group; a friend's notice: the friend; an id in a string too.
        let recall = r#"{"time":1,"self_id":1,"post_type":"notice","notice_type":"friend_recall","user_id":"20005","message_id":9}"#;
        assert_eq!(chat(recall).chat, Some(20005));
        assert_eq!(
            chat(recall).subject,
            "napcat.1.event.notice.friend_recall.5"
        );
        // An id that is no number loses the event its chat, not the event.
        let odd = r#"{"time":1,"self_id":1,"post_type":"notice","notice_type":"group_ban","group_id":[1],"user_id":{"a":1}}"#;
        assert_eq!(chat(odd).chat, None);
        assert_eq!(chat(odd).subject, "napcat.1.event.notice.group_ban.0");
    }

    #[test]
    fn a_message_id_that_is_not_plain_is_hashed_so_the_header_stays_one_line() {
        let odd = GROUP_MESSAGE.replace(r#""message_id":123"#, r#""message_id":"12\r\nX: 3""#);
        let key = EventKey::of(odd.as_bytes(), DEFAULT_PARTITIONS).unwrap();
        assert!(!key.msg_id.contains(['\r', '\n', ' ']), "{:?}", key.msg_id);
        assert_eq!(key.msg_id.len(), "10001:".len() + 32);
        let plain = GROUP_MESSAGE.replace(r#""message_id":123"#, r#""message_id":"a-1_b""#);
        assert_eq!(
            EventKey::of(plain.as_bytes(), DEFAULT_PARTITIONS)
                .unwrap()
                .msg_id,
            "10001:message:a-1_b"
        );
    }

    #[test]
    fn other_events_are_keyed_by_their_bytes() {
        let poke = r#"{"time":1700000001,"self_id":10001,"post_type":"notice","notice_type":"notify","sub_type":"poke","group_id":30003,"user_id":20002,"target_id":10001}"#;
        let key = EventKey::of(poke.as_bytes(), DEFAULT_PARTITIONS).unwrap();
        assert_eq!(key.subject, "napcat.10001.event.notice.notify.3");
        assert!(key.msg_id.starts_with("10001:"), "{}", key.msg_id);
        assert_eq!(key.msg_id.len(), "10001:".len() + 32);
        // The same bytes, the same id; a later poke, another.
        assert_eq!(
            EventKey::of(poke.as_bytes(), DEFAULT_PARTITIONS).unwrap(),
            key
        );
        let later = poke.replace("1700000001", "1700000002");
        assert_ne!(
            EventKey::of(later.as_bytes(), DEFAULT_PARTITIONS)
                .unwrap()
                .msg_id,
            key.msg_id
        );
    }

    #[test]
    fn meta_events_and_requests_name_their_kind() {
        let heartbeat = r#"{"time":1,"self_id":7,"post_type":"meta_event","meta_event_type":"heartbeat","status":{"online":true,"good":true},"interval":30000}"#;
        let request = r#"{"time":1,"self_id":7,"post_type":"request","request_type":"friend","user_id":2,"comment":"","flag":"f"}"#;
        assert_eq!(
            EventKey::of(heartbeat.as_bytes(), DEFAULT_PARTITIONS)
                .unwrap()
                .subject,
            "napcat.7.event.meta_event.heartbeat.0"
        );
        assert_eq!(
            EventKey::of(request.as_bytes(), DEFAULT_PARTITIONS)
                .unwrap()
                .subject,
            "napcat.7.event.request.friend.2"
        );
    }

    #[test]
    fn what_is_not_an_event_is_named() {
        let missing = EventKey::of(br#"{"post_type":"notice"}"#, DEFAULT_PARTITIONS).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "the event has no `self_id`; every NapCat event names its account and its kind"
        );
        let kindless = EventKey::of(br#"{"self_id":1}"#, DEFAULT_PARTITIONS).unwrap_err();
        assert!(kindless.to_string().contains("`post_type`"), "{kindless}");
        let garbage = EventKey::of(b"[1,2", DEFAULT_PARTITIONS).unwrap_err();
        assert!(
            garbage
                .to_string()
                .starts_with("the event is not a JSON object"),
            "{garbage}"
        );
    }
}
