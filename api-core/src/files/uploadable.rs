//! Files sent to the server (`set_avatar`'s `file`): URLs, base64, local paths, bytes.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// A file parameter.
///
/// NapCat may run on another machine, so a local path is read and sent as `base64://` by
/// default; [`Uploadable::file_uri`] sends `file://` instead, for a filesystem both sides share.
///
/// `From<&str>` and `From<String>` recognise `http(s)://`, `base64://`, `data:...;base64,`
/// and `file://`; anything else is taken as a local path.
#[derive(Clone, PartialEq, Eq)]
pub enum Uploadable {
    /// An `http://` or `https://` URL the server downloads.
    Url(String),
    /// Base64 payload (without the `base64://` prefix).
    Base64(String),
    /// A local file, read and sent as `base64://` when the call is made.
    Path(PathBuf),
    /// A local file sent as a `file://` URI (the server must see the same path).
    FileUri(PathBuf),
    /// Raw bytes, sent as `base64://`.
    Bytes(Vec<u8>),
    /// A file the server already has, named as the server knows it: a path on its machine,
    /// or the `file` of a received image or voice message. Sent as is. This is what a
    /// received segment's bare `file` text decodes to, so a received message sent back
    /// goes out as it came.
    Server(String),
}

impl Uploadable {
    /// An `http(s)://` URL.
    pub fn url(url: impl Into<String>) -> Self {
        Uploadable::Url(url.into())
    }

    /// A local file, read and sent as base64.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Uploadable::Path(path.into())
    }

    /// A local file sent as `file://` (shared filesystem only).
    pub fn file_uri(path: impl Into<PathBuf>) -> Self {
        Uploadable::FileUri(path.into())
    }

    /// A file the server already has (a path on its machine or a name it gave), sent as is.
    pub fn server(name: impl Into<String>) -> Self {
        Uploadable::Server(name.into())
    }

    /// Raw bytes.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Uploadable::Bytes(bytes.into())
    }

    /// Reads local files so the value can be serialized; a missing file is an
    /// [`Error::InvalidArgument`] naming `param`.
    pub async fn resolve(&mut self, action: &str, param: &str) -> Result<(), Error> {
        let missing = |path: &Path, e: std::io::Error| {
            Error::invalid_argument(
                action,
                param,
                format!("cannot read file {}: {e}", path.display()),
            )
        };
        match self {
            Uploadable::Path(path) => {
                let bytes = tokio::fs::read(&*path)
                    .await
                    .map_err(|e| missing(path, e))?;
                *self = Uploadable::Base64(STANDARD.encode(bytes));
            }
            Uploadable::FileUri(path) => {
                let abs = tokio::fs::canonicalize(&*path)
                    .await
                    .map_err(|e| missing(path, e))?;
                *path = abs;
            }
            _ => {}
        }
        Ok(())
    }

    /// The text sent on the wire; `None` for a local path that has not been read yet.
    pub fn wire_text(&self) -> Option<String> {
        match self {
            Uploadable::Url(u) => Some(u.clone()),
            Uploadable::Base64(b) => Some(format!("base64://{b}")),
            Uploadable::Bytes(b) => Some(format!("base64://{}", STANDARD.encode(b))),
            Uploadable::FileUri(p) => Some(format!("file://{}", p.display())),
            Uploadable::Server(name) => Some(name.clone()),
            Uploadable::Path(_) => None,
        }
    }
}

impl Uploadable {
    /// Tells the form of `s` by its prefix, reusing its buffer; text with no known prefix
    /// becomes `plain(s)`.
    fn classify(mut s: String, plain: fn(String) -> Uploadable) -> Uploadable {
        if s.starts_with("http://") || s.starts_with("https://") {
            Uploadable::Url(s)
        } else if s.starts_with("base64://") {
            s.drain(.."base64://".len());
            Uploadable::Base64(s)
        } else if let Some(at) = s
            .strip_prefix("data:")
            .and_then(|rest| rest.find(";base64,"))
        {
            s.drain(.."data:".len() + at + ";base64,".len());
            Uploadable::Base64(s)
        } else if s.starts_with("file://") {
            s.drain(.."file://".len());
            Uploadable::FileUri(PathBuf::from(s))
        } else {
            plain(s)
        }
    }
}

impl From<&str> for Uploadable {
    fn from(s: &str) -> Self {
        Uploadable::from(s.to_owned())
    }
}

impl From<String> for Uploadable {
    fn from(s: String) -> Self {
        Uploadable::classify(s, |s| Uploadable::Path(PathBuf::from(s)))
    }
}

impl From<PathBuf> for Uploadable {
    fn from(p: PathBuf) -> Self {
        Uploadable::Path(p)
    }
}

impl From<&Path> for Uploadable {
    fn from(p: &Path) -> Self {
        Uploadable::Path(p.to_owned())
    }
}

impl From<Vec<u8>> for Uploadable {
    fn from(b: Vec<u8>) -> Self {
        Uploadable::Bytes(b)
    }
}

impl fmt::Debug for Uploadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uploadable::Url(u) => f.debug_tuple("Url").field(u).finish(),
            Uploadable::Base64(b) => write!(f, "Base64({} chars)", b.len()),
            Uploadable::Path(p) => f.debug_tuple("Path").field(p).finish(),
            Uploadable::FileUri(p) => f.debug_tuple("FileUri").field(p).finish(),
            Uploadable::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Uploadable::Server(name) => f.debug_tuple("Server").field(name).finish(),
        }
    }
}

impl Serialize for Uploadable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.wire_text() {
            Some(text) => s.serialize_str(&text),
            None => Err(serde::ser::Error::custom(
                "a local file must be read (Uploadable::resolve) before it is sent",
            )),
        }
    }
}

/// Reads a file as the wire has it: a URL, `base64://`, `data:…;base64,` or `file://` by
/// its prefix, and any other text as [`Uploadable::Server`] (NapCat reads it as a path on its
/// own machine or a file name it knows), so a decoded value is sent back unchanged. Unlike
/// `From<&str>`, bare text is not taken as a local path: JSON comes from the wire, not from
/// this machine.
impl<'de> Deserialize<'de> for Uploadable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Uploadable::classify(
            String::deserialize(d)?,
            Uploadable::Server,
        ))
    }
}

/// Local files larger than this go by stream upload by default; see [`UploadStrategy`].
pub const DEFAULT_STREAM_UPLOAD_ABOVE: u64 = 16 * 1024 * 1024;

/// How a file parameter holding local data (a path, bytes) reaches NapCat, which may run on
/// another machine; see [`ClientBuilder::upload_strategy`](crate::client::builder::ClientBuilder::upload_strategy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadStrategy {
    /// Always inside the call, as `base64://` (a third larger than the file; NapCat's
    /// WebSocket server takes frames up to 50 MiB).
    Inline,
    /// A file larger than this many bytes is sent first with [`Client::upload`](crate::client::Client::upload) (in chunks,
    /// its hash checked), and the call names the uploaded file's path; smaller ones inline.
    StreamAbove(u64),
}

impl Default for UploadStrategy {
    /// Stream upload above [`DEFAULT_STREAM_UPLOAD_ABOVE`].
    fn default() -> Self {
        UploadStrategy::StreamAbove(DEFAULT_STREAM_UPLOAD_ABOVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_form() {
        assert_eq!(
            Uploadable::from("https://x/a.png"),
            Uploadable::Url("https://x/a.png".into())
        );
        assert_eq!(
            Uploadable::from("base64://QUJD"),
            Uploadable::Base64("QUJD".into())
        );
        assert_eq!(
            Uploadable::from("data:image/png;base64,QUJD"),
            Uploadable::Base64("QUJD".into())
        );
        assert_eq!(
            Uploadable::from("file:///tmp/a.png"),
            Uploadable::FileUri("/tmp/a.png".into())
        );
        assert_eq!(Uploadable::from("a.png"), Uploadable::Path("a.png".into()));
        let received: Uploadable = serde_json::from_str("\"8A0B.png\"").unwrap();
        assert_eq!(received, Uploadable::Server("8A0B.png".into()));
        assert_eq!(serde_json::to_string(&received).unwrap(), "\"8A0B.png\"");
        let url: Uploadable = serde_json::from_str("\"https://x/a.png\"").unwrap();
        assert_eq!(url, Uploadable::Url("https://x/a.png".into()));
        assert_eq!(
            Uploadable::bytes(*b"ABC").wire_text().unwrap(),
            "base64://QUJD"
        );
    }
}
