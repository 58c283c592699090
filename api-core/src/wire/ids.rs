//! Ids that must not be mixed up: a QQ user number and a group number are both integers on
//! the wire, but distinct types here, so a call that takes both cannot get them swapped.

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
}
