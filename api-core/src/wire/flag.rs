//! Yes/no values the wire carries as the numbers `1` and `0` (they are read back like any
//! `bool` by `api_lenient`, which takes `0`/`1` too).

use serde::Serializer;

/// Serializes a flag as `1` (yes) or `0` (no).
pub fn serialize<S: Serializer>(flag: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(u8::from(*flag))
}

/// [`serialize`] for an optional flag (skipped when `None`).
pub fn serialize_option<S: Serializer>(flag: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
    match flag {
        Some(flag) => serialize(flag, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Probe {
        #[serde(
            serialize_with = "super::serialize",
            deserialize_with = "api_lenient::lenient"
        )]
        on: bool,
    }

    #[test]
    fn travels_as_one_or_zero() {
        let on = Probe { on: true };
        assert_eq!(serde_json::to_string(&on).unwrap(), r#"{"on":1}"#);
        assert_eq!(
            serde_json::to_string(&Probe { on: false }).unwrap(),
            r#"{"on":0}"#
        );
        assert_eq!(serde_json::from_str::<Probe>(r#"{"on":1}"#).unwrap(), on);
        assert!(serde_json::from_str::<Probe>(r#"{"on":2}"#).is_err());
    }
}
