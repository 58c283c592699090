//! Chat partitions: how the events of one chat keep their order across workers.
//!
//! The bridge puts each event in one of a fixed number of partitions, by its chat: the chat's
//! number (the group's id, or the other user's id in a private chat) modulo the count, and
//! partition 0 for an event of no chat (a heartbeat). The partition is the last token of the
//! event's [`subject`](crate::subject::event), so every event of a chat travels in the same
//! partition. A worker that asks for per-chat order
//! ([`NatsRelay::per_chat_order`](crate::worker::NatsRelay::per_chat_order)) reads each
//! partition through a consumer that hands out one event at a time, across all the workers of
//! its group: the next event of a partition goes out once the one before it is acknowledged.
//!
//! The count is written in the stream's metadata under [`METADATA_KEY`] by the first bridge;
//! the other bridges must use the same count, and workers read it from there.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;

/// The key of the stream's metadata that holds the count of partitions.
pub const METADATA_KEY: &str = "napcat.chat_partitions";

/// How many partitions a bridge divides each account's events into, by default: up to this
/// many of an account's events are handled at once by the workers that keep per-chat order.
pub const DEFAULT_PARTITIONS: Partitions = Partitions(NonZeroU16::new(16).unwrap());

/// The most partitions a stream may have: a worker in per-chat order reads each through a
/// consumer of its own.
pub const MAX_PARTITIONS: u16 = 1024;

/// A count of chat partitions, from 1 to [`MAX_PARTITIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partitions(NonZeroU16);

impl Partitions {
    /// `count` partitions; `None` for zero or more than [`MAX_PARTITIONS`].
    pub const fn new(count: u16) -> Option<Partitions> {
        match NonZeroU16::new(count) {
            Some(count) if count.get() <= MAX_PARTITIONS => Some(Partitions(count)),
            _ => None,
        }
    }

    /// How many there are.
    pub const fn count(self) -> u16 {
        self.0.get()
    }

    /// The partition of the chat numbered `chat` (a group's id, or the other user's id in a
    /// private chat); 0 for no chat.
    pub fn of_chat(self, chat: Option<u64>) -> u16 {
        // The remainder is below the count, so it fits a u16.
        chat.map_or(0, |chat| (chat % u64::from(self.count())) as u16)
    }

    /// The count a stream's `metadata` holds: `Ok(None)` when it holds none, `Err` with the
    /// reason when what it holds is not a count.
    pub fn from_metadata(metadata: &HashMap<String, String>) -> Result<Option<Partitions>, String> {
        metadata
            .get(METADATA_KEY)
            .map(|value| {
                value.parse().map_err(|e| {
                    format!("its metadata `{METADATA_KEY}` is `{value}`, not a count of chat partitions: {e}")
                })
            })
            .transpose()
    }
}

impl Default for Partitions {
    fn default() -> Self {
        DEFAULT_PARTITIONS
    }
}

impl fmt::Display for Partitions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Partitions {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let range = format!("a whole number from 1 to {MAX_PARTITIONS}");
        match s.trim().parse::<u16>() {
            Ok(0) => Err(format!("there must be at least one partition: {range}")),
            Ok(count) => Partitions::new(count)
                .ok_or_else(|| format!("{count} is too many partitions: {range}")),
            Err(e) => Err(format!("expected {range} ({e})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_always_falls_in_the_same_partition() {
        let four = Partitions::new(4).unwrap();
        assert_eq!(four.of_chat(Some(30003)), 3);
        assert_eq!(four.of_chat(Some(30004)), 0);
        assert_eq!(four.of_chat(None), 0);
        assert_eq!(Partitions::new(1).unwrap().of_chat(Some(u64::MAX)), 0);
        let most = Partitions::new(MAX_PARTITIONS).unwrap();
        assert_eq!(most.of_chat(Some(u64::MAX)), MAX_PARTITIONS - 1);
        assert_eq!(Partitions::new(MAX_PARTITIONS + 1), None);
        assert_eq!(DEFAULT_PARTITIONS.count(), 16);
    }

    #[test]
    fn a_count_is_read_from_the_metadata_or_refused_with_the_reason() {
        let mut metadata = HashMap::new();
        assert_eq!(Partitions::from_metadata(&metadata), Ok(None));
        metadata.insert(METADATA_KEY.to_owned(), "8".to_owned());
        assert_eq!(Partitions::from_metadata(&metadata), Ok(Partitions::new(8)));
        metadata.insert(METADATA_KEY.to_owned(), "0".to_owned());
        let refused = Partitions::from_metadata(&metadata).unwrap_err();
        assert!(
            refused.contains("`0`") && refused.contains("at least one"),
            "{refused}"
        );
        assert!("x".parse::<Partitions>().unwrap_err().contains("1 to 1024"));
        assert_eq!(
            "65535".parse::<Partitions>().unwrap_err(),
            "65535 is too many partitions: a whole number from 1 to 1024"
        );
    }
}
