//! Friends: the list and its categories, likes, friend requests, removal and remarks.

use serde_json::{Value, json};

use crate::handlers::handler::Handler;
use crate::params::Params;
use crate::state::{Failure, Outcome, State, user_json};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("get_friends_with_category", get_friends_with_category),
    ("send_like", send_like),
    ("set_friend_add_request", set_friend_add_request),
    ("get_friend_list", get_friend_list),
    ("delete_friend", delete_friend),
    ("set_friend_remark", set_friend_remark),
    ("fetch_custom_face", fetch_custom_face),
];

fn get_friends_with_category(state: &mut State, _: &Params) -> Outcome {
    let cats = state
        .seed
        .categories
        .iter()
        .enumerate()
        .map(|(i, (id, name))| {
            let buddies: Vec<Value> = state
                .friends
                .values()
                .filter(|f| f.category_id == *id)
                .map(|f| {
                    let mut u = user_json(f);
                    u["categoryId"] = json!(id);
                    u["categoryName"] = json!(name);
                    u
                })
                .collect();
            json!({
                "categoryId": id,
                "categorySortId": i,
                "categoryName": name,
                "categoryMbCount": buddies.len(),
                "onlineCount": buddies.len().min(1),
                "buddyList": buddies,
            })
        });
    Ok(Some(Value::Array(cats.collect())))
}

/// NapCat: the NT like call fails for a user it cannot resolve (`点赞失败 <NT errMsg>`; the
/// simulator's errMsg is its own).
fn send_like(state: &mut State, p: &Params) -> Outcome {
    let user = p
        .int("user_id")
        .map_err(|_| Failure::Handler("点赞失败 用户不存在".into()))?;
    let times = p.opt_int("times")?.unwrap_or(1);
    if !(1..=20).contains(&times) {
        return Err(Failure::Handler(format!(
            "点赞失败 times must be 1..=20, got {times}"
        )));
    }
    *state.likes.entry(user).or_default() += times;
    Ok(None)
}

/// NapCat approves unless `approve` is `false` or `"false"`; an unknown flag is
/// `No such request` (user/SetFriendAddRequest.ts). Approving makes a friend, and QQ's
/// "you are now friends" tip comes as the `friend_add` notice.
fn set_friend_add_request(state: &mut State, p: &Params) -> Outcome {
    let flag = p.str("flag")?;
    let approve = !matches!(p.raw("approve"), Some(Value::Bool(false)))
        && p.raw("approve").and_then(Value::as_str) != Some("false");
    let remark = p.opt_str("remark")?;
    let request = state
        .seed
        .requests
        .remove(&flag)
        .ok_or_else(|| Failure::Handler("No such request".into()))?;
    if approve {
        state.befriend(
            request.user_id,
            &request.nickname,
            &remark.unwrap_or_default(),
        );
    }
    Ok(None)
}

fn get_friend_list(state: &mut State, _: &Params) -> Outcome {
    Ok(Some(Value::Array(
        state.friends.values().map(user_json).collect(),
    )))
}

/// `friend_id` takes precedence over `user_id`, as in NapCat.
fn delete_friend(state: &mut State, p: &Params) -> Outcome {
    let user = match p.opt_int("friend_id")? {
        Some(u) => u,
        None => match p.opt_int("user_id")? {
            Some(u) => u,
            None => return Ok(Some(json!({"valid": false, "message": "好友不存在"}))),
        },
    };
    if state.friends.remove(&user).is_none() {
        return Ok(Some(json!({"valid": false, "message": "不是好友"})));
    }
    if p.opt_bool("temp_block")?.unwrap_or(false) {
        state.blocked.insert(user);
    }
    Ok(Some(json!({"result": 0, "errMsg": ""})))
}

/// A stranger is `用户 <id> 不是好友` (user/SetFriendRemark.ts).
fn set_friend_remark(state: &mut State, p: &Params) -> Outcome {
    let user = p.int("user_id")?;
    let remark = p.str("remark")?;
    let friend = state
        .friends
        .get_mut(&user)
        .ok_or_else(|| Failure::Handler(format!("用户 {user} 不是好友")))?;
    friend.remark = remark;
    Ok(None)
}

fn fetch_custom_face(state: &mut State, p: &Params) -> Outcome {
    let count = p.opt_int("count")?.unwrap_or(48).max(0) as usize;
    Ok(Some(json!(
        state
            .seed
            .custom_faces
            .iter()
            .take(count)
            .collect::<Vec<_>>()
    )))
}
