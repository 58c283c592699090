//! NapCat's HTTP event posting (`httpClients`, packages/napcat-onebot/network/http-client.ts)
//! and the quick operations it applies from the answers (packages/napcat-onebot/api/
//! quick-action.ts).

use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha1::Sha1;

use crate::Shared;
use crate::state::State;

/// Posts every event but meta events to `url`, each in its own request and not awaited by
/// the next, with `x-self-id` and, with a token, `x-signature`. A 2xx answer with a body is
/// read as JSON5 and applied as a quick operation.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    url: String,
    token: Option<String>,
) -> tokio::task::JoinHandle<()> {
    let mut subscriber = crate::subscriber::Subscriber::new(&shared);
    let http = reqwest::Client::new();
    tokio::spawn(async move {
        while let Some(event) = subscriber.next_non_meta().await {
            tokio::spawn(post_one(
                shared.clone(),
                http.clone(),
                url.clone(),
                token.clone(),
                event,
            ));
        }
    })
}

async fn post_one(
    shared: Arc<Shared>,
    http: reqwest::Client,
    url: String,
    token: Option<String>,
    event: Value,
) {
    let body = event.to_string();
    let self_id = crate::lock(&shared.state).self_id();
    let mut req = http
        .post(&url)
        .header("content-type", "application/json")
        .header("x-self-id", self_id.to_string());
    if let Some(t) = token.as_deref().filter(|t| !t.is_empty()) {
        req = req.header(
            "x-signature",
            format!("sha1={}", signature(t, body.as_bytes())),
        );
    }
    let resp = match req.body(body).send().await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "posting an event failed");
            return;
        }
    };
    if !resp.status().is_success() {
        tracing::warn!(status = %resp.status(), "the bot refused an event post");
        return;
    }
    let Ok(answer) = resp.bytes().await else {
        return;
    };
    if answer.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match crate::parse_json5(&answer) {
        Some(Value::Object(op)) => {
            let op = Value::Object(op);
            shared.with_state(|state| apply(state, &event, &op));
        }
        _ => tracing::warn!("an event post's answer is not a quick operation"),
    }
}

/// Lower-case hex HMAC-SHA1 of `body` keyed with `token`.
pub(crate) fn signature(token: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Applies a quick operation as NapCat does: only message and request events are handled;
/// a group reply always quotes the message, `at_sender` (default false) adds an @ after the
/// quote; a request is answered by its flag. `delete`, `kick`, `ban` are ignored, as there.
/// As in NapCat, a failing operation is only logged.
pub(crate) fn apply(state: &mut State, event: &Value, op: &Value) {
    let mut run = |action: &str, params: &Value| {
        if let (_, Err(e)) = crate::dispatch::run(state, action, params) {
            tracing::warn!(action, error = ?e, "a quick operation failed");
        }
    };
    match event["post_type"].as_str() {
        Some("message") => {
            let Some(reply) = op.get("reply").filter(|r| !r.is_null() && **r != "") else {
                return;
            };
            let mut segments = match reply {
                Value::String(text) if op["auto_escape"] == true => {
                    vec![json!({"type": "text", "data": {"text": text}})]
                }
                other => crate::store::segments_of(other.clone()),
            };
            let group = event["message_type"] == "group";
            let mut params = json!({});
            if group {
                let mut lead =
                    vec![json!({"type": "reply", "data": {"id": to_text(&event["message_id"])}})];
                if op["at_sender"] == true {
                    lead.push(json!({"type": "at", "data": {"qq": to_text(&event["user_id"])}}));
                }
                lead.append(&mut segments);
                segments = lead;
                params["group_id"] = event["group_id"].clone();
            } else {
                params["user_id"] = event["user_id"].clone();
            }
            params["message"] = Value::Array(segments);
            run("send_msg", &params);
        }
        Some("request") => {
            let Some(approve) = op.get("approve").and_then(Value::as_bool) else {
                return;
            };
            let flag = event["flag"].clone();
            match event["request_type"].as_str() {
                Some("friend") => run(
                    "set_friend_add_request",
                    &json!({"flag": flag, "approve": approve}),
                ),
                Some("group") => run(
                    "set_group_add_request",
                    &json!({"flag": flag, "approve": approve, "reason": op.get("reason").cloned().unwrap_or(json!(" "))}),
                ),
                _ => {}
            }
        }
        _ => {}
    }
}

/// A value as JavaScript's `toString()` gives it: text as it is, anything else as JSON (the
/// event of `.handle_quick_operation` carries NapCat's schema types, its ids as text).
fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
