//! Checks a reply's envelope and decodes the typed result straight from the reply bytes.

use std::borrow::Cow;
use std::ops::Range;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::value::RawValue;

use crate::error::Error;

/// A reply as a transport received it.
#[derive(Debug, Clone)]
pub struct RawReply {
    /// The HTTP status, on HTTP.
    pub http_status: Option<u16>,
    /// The body or frame.
    pub body: Bytes,
    /// The envelope, when the transport already read it (WebSocket reads it to route the
    /// frame); decoding then reads only `data`.
    pub parsed: Option<Parsed>,
}

impl RawReply {
    /// A reply whose envelope has not been read yet.
    pub fn new(http_status: Option<u16>, body: impl Into<Bytes>) -> RawReply {
        RawReply {
            http_status,
            body: body.into(),
            parsed: None,
        }
    }
}

/// NapCat's envelope as it is parsed, borrowing from the reply; `data` stays raw JSON.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// `ok`, `failed` or (OneBot 11 `_async`) `async`.
    #[serde(borrow, default, deserialize_with = "borrowed_text")]
    pub status: Option<Cow<'a, str>>,
    /// 0 on success.
    #[serde(default)]
    pub retcode: Option<i64>,
    /// The result; absent or null for actions that return nothing.
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
    /// Error text on failure (borrowed from the reply unless it holds escapes).
    #[serde(borrow, default, deserialize_with = "borrowed_text")]
    pub message: Option<Cow<'a, str>>,
    /// Same text as `message`.
    #[serde(borrow, default, deserialize_with = "borrowed_text")]
    pub wording: Option<Cow<'a, str>>,
    /// The request's echo, on WebSocket.
    #[serde(borrow, default)]
    pub echo: Option<&'a RawValue>,
    /// Present on events, which are not replies.
    #[serde(default)]
    pub post_type: Option<IgnoredAny>,
}

/// A string or `null`, borrowed from the reply unless it holds escapes. (Serde borrows a `Cow`
/// field itself, but one inside an `Option` it copies.)
fn borrowed_text<'de, D>(deserializer: D) -> Result<Option<Cow<'de, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Text;
    impl<'de> serde::de::Visitor<'de> for Text {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
    }
    deserializer.deserialize_option(Text)
}

/// What an envelope says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `status: "ok"`, retcode 0.
    Ok,
    /// `status: "async"`, retcode 1: accepted for background processing (OneBot 11 `_async`).
    Accepted,
    /// Anything else.
    Failed,
}

impl Envelope<'_> {
    /// Classifies the envelope.
    pub fn outcome(&self) -> Outcome {
        Outcome::of(self.status.as_deref(), self.retcode)
    }
}

impl Outcome {
    /// What an envelope's `status` and `retcode` say.
    fn of(status: Option<&str>, retcode: Option<i64>) -> Outcome {
        match (status, retcode) {
            (Some("async"), _) | (None, Some(1)) => Outcome::Accepted,
            (Some("ok") | None, Some(0)) | (Some("ok"), None) => Outcome::Ok,
            _ => Outcome::Failed,
        }
    }
}

/// An envelope read with its `data` as `T` in the same pass (see [`decode_succeeded`]).
#[derive(Deserialize)]
struct Succeeded<'a, T> {
    #[serde(borrow, default, deserialize_with = "borrowed_text")]
    status: Option<Cow<'a, str>>,
    #[serde(default)]
    retcode: Option<i64>,
    /// `None` when absent or null.
    data: Option<T>,
}

/// The envelope of a reply, owned: what decoding needs, and where `data` is in the bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// What the envelope says happened.
    pub outcome: Outcome,
    /// The retcode, if sent.
    pub retcode: Option<i64>,
    /// The message, if sent.
    pub message: Option<String>,
    /// The wording, if sent.
    pub wording: Option<String>,
    /// The byte range of `data` in the body; `None` when absent or null.
    pub data: Option<Range<usize>>,
}

impl Parsed {
    /// Takes what decoding needs from an envelope parsed from `body`.
    pub fn new(env: Envelope<'_>, body: &[u8]) -> Parsed {
        let data = env.data.filter(|d| d.get() != "null").map(|d| {
            // `data` borrows from `body`, so its offset is where it starts in the body.
            let start = d.get().as_ptr() as usize - body.as_ptr() as usize;
            start..start + d.get().len()
        });
        Parsed {
            outcome: env.outcome(),
            retcode: env.retcode,
            message: env.message.map(Cow::into_owned),
            wording: env.wording.map(Cow::into_owned),
            data,
        }
    }

    /// The raw JSON text of `data`.
    pub fn data_text<'b>(&self, body: &'b [u8]) -> Option<&'b str> {
        self.data
            .clone()
            .and_then(|r| body.get(r))
            .and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// Decodes the `data` of a successful reply (a stream's packet) as `T`, without the checks
/// a result gets.
pub fn decode_data<T: DeserializeOwned>(action: &str, reply: &RawReply) -> Result<T, Error> {
    let parsed = parse(action, reply)?;
    from_data(action, parsed.data_text(&reply.body), reply)
}

/// Per-action facts the decoder needs.
#[derive(Debug, Clone, Copy)]
pub struct DecodeRules {
    /// The wire action, for error messages.
    pub action: &'static str,
    /// See [`Action::FAILURE_FLAG`](crate::action::Action::FAILURE_FLAG).
    pub failure_flag: Option<&'static str>,
    /// See [`Action::DISCARDS_DATA`](crate::action::Action::DISCARDS_DATA).
    pub discards_data: bool,
}

fn bad_reply(action: &str, reply: &RawReply, reason: String) -> Error {
    Error::BadReply {
        action: action.to_owned(),
        http_status: reply.http_status,
        reason,
        body: reply.body.clone().into(),
    }
}

/// Reads the envelope of `reply` (or takes the one the transport read), turning anything that
/// is not an envelope into an error.
pub fn parse(action: &str, reply: &RawReply) -> Result<Parsed, Error> {
    match &reply.parsed {
        Some(p) => Ok(p.clone()),
        None => parse_envelope(action, reply).map(|env| Parsed::new(env, &reply.body)),
    }
}

/// Parses the envelope of a reply that has none parsed yet, borrowing from its bytes.
pub(crate) fn parse_envelope<'a>(action: &str, reply: &'a RawReply) -> Result<Envelope<'a>, Error> {
    match reply.http_status {
        Some(403) => {
            #[derive(Deserialize)]
            struct Denied {
                message: String,
            }
            let message = serde_json::from_slice::<Denied>(&reply.body)
                .map(|d| d.message)
                .unwrap_or_else(|_| String::from_utf8_lossy(&reply.body).into_owned());
            return Err(Error::Auth {
                action: action.to_owned(),
                message,
                http_status: Some(403),
            });
        }
        Some(200) | None => {}
        Some(status) => {
            return Err(bad_reply(
                action,
                reply,
                format!("HTTP status {status} where NapCat always answers 200"),
            ));
        }
    }
    if reply.body.is_empty() {
        return Err(bad_reply(
            action,
            reply,
            "empty body where a JSON envelope was expected".into(),
        ));
    }
    // The first envelope counts: a body may hold several (a stream action's chunks, or a
    // server that sent its reply twice); the rest stays in the reply's body. UTF-8 is checked
    // once for the whole body, so that reading each string need not check it again.
    let (first, end) = match std::str::from_utf8(&reply.body) {
        Ok(text) => first_envelope(serde_json::Deserializer::from_str(text).into_iter()),
        Err(_) => first_envelope(serde_json::Deserializer::from_slice(&reply.body).into_iter()),
    };
    let env: Envelope = match first {
        Some(Ok(env)) => env,
        Some(Err(e)) => {
            return Err(bad_reply(
                action,
                reply,
                format!("not a JSON envelope: {e}"),
            ));
        }
        None => {
            return Err(bad_reply(
                action,
                reply,
                "no JSON in the body where an envelope was expected".into(),
            ));
        }
    };
    let rest = reply.body.len() - end;
    if reply.body[end..].iter().any(|b| !b.is_ascii_whitespace()) {
        tracing::debug!(
            action,
            bytes = rest,
            "reply body holds more after the first envelope; kept in the body"
        );
    }
    if env.status.is_none() && env.retcode.is_none() {
        return Err(bad_reply(
            action,
            reply,
            "JSON without `status` or `retcode`: not a NapCat envelope".into(),
        ));
    }
    Ok(env)
}

/// The first envelope `values` reads, and where reading stopped.
fn first_envelope<'a, R: serde_json::de::Read<'a>>(
    mut values: serde_json::StreamDeserializer<'a, R, Envelope<'a>>,
) -> (Option<serde_json::Result<Envelope<'a>>>, usize) {
    (values.next(), values.byte_offset())
}

/// An envelope's parts as decoding reads them, borrowed from the reply.
struct View<'a> {
    outcome: Outcome,
    retcode: Option<i64>,
    message: Option<&'a str>,
    wording: Option<&'a str>,
    data: Option<&'a str>,
}

/// Checks `reply` and decodes its `data` as `T`.
pub fn decode<T: DeserializeOwned>(rules: DecodeRules, reply: &RawReply) -> Result<T, Error> {
    match &reply.parsed {
        Some(p) => decode_view(
            rules,
            View {
                outcome: p.outcome,
                retcode: p.retcode,
                message: p.message.as_deref(),
                wording: p.wording.as_deref(),
                data: p.data_text(&reply.body),
            },
            reply,
        ),
        None => decode_succeeded(rules, reply).map_or_else(|| decode_checked(rules, reply), Ok),
    }
}

/// Reads the envelope, checks it, then decodes `data` from the borrowed envelope: `data` is
/// read in place, never copied.
fn decode_checked<T: DeserializeOwned>(rules: DecodeRules, reply: &RawReply) -> Result<T, Error> {
    let env = parse_envelope(rules.action, reply)?;
    let view = View {
        outcome: env.outcome(),
        retcode: env.retcode,
        message: env.message.as_deref(),
        wording: env.wording.as_deref(),
        data: env.data.map(RawValue::get).filter(|d| *d != "null"),
    };
    decode_view(rules, view, reply)
}

/// The common case in one pass: a reply whose envelope says it succeeded and whose `data` is a
/// `T`, read together. `None` for anything else (a failure, a body that is not one envelope,
/// `data` that is not a `T`, an action with a failure flag or whose data is discarded): the
/// envelope is then read first and checked, which names what is wrong. Where this gives a
/// value, that reading gives the same one.
fn decode_succeeded<T: DeserializeOwned>(rules: DecodeRules, reply: &RawReply) -> Option<T> {
    if rules.failure_flag.is_some()
        || rules.discards_data
        || !matches!(reply.http_status, Some(200) | None)
    {
        return None;
    }
    // As `parse_envelope` does: UTF-8 checked once, so strings are not checked again.
    let text = std::str::from_utf8(&reply.body).ok()?;
    let env: Succeeded<T> = serde_json::from_str(text).ok()?;
    if Outcome::of(env.status.as_deref(), env.retcode) != Outcome::Ok {
        return None;
    }
    match env.data {
        Some(data) => Some(data),
        None => serde_json::from_str("null").ok(),
    }
}

fn decode_view<T: DeserializeOwned>(
    rules: DecodeRules,
    view: View<'_>,
    reply: &RawReply,
) -> Result<T, Error> {
    let action = rules.action;
    if view.outcome == Outcome::Accepted {
        return from_data(action, None, reply).map_err(|e| match e {
            Error::Decode { action, body, .. } => Error::Decode {
                action,
                path: "data".into(),
                message: "the server accepted the call for background processing (status \"async\") and sent no result".into(),
                body,
            },
            other => other,
        });
    }
    if view.outcome == Outcome::Failed {
        return Err(failure(
            action,
            view.retcode,
            view.message,
            view.wording,
            reply,
        ));
    }
    if let (Some(flag), Some(data)) = (rules.failure_flag, view.data) {
        check_failure_flag(action, flag, data, reply)?;
    }
    if rules.discards_data {
        if let Some(data) = view.data {
            tracing::debug!(action, data = %truncate(data), "ignoring data of an action that returns ()");
        }
        return from_data(action, None, reply);
    }
    from_data(action, view.data, reply)
}

fn failure(
    action: &str,
    retcode: Option<i64>,
    message: Option<&str>,
    wording: Option<&str>,
    reply: &RawReply,
) -> Error {
    let retcode = retcode.unwrap_or(-1);
    let message = message.unwrap_or_default().to_owned();
    if retcode == 1403 {
        return Error::Auth {
            action: action.to_owned(),
            message,
            http_status: None,
        };
    }
    Error::Api {
        action: action.to_owned(),
        retcode,
        wording: wording.map_or_else(|| message.clone(), str::to_owned),
        message,
        body: reply.body.clone().into(),
    }
}

/// Turns a failure envelope into [`Error::Auth`] (retcode 1403) or [`Error::Api`].
pub fn check_failed(action: &str, parsed: &Parsed, reply: &RawReply) -> Result<(), Error> {
    if parsed.outcome != Outcome::Failed {
        return Ok(());
    }
    Err(failure(
        action,
        parsed.retcode,
        parsed.message.as_deref(),
        parsed.wording.as_deref(),
        reply,
    ))
}

fn check_failure_flag(action: &str, flag: &str, data: &str, reply: &RawReply) -> Result<(), Error> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(data) else {
        return Ok(());
    };
    if map.get(flag) == Some(&serde_json::Value::Bool(false)) {
        let message = map
            .get("message")
            .and_then(|m| m.as_str())
            .map_or_else(|| format!("`data.{flag}` is false"), str::to_owned);
        return Err(Error::Api {
            action: action.to_owned(),
            retcode: 0,
            wording: message.clone(),
            message,
            body: reply.body.clone().into(),
        });
    }
    Ok(())
}

fn from_data<T: DeserializeOwned>(
    action: &str,
    data: Option<&str>,
    reply: &RawReply,
) -> Result<T, Error> {
    let text = data.unwrap_or("null");
    serde_json::from_str(text).map_err(|first| {
        // Decode again with path tracking only on failure, so success costs nothing extra.
        let mut de = serde_json::Deserializer::from_str(text);
        let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => (e.path().to_string(), e.inner().to_string()),
            Ok(_) => (".".to_owned(), first.to_string()),
        };
        // serde quotes the offending value; the reply itself stays in `body`.
        let message = crate::error::short(&message).into_owned();
        Error::Decode {
            action: action.to_owned(),
            path: match path.as_str() {
                "." => "data".to_owned(),
                p if p.starts_with('[') => format!("data{p}"),
                p => format!("data.{p}"),
            },
            message,
            body: reply.body.clone().into(),
        }
    })
}

fn truncate(s: &str) -> Cow<'_, str> {
    const MAX: usize = 512;
    if s.len() <= MAX {
        Cow::Borrowed(s)
    } else {
        let mut end = MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        Cow::Owned(format!("{}… ({} bytes)", &s[..end], s.len()))
    }
}

/// Truncates a body for logs.
pub(crate) fn log_text(body: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(body) {
        Ok(s) => truncate(s),
        Err(_) => Cow::Owned(format!("({} bytes, not UTF-8)", body.len())),
    }
}

/// Whether a stream envelope is one of its packets (`data.type` is `"stream"`), not the final
/// result or a failure.
pub(crate) fn is_packet(parsed: &Parsed, body: &[u8]) -> bool {
    parsed.outcome == Outcome::Ok
        && parsed
            .data
            .clone()
            .and_then(|r| body.get(r))
            .is_some_and(crate::wire::tag_scan::is_stream_tag)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Login {
        user_id: i64,
        nickname: String,
    }

    const RULES: DecodeRules = DecodeRules {
        action: "get_login_info",
        failure_flag: None,
        discards_data: false,
    };

    /// Decodes `body` both ways: where the one pass gives a value, the checked reading must
    /// give the same. Returns whether the one pass gave it.
    fn same_both_ways<T: DeserializeOwned + PartialEq + std::fmt::Debug>(
        rules: DecodeRules,
        status: Option<u16>,
        body: &str,
    ) -> bool {
        let reply = RawReply::new(status, body.as_bytes().to_vec());
        let Some(fast) = decode_succeeded::<T>(rules, &reply) else {
            return false;
        };
        match decode_checked::<T>(rules, &reply) {
            Ok(checked) => assert_eq!(fast, checked, "{body}"),
            Err(e) => panic!("one pass gave {fast:?}, the checked reading {e}: {body}"),
        }
        true
    }

    #[test]
    fn a_succeeded_reply_is_read_in_one_pass_and_anything_else_is_checked_first() {
        let data = r#"{"user_id":1,"nickname":"n\u0041"}"#;
        let one_pass = [
            format!(r#"{{"status":"ok","retcode":0,"data":{data},"message":"","wording":""}}"#),
            format!(r#"{{"data":{data},"extra":[1,{{}}],"retcode":0}}"#),
            format!(r#"{{"status":"o\u006b","data":{data}}}"#),
            format!(" {{\"status\":\"ok\",\"retcode\":0,\"data\":{data}}}\r\n"),
        ];
        for body in &one_pass {
            assert!(same_both_ways::<Login>(RULES, Some(200), body), "{body}");
            assert!(same_both_ways::<Login>(RULES, None, body), "{body}");
        }
        let checked_first = [
            r#"{"status":"failed","retcode":1200,"data":null,"message":"no"}"#.to_owned(),
            format!(r#"{{"status":"failed","retcode":1200,"data":{data}}}"#),
            r#"{"status":"async","retcode":1}"#.to_owned(),
            r#"{"status":"ok","retcode":0,"data":{"user_id":"x"}}"#.to_owned(),
            format!(r#"{{"status":"ok","retcode":0,"data":{data}}}{{"status":"ok"}}"#),
            format!(r#"{{"data":{data}}}"#),
            format!(r#"{{"status":"ok","data":{data},"data":{data}}}"#),
            "not json".to_owned(),
            String::new(),
        ];
        for body in &checked_first {
            assert!(!same_both_ways::<Login>(RULES, Some(200), body), "{body}");
        }
        let ok = format!(r#"{{"status":"ok","retcode":0,"data":{data}}}"#);
        assert!(!same_both_ways::<Login>(RULES, Some(500), &ok));
        let flagged = DecodeRules {
            failure_flag: Some("result"),
            ..RULES
        };
        assert!(!same_both_ways::<Login>(flagged, Some(200), &ok));
        let discarded = DecodeRules {
            discards_data: true,
            ..RULES
        };
        assert!(!same_both_ways::<()>(discarded, Some(200), &ok));
    }

    #[test]
    fn absent_or_null_data_reads_as_json_null_both_ways() {
        for body in [
            r#"{"status":"ok","retcode":0,"data":null}"#,
            r#"{"status":"ok","retcode":0}"#,
        ] {
            assert!(same_both_ways::<()>(RULES, Some(200), body));
            assert!(same_both_ways::<Option<Login>>(RULES, Some(200), body));
            assert!(same_both_ways::<serde_json::Value>(RULES, Some(200), body));
            assert!(!same_both_ways::<Login>(RULES, Some(200), body));
        }
        let some = r#"{"status":"ok","retcode":0,"data":{"user_id":2,"nickname":""}}"#;
        assert!(same_both_ways::<Option<Login>>(RULES, Some(200), some));
    }

    #[test]
    fn envelope_text_is_borrowed_unless_it_holds_escapes() {
        let body = r#"{"status":"ok","retcode":0,"message":"tab\there","wording":null}"#;
        let env: Envelope<'_> = serde_json::from_str(body).unwrap();
        assert!(matches!(env.status, Some(Cow::Borrowed("ok"))));
        assert_eq!(env.message.as_deref(), Some("tab\there"));
        assert!(matches!(env.message, Some(Cow::Owned(_))));
        assert_eq!(env.wording, None);
        let env: Envelope<'_> = serde_json::from_str(r#"{"retcode":1}"#).unwrap();
        assert_eq!((env.status, env.message), (None, None));
    }

    #[test]
    fn a_status_that_is_not_text_is_an_error() {
        let err = serde_json::from_str::<Envelope<'_>>(r#"{"status":1,"retcode":0}"#).unwrap_err();
        assert!(err.to_string().contains("a string or null"), "{err}");
    }
}
