//! NapCat's quick operations (packages/napcat-onebot/api/quick-action.ts): what a bot's
//! answer to an event asks for, as the actions NapCat runs for it. An HTTP post's answer
//! carries one (`post`), and `.handle_quick_operation` asks for one (`handlers`).

use serde_json::{Value, json};

/// The action NapCat runs for the quick operation `op` on `event`, with its params; `None`
/// when there is nothing to do. Only message and request events are handled; a group reply
/// always quotes the message, `at_sender` (default false) adds an @ after the quote; a
/// request is answered by its flag. `delete`, `kick`, `ban` are ignored, as there.
pub(crate) fn action(event: &Value, op: &Value) -> Option<(&'static str, Value)> {
    match event["post_type"].as_str() {
        Some("message") => {
            let reply = op.get("reply").filter(|r| !r.is_null() && **r != "")?;
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
            Some(("send_msg", params))
        }
        Some("request") => {
            let approve = op.get("approve").and_then(Value::as_bool)?;
            let flag = event["flag"].clone();
            match event["request_type"].as_str() {
                Some("friend") => Some((
                    "set_friend_add_request",
                    json!({"flag": flag, "approve": approve}),
                )),
                Some("group") => Some((
                    "set_group_add_request",
                    json!({"flag": flag, "approve": approve, "reason": op.get("reason").cloned().unwrap_or(json!(" "))}),
                )),
                _ => None,
            }
        }
        _ => None,
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
