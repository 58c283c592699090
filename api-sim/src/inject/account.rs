//! Injected events about the account itself: requests, new friends, friends' pokes and
//! typing, profile likes, online files, and being kicked offline.

use serde_json::json;

use crate::inject::kinds::Injected;
use crate::inject::members::poke_items;
use crate::inject::refusal::{InjectError, group_of, refuse};
use crate::state::State;

pub(super) fn group_request(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    nickname: &str,
    comment: &str,
) -> Result<Injected, InjectError> {
    if group_of(state, group_id)?.members.contains_key(&user_id) {
        return refuse(format!("{user_id} is a member of group {group_id} already"));
    }
    let flag = state.add_group_request(group_id, user_id, nickname, comment, false);
    Ok(Injected::Flag(flag))
}

pub(super) fn group_invite(
    state: &mut State,
    group_id: i64,
    group_name: &str,
    user_id: i64,
    nickname: &str,
) -> Result<Injected, InjectError> {
    if state.groups.contains_key(&group_id) {
        return refuse(format!("the bot is in group {group_id} already"));
    }
    state.groups_named(group_id, group_name);
    let flag = state.add_group_request(group_id, user_id, nickname, "", true);
    Ok(Injected::Flag(flag))
}

pub(super) fn friend_request(
    state: &mut State,
    user_id: i64,
    nickname: &str,
    comment: &str,
) -> Result<Injected, InjectError> {
    if state.friends.contains_key(&user_id) || user_id == state.self_id() {
        return refuse(format!("{user_id} is a friend of the bot already"));
    }
    Ok(Injected::Flag(
        state.add_friend_request(user_id, nickname, comment),
    ))
}

pub(super) fn friend_add(
    state: &mut State,
    user_id: i64,
    nickname: &str,
) -> Result<Injected, InjectError> {
    if state.friends.contains_key(&user_id) || user_id == state.self_id() {
        return refuse(format!("{user_id} is a friend of the bot already"));
    }
    state.befriend(user_id, nickname, "");
    Ok(Injected::Done)
}

fn friend(state: &State, user_id: i64) -> Result<(), InjectError> {
    if state.friends.contains_key(&user_id) {
        Ok(())
    } else {
        refuse(format!("{user_id} is not a friend of the bot"))
    }
}

/// `user_id` is the friend whose chat it is; by default they poke the bot.
pub(super) fn friend_poke(
    state: &mut State,
    user_id: i64,
    sender_id: Option<i64>,
    target_id: Option<i64>,
) -> Result<Injected, InjectError> {
    friend(state, user_id)?;
    let self_id = state.self_id();
    let sender = sender_id.unwrap_or(user_id);
    let target = target_id.unwrap_or(if sender == self_id { user_id } else { self_id });
    let pair = [sender, target];
    if !(pair == [user_id, self_id] || pair == [self_id, user_id]) {
        return refuse(format!(
            "in {user_id}'s chat either they poke the bot ({self_id}) or the bot pokes them"
        ));
    }
    state.push_event(
        "notice",
        json!({"notice_type": "notify", "sub_type": "poke", "target_id": target,
               "user_id": user_id, "sender_id": sender, "raw_info": poke_items(sender, target)}),
    );
    Ok(Injected::Done)
}

pub(super) fn input_status(
    state: &mut State,
    user_id: i64,
    event_type: i64,
    status_text: String,
) -> Result<Injected, InjectError> {
    friend(state, user_id)?;
    state.push_event(
        "notice",
        json!({"notice_type": "notify", "sub_type": "input_status", "status_text": status_text,
               "event_type": event_type, "user_id": user_id, "group_id": 0}),
    );
    Ok(Injected::Done)
}

pub(super) fn profile_like(
    state: &mut State,
    operator_id: i64,
    operator_nick: String,
    times: i64,
) -> Result<Injected, InjectError> {
    if times < 1 {
        return refuse("a profile like is 1 or more times");
    }
    state.push_event(
        "notice",
        json!({"notice_type": "notify", "sub_type": "profile_like", "operator_id": operator_id,
               "operator_nick": operator_nick, "times": times}),
    );
    Ok(Injected::Done)
}

/// Only the notice: the simulator goes on serving as before.
pub(super) fn bot_offline(
    state: &mut State,
    tag: String,
    message: String,
) -> Result<Injected, InjectError> {
    let self_id = state.self_id();
    state.push_event(
        "notice",
        json!({"notice_type": "bot_offline", "user_id": self_id, "tag": tag, "message": message}),
    );
    Ok(Injected::Done)
}

pub(super) fn online_file(
    state: &mut State,
    peer_id: i64,
    notice_type: &str,
    sub_type: &str,
) -> Result<Injected, InjectError> {
    friend(state, peer_id)?;
    state.push_event(
        "notice",
        json!({"peer_id": peer_id, "notice_type": notice_type, "sub_type": sub_type}),
    );
    Ok(Injected::Done)
}
