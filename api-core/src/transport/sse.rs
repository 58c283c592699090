//! Events over HTTP: NapCat's SSE stream (`GET /_events`, an `httpSseServers` entry in its
//! network config), read by a background task that reconnects with backoff.
//!
//! NapCat writes each event as `data: <json>` and a blank line, with no `event:` or `id:`
//! lines, no keep-alive comments and no heartbeat (packages/napcat-onebot/network/
//! http-server-sse.ts). Stream-action chunks of calls made on that server also appear there;
//! they have no `post_type` and are skipped.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use tokio::task::JoinHandle;

use crate::transport::Backoff;
use crate::wire::reply::log_text;

/// Where and how to read the stream.
pub(crate) struct SseSource {
    pub http: reqwest::Client,
    pub url: String,
    pub auth: Option<HeaderValue>,
    pub max_event_bytes: usize,
    pub backoff: Backoff,
}

/// Starts reading; events go to `events` until the task is aborted.
pub(crate) fn spawn(source: SseSource, events: crate::events::bus::EventBus) -> JoinHandle<()> {
    tokio::spawn(read_loop(source, events))
}

async fn read_loop(source: SseSource, events: crate::events::bus::EventBus) {
    let mut delay = source.backoff.initial;
    loop {
        match read_once(&source, &events).await {
            End::Refused => {
                tracing::error!(url = %source.url, "the server refused the access token for the event stream; not retrying");
                return;
            }
            End::Lost { reason, received } => {
                if received {
                    delay = source.backoff.initial;
                }
                tracing::warn!(url = %source.url, %reason, retry_in = ?delay, "event stream ended; reconnecting");
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(source.backoff.max);
    }
}

enum End {
    Refused,
    Lost { reason: String, received: bool },
}

async fn read_once(source: &SseSource, events: &crate::events::bus::EventBus) -> End {
    let lost = |reason: String, received| End::Lost { reason, received };
    let mut req = source
        .http
        .get(&source.url)
        .header(ACCEPT, "text/event-stream");
    if let Some(auth) = &source.auth {
        req = req.header(AUTHORIZATION, auth.clone());
    }
    let mut resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return lost(crate::error::chain(&e.without_url()), false),
    };
    match resp.status().as_u16() {
        200..=299 => {}
        401 | 403 => return End::Refused,
        other => return lost(format!("HTTP {other}"), false),
    }
    let mut frames = Frames::default();
    let mut received = false;
    loop {
        let chunk = match resp.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return lost("the server closed the stream".into(), received),
            Err(e) => return lost(crate::error::chain(&e.without_url()), received),
        };
        frames.push(&chunk);
        while let Some(data) = frames.next_data() {
            received = true;
            deliver(data, events);
        }
        if frames.pending() > source.max_event_bytes {
            return lost(
                format!(
                    "an event larger than {} bytes (ClientBuilder::max_reply_size)",
                    source.max_event_bytes
                ),
                received,
            );
        }
    }
}

fn deliver(data: String, events: &crate::events::bus::EventBus) {
    match crate::events::is_event(data.as_bytes()) {
        Ok(true) => {
            events.send(bytes::Bytes::from(data));
        }
        Ok(false) => tracing::debug!("skipping a stream frame that is not an event"),
        Err(e) => {
            tracing::warn!(error = %e, frame = %log_text(data.as_bytes()), "skipping an event that is not JSON")
        }
    }
}

/// Splits the byte stream into events: blocks ended by a blank line, whose `data:` lines are
/// joined with newlines (the SSE rules NapCat's framing is a case of).
///
/// Each byte is looked at a bounded number of times however the stream is cut into chunks:
/// the search for a blank line goes on from where the last one stopped, and the events read
/// are cut off the buffer once per event, not once per chunk.
#[derive(Default)]
struct Frames {
    buf: Vec<u8>,
    /// Where the part of `buf` not yet read starts.
    start: usize,
    /// How far past `start` the search for a blank line has looked without finding one.
    scanned: usize,
    /// Bytes looked at by the search, all told.
    #[cfg(test)]
    examined: usize,
}

impl Frames {
    fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes of the event still being received.
    fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete event's data, if a whole one is buffered.
    fn next_data(&mut self) -> Option<String> {
        loop {
            let rest = &self.buf[self.start..];
            // A separator may have begun in the bytes already looked at.
            let from = self.scanned.saturating_sub(3);
            #[cfg(test)]
            {
                self.examined += rest.len() - from;
            }
            let Some((end, sep)) = find_blank_line(&rest[from..]).map(|(i, n)| (from + i, n))
            else {
                self.scanned = rest.len();
                return None;
            };
            let text = String::from_utf8_lossy(&rest[..end]);
            let mut data = String::new();
            let mut any = false;
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("data:") {
                    if any {
                        data.push('\n');
                    }
                    data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
                    any = true;
                }
            }
            self.start += end + sep;
            self.scanned = 0;
            if any {
                return Some(data);
            }
        }
    }
}

/// Where the first blank line starts and how long the separator is (`\n\n`, `\r\n\r\n`).
/// One pass that stops at the first separator: each line end is looked at once.
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(p) = buf[from..].iter().position(|&b| b == b'\n') {
        let n = from + p;
        match buf.get(n + 1) {
            Some(b'\n') => return Some((n, 2)),
            Some(b'\r') if n > 0 && buf[n - 1] == b'\r' && buf.get(n + 2) == Some(&b'\n') => {
                return Some((n - 1, 4));
            }
            _ => from = n + 1,
        }
    }
    None
}

/// How long to wait before the first reconnect by default.
pub(crate) const DEFAULT_RETRY: Duration = Duration::from_millis(500);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_separator_of_either_kind_is_found() {
        assert_eq!(find_blank_line(b"a\n\nb\r\n\r\n"), Some((1, 2)));
        assert_eq!(find_blank_line(b"a\r\n\r\nb\n\n"), Some((1, 4)));
        assert_eq!(find_blank_line(b"\n\n"), Some((0, 2)));
        assert_eq!(find_blank_line(b"a\n\r\nb"), None);
        assert_eq!(find_blank_line(b"a\r\n\r"), None);
    }

    #[test]
    fn frames_split_on_blank_lines_whatever_the_chunks() {
        let stream = b"data: {\"a\":1}\n\ndata: {\"b\":\r\ndata: 2}\r\n\r\n: comment\n\n";
        for cut in 0..stream.len() {
            let mut f = Frames::default();
            let mut got = Vec::new();
            f.push(&stream[..cut]);
            while let Some(d) = f.next_data() {
                got.push(d);
            }
            f.push(&stream[cut..]);
            while let Some(d) = f.next_data() {
                got.push(d);
            }
            assert_eq!(got, ["{\"a\":1}", "{\"b\":\n2}"], "cut at {cut}");
        }
    }

    /// One large event arriving in small chunks (a stream without length framing) is searched
    /// once, not once per chunk: 4 MiB in 1 KiB chunks looked at 4,096 times over would be
    /// 8 GiB of scanning.
    #[test]
    fn a_large_event_in_small_chunks_is_scanned_once() {
        let event = format!("data: {{\"pad\":\"{}\"}}\n\n", "x".repeat(4 << 20));
        let mut f = Frames::default();
        let mut got = Vec::new();
        for chunk in event.as_bytes().chunks(1024).chain([&b"data: 2\n\n"[..]]) {
            f.push(chunk);
            while let Some(d) = f.next_data() {
                got.push(d.len());
            }
        }
        assert_eq!(got, [event.len() - 8, 1]);
        assert!(
            f.examined < 2 * event.len(),
            "{} bytes looked at for {}",
            f.examined,
            event.len()
        );
    }
}
