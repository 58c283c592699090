//! Injected messages and what happens to messages: recalls, essence, reactions, gray tips.

use serde_json::{Value, json};

use crate::groups::Role;
use crate::inject::kinds::Injected;
use crate::inject::refusal::{InjectError, group_of, member_of, refuse};
use crate::state::State;
use crate::store::{Chat, StoredMessage, segments_of};

/// The segments of a message given as JSON segments, one segment or CQ text; an empty one is
/// refused, as QQ sends none.
fn segments(message: Value) -> Result<Vec<Value>, InjectError> {
    let list = segments_of(message);
    if list.is_empty() {
        return refuse("the message is empty: give text, a segment or a list of segments");
    }
    Ok(list)
}

pub(super) fn private(
    state: &mut State,
    user_id: i64,
    message: Value,
) -> Result<Injected, InjectError> {
    let Some(friend) = state.friends.get(&user_id) else {
        return refuse(format!(
            "{user_id} is not a friend of the bot (a group member who is not writes a temp-message)"
        ));
    };
    let stored = StoredMessage::new(
        Chat::Private(user_id),
        user_id,
        &friend.nickname,
        segments(message)?,
    );
    Ok(Injected::Message(state.receive(stored)))
}

pub(super) fn temp(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    message: Value,
) -> Result<Injected, InjectError> {
    let nickname = member_of(state, group_id, user_id)?.info.nickname.clone();
    if state.friends.contains_key(&user_id) {
        return refuse(format!(
            "{user_id} is a friend of the bot: their messages are private-message"
        ));
    }
    let mut stored = StoredMessage::new(
        Chat::Private(user_id),
        user_id,
        &nickname,
        segments(message)?,
    );
    stored.temp_group = Some(group_id);
    Ok(Injected::Message(state.receive(stored)))
}

pub(super) fn group(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    message: Value,
) -> Result<Injected, InjectError> {
    let whole_ban = group_of(state, group_id)?.whole_ban;
    let member = member_of(state, group_id, user_id)?;
    let now = crate::groups::unix_now();
    if member.shut_up_until > now {
        return refuse(format!(
            "{user_id} is banned in group {group_id} for {} more seconds",
            member.shut_up_until - now
        ));
    }
    if whole_ban && member.info.role == Role::Member {
        return refuse(format!(
            "group {group_id} is muted: only admins and the owner speak"
        ));
    }
    let nickname = member.info.nickname.clone();
    let stored = StoredMessage::new(
        Chat::Group(group_id),
        user_id,
        &nickname,
        segments(message)?,
    );
    Ok(Injected::Message(state.receive(stored)))
}

/// The bot's account sends from another device: stored as the bot's, reported as
/// `message_sent` when NapCat's `reportSelfMessage` is on.
pub(super) fn own(
    state: &mut State,
    group_id: Option<i64>,
    user_id: Option<i64>,
    message: Value,
) -> Result<Injected, InjectError> {
    let chat = match (group_id, user_id) {
        (Some(g), None) => {
            group_of(state, g)?;
            Chat::Group(g)
        }
        (None, Some(u)) if state.friends.contains_key(&u) => Chat::Private(u),
        (None, Some(u)) => return refuse(format!("{u} is not a friend of the bot")),
        _ => return refuse("give either group_id or user_id"),
    };
    let self_id = state.self_id();
    let nickname = state.seed.nickname.clone();
    let mut stored = StoredMessage::new(chat, self_id, &nickname, segments(message)?);
    if let Chat::Group(g) = chat {
        stored.sender_role = state
            .groups
            .get(&g)
            .and_then(|group| group.role(self_id))
            .map(Role::word);
    }
    let id = state.store.insert(stored);
    state.report_sent(id);
    Ok(Injected::Message(id))
}

/// A group message of `group_id` that was not recalled: its sender.
fn group_message_sender(state: &State, group_id: i64, message_id: i64) -> Result<i64, InjectError> {
    match state.store.get(message_id) {
        Some(m) if m.chat == Chat::Group(group_id) => Ok(m.sender_id),
        _ => refuse(format!(
            "no message {message_id} in group {group_id} (or it was recalled)"
        )),
    }
}

/// Whether `operator_id` may act on `user_id`'s message in the group: themselves, or
/// someone who outranks them.
fn may_manage(
    state: &State,
    group_id: i64,
    operator_id: i64,
    user_id: i64,
) -> Result<(), InjectError> {
    if operator_id == user_id {
        return Ok(());
    }
    let operator = member_of(state, group_id, operator_id)?.info.role;
    let author = state
        .groups
        .get(&group_id)
        .and_then(|g| g.role(user_id))
        .unwrap_or(Role::Member);
    if operator.outranks(author) {
        Ok(())
    } else {
        refuse(format!(
            "{operator_id} is not an admin above {user_id} in group {group_id}"
        ))
    }
}

pub(super) fn group_recall(
    state: &mut State,
    group_id: i64,
    message_id: i64,
    operator_id: i64,
) -> Result<Injected, InjectError> {
    let sender = group_message_sender(state, group_id, message_id)?;
    let operator_id = if operator_id == 0 {
        sender
    } else {
        operator_id
    };
    may_manage(state, group_id, operator_id, sender)?;
    if let Some(m) = state.store.get_mut(message_id) {
        m.recalled = true;
    }
    state.push_event(
        "notice",
        json!({"group_id": group_id, "user_id": sender, "notice_type": "group_recall",
               "operator_id": operator_id, "message_id": message_id}),
    );
    Ok(Injected::Done)
}

pub(super) fn friend_recall(state: &mut State, message_id: i64) -> Result<Injected, InjectError> {
    let self_id = state.self_id();
    let sender = match state.store.get(message_id) {
        Some(m) if matches!(m.chat, Chat::Private(_)) && m.sender_id != self_id => m.sender_id,
        _ => {
            return refuse(format!(
                "no private message {message_id} from a friend (or it was recalled)"
            ));
        }
    };
    if let Some(m) = state.store.get_mut(message_id) {
        m.recalled = true;
    }
    state.push_event(
        "notice",
        json!({"notice_type": "friend_recall", "user_id": sender, "message_id": message_id}),
    );
    Ok(Injected::Done)
}

pub(super) fn essence(
    state: &mut State,
    group_id: i64,
    message_id: i64,
    operator_id: i64,
) -> Result<Injected, InjectError> {
    let sender = group_message_sender(state, group_id, message_id)?;
    if member_of(state, group_id, operator_id)?.info.role < Role::Admin {
        return refuse(format!("{operator_id} is not an admin of group {group_id}"));
    }
    state.push_event(
        "notice",
        json!({"group_id": group_id, "user_id": sender, "notice_type": "essence",
               "sub_type": "add", "operator_id": operator_id, "message_id": message_id,
               "sender_id": sender}),
    );
    Ok(Injected::Done)
}

/// The reaction is counted on the message (`get_msg`, `fetch_emoji_like` see it); the
/// notice gives the count after the change.
pub(super) fn emoji_like(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    message_id: i64,
    emoji_id: &str,
    is_add: bool,
) -> Result<Injected, InjectError> {
    group_message_sender(state, group_id, message_id)?;
    member_of(state, group_id, user_id)?;
    let Some(m) = state.store.get_mut(message_id) else {
        return refuse(format!("no message {message_id}"));
    };
    let users = m.likes.entry(emoji_id.to_owned()).or_default();
    users.retain(|u| *u != user_id);
    if is_add {
        users.push(user_id);
    }
    let count = users.len();
    if users.is_empty() {
        m.likes.remove(emoji_id);
    }
    state.push_event(
        "notice",
        json!({"group_id": group_id, "user_id": user_id, "notice_type": "group_msg_emoji_like",
               "message_id": message_id, "likes": [{"emoji_id": emoji_id, "count": count}],
               "is_add": is_add}),
    );
    Ok(Injected::Done)
}

/// The gray tip is a message of its sender (so `delete_msg` takes its id), shown only as
/// the notice.
pub(super) fn gray_tip(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    busi_id: &str,
    content: Value,
) -> Result<Injected, InjectError> {
    let nickname = member_of(state, group_id, user_id)?.info.nickname.clone();
    let text = content.to_string();
    let stored = StoredMessage::new(
        Chat::Group(group_id),
        user_id,
        &nickname,
        vec![json!({"type": "json", "data": {"data": text}})],
    );
    let id = state.store.insert(stored);
    let (seq, time) = state
        .store
        .get(id)
        .map(|m| (m.seq, m.time))
        .unwrap_or_default();
    state.push_event(
        "notice",
        json!({"notice_type": "notify", "sub_type": "gray_tip", "group_id": group_id,
               "user_id": user_id, "message_id": id, "busi_id": busi_id, "content": text,
               "raw_info": {"msgSeq": seq.to_string(), "msgTime": time.to_string(),
                            "msgId": (7_441_000_000_000_000_000i64 + id).to_string(),
                            "json": content}}),
    );
    Ok(Injected::Message(id))
}
