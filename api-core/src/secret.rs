//! The access token: one type that keeps it out of `Debug` output, logs and error messages.

use std::fmt;

/// An access token. Its `Debug` shows `<redacted>`; the text is reached only through
/// [`AccessToken::expose`], where it is put on the wire.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AccessToken(String);

impl AccessToken {
    /// The token, for the `Authorization` header or the `access_token` query parameter.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the token is empty (NapCat then accepts every client).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `given` is this token, in time that does not depend on where they differ.
    pub fn matches(&self, given: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), given.as_bytes())
    }

    /// `text` with every occurrence of the token replaced by `<redacted>`, for error messages
    /// that may quote a URL or header carrying it.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, "<redacted>")
        }
    }
}

/// Byte-wise equality that looks at every byte of the longer input whatever the contents, so
/// the time taken tells nothing about a guessed prefix.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let len = a.len().max(b.len());
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..len {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for AccessToken {
    fn from(s: String) -> Self {
        AccessToken(s)
    }
}

impl From<&String> for AccessToken {
    fn from(s: &String) -> Self {
        AccessToken(s.clone())
    }
}

impl From<&str> for AccessToken {
    fn from(s: &str) -> Self {
        AccessToken(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_itself() {
        let t = AccessToken::from("s3cret!");
        assert_eq!(format!("{t:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(t.clone())), "Some(<redacted>)");
        assert_eq!(
            t.redact("ws://h/?access_token=s3cret!"),
            "ws://h/?access_token=<redacted>"
        );
        assert_eq!(t.expose(), "s3cret!");
        assert!(t.matches("s3cret!"));
        assert!(!t.matches("s3cret") && !t.matches("s3cret!!") && !t.matches("S3cret!"));
    }
}
