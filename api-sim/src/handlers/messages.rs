//! Conversations: read markers, collections and recent contacts.

use serde_json::{Value, json};

use crate::handlers::handler::Handler;
use crate::params::Params;
use crate::state::{Failure, Outcome, State};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("mark_group_msg_as_read", mark_read),
    ("mark_private_msg_as_read", mark_read),
    ("mark_msg_as_read", mark_read),
    ("_mark_all_as_read", mark_all_as_read),
    ("create_collection", create_collection),
    ("get_recent_contact", get_recent_contact),
];

/// The three mark actions share NapCat's class (msg/MarkMsgAsRead.ts): the peer is found by
/// `message_id`, then `user_id`, then `group_id`. The simulator keeps no messages yet, so any
/// `message_id` is taken as a known message.
fn mark_read(state: &mut State, p: &Params) -> Outcome {
    if let Some(m) = p.opt_str("message_id")? {
        state.read.insert(format!("message:{m}"));
    } else if let Some(u) = p.opt_int("user_id")? {
        state.read.insert(format!("user:{u}"));
    } else if let Some(g) = p.opt_int("group_id")? {
        state.read.insert(format!("group:{g}"));
    } else {
        return Err(Failure::Handler("缺少参数 group_id 或 user_id".into()));
    }
    Ok(Some(Value::Null))
}

fn mark_all_as_read(state: &mut State, _: &Params) -> Outcome {
    state.read.insert("all".into());
    Ok(Some(Value::Null))
}

fn create_collection(state: &mut State, p: &Params) -> Outcome {
    let raw = p.str("rawData")?;
    let brief = p.str("brief")?;
    state.collections.push((raw, brief));
    Ok(Some(json!({"result": 0, "errMsg": ""})))
}

fn get_recent_contact(state: &mut State, p: &Params) -> Outcome {
    let count = p.opt_int("count")?.unwrap_or(10).max(0) as usize;
    Ok(Some(Value::Array(
        state
            .recent
            .iter()
            .take(count)
            .map(|r| contact_json(state, *r))
            .collect(),
    )))
}

fn contact_json(state: &State, (peer, chat_type, time): (i64, i64, i64)) -> Value {
    let (name, remark) = if chat_type == 1 {
        state
            .friends
            .get(&peer)
            .map(|f| (f.nickname.clone(), f.remark.clone()))
            .unwrap_or_default()
    } else {
        (state.group_name(peer), String::new())
    };
    json!({
        "lastestMsg": {
            "self_id": state.seed.self_id,
            "user_id": peer,
            "time": time,
            "message_type": if chat_type == 1 { "private" } else { "group" },
            "raw_message": "你好",
            "message": [{"type": "text", "data": {"text": "你好"}}],
        },
        "peerUin": peer.to_string(),
        "remark": remark,
        "msgTime": time.to_string(),
        "chatType": chat_type,
        "msgId": (time * 7 % 1_000_000).to_string(),
        "sendNickName": name,
        "sendMemberName": "",
        "peerName": name,
    })
}
