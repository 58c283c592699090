//! The one error type every call returns.

use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use bytes::Bytes;

/// A reply body kept in an error: all the bytes, with a `Debug` that shows only the start,
/// so logging an error never dumps a 64 MiB reply.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Body(Bytes);

impl Body {
    /// The bytes as received.
    pub fn bytes(&self) -> &Bytes {
        &self.0
    }

    /// The bytes as received, owned.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body(b)
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Self {
        Body(b.into())
    }
}

impl Deref for Body {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Body({:?})", preview(&self.0))
    }
}

/// Why a call failed. Every variant names the action (its wire name) and carries what a
/// person needs to act: the server's retcode and message, the HTTP status, the raw reply.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before anything was sent.
    #[error("{action}: invalid argument `{param}`: {reason}")]
    InvalidArgument {
        /// The action (its wire name, like every other variant).
        action: String,
        /// The parameter at fault.
        param: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The client could not be built from its settings.
    #[error("invalid client configuration: {0}")]
    Config(String),

    /// The request could not be delivered or the reply could not be read (connection
    /// refused, reset, DNS failure ...). The message names the cause, down the source chain.
    #[error("{action}: transport error: {}", chain(source.as_ref()))]
    Transport {
        /// The wire action.
        action: String,
        /// The underlying I/O or HTTP error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The connection closed while the call was waiting for its reply (the server may have
    /// carried the request out), or the client shut down; `reason` says which. Over
    /// WebSocket, a request the closed connection never wrote is not ended with this: it
    /// waits for the next connection.
    #[error(
        "{action}: connection closed before the reply arrived: {}",
        short(reason)
    )]
    Disconnected {
        /// The wire action.
        action: String,
        /// What closed it, as far as the client knows.
        reason: String,
    },

    /// The client was closed with [`Client::close`](crate::client::Client::close): the call
    /// was refused, or ended while it waited. Build a new client to make calls.
    #[error("{action}: the client is closed; build a new one to make calls")]
    Closed {
        /// The wire action.
        action: String,
    },

    /// No reply within the timeout.
    #[error("{action}: no reply within {after:?}")]
    Timeout {
        /// The wire action.
        action: String,
        /// The timeout that ran out.
        after: Duration,
    },

    /// A stream action's packets were not read for this long while the server kept sending
    /// them, so the connection stopped holding them (it serves every other call and event
    /// too): the stream ended here and its remaining packets were skipped. Read streams
    /// promptly, or raise the call's timeout, which is also how long a packet may wait.
    #[error("{action}: the stream was not read for {after:?}; its remaining packets were skipped")]
    StreamStalled {
        /// The wire action.
        action: String,
        /// How long the oldest unread packet waited.
        after: Duration,
    },

    /// The server refused the access token (HTTP 403, or retcode 1403 on WebSocket).
    #[error("{action}: authentication failed: {}", short(message))]
    Auth {
        /// The wire action.
        action: String,
        /// The server's message, e.g. `token verify failed!`.
        message: String,
        /// The HTTP status, on HTTP.
        http_status: Option<u16>,
    },

    /// The server answered with a failure envelope (`status: "failed"` or a non-zero
    /// retcode), or reported failure inside `data` (e.g. `delete_friend`'s `valid: false`).
    #[error("{action}: server failure (retcode {retcode}): {}", short(message))]
    Api {
        /// The wire action.
        action: String,
        /// NapCat's retcode: 400/200 on HTTP, 1400/1404/1200 on WebSocket.
        retcode: i64,
        /// The error text.
        message: String,
        /// The `wording` field (NapCat sends the same text as `message`).
        wording: String,
        /// The whole reply as received.
        body: Body,
    },

    /// The reply was not a NapCat envelope: another HTTP status, an HTML page, an empty
    /// or truncated body, bytes that are not JSON.
    #[error("{action}: unexpected reply{}: {reason}; body: {}", http_status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), preview(body))]
    BadReply {
        /// The wire action.
        action: String,
        /// The HTTP status, on HTTP.
        http_status: Option<u16>,
        /// What was wrong with it.
        reason: String,
        /// The whole reply as received.
        body: Body,
    },

    /// The envelope was fine but `data` does not match the action's return type.
    #[error("{action}: cannot decode `{path}`: {}", short(message))]
    Decode {
        /// The wire action.
        action: String,
        /// Where in the reply decoding failed, e.g. `data[3].user_id`.
        path: String,
        /// What serde said.
        message: String,
        /// The whole reply as received.
        body: Body,
    },
}

impl Error {
    /// An [`Error::InvalidArgument`] of the action with wire name `action`.
    pub fn invalid_argument(action: &str, param: &str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            action: action.to_owned(),
            param: param.to_owned(),
            reason: reason.into(),
        }
    }

    /// The raw reply body, for the variants that received one.
    pub fn body(&self) -> Option<&Body> {
        match self {
            Error::Api { body, .. } | Error::BadReply { body, .. } | Error::Decode { body, .. } => {
                Some(body)
            }
            _ => None,
        }
    }

    /// The wire action this error is about, when there is one.
    pub fn action(&self) -> Option<&str> {
        match self {
            Error::Config(_) => None,
            Error::InvalidArgument { action, .. }
            | Error::Transport { action, .. }
            | Error::Disconnected { action, .. }
            | Error::Closed { action }
            | Error::Timeout { action, .. }
            | Error::StreamStalled { action, .. }
            | Error::Auth { action, .. }
            | Error::Api { action, .. }
            | Error::BadReply { action, .. }
            | Error::Decode { action, .. } => Some(action),
        }
    }
}

/// The longest a text inside an error's message gets (a server's message, serde's
/// description of a 50 MB value); the whole reply stays reachable through [`Error::body`].
pub(crate) const MAX_MESSAGE_CHARS: usize = 1000;

/// `text`, cut to [`MAX_MESSAGE_CHARS`] with a note of how long it was.
pub(crate) fn short(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_MESSAGE_CHARS {
        return text.into();
    }
    let cut: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    if cut.len() == text.len() {
        return text.into();
    }
    format!("{cut}… ({} bytes in all)", text.len()).into()
}

/// An error and its sources, `: `-separated, each bounded: "error sending request: client
/// error (Connect): tcp connect error: Connection refused (os error 111)".
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = short(&e.to_string()).into_owned();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&short(&text));
        }
        next = cause.source();
    }
    out
}

/// At most 200 characters of a body, for messages; the full body stays in the error.
pub(crate) fn preview(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    if body.is_empty() {
        "(empty)".to_owned()
    } else if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}… ({} bytes in all)", body.len())
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `Result<T, Error>` carries this much; a variant that grows it should box its
    /// payload instead. (The largest today is `Api`: action, message, wording and body.)
    #[test]
    fn error_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 120,
            "Error is {} bytes",
            std::mem::size_of::<Error>()
        );
        assert_eq!(
            std::mem::size_of::<Result<(), Error>>(),
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn every_message_stays_bounded() {
        let huge = "x".repeat(50 << 20);
        let errors = [
            Error::Decode {
                action: "get_status".into(),
                path: "data.online".into(),
                message: format!("invalid type: string \"{huge}\", expected a boolean"),
                body: Body::default(),
            },
            Error::Api {
                action: "a".into(),
                retcode: 200,
                message: huge.clone(),
                wording: huge.clone(),
                body: Body::default(),
            },
            Error::Auth {
                action: "a".into(),
                message: huge.clone(),
                http_status: None,
            },
            Error::Disconnected {
                action: "a".into(),
                reason: huge.clone(),
            },
            Error::Transport {
                action: "a".into(),
                source: huge.clone().into(),
            },
        ];
        for e in errors {
            assert!(
                e.to_string().len() < 2 * MAX_MESSAGE_CHARS,
                "{}",
                e.to_string().len()
            );
        }
    }

    #[test]
    fn transport_errors_name_their_cause() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("error sending request")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Error::Transport {
            action: "get_status".into(),
            source: Box::new(Outer(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "Connection refused",
            ))),
        };
        assert_eq!(
            e.to_string(),
            "get_status: transport error: error sending request: Connection refused"
        );
    }

    #[test]
    fn debug_of_a_huge_body_stays_short_and_the_bytes_stay_whole() {
        let big = vec![b'x'; 1 << 20];
        let err = Error::BadReply {
            action: "get_status".into(),
            http_status: Some(200),
            reason: "too big".into(),
            body: big.clone().into(),
        };
        assert!(format!("{err:?}").len() < 1000);
        assert!(err.to_string().len() < 1000);
        assert_eq!(err.body().unwrap().len(), big.len());
    }
}
