//! Bytes that travel as base64 text: the chunks of a stream download.

use std::fmt;
use std::ops::Deref;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes sent and received as base64 text (the spec's `base64` type). Derefs to `[u8]`.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Base64(pub Bytes);

impl Base64 {
    /// The bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for Base64 {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Base64 {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Base64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Base64({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Base64 {
    fn from(bytes: Vec<u8>) -> Self {
        Base64(bytes.into())
    }
}

impl From<Bytes> for Base64 {
    fn from(bytes: Bytes) -> Self {
        Base64(bytes)
    }
}

impl From<&[u8]> for Base64 {
    fn from(bytes: &[u8]) -> Self {
        Base64(Bytes::copy_from_slice(bytes))
    }
}

impl Serialize for Base64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written straight into the output, without a `String` in between.
        s.collect_str(&base64::display::Base64Display::new(&self.0, &STANDARD))
    }
}

impl<'de> Deserialize<'de> for Base64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Base64;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64 text")
            }

            // JSON text without escapes arrives borrowed: decoded in place, never copied.
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Base64, E> {
                STANDARD
                    .decode(text)
                    .map(Base64::from)
                    .map_err(|e| E::custom(format_args!("not base64 ({e})")))
            }
        }
        d.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travels_as_base64_text() {
        let b: Base64 = serde_json::from_str("\"QUJD\"").unwrap();
        assert_eq!(&*b, b"ABC");
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"QUJD\"");
        let bad = serde_json::from_str::<Base64>("\"Q!JD\"").unwrap_err();
        assert!(bad.to_string().contains("not base64"), "{bad}");
        assert_eq!(format!("{b:?}"), "Base64(3 bytes)");
    }
}
