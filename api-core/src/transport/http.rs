//! The HTTP transport: `POST {base}/{action}` with the params as a JSON body.

use std::fmt;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};

use crate::error::Error;
use crate::wire::reply::RawReply;

/// Sends calls to NapCat's HTTP server.
#[derive(Clone)]
pub(crate) struct HttpTransport {
    http: reqwest::Client,
    base: String,
    /// `base` parsed once; each call's URL adds its action's segment to a copy.
    base_url: reqwest::Url,
    auth: Option<HeaderValue>,
    max_reply_bytes: usize,
    /// `base` as errors show it: without a user name, password or query.
    shown: String,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("base", &self.base)
            // A sensitive `HeaderValue` prints as `Sensitive`.
            .field("authorization", &self.auth)
            .field("max_reply_bytes", &self.max_reply_bytes)
            .finish()
    }
}

impl HttpTransport {
    pub(crate) fn new(
        http: reqwest::Client,
        base_url: &str,
        token: Option<&str>,
        max_reply_bytes: usize,
    ) -> Result<Self, Error> {
        let url = reqwest::Url::parse(base_url)
            .map_err(|e| Error::Config(format!("base URL `{base_url}` is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(Error::Config(format!(
                "base URL `{base_url}` must start with http:// or https://"
            )));
        }
        let auth = token
            .map(|t| {
                let mut v = HeaderValue::from_str(&format!("Bearer {t}")).map_err(|_| {
                    Error::Config(
                        "the access token contains characters not allowed in an HTTP header".into(),
                    )
                })?;
                v.set_sensitive(true);
                Ok::<_, Error>(v)
            })
            .transpose()?;
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        shown.set_query(None);
        Ok(HttpTransport {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            base_url: url,
            auth,
            max_reply_bytes,
            shown: shown.as_str().trim_end_matches('/').to_owned(),
        })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The `Authorization` header value, if a token is set.
    pub(crate) fn auth(&self) -> Option<&HeaderValue> {
        self.auth.as_ref()
    }

    /// `{base}/{action}`, with the action percent-encoded as one path segment. Built on the
    /// base URL parsed once, so a call does not parse its URL again.
    fn action_url(&self, action: &str) -> reqwest::Url {
        let mut url = self.base_url.clone();
        // Checked in `new`: an http(s) URL has a path to add to.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push(action);
        }
        url
    }

    /// Posts one call; the reply's headers have arrived when this returns.
    async fn post(&self, action: &str, params: String) -> Result<reqwest::Response, Error> {
        const JSON: HeaderValue = HeaderValue::from_static("application/json");
        let mut req = self
            .http
            .post(self.action_url(action))
            .header(CONTENT_TYPE, JSON)
            .body(params);
        if let Some(auth) = &self.auth {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        req.send().await.map_err(|e| self.failed(action, e))
    }

    /// Sends one stream action's call; its envelopes are read from the body as they arrive.
    pub(crate) async fn send_stream(
        &self,
        action: &str,
        params: String,
    ) -> Result<HttpPackets, Error> {
        let resp = self.post(action, params).await?;
        Ok(HttpPackets {
            status: resp.status().as_u16(),
            resp,
            buf: Vec::new(),
            scanned: 0,
            max_reply_bytes: self.max_reply_bytes,
        })
    }

    /// The error for a call that got no reply within `after`.
    pub(crate) fn timed_out(action: &str, after: Duration) -> Error {
        Error::Timeout {
            action: action.to_owned(),
            after,
        }
    }

    pub(crate) async fn send(&self, action: &str, params: String) -> Result<RawReply, Error> {
        let transport = |e: reqwest::Error| self.failed(action, e);
        let mut resp = self.post(action, params).await?;
        let status = resp.status().as_u16();
        if status == 426 {
            // What a WebSocket server (Node's `ws`, NapCat's) answers a plain HTTP request.
            return Err(Error::BadReply {
                action: action.to_owned(),
                http_status: Some(status),
                reason: format!(
                    "{} wants a WebSocket upgrade (426 Upgrade Required): it is a WebSocket \
                     port; {WS_PORT_FIX}",
                    self.shown
                ),
                body: resp.bytes().await.unwrap_or_default().into(),
            });
        }
        let too_large = |body: Vec<u8>| Error::BadReply {
            action: action.to_owned(),
            http_status: Some(status),
            reason: format!(
                "reply larger than the maximum of {} bytes (ClientBuilder::max_reply_size); only its first {} bytes are kept",
                self.max_reply_bytes,
                body.len()
            ),
            body: body.into(),
        };
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_reply_bytes as u64)
        {
            // Keep the start (up to 4 KiB, within the limit) to show what the server sent.
            let keep = self.max_reply_bytes.min(4096);
            let mut start = Vec::new();
            while start.len() < keep {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        let room = keep - start.len();
                        start.extend_from_slice(&chunk[..room.min(chunk.len())]);
                    }
                    _ => break,
                }
            }
            return Err(too_large(start));
        }
        if resp.content_length().is_some() {
            // Within the limit (checked above), and the body cannot run past its stated length:
            // taken as received, without copying it chunk by chunk.
            let body = resp.bytes().await.map_err(transport)?;
            return Ok(RawReply::new(Some(status), body));
        }
        // Read chunk by chunk so a reply without a length cannot outgrow the limit.
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.max_reply_bytes {
                let room = self.max_reply_bytes - body.len();
                body.extend_from_slice(&chunk[..room.min(4096)]);
                return Err(too_large(body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawReply::new(Some(status), body))
    }
}

impl HttpTransport {
    /// A request to `action` that failed on its way: the error names where it went, and
    /// what to change when the port looks like a WebSocket one.
    fn failed(&self, action: &str, e: reqwest::Error) -> Error {
        let cause = crate::error::chain(&e.without_url());
        // hyper's words for a peer that closed without answering, as a WebSocket server
        // that is not Node's does with a plain HTTP request.
        let hint = cause
            .contains("connection closed before message completed")
            .then_some(WS_PORT_FIX);
        Error::Transport {
            action: action.to_owned(),
            source: Box::new(RequestFailed {
                what: format!("POST {}/{action}: {cause}", self.shown),
                hint,
            }),
        }
    }
}

/// A reply body that broke off while it was read.
fn body_read_failed(action: &str, e: reqwest::Error) -> Error {
    Error::Transport {
        action: action.to_owned(),
        source: Box::new(e.without_url()),
    }
}

/// What to change when an HTTP client was given a WebSocket port.
const WS_PORT_FIX: &str = "if this is NapCat's WebSocket server, connect with \
    Client::builder().ws_url(\"ws://host:port/\"); for HTTP calls use the port of an \
    `httpServers` entry";

/// An HTTP request that failed before a reply: where it went, why, and a likely fix.
#[derive(Debug)]
struct RequestFailed {
    what: String,
    hint: Option<&'static str>,
}

impl fmt::Display for RequestFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)?;
        match self.hint {
            Some(hint) => write!(f, " ({hint})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for RequestFailed {}

/// What separates the envelopes of a stream action's reply body: NapCat writes each one
/// followed by this (`network/http-server.ts`); JSON text never holds it unescaped.
const ENVELOPE_END: &[u8] = b"\r\n\r\n";

/// The envelopes of a stream action's reply, read from the body one at a time: memory holds
/// one envelope (at most the client's `max_reply_size`), whatever the body's length.
pub(crate) struct HttpPackets {
    resp: reqwest::Response,
    status: u16,
    buf: Vec<u8>,
    /// How far `buf` has been searched for [`ENVELOPE_END`] without finding it.
    scanned: usize,
    max_reply_bytes: usize,
}

impl HttpPackets {
    /// The next envelope, `None` when the body ended.
    pub(crate) async fn next(&mut self, action: &str) -> Result<Option<RawReply>, Error> {
        loop {
            let from = self.scanned.saturating_sub(ENVELOPE_END.len() - 1);
            if let Some(at) = self.buf[from..]
                .windows(ENVELOPE_END.len())
                .position(|w| w == ENVELOPE_END)
            {
                let end = from + at;
                let rest = self.buf.split_off(end + ENVELOPE_END.len());
                let mut piece = std::mem::replace(&mut self.buf, rest);
                piece.truncate(end);
                self.scanned = 0;
                if piece.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(RawReply::new(Some(self.status), piece)));
            }
            self.scanned = self.buf.len();
            if self.buf.len() > self.max_reply_bytes {
                self.buf.truncate(4096);
                return Err(Error::BadReply {
                    action: action.to_owned(),
                    http_status: Some(self.status),
                    reason: format!(
                        "one envelope of the stream is larger than the maximum of {} bytes (ClientBuilder::max_reply_size); only its first 4096 bytes are kept",
                        self.max_reply_bytes
                    ),
                    body: std::mem::take(&mut self.buf).into(),
                });
            }
            match self
                .resp
                .chunk()
                .await
                .map_err(|e| body_read_failed(action, e))?
            {
                Some(chunk) => self.buf.extend_from_slice(&chunk),
                None if self.buf.iter().all(u8::is_ascii_whitespace) => return Ok(None),
                None => {
                    let last = std::mem::take(&mut self.buf);
                    return Ok(Some(RawReply::new(Some(self.status), last)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_of(base: &str, action: &str) -> String {
        HttpTransport::new(reqwest::Client::new(), base, None, 1024)
            .unwrap()
            .action_url(action)
            .to_string()
    }

    #[test]
    fn an_action_url_adds_one_segment_to_the_base_path() {
        let cases = [
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000/get_status"),
            ("http://127.0.0.1:3000/", "http://127.0.0.1:3000/get_status"),
            ("http://h/napcat", "http://h/napcat/get_status"),
            ("http://h/napcat/", "http://h/napcat/get_status"),
            ("https://h/a/b/?x=1", "https://h/a/b/get_status?x=1"),
        ];
        for (base, want) in cases {
            assert_eq!(url_of(base, "get_status"), want, "base {base}");
        }
    }

    #[test]
    fn an_action_name_cannot_leave_its_segment() {
        assert_eq!(url_of("http://h/", "a/../b?c"), "http://h/a%2F..%2Fb%3Fc");
    }

    #[test]
    fn a_base_that_is_not_http_is_refused() {
        for base in ["ws://h/", "mailto:a@b", "not a url"] {
            let err = HttpTransport::new(reqwest::Client::new(), base, None, 1024).unwrap_err();
            assert!(err.to_string().contains(base), "{err}");
        }
    }
}
