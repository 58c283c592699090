//! The simulated message store: every message sent or injected, by short id, with its
//! conversation, recall state and emoji reactions, rendered as NapCat's OB11Message.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Where a message was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Chat {
    /// A private chat with this QQ number.
    Private(i64),
    /// A group.
    Group(i64),
}

/// One stored message.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    /// NapCat's short id (a positive int32).
    pub id: i64,
    /// The conversation.
    pub chat: Chat,
    /// Who sent it.
    pub sender_id: i64,
    /// Their nickname.
    pub sender_nick: String,
    /// Their group card ("" for none).
    pub sender_card: String,
    /// The sender's role in a group (`owner`, `admin`, `member`), as NapCat adds it for
    /// members it knows.
    pub sender_role: Option<&'static str>,
    /// Unix seconds.
    pub time: i64,
    /// QQ's sequence in the conversation.
    pub seq: i64,
    /// Segments, as NapCat sends them (array form).
    pub segments: Vec<Value>,
    /// Whether it was recalled.
    pub recalled: bool,
    /// Emoji id -> users who reacted.
    pub likes: BTreeMap<String, Vec<i64>>,
    /// For a forward message: its nodes as messages.
    pub forward: Option<Vec<StoredMessage>>,
    /// For a private message from a group member who is no friend: the group it came
    /// through (a temporary chat).
    pub temp_group: Option<i64>,
}

/// The messages of the simulated account.
#[derive(Debug, Clone, Default)]
pub struct Store {
    messages: BTreeMap<i64, StoredMessage>,
    next_id: i64,
    next_seq: i64,
    clock: i64,
}

impl Store {
    /// Keeps `message` (its id, seq and time are assigned here) and returns its id.
    pub fn insert(&mut self, mut message: StoredMessage) -> i64 {
        self.next_id += 1;
        self.next_seq += 1;
        self.clock += 1;
        // Short ids are positive and well inside int32, as NapCat's are.
        message.id = 1_000_000 + self.next_id;
        message.seq = self.next_seq;
        message.time = 1_764_151_200 + self.clock;
        let id = message.id;
        self.messages.insert(id, message);
        id
    }

    /// How many messages `user` has sent in group `group`.
    pub fn count_from(&self, group: i64, user: i64) -> usize {
        self.messages
            .values()
            .filter(|m| m.chat == Chat::Group(group) && m.sender_id == user && !m.recalled)
            .count()
    }

    /// A message that was not recalled.
    pub fn get(&self, id: i64) -> Option<&StoredMessage> {
        self.messages.get(&id).filter(|m| !m.recalled)
    }

    /// A message that was not recalled, to change it.
    pub fn get_mut(&mut self, id: i64) -> Option<&mut StoredMessage> {
        self.messages.get_mut(&id).filter(|m| !m.recalled)
    }

    /// The conversation's messages that were not recalled, oldest first.
    pub fn conversation(&self, chat: Chat) -> Vec<&StoredMessage> {
        let mut list: Vec<&StoredMessage> = self
            .messages
            .values()
            .filter(|m| m.chat == chat && !m.recalled)
            .collect();
        list.sort_by_key(|m| m.seq);
        list
    }
}

impl StoredMessage {
    /// A message not yet stored.
    pub fn new(chat: Chat, sender_id: i64, sender_nick: &str, segments: Vec<Value>) -> Self {
        StoredMessage {
            id: 0,
            chat,
            sender_id,
            sender_nick: sender_nick.to_owned(),
            sender_card: String::new(),
            sender_role: None,
            time: 0,
            seq: 0,
            segments,
            recalled: false,
            likes: BTreeMap::new(),
            forward: None,
            temp_group: None,
        }
    }

    /// NapCat's OB11Message for this message, array form (`post_type` is `message_sent`
    /// when the bot sent it).
    pub fn to_json(&self, self_id: i64, group_name: &str) -> Value {
        let own = self.sender_id == self_id;
        let mut v = json!({
            "self_id": self_id,
            "user_id": self.sender_id,
            "time": self.time,
            "message_id": self.id,
            "message_seq": self.id,
            "real_id": self.id,
            "real_seq": self.seq.to_string(),
            "message_type": match self.chat { Chat::Private(_) => "private", Chat::Group(_) => "group" },
            "sender": {"user_id": self.sender_id, "nickname": self.sender_nick, "card": self.sender_card},
            "raw_message": raw_message(&self.segments),
            "font": 14,
            "sub_type": match (self.chat, self.temp_group) {
                (Chat::Private(_), None) => "friend",
                (Chat::Private(_), Some(_)) => "group",
                (Chat::Group(_), _) => "normal",
            },
            "message": self.segments,
            "message_format": "array",
            "post_type": if own { "message_sent" } else { "message" },
        });
        if let Some(role) = self.sender_role {
            v["sender"]["role"] = json!(role);
        }
        match self.chat {
            Chat::Group(g) => {
                v["group_id"] = json!(g);
                v["group_name"] = json!(group_name);
                if own {
                    v["target_id"] = json!(g);
                }
            }
            Chat::Private(peer) => {
                if let Some(g) = self.temp_group {
                    v["group_id"] = json!(g);
                    v["temp_source"] = json!(0);
                }
                v["target_id"] = json!(if own { peer } else { self.sender_id });
            }
        }
        if own {
            v["message_sent_type"] = json!("self");
        }
        v
    }
}

/// A message given as a segment array, one segment or a CQ string, as segments.
pub fn segments_of(message: Value) -> Vec<Value> {
    match message {
        Value::Array(items) => items,
        Value::String(text) => match serde_json::to_value(api_core::Message::from_cq(&text)) {
            Ok(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        one @ Value::Object(_) => vec![one],
        _ => Vec::new(),
    }
}

/// The CQ-code form NapCat puts in `raw_message`.
pub fn raw_message(segments: &[Value]) -> String {
    let message: api_core::Message =
        serde_json::from_value(Value::Array(segments.to_vec())).unwrap_or_default();
    message.to_cq().trim().to_owned()
}
