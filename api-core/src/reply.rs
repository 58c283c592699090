//! Checks a reply's envelope and decodes the typed result straight from the reply bytes.

use std::borrow::Cow;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::Error;

/// A reply as a transport received it.
#[derive(Debug, Clone)]
pub struct RawReply {
    /// The HTTP status, on HTTP.
    pub http_status: Option<u16>,
    /// The body or frame.
    pub body: Bytes,
}

/// The parts of NapCat's envelope the client reads; `data` is kept as raw JSON.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// `ok`, `failed` or (OneBot 11 `_async`) `async`.
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    /// 0 on success.
    #[serde(default)]
    pub retcode: Option<i64>,
    /// The result; absent or null for actions that return nothing.
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
    /// Error text on failure.
    #[serde(default)]
    pub message: Option<String>,
    /// Same text as `message`.
    #[serde(default)]
    pub wording: Option<String>,
    /// The request's echo, on WebSocket.
    #[serde(borrow, default)]
    pub echo: Option<&'a RawValue>,
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
        match (self.status.as_deref(), self.retcode) {
            (Some("async"), _) | (None, Some(1)) => Outcome::Accepted,
            (Some("ok") | None, Some(0)) | (Some("ok"), None) => Outcome::Ok,
            _ => Outcome::Failed,
        }
    }
}

/// Per-action facts the decoder needs.
#[derive(Debug, Clone, Copy)]
pub struct DecodeRules {
    /// The wire action, for error messages.
    pub action: &'static str,
    /// See [`Action::FAILURE_FLAG`](crate::Action::FAILURE_FLAG).
    pub failure_flag: Option<&'static str>,
    /// See [`Action::DISCARDS_DATA`](crate::Action::DISCARDS_DATA).
    pub discards_data: bool,
}

/// Parses the envelope of `reply`, turning anything that is not one into an error.
pub fn parse_envelope<'a>(action: &str, reply: &'a RawReply) -> Result<Envelope<'a>, Error> {
    let bad = |reason: String| Error::BadReply {
        action: action.to_owned(),
        http_status: reply.http_status,
        reason,
        body: reply.body.clone().into(),
    };
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
            return Err(bad(format!(
                "HTTP status {status} where NapCat always answers 200"
            )));
        }
    }
    if reply.body.is_empty() {
        return Err(bad("empty body where a JSON envelope was expected".into()));
    }
    let env: Envelope = serde_json::from_slice(&reply.body)
        .map_err(|e| bad(format!("not a JSON envelope: {e}")))?;
    if env.status.is_none() && env.retcode.is_none() {
        return Err(bad(
            "JSON without `status` or `retcode`: not a NapCat envelope".into(),
        ));
    }
    Ok(env)
}

/// Checks `reply` and decodes its `data` as `T`.
pub fn decode<T: DeserializeOwned>(rules: DecodeRules, reply: &RawReply) -> Result<T, Error> {
    let action = rules.action;
    let env = parse_envelope(action, reply)?;
    if env.outcome() == Outcome::Accepted {
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
    check_failed(action, &env, reply)?;
    if let (Some(flag), Some(data)) = (rules.failure_flag, env.data) {
        check_failure_flag(action, flag, data, reply)?;
    }
    if rules.discards_data {
        if let Some(data) = env.data {
            tracing::debug!(action, data = %truncate(data.get()), "ignoring data of an action that returns ()");
        }
        return from_data(action, None, reply);
    }
    from_data(action, env.data, reply)
}

/// Turns a failure envelope into [`Error::Auth`] (retcode 1403) or [`Error::Api`].
pub fn check_failed(action: &str, env: &Envelope<'_>, reply: &RawReply) -> Result<(), Error> {
    if env.outcome() != Outcome::Failed {
        return Ok(());
    }
    let retcode = env.retcode.unwrap_or(-1);
    let message = env.message.clone().unwrap_or_default();
    if retcode == 1403 {
        return Err(Error::Auth {
            action: action.to_owned(),
            message,
            http_status: None,
        });
    }
    Err(Error::Api {
        action: action.to_owned(),
        retcode,
        wording: env.wording.clone().unwrap_or_else(|| message.clone()),
        message,
        body: reply.body.clone().into(),
    })
}

fn check_failure_flag(
    action: &str,
    flag: &str,
    data: &RawValue,
    reply: &RawReply,
) -> Result<(), Error> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(data.get()) else {
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
    data: Option<&RawValue>,
    reply: &RawReply,
) -> Result<T, Error> {
    let text = data.map_or("null", RawValue::get);
    serde_json::from_str(text).map_err(|first| {
        // Decode again with path tracking only on failure, so success costs nothing extra.
        let mut de = serde_json::Deserializer::from_str(text);
        let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => (e.path().to_string(), e.inner().to_string()),
            Ok(_) => (".".to_owned(), first.to_string()),
        };
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
