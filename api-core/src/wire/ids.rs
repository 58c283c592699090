//! Ids that must not be mixed up: a QQ user number and a group number are both integers on
//! the wire, but distinct types here, so a call that takes both cannot get them swapped.
//! NapCat has three kinds of message id, each a type of its own here: the short id of every
//! event and send ([`MessageId`], a number), QQ's long `msgId` ([`LongMessageId`], text, often
//! above 2^53) and a forward's `res_id` ([`ForwardId`], text). Where NapCat takes a short or a
//! long id alike, the parameter is an [`AnyMessageId`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use api_lenient::Lenient;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub i64);

        impl $name {
            /// The number.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(n: i64) -> Self {
                $name(n)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl PartialEq<i64> for $name {
            fn eq(&self, other: &i64) -> bool {
                self.0 == *other
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name)
            }
        }

        /// Sent as a JSON number.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.0)
            }
        }

        /// Decoded from a number or numeric text, as NapCat sends either.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                i64::lenient(d).map($name)
            }
        }

        impl Lenient for $name {
            fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                i64::lenient(d).map($name)
            }
        }
    };
}

id_type!(
    /// A QQ user number (`user_id`, `operator_id`, …).
    UserId
);

id_type!(
    /// A group number (`group_id`).
    GroupId
);

id_type!(
    /// NapCat's short message id (`message_id` of every message event and send reply): a
    /// number in the int32 range that NapCat maps to the message and its chat.
    MessageId
);

macro_rules! text_id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub String);

        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        /// Sent as JSON text.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        /// Decoded from text or a number (as its decimal text).
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::lenient(d)
            }
        }

        impl Lenient for $name {
            fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::lenient(d).map($name)
            }
        }
    };
}

text_id_type!(
    /// QQ's own message id (`msgId`, text): what recent contacts and online files name a
    /// message by. Not the short [`MessageId`] that events carry.
    LongMessageId
);

text_id_type!(
    /// A forward's id (`res_id`, text), as a forward segment and `send_forward_msg` give it;
    /// `get_forward_msg` also takes the short id of the message that holds the forward
    /// (`ForwardId::from(message_id)`).
    ForwardId
);

impl From<MessageId> for ForwardId {
    fn from(id: MessageId) -> Self {
        ForwardId(id.0.to_string())
    }
}

/// A message named by either of NapCat's ids, where NapCat takes both (it reads text in the
/// int32 range as a short id, anything else as a long one). Sent as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnyMessageId {
    /// The short id of events and sends.
    Short(MessageId),
    /// QQ's long `msgId`.
    Long(LongMessageId),
}

impl From<MessageId> for AnyMessageId {
    fn from(id: MessageId) -> Self {
        AnyMessageId::Short(id)
    }
}

impl From<LongMessageId> for AnyMessageId {
    fn from(id: LongMessageId) -> Self {
        AnyMessageId::Long(id)
    }
}

/// Text as NapCat reads it ([`AnyMessageId::from_text`]).
impl From<String> for AnyMessageId {
    fn from(text: String) -> Self {
        AnyMessageId::from_text(text)
    }
}

/// Text as NapCat reads it ([`AnyMessageId::from_text`]).
impl From<&str> for AnyMessageId {
    fn from(text: &str) -> Self {
        AnyMessageId::from_text(text.to_owned())
    }
}

impl AnyMessageId {
    /// Reads text as NapCat does: an integer in the int32 range is a short id.
    pub fn from_text(text: String) -> Self {
        match text.trim().parse::<i64>() {
            Ok(n) if i32::try_from(n).is_ok() => AnyMessageId::Short(MessageId(n)),
            _ => AnyMessageId::Long(LongMessageId(text)),
        }
    }
}

impl fmt::Display for AnyMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyMessageId::Short(id) => id.fmt(f),
            AnyMessageId::Long(id) => id.fmt(f),
        }
    }
}

/// Sent as text, as NapCat's schema takes it.
impl Serialize for AnyMessageId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Decoded from text or a number, as [`AnyMessageId::from_text`] reads it.
impl<'de> Deserialize<'de> for AnyMessageId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::lenient(d)
    }
}

impl Lenient for AnyMessageId {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::lenient(d).map(AnyMessageId::from_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_travel_as_numbers_and_read_text_too() {
        assert_eq!(serde_json::to_string(&GroupId(123)).unwrap(), "123");
        assert_eq!(
            serde_json::from_str::<UserId>("\"456\"").unwrap(),
            UserId(456)
        );
        assert_eq!(serde_json::from_str::<UserId>("456").unwrap(), 456);
        assert!(serde_json::from_str::<GroupId>("\"x\"").is_err());
        assert_eq!("789".parse::<GroupId>().unwrap().to_string(), "789");
    }

    #[test]
    fn the_three_message_ids_travel_as_napcat_takes_them() {
        assert_eq!(serde_json::to_string(&MessageId(7)).unwrap(), "7");
        assert_eq!(
            serde_json::to_string(&LongMessageId::from("7459016218735437876")).unwrap(),
            "\"7459016218735437876\""
        );
        assert_eq!(
            serde_json::from_str::<ForwardId>("123").unwrap(),
            ForwardId::from("123")
        );
        assert_eq!(ForwardId::from(MessageId(5)), "5");
        let short = AnyMessageId::from(MessageId(42));
        assert_eq!(serde_json::to_string(&short).unwrap(), "\"42\"");
        assert_eq!(
            serde_json::from_str::<AnyMessageId>("\"42\"").unwrap(),
            short
        );
        assert_eq!(
            serde_json::from_str::<AnyMessageId>("\"7459016218735437876\"").unwrap(),
            AnyMessageId::Long(LongMessageId::from("7459016218735437876"))
        );
        assert_eq!(
            AnyMessageId::from_text("2147483648".into()),
            AnyMessageId::Long(LongMessageId::from("2147483648"))
        );
    }
}
