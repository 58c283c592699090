//! A request header as a name and a value. NapCat takes each header of `download_file` as one
//! `Name=Value` text and splits it at the first `=` (`GoCQHTTPDownloadFile.getHeaders`), so a
//! header travels that way; a name holding `=` (never a valid header name) or a line break
//! cannot, and is refused when the request is encoded, before anything is sent.

use api_lenient::Lenient;
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An HTTP request header, e.g. `Header::new("Referer", "https://example.com/")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The header's name.
    pub name: String,
    /// The header's value.
    pub value: String,
}

impl Header {
    /// A header with this name and value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }

    /// Why this header cannot travel as `Name=Value`, if it cannot.
    fn problem(&self) -> Option<String> {
        if self.name.is_empty() {
            Some("a header needs a name".into())
        } else if self.name.contains('=') {
            Some(format!(
                "header name `{}` holds `=`, where the server splits name from value",
                self.name
            ))
        } else if [&self.name, &self.value]
            .iter()
            .any(|t| t.contains(['\r', '\n']))
        {
            Some(format!("header `{}` holds a line break", self.name))
        } else {
            None
        }
    }
}

impl<N: Into<String>, V: Into<String>> From<(N, V)> for Header {
    fn from((name, value): (N, V)) -> Self {
        Header::new(name, value)
    }
}

/// Sent as `Name=Value` text.
impl Serialize for Header {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(problem) = self.problem() {
            return Err(S::Error::custom(problem));
        }
        s.serialize_str(&format!("{}={}", self.name, self.value))
    }
}

/// Read from `Name=Value` text, split at the first `=` as the server does.
impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::lenient(d)
    }
}

impl Lenient for Header {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::lenient(d)?;
        let (name, value) = text
            .split_once('=')
            .ok_or_else(|| D::Error::custom(format!("header `{text}` is not `Name=Value`")))?;
        Ok(Header::new(name, value))
    }
}

#[cfg(test)]
mod tests {
    use super::Header;

    #[test]
    fn travels_as_name_equals_value_split_at_the_first_equals_sign() {
        let h = Header::new("Cookie", "a=b");
        assert_eq!(serde_json::to_string(&h).unwrap(), r#""Cookie=a=b""#);
        assert_eq!(
            serde_json::from_str::<Header>(r#""Cookie=a=b""#).unwrap(),
            h
        );
        assert!(serde_json::from_str::<Header>(r#""Cookie""#).is_err());
    }

    #[test]
    fn a_header_that_cannot_travel_is_refused_with_the_reason() {
        for (bad, why) in [
            (Header::new("A=B", "c"), "holds `=`"),
            (Header::new("", "c"), "needs a name"),
            (Header::new("A", "c\r\nX: y"), "line break"),
        ] {
            let e = serde_json::to_string(&bad).unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
    }
}
