//! Messages: send (plain and forward), fetch, recall, history, forward one, emoji reactions,
//! voice to text. Error texts follow NapCat's handlers (`action/msg/*.ts`,
//! `action/go-cqhttp/*.ts`, v4.18.19).

use serde_json::{Value, json};

use crate::handlers::handler::Handler;
use crate::params::Params;
use crate::state::{Failure, Outcome, State};
use crate::store::{Chat, StoredMessage, segments_of};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("send_msg", send_msg),
    ("send_private_msg", send_private_msg),
    ("send_group_msg", send_group_msg),
    ("send_forward_msg", send_msg),
    ("send_private_forward_msg", send_private_msg),
    ("send_group_forward_msg", send_group_msg),
    ("get_msg", get_msg),
    ("delete_msg", delete_msg),
    ("get_friend_msg_history", get_friend_msg_history),
    ("get_group_msg_history", get_group_msg_history),
    ("get_forward_msg", get_forward_msg),
    ("forward_friend_single_msg", forward_friend_single_msg),
    ("forward_group_single_msg", forward_group_single_msg),
    ("set_msg_emoji_like", set_msg_emoji_like),
    ("fetch_emoji_like", fetch_emoji_like),
    ("get_emoji_likes", get_emoji_likes),
    ("fetch_ptt_text", fetch_ptt_text),
];

fn fail(text: impl Into<String>) -> Failure {
    Failure::Handler(text.into())
}

/// How NapCat's send family picks the peer (`createContext` in msg/SendMsg.ts).
#[derive(Clone, Copy)]
enum Mode {
    Normal,
    Private,
    Group,
}

fn send_msg(state: &mut State, p: &Params) -> Outcome {
    let mode = match p.opt_str("message_type")?.as_deref() {
        Some("private") => Mode::Private,
        Some("group") => Mode::Group,
        _ => Mode::Normal,
    };
    send(state, p, mode)
}

fn send_private_msg(state: &mut State, p: &Params) -> Outcome {
    send(state, p, Mode::Private)
}

fn send_group_msg(state: &mut State, p: &Params) -> Outcome {
    send(state, p, Mode::Group)
}

/// The conversation a send goes to, as NapCat's `createContext` picks it: a group by its
/// number; a user QQ knows (a friend, or a temporary chat with anyone the account has met),
/// else the group given beside it, else `无法获取用户信息`. A group the bot is not in is
/// refused by QQ when the message is sent (`sent_to_group`).
fn target(state: &State, p: &Params, mode: Mode) -> Result<Chat, Failure> {
    let group = p.opt_int("group_id")?.filter(|g| *g != 0);
    let user = p.opt_int("user_id")?.filter(|u| *u != 0);
    if let (Mode::Normal | Mode::Group, Some(g)) = (mode, group) {
        return sent_to_group(state, g);
    }
    if let (Mode::Normal | Mode::Private, Some(u)) = (mode, user) {
        if state.knows_user(u) {
            return Ok(Chat::Private(u));
        }
        return match group {
            Some(g) => sent_to_group(state, g),
            None => Err(fail("无法获取用户信息")),
        };
    }
    Err(fail(match mode {
        Mode::Private if group.is_some() => "当前私聊发送,请指定 user_id 而不是 group_id",
        Mode::Group if user.is_some() => "当前群聊发送,请指定 group_id 而不是 user_id",
        _ => "请指定正确的 group_id 或 user_id",
    }))
}

/// A group as a send's target. NapCat hands any group number to QQ's `sendMsg`, which refuses
/// a group the account is not in; NapCat's event wrapper words the refusal
/// (helper/event.ts `callNormalEventV2`, QQ's answer as users of NapCat 4.x report it).
fn sent_to_group(state: &State, group: i64) -> Result<Chat, Failure> {
    if state.groups.contains_key(&group) {
        return Ok(Chat::Group(group));
    }
    Err(fail(concat!(
        "EventChecker Failed: NTEvent serviceAndMethod:NodeIKernelMsgService/sendMsg ",
        "ListenerName:NodeIKernelMsgListener/onMsgInfoListUpdate EventRet:\n",
        "{\n    \"result\": 110,\n    \"errMsg\": \"发送失败，你已被移出该群，请重新加群。\"\n}\n",
    )))
}

/// `message` as segments: an array, one segment, or a CQ string (plain text with
/// `auto_escape`), as NapCat's `normalize` reads it.
fn segments(p: &Params) -> Result<Vec<Value>, Failure> {
    let escape = p.opt_bool("auto_escape")?.unwrap_or(false);
    let list = match p.raw("message").or_else(|| p.raw("messages")) {
        Some(Value::String(text)) if escape => {
            vec![json!({"type": "text", "data": {"text": text}})]
        }
        Some(m @ (Value::Array(_) | Value::String(_) | Value::Object(_))) => segments_of(m.clone()),
        _ => return Err(fail("消息体无法解析, 请检查是否发送了不支持的消息类型")),
    };
    let nodes = list.iter().filter(|s| s["type"] == "node").count();
    if nodes > 0 && nodes != list.len() {
        return Err(Failure::Schema(
            "转发消息不能和普通消息混在一起发送,转发需要保证message只有type为node的元素".into(),
        ));
    }
    Ok(list)
}

/// NapCat checks the message's nodes, then finds the conversation, then sends (where an
/// empty message fails).
fn send(state: &mut State, p: &Params, mode: Mode) -> Outcome {
    let list = segments(p)?;
    let chat = target(state, p, mode)?;
    if list.is_empty() {
        return Err(fail("消息体无法解析, 请检查是否发送了不支持的消息类型"));
    }
    let self_id = state.self_id();
    let nick = state.seed.nickname.clone();
    if !list.iter().all(|s| s["type"] == "node") {
        let id = state
            .store
            .insert(StoredMessage::new(chat, self_id, &nick, list));
        state.report_sent(id);
        return Ok(Some(json!({"message_id": id})));
    }
    let mut forward = StoredMessage::new(chat, self_id, &nick, Vec::new());
    forward.forward = Some(forward_nodes(state, &list)?);
    let id = state.store.insert(forward);
    // The outer message is one forward segment pointing at itself.
    if let Some(m) = state.store.get_mut(id) {
        m.segments = vec![json!({"type": "forward", "data": {"id": id.to_string()}})];
    }
    state.report_sent(id);
    let res = format!("res{id}");
    Ok(Some(
        json!({"message_id": id, "res_id": res, "forward_id": res}),
    ))
}

/// The messages a forward's nodes stand for: a quoted message by id, or a custom one.
fn forward_nodes(state: &State, nodes: &[Value]) -> Result<Vec<StoredMessage>, Failure> {
    nodes
        .iter()
        .map(|node| {
            let data = &node["data"];
            if let Some(id) = data.get("id").and_then(as_int) {
                return state
                    .store
                    .get(id)
                    .cloned()
                    .ok_or_else(|| fail(format!("消息{id}不存在")));
            }
            let user = data
                .get("user_id")
                .or_else(|| data.get("uin"))
                .and_then(as_int)
                .unwrap_or(state.self_id());
            let nick = data
                .get("nickname")
                .or_else(|| data.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let content = match data.get("content") {
                Some(Value::Array(items)) => items.clone(),
                Some(Value::String(t)) => vec![json!({"type": "text", "data": {"text": t}})],
                Some(one @ Value::Object(_)) => vec![one.clone()],
                _ => return Err(fail("自定义节点缺少 content")),
            };
            Ok(StoredMessage::new(Chat::Private(user), user, nick, content))
        })
        .collect()
}

fn as_int(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn message_id(p: &Params) -> Result<i64, Failure> {
    p.opt_int("message_id")?
        .ok_or_else(|| fail("参数message_id不能为空"))
}

fn get_msg(state: &mut State, p: &Params) -> Outcome {
    let id = message_id(p)?;
    let m = state
        .store
        .get(id)
        .ok_or_else(|| fail("消息不存在或已被撤回"))?;
    let mut v = state.message_json(m);
    v["emoji_likes_list"] = json!(
        m.likes
            .iter()
            .map(|(emoji, users)| json!({"emoji_id": emoji, "emoji_type": "1", "likes_cnt": users.len().to_string()}))
            .collect::<Vec<_>>()
    );
    Ok(Some(v))
}

fn delete_msg(state: &mut State, p: &Params) -> Outcome {
    let id = message_id(p)?;
    let self_id = state.self_id();
    let m = state
        .store
        .get_mut(id)
        .ok_or_else(|| fail("Recall failed"))?;
    m.recalled = true;
    let (chat, sender) = (m.chat, m.sender_id);
    let notice = match chat {
        Chat::Group(g) => json!({
            "time": 1_764_151_300, "self_id": self_id, "post_type": "notice",
            "notice_type": "group_recall", "group_id": g, "user_id": sender,
            "operator_id": self_id, "message_id": id,
        }),
        Chat::Private(peer) => json!({
            "time": 1_764_151_300, "self_id": self_id, "post_type": "notice",
            "notice_type": "friend_recall", "user_id": peer, "message_id": id,
        }),
    };
    state.outbox.push(notice);
    Ok(None)
}

fn get_friend_msg_history(state: &mut State, p: &Params) -> Outcome {
    let user = p.int("user_id")?;
    if !state.friends.contains_key(&user) {
        return Err(fail(format!("记录{user}不存在")));
    }
    history(state, p, Chat::Private(user))
}

fn get_group_msg_history(state: &mut State, p: &Params) -> Outcome {
    let group = p.int("group_id")?;
    history(state, p, Chat::Group(group))
}

/// Without `message_seq`: the latest `count` messages. With it: `count` messages ending at
/// that message (or, with `reverse_order`, starting there and going forward). Oldest first;
/// none at all is NapCat's error `消息<seq>不存在`.
fn history(state: &State, p: &Params, chat: Chat) -> Outcome {
    let count = p.opt_int("count")?.unwrap_or(20).max(0) as usize;
    let reverse = p.opt_bool("reverse_order")?.unwrap_or(false)
        || p.opt_bool("reverseOrder")?.unwrap_or(false);
    let seq_text = p.opt_str("message_seq")?;
    let start = seq_text
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "0")
        .and_then(|s| s.parse::<i64>().ok());
    let list = state.store.conversation(chat);
    let picked: Vec<&StoredMessage> = match start {
        None => list[list.len().saturating_sub(count)..].to_vec(),
        Some(id) => match list.iter().position(|m| m.id == id) {
            None => Vec::new(),
            Some(at) if reverse => list[at..].iter().take(count).copied().collect(),
            Some(at) => list[(at + 1).saturating_sub(count)..=at].to_vec(),
        },
    };
    if picked.is_empty() {
        let seq = seq_text.unwrap_or_else(|| "undefined".into());
        return Err(fail(format!("消息{seq}不存在")));
    }
    let messages: Vec<Value> = picked.iter().map(|m| state.message_json(m)).collect();
    Ok(Some(json!({"messages": messages})))
}

fn get_forward_msg(state: &mut State, p: &Params) -> Outcome {
    let id = p
        .opt_str("message_id")?
        .or(p.opt_str("id")?)
        .ok_or_else(|| fail("message_id is required"))?;
    let found = id
        .trim_start_matches("res")
        .parse::<i64>()
        .ok()
        .and_then(|n| state.store.get(n))
        .and_then(|m| m.forward.as_ref());
    let Some(nodes) = found else {
        return Err(fail("消息已过期或者为内层消息，无法获取转发消息"));
    };
    let messages: Vec<Value> = nodes.iter().map(|m| state.message_json(m)).collect();
    Ok(Some(json!({"messages": messages})))
}

fn forward_single(state: &mut State, p: &Params, to: Chat) -> Outcome {
    let id = message_id(p)?;
    let m = state
        .store
        .get(id)
        .cloned()
        .ok_or_else(|| fail("无法找到消息"))?;
    let self_id = state.self_id();
    let nick = state.seed.nickname.clone();
    let mut copy = StoredMessage::new(to, self_id, &nick, m.segments);
    copy.forward = m.forward;
    let new_id = state.store.insert(copy);
    state.report_sent(new_id);
    Ok(None)
}

fn forward_friend_single_msg(state: &mut State, p: &Params) -> Outcome {
    let user = p.int("user_id")?;
    forward_single(state, p, Chat::Private(user))
}

fn forward_group_single_msg(state: &mut State, p: &Params) -> Outcome {
    let group = p.int("group_id")?;
    forward_single(state, p, Chat::Group(group))
}

fn set_msg_emoji_like(state: &mut State, p: &Params) -> Outcome {
    let id = message_id(p)?;
    let emoji = p
        .opt_str("emoji_id")?
        .ok_or_else(|| fail("emojiId not found"))?;
    let set = p.opt_bool("set")?.unwrap_or(true);
    let self_id = state.self_id();
    let m = state
        .store
        .get_mut(id)
        .ok_or_else(|| fail("msg not found"))?;
    let users = m.likes.entry(emoji.clone()).or_default();
    users.retain(|u| *u != self_id);
    if set {
        users.push(self_id);
    }
    if users.is_empty() {
        m.likes.remove(&emoji);
    }
    Ok(Some(json!({"result": 0, "errMsg": ""})))
}

fn likers<'a>(state: &'a State, p: &Params, key: &str) -> Result<&'a [i64], Failure> {
    let id = message_id(p)?;
    let emoji = p.str(key)?;
    let m = state.store.get(id).ok_or_else(|| fail("消息不存在"))?;
    Ok(m.likes.get(&emoji).map_or(&[][..], Vec::as_slice))
}

fn nickname(state: &State, user: i64) -> String {
    if user == state.self_id() {
        return state.seed.nickname.clone();
    }
    state
        .friends
        .get(&user)
        .map(|f| f.nickname.clone())
        .unwrap_or_default()
}

fn fetch_emoji_like(state: &mut State, p: &Params) -> Outcome {
    let count = p.opt_int("count")?.unwrap_or(20).max(0) as usize;
    let list: Vec<Value> = likers(state, p, "emojiId")?
        .iter()
        .take(count)
        .map(|u| json!({"tinyId": u.to_string(), "nickName": nickname(state, *u), "headUrl": format!("https://q1.qlogo.cn/g?b=qq&nk={u}&s=100")}))
        .collect();
    Ok(Some(json!({
        "emojiLikesList": list, "cookie": "", "isLastPage": true, "isFirstPage": true,
        "result": 0, "errMsg": "",
    })))
}

fn get_emoji_likes(state: &mut State, p: &Params) -> Outcome {
    let count = p.opt_int("count")?.unwrap_or(0).max(0) as usize;
    let all = likers(state, p, "emoji_id")?;
    let take = if count == 0 { all.len() } else { count };
    let list: Vec<Value> = all
        .iter()
        .take(take)
        .map(|u| json!({"user_id": u.to_string(), "nick_name": nickname(state, *u)}))
        .collect();
    Ok(Some(json!({"emoji_like_list": list})))
}

/// The simulator cannot listen to voice: a record message "transcribes" to `语音消息 <id>`,
/// which is enough to tell messages apart in tests. Other messages fail.
fn fetch_ptt_text(state: &mut State, p: &Params) -> Outcome {
    let id = message_id(p)?;
    let m = state.store.get(id).ok_or_else(|| fail("消息不存在"))?;
    if !m.segments.iter().any(|s| s["type"] == "record") {
        return Err(fail("消息不是语音消息"));
    }
    Ok(Some(json!({"text": format!("语音消息 {id}")})))
}
