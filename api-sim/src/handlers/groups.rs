//! Groups: information, members, and running them. Permission rules and error texts follow
//! NapCat's handlers (`action/group/*.ts`, `action/extends/*.ts`, `action/go-cqhttp/*.ts`,
//! v4.18.19). Where NapCat passes on QQ's refusal, the simulator refuses with the code and
//! text NapCat's own comment in SetGroupBan.ts gives for a bot without admin rights
//! (`120101005`, `ERR_NOT_GROUP_ADMIN`); where NapCat does not look at QQ's answer (kick, set
//! admin, special title), a refused change answers success and changes nothing, as there.

use serde_json::{Value, json};

use crate::groups::{Group, Role, unix_now};
use crate::handlers::handler::Handler;
use crate::params::Params;
use crate::state::{Failure, Outcome, State};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("send_group_ark_share", send_group_ark_share),
    ("get_group_list", get_group_list),
    ("get_group_info", get_group_info),
    ("get_group_detail_info", get_group_info),
    ("get_group_info_ex", get_group_info_ex),
    ("get_group_honor_info", get_group_honor_info),
    ("get_group_at_all_remain", get_group_at_all_remain),
    ("get_group_member_list", get_group_member_list),
    ("get_group_member_info", get_group_member_info),
    ("get_group_shut_list", get_group_shut_list),
    ("set_group_ban", set_group_ban),
    ("set_group_whole_ban", set_group_whole_ban),
    ("set_group_kick", set_group_kick),
    ("set_group_kick_members", set_group_kick_members),
    ("set_group_admin", set_group_admin),
    ("set_group_card", set_group_card),
    ("set_group_special_title", set_group_special_title),
    ("set_group_leave", set_group_leave),
    ("set_group_name", set_group_name),
    ("set_group_remark", set_group_remark),
    ("set_group_portrait", set_group_portrait),
    ("set_group_add_option", set_group_add_option),
    ("set_group_robot_add_option", set_group_robot_add_option),
    ("set_group_search", set_group_search),
    (
        "set_group_member_invite_policy",
        set_group_member_invite_policy,
    ),
    ("set_group_member_permissions", set_group_member_permissions),
    (
        "set_group_new_member_history_visibility",
        set_group_new_member_history_visibility,
    ),
];

/// QQ's answer to a change the bot has no rights for (NapCat's comment in SetGroupBan.ts).
const NOT_ADMIN_CODE: i64 = 120_101_005;
const NOT_ADMIN: &str = "ERR_NOT_GROUP_ADMIN";

/// The longest ban QQ takes: 30 days.
const MAX_BAN_SECS: i64 = 30 * 24 * 3600;

fn fail(text: impl Into<String>) -> Failure {
    Failure::Handler(text.into())
}

/// A group the bot is in; `missing` is the error for one it is not in.
fn group<'a>(state: &'a State, id: i64, missing: &str) -> Result<&'a Group, Failure> {
    state.groups.get(&id).ok_or_else(|| fail(missing))
}

fn group_mut<'a>(state: &'a mut State, id: i64, missing: &str) -> Result<&'a mut Group, Failure> {
    state.groups.get_mut(&id).ok_or_else(|| fail(missing))
}

/// The bot's role in a group; `None` when it is not in it.
fn self_role(state: &State, group_id: i64) -> Option<Role> {
    state
        .groups
        .get(&group_id)
        .and_then(|g| g.role(state.seed.self_id))
}

/// Queues a notice about a group.
fn notice(state: &mut State, group_id: i64, notice_type: &str, fields: Value) {
    let mut event = json!({
        "time": unix_now(), "self_id": state.seed.self_id, "post_type": "notice",
        "group_id": group_id, "notice_type": notice_type,
    });
    if let (Some(e), Value::Object(f)) = (event.as_object_mut(), fields) {
        e.extend(f);
    }
    state.outbox.push(event);
}

fn send_group_ark_share(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let name = group(state, id, &format!("群 {id} 不存在"))?.name.clone();
    let ark = json!({
        "app": "com.tencent.contact.lua",
        "prompt": format!("推荐群聊：{name}"),
        "meta": {"contact": {"nickname": name, "tag": "推荐群聊", "jumpUrl": format!("https://qun.qq.com/{id}")}}
    });
    Ok(Some(Value::String(ark.to_string())))
}

// ---------------------------------------------------------------- information

fn get_group_list(state: &mut State, _: &Params) -> Outcome {
    let list: Vec<Value> = state.groups.iter().map(|(id, g)| g.to_json(*id)).collect();
    Ok(Some(Value::Array(list)))
}

/// For a group the bot is not in NapCat asks QQ, whose refusal text the simulator cannot
/// know; it answers with its own.
fn get_group_info(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let g = group(state, id, &format!("群 {id} 不存在"))?;
    Ok(Some(g.to_json(id)))
}

fn get_group_info_ex(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let g = group(state, id, &format!("群 {id} 不存在"))?;
    Ok(Some(json!({
        "groupCode": id.to_string(),
        "resultCode": 0,
        "extInfo": {"groupInfoExtSeq": 1, "memberCount": g.members.len(), "groupName": g.name},
    })))
}

/// The talkative honour goes to whoever has sent the most messages in the group.
fn get_group_honor_info(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let kind = p.opt_str("type")?.unwrap_or_else(|| "all".into());
    let g = group(state, id, &format!("群 {id} 不存在"))?;
    let mut counts: Vec<(usize, i64)> = g
        .members
        .keys()
        .map(|u| (state.store.count_from(id, *u), *u))
        .filter(|(n, _)| *n > 0)
        .collect();
    counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let honor = |user: i64, days: usize| {
        json!({
            "user_id": user,
            "nickname": g.members.get(&user).map(|m| m.info.nickname.as_str()).unwrap_or(""),
            "avatar": format!("https://q1.qlogo.cn/g?b=qq&nk={user}&s=640"),
            "description": format!("连续 {days} 天"),
        })
    };
    let talkative: Vec<Value> = counts.iter().take(1).map(|(_, u)| honor(*u, 1)).collect();
    let wants = |k: &str| kind == "all" || kind == k;
    Ok(Some(json!({
        "group_id": id,
        "current_talkative": if wants("talkative") { talkative.first().cloned().unwrap_or(json!({})) } else { json!({}) },
        "talkative_list": if wants("talkative") { talkative } else { Vec::new() },
        "performer_list": [],
        "legend_list": [],
        "emotion_list": [],
        "strong_newbie_list": [],
    })))
}

fn get_group_at_all_remain(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let role = self_role(state, id).ok_or_else(|| fail(format!("群 {id} 不存在")))?;
    Ok(Some(json!({
        "can_at_all": role >= Role::Admin,
        "remain_at_all_count_for_group": 10,
        "remain_at_all_count_for_uin": 10,
    })))
}

// ---------------------------------------------------------------- members

fn get_group_member_list(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let g = group(
        state,
        id,
        &format!("Failed to get group member list for group {id}"),
    )?;
    Ok(Some(Value::Array(
        g.members.values().map(|m| m.to_json(id)).collect(),
    )))
}

fn get_group_member_info(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let user = p.int("user_id")?;
    if !state.knows_user(user) {
        return Err(fail(format!("Uin2Uid Error: 用户ID {user} 不存在")));
    }
    let member = state
        .groups
        .get(&id)
        .and_then(|g| g.members.get(&user))
        .ok_or_else(|| fail(format!("群({id})成员{user}不存在")))?;
    Ok(Some(member.to_json(id)))
}

fn get_group_shut_list(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let g = group(state, id, &format!("群 {id} 不存在"))?;
    let now = unix_now();
    Ok(Some(Value::Array(
        g.members
            .values()
            .filter(|m| m.shut_up_until > now)
            .map(|m| m.to_nt_json())
            .collect(),
    )))
}

// ---------------------------------------------------------------- running the group

/// SetGroupBan.ts: the checks NapCat makes itself, then QQ's.
fn set_group_ban(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let user = p.int("user_id")?;
    let secs = p.opt_int("duration")?.unwrap_or(0);
    if !state.knows_user(user) {
        return Err(fail("uid error"));
    }
    let target = state
        .groups
        .get(&id)
        .and_then(|g| g.role(user))
        .ok_or_else(|| fail("user not in group"))?;
    if target == Role::Owner {
        return Err(fail("cannot ban owner"));
    }
    let me = self_role(state, id).ok_or_else(|| fail("failed to fetch bot role"))?;
    if target == Role::Admin && me != Role::Owner {
        return Err(fail("cannot ban admin"));
    }
    if me < Role::Admin {
        return Err(fail(NOT_ADMIN));
    }
    if !(0..=MAX_BAN_SECS).contains(&secs) {
        return Err(fail(format!(
            "禁言时长 {secs} 秒超出 QQ 允许的 0 到 {MAX_BAN_SECS} 秒"
        )));
    }
    let now = unix_now();
    let self_id = state.seed.self_id;
    let member = group_mut(state, id, "user not in group")?
        .members
        .get_mut(&user)
        .ok_or_else(|| fail("user not in group"))?;
    let was_banned = member.shut_up_until > now;
    member.shut_up_until = if secs > 0 { now + secs } else { 0 };
    if secs > 0 || was_banned {
        let sub_type = if secs > 0 { "ban" } else { "lift_ban" };
        notice(
            state,
            id,
            "group_ban",
            json!({"user_id": user, "operator_id": self_id, "duration": secs, "sub_type": sub_type}),
        );
    }
    Ok(None)
}

fn set_group_whole_ban(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let enable = p.opt_bool("enable")?.unwrap_or(true);
    if self_role(state, id).is_none_or(|r| r < Role::Admin) {
        return Err(fail(format!(
            "SetGroupWholeBan failed: {NOT_ADMIN} {NOT_ADMIN_CODE}"
        )));
    }
    let self_id = state.seed.self_id;
    let g = group_mut(state, id, &format!("群 {id} 不存在"))?;
    let changed = g.whole_ban != enable;
    g.whole_ban = enable;
    if changed {
        let (duration, sub_type) = if enable { (-1, "ban") } else { (0, "lift_ban") };
        notice(
            state,
            id,
            "group_ban",
            json!({"user_id": 0, "operator_id": self_id, "duration": duration, "sub_type": sub_type}),
        );
    }
    Ok(None)
}

/// Removes `user` when the bot may; NapCat does not look at QQ's answer, so a refusal is
/// silent.
fn kick(state: &mut State, id: i64, user: i64, reject: bool) {
    let me = self_role(state, id);
    let Some(g) = state.groups.get_mut(&id) else {
        return;
    };
    let allowed = matches!((me, g.role(user)), (Some(me), Some(them)) if me.outranks(them));
    if !allowed {
        return;
    }
    g.members.remove(&user);
    if reject {
        g.rejected.insert(user);
    }
    let self_id = state.seed.self_id;
    notice(
        state,
        id,
        "group_decrease",
        json!({"user_id": user, "operator_id": self_id, "sub_type": "kick"}),
    );
}

fn set_group_kick(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let user = p.int("user_id")?;
    let reject = p.opt_bool("reject_add_request")?.unwrap_or(false);
    if !state.knows_user(user) {
        return Err(fail("get Uid Error"));
    }
    kick(state, id, user, reject);
    Ok(None)
}

/// SetGroupKickMembers.ts: unknown numbers are left out, not an error.
fn set_group_kick_members(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let reject = p.opt_bool("reject_add_request")?.unwrap_or(false);
    let users = p
        .opt_int_list("user_id")?
        .ok_or_else(|| fail("缺少参数 user_id"))?;
    for user in users {
        if state.knows_user(user) {
            kick(state, id, user, reject);
        }
    }
    Ok(None)
}

/// Only the owner sets admins; NapCat does not look at QQ's answer.
fn set_group_admin(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let user = p.int("user_id")?;
    let enable = p.opt_bool("enable")?.unwrap_or(false);
    if !state.knows_user(user) {
        return Err(fail("get Uid Error"));
    }
    if self_role(state, id) != Some(Role::Owner) {
        return Ok(None);
    }
    let Some(member) = state
        .groups
        .get_mut(&id)
        .and_then(|g| g.members.get_mut(&user))
    else {
        return Ok(None);
    };
    let role = if enable { Role::Admin } else { Role::Member };
    if member.info.role == Role::Owner || member.info.role == role {
        return Ok(None);
    }
    member.info.role = role;
    let sub_type = if enable { "set" } else { "unset" };
    notice(
        state,
        id,
        "group_admin",
        json!({"user_id": user, "sub_type": sub_type}),
    );
    Ok(None)
}

/// SetGroupCard.ts: NapCat checks the member, sets the card and reads it back; a card QQ did
/// not take is `设置群名片未生效` (NapCat finds out after three seconds; the simulator at once).
/// The `group_card` notice comes when the member next speaks, as with NapCat.
fn set_group_card(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let user = p.int("user_id")?;
    let card = p.opt_str("card")?.unwrap_or_default();
    let self_id = state.seed.self_id;
    let me = self_role(state, id);
    let member = state
        .groups
        .get_mut(&id)
        .and_then(|g| g.members.get_mut(&user))
        .ok_or_else(|| fail(format!("群({id})成员{user}不存在")))?;
    let allowed = user == self_id || me.is_some_and(|me| me.outranks(member.info.role));
    if !allowed {
        return Err(fail("设置群名片未生效"));
    }
    member.info.card = card;
    Ok(None)
}

/// SetSpecialTitle.ts: only the owner gives titles; NapCat does not look at QQ's answer.
fn set_group_special_title(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let user = p.int("user_id")?;
    let title = p.opt_str("special_title")?.unwrap_or_default();
    if !state.knows_user(user) {
        return Err(fail("User not found"));
    }
    if self_role(state, id) != Some(Role::Owner) {
        return Ok(None);
    }
    let Some(member) = state
        .groups
        .get_mut(&id)
        .and_then(|g| g.members.get_mut(&user))
    else {
        return Ok(None);
    };
    member.info.title = title.clone();
    if !title.is_empty() {
        notice(
            state,
            id,
            "notify",
            json!({"user_id": user, "sub_type": "title", "title": title}),
        );
    }
    Ok(None)
}

/// The bot leaves (or, as owner with `is_dismiss`, disbands) the group. NapCat does not look
/// at QQ's answer and reports no notice for the bot's own leaving.
fn set_group_leave(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let self_id = state.seed.self_id;
    if let Some(g) = state.groups.get_mut(&id) {
        if g.role(self_id) == Some(Role::Owner) && !p.opt_bool("is_dismiss")?.unwrap_or(false) {
            // QQ does not let an owner leave without disbanding.
            return Ok(None);
        }
        state.groups.remove(&id);
    }
    Ok(None)
}

/// SetGroupName.ts: QQ's refusal as `设置群名称失败 ErrCode: … ErrMsg: …`.
fn set_group_name(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let name = p.str("group_name")?;
    if self_role(state, id).is_none_or(|r| r < Role::Admin) {
        return Err(fail(format!(
            "设置群名称失败 ErrCode: {NOT_ADMIN_CODE} ErrMsg: {NOT_ADMIN}"
        )));
    }
    let self_id = state.seed.self_id;
    group_mut(state, id, &format!("群 {id} 不存在"))?.name = name.clone();
    notice(
        state,
        id,
        "notify",
        json!({"user_id": self_id, "sub_type": "group_name", "name_new": name}),
    );
    Ok(None)
}

/// A remark is the bot's own: any member sets it.
fn set_group_remark(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let remark = p.opt_str("remark")?.unwrap_or_default();
    match state.groups.get_mut(&id) {
        Some(g) => {
            g.remark = remark;
            Ok(None)
        }
        None => Err(fail(format!(
            "设置群备注失败, {NOT_ADMIN_CODE}:{NOT_ADMIN}"
        ))),
    }
}

/// SetGroupPortrait.ts: QQ's refusal is `1004022` (not an image or no rights).
fn set_group_portrait(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let file = p.str("file")?;
    if self_role(state, id).is_none_or(|r| r < Role::Admin) {
        return Err(fail(format!(
            "头像{file}设置失败，文件可能不是图片格式或权限不足"
        )));
    }
    group_mut(state, id, &format!("群 {id} 不存在"))?
        .settings
        .insert("portrait".into(), Value::String(file));
    Ok(Some(json!({"result": 0, "errMsg": ""})))
}

/// Stores the given settings when the bot is an admin; otherwise `refused` says why, as the
/// NapCat handler words it.
fn set_settings(
    state: &mut State,
    id: i64,
    settings: Vec<(&str, Option<Value>)>,
    refused: impl FnOnce(&str) -> String,
) -> Outcome {
    if self_role(state, id).is_none_or(|r| r < Role::Admin) {
        let first = settings
            .iter()
            .find(|(_, v)| v.is_some())
            .map_or("", |(k, _)| *k);
        return Err(fail(refused(first)));
    }
    let g = group_mut(state, id, &format!("群 {id} 不存在"))?;
    for (key, value) in settings {
        if let Some(v) = value {
            g.settings.insert(key.to_owned(), v);
        }
    }
    Ok(None)
}

/// apis/group.ts `setGroupAddOption`: the question is set only for the two question types (4
/// and 5), the answer only for 4 (type 5 clears it); other types leave both as they were.
fn set_group_add_option(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let add_type = p.int("add_type")?;
    let question = p.opt_str("group_question")?.unwrap_or_default();
    let answer = p.opt_str("group_answer")?.unwrap_or_default();
    let asks = matches!(add_type, 4 | 5);
    let settings = vec![
        ("add_type", Some(Value::from(add_type))),
        ("group_question", asks.then(|| Value::from(question))),
        (
            "group_answer",
            asks.then(|| Value::from(if add_type == 4 { answer } else { String::new() })),
        ),
    ];
    set_settings(state, id, settings, |_| {
        format!("设置群添加选项失败, {NOT_ADMIN_CODE}:{NOT_ADMIN}")
    })
}

/// Stores the optional integer settings `keys` whose value NapCat passes on (`applies`); QQ's
/// refusal as `{operation}失败, code:text`.
fn int_settings(
    state: &mut State,
    p: &Params,
    keys: &[&str],
    applies: fn(i64) -> bool,
    operation: &str,
) -> Outcome {
    let id = p.int("group_id")?;
    let mut settings = Vec::new();
    for key in keys {
        let value = p.opt_int(key)?.filter(|v| applies(*v));
        settings.push((*key, value.map(Value::from)));
    }
    set_settings(state, id, settings, |_| {
        format!("{operation}失败, {NOT_ADMIN_CODE}:{NOT_ADMIN}")
    })
}

fn set_group_robot_add_option(state: &mut State, p: &Params) -> Outcome {
    let keys = ["robot_member_switch", "robot_member_examine"];
    int_settings(state, p, &keys, |_| true, "设置群机器人添加选项")
}

/// apis/group.ts `setGroupSearch` changes a flag only when its value is not 0.
fn set_group_search(state: &mut State, p: &Params) -> Outcome {
    let keys = ["no_code_finger_open", "no_finger_open"];
    int_settings(state, p, &keys, |v| v != 0, "设置群搜索")
}

/// GroupOperationHelpers.ts `assertGroupManagementResults`, with the setting names of
/// napcat-core/data/group.ts.
fn management_failure(operation: &str, setting: &str) -> String {
    format!("{operation}失败 Setting: {setting} ErrCode: {NOT_ADMIN_CODE} ErrMsg: {NOT_ADMIN}")
}

fn set_group_member_invite_policy(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let policy = p.str("policy")?;
    let settings = vec![("member_invite", Some(Value::from(policy)))];
    set_settings(state, id, settings, |s| {
        management_failure("设置群成员邀请策略", s)
    })
}

fn set_group_member_permissions(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let settings = vec![
        (
            "allow_member_upload_album",
            p.opt_bool("allow_member_upload_album")?.map(Value::from),
        ),
        (
            "allow_member_temporary_session",
            p.opt_bool("allow_member_temporary_session")?
                .map(Value::from),
        ),
        (
            "allow_member_create_group",
            p.opt_bool("allow_member_create_group")?.map(Value::from),
        ),
    ];
    if settings.iter().all(|(_, v)| v.is_none()) {
        return Err(fail("至少需要提供一个群成员功能权限"));
    }
    set_settings(state, id, settings, |s| {
        management_failure("设置群成员功能权限", s)
    })
}

fn set_group_new_member_history_visibility(state: &mut State, p: &Params) -> Outcome {
    let id = p.int("group_id")?;
    let visible = p.opt_bool("visible")?.unwrap_or(false);
    let settings = vec![("new_members_see_recent_history", Some(Value::from(visible)))];
    set_settings(state, id, settings, |s| {
        management_failure("设置新成员历史消息可见性", s)
    })
}
