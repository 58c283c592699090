//! Durations (`std::time::Duration`) where the wire takes whole seconds (they are read from
//! whole seconds by `api_lenient`).

use std::time::Duration;

use serde::Serializer;

/// Serializes a duration as its whole seconds (requests check for a fraction before sending).
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

/// [`serialize`] for an optional duration (skipped when `None`).
pub fn serialize_option<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => serialize(d, s),
        None => s.serialize_none(),
    }
}

/// What duration parameters are checked with before sending.
pub trait WholeSeconds {
    /// Whether the duration has a part below a second, which the wire cannot carry.
    fn has_fraction(&self) -> bool;
}

impl WholeSeconds for Duration {
    fn has_fraction(&self) -> bool {
        self.subsec_nanos() != 0
    }
}

impl WholeSeconds for Option<Duration> {
    fn has_fraction(&self) -> bool {
        self.is_some_and(|d| d.has_fraction())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Probe {
        #[serde(
            serialize_with = "serialize",
            deserialize_with = "api_lenient::lenient"
        )]
        d: Duration,
    }

    #[test]
    fn travels_as_seconds() {
        let p = Probe {
            d: Duration::from_secs(60),
        };
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"d":60}"#);
        assert_eq!(serde_json::from_str::<Probe>(r#"{"d":"60"}"#).unwrap(), p);
        assert!(serde_json::from_str::<Probe>(r#"{"d":-1}"#).is_err());
        assert!(Duration::from_millis(1500).has_fraction());
        assert!(!Some(Duration::from_secs(2)).has_fraction());
    }
}
