//! Injected changes to a group's members and settings, as QQ would push them: each changes
//! the group as the matching action does, and queues the notice NapCat reports.

use serde_json::{Value, json};

use crate::groups::{Member, Role, SimMember, unix_now};
use crate::inject::kinds::{AdminChange, DecreaseKind, IncreaseKind, Injected};
use crate::inject::refusal::{InjectError, group_of, member_of, refuse};
use crate::state::State;

/// Queues a group notice: `group_id`, then `fields`, as NapCat orders them.
fn notice(state: &mut State, group_id: i64, fields: serde_json::Value) {
    let mut body = json!({"group_id": group_id});
    if let (Some(b), serde_json::Value::Object(f)) = (body.as_object_mut(), fields) {
        b.extend(f);
    }
    state.push_event("notice", body);
}

/// A file's bytes from `content`: `base64://…`, else the text itself.
fn bytes_of(content: &str) -> bytes::Bytes {
    match content.strip_prefix("base64://") {
        Some(b64) => crate::files::from_base64(b64),
        None => bytes::Bytes::from(content.to_owned()),
    }
}

pub(super) fn upload(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    name: &str,
    content: &str,
) -> Result<Injected, InjectError> {
    member_of(state, group_id, user_id)?;
    if name.is_empty() {
        return refuse("a file needs a name");
    }
    let id = state.upload_group_file(group_id, user_id, name, bytes_of(content));
    Ok(Injected::File(id))
}

pub(super) fn admin(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    change: AdminChange,
) -> Result<Injected, InjectError> {
    let role = member_of(state, group_id, user_id)?.info.role;
    let new = match (role, change) {
        (Role::Owner, _) => return refuse(format!("{user_id} owns group {group_id}")),
        (Role::Member, AdminChange::Set) => Role::Admin,
        (Role::Admin, AdminChange::Unset) => Role::Member,
        (Role::Admin, AdminChange::Set) => {
            return refuse(format!("{user_id} is an admin of group {group_id} already"));
        }
        (Role::Member, AdminChange::Unset) => {
            return refuse(format!("{user_id} is no admin of group {group_id}"));
        }
    };
    if let Some(m) = member_mut(state, group_id, user_id) {
        m.info.role = new;
    }
    notice(
        state,
        group_id,
        json!({"user_id": user_id, "notice_type": "group_admin", "sub_type": change.word()}),
    );
    Ok(Injected::Done)
}

fn member_mut(state: &mut State, group_id: i64, user_id: i64) -> Option<&mut Member> {
    state
        .groups
        .get_mut(&group_id)
        .and_then(|g| g.members.get_mut(&user_id))
}

pub(super) fn increase(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    nickname: &str,
    operator_id: i64,
    kind: IncreaseKind,
) -> Result<Injected, InjectError> {
    if group_of(state, group_id)?.members.contains_key(&user_id) {
        return refuse(format!("{user_id} is a member of group {group_id} already"));
    }
    if operator_id != 0 {
        member_of(state, group_id, operator_id)?;
    }
    let info = SimMember {
        join_time: unix_now(),
        ..SimMember::new(user_id, nickname, Role::Member)
    };
    if let Some(g) = state.groups.get_mut(&group_id) {
        g.members.insert(user_id, Member::joined(info));
    }
    notice(
        state,
        group_id,
        json!({"user_id": user_id, "notice_type": "group_increase",
               "operator_id": operator_id, "sub_type": kind.word()}),
    );
    Ok(Injected::Done)
}

/// `kick` and `kick_me` need an operator who outranks the one removed (when one is named);
/// `kick_me` and `disband` take the whole group away from the bot.
pub(super) fn decrease(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    operator_id: i64,
    kind: DecreaseKind,
) -> Result<Injected, InjectError> {
    let self_id = state.self_id();
    let role = member_of(state, group_id, user_id)?.info.role;
    match kind {
        DecreaseKind::KickMe if user_id != self_id => {
            return refuse(format!(
                "kick_me removes the bot ({self_id}), not {user_id}"
            ));
        }
        DecreaseKind::Leave | DecreaseKind::Kick if user_id == self_id => {
            return refuse("the bot leaves with set_group_leave, or is removed with kick_me");
        }
        DecreaseKind::Leave | DecreaseKind::Kick if role == Role::Owner => {
            return refuse(format!(
                "{user_id} owns group {group_id}: only disband ends that"
            ));
        }
        _ => {}
    }
    if operator_id != 0 {
        let by = member_of(state, group_id, operator_id)?.info.role;
        let allowed = match kind {
            DecreaseKind::Leave => true,
            DecreaseKind::Kick | DecreaseKind::KickMe => by.outranks(role),
            DecreaseKind::Disband => by == Role::Owner,
        };
        if !allowed {
            return refuse(format!(
                "{operator_id} may not {} in group {group_id}",
                kind.word()
            ));
        }
    }
    match kind {
        DecreaseKind::KickMe | DecreaseKind::Disband => {
            state.groups.remove(&group_id);
        }
        DecreaseKind::Leave | DecreaseKind::Kick => {
            if let Some(g) = state.groups.get_mut(&group_id) {
                g.members.remove(&user_id);
            }
        }
    }
    notice(
        state,
        group_id,
        json!({"user_id": user_id, "notice_type": "group_decrease",
               "sub_type": kind.word(), "operator_id": operator_id}),
    );
    Ok(Injected::Done)
}

/// A member's ban holds until it ends (`get_group_member_info`'s `shut_up_timestamp`, and
/// they cannot speak); the whole group's holds until lifted.
pub(super) fn ban(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    operator_id: i64,
    duration: i64,
) -> Result<Injected, InjectError> {
    let by = member_of(state, group_id, operator_id)?.info.role;
    if by < Role::Admin {
        return refuse(format!("{operator_id} is not an admin of group {group_id}"));
    }
    if duration < 0 {
        return refuse("a ban's duration is 0 (lift) or more seconds");
    }
    let sub_type = if duration > 0 { "ban" } else { "lift_ban" };
    let reported = if user_id == 0 {
        if let Some(g) = state.groups.get_mut(&group_id) {
            g.whole_ban = duration > 0;
        }
        if duration > 0 { -1 } else { 0 }
    } else {
        let role = member_of(state, group_id, user_id)?.info.role;
        if !by.outranks(role) {
            return refuse(format!(
                "{operator_id} is not an admin above {user_id} in group {group_id}"
            ));
        }
        if let Some(m) = member_mut(state, group_id, user_id) {
            m.shut_up_until = if duration > 0 {
                unix_now() + duration
            } else {
                0
            };
        }
        duration
    };
    notice(
        state,
        group_id,
        json!({"user_id": user_id, "notice_type": "group_ban", "operator_id": operator_id,
               "duration": reported, "sub_type": sub_type}),
    );
    Ok(Injected::Done)
}

/// The card changes now; the `group_card` notice comes when the member next speaks.
pub(super) fn card(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    card: String,
) -> Result<Injected, InjectError> {
    member_of(state, group_id, user_id)?;
    if let Some(m) = member_mut(state, group_id, user_id) {
        m.info.card = card;
    }
    Ok(Injected::Done)
}

pub(super) fn poke(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    target_id: i64,
) -> Result<Injected, InjectError> {
    member_of(state, group_id, user_id)?;
    member_of(state, group_id, target_id)?;
    state.push_event(
        "notice",
        json!({"notice_type": "notify", "sub_type": "poke", "target_id": target_id,
               "user_id": user_id, "group_id": group_id,
               "raw_info": poke_items(user_id, target_id)}),
    );
    Ok(Injected::Done)
}

pub(super) fn rename(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    name: String,
) -> Result<Injected, InjectError> {
    if member_of(state, group_id, user_id)?.info.role < Role::Admin {
        return refuse(format!("{user_id} is not an admin of group {group_id}"));
    }
    if name.is_empty() {
        return refuse("a group's name is not empty");
    }
    if let Some(g) = state.groups.get_mut(&group_id) {
        g.name = name.clone();
    }
    notice(
        state,
        group_id,
        json!({"user_id": user_id, "notice_type": "notify", "sub_type": "group_name",
               "name_new": name}),
    );
    Ok(Injected::Done)
}

pub(super) fn title(
    state: &mut State,
    group_id: i64,
    user_id: i64,
    title: String,
) -> Result<Injected, InjectError> {
    member_of(state, group_id, user_id)?;
    if let Some(m) = member_mut(state, group_id, user_id) {
        m.info.title = title.clone();
    }
    notice(
        state,
        group_id,
        json!({"user_id": user_id, "notice_type": "notify", "sub_type": "title",
               "title": title}),
    );
    Ok(Injected::Done)
}

/// QQ's gray-tip items for `user_id` poking `target_id`, as NapCat passes them on in
/// `raw_info` (the uids are the simulator's).
pub(super) fn poke_items(user_id: i64, target_id: i64) -> Value {
    json!([
        {"col": "1", "nm": "", "type": "qq", "uid": format!("u_{user_id}")},
        {"jp": "https://zb.vip.qq.com/v2/pages/nudgeMall?_wv=2&actionId=0", "src": "http://tianquan.gtimg.cn/nudgeaction/item/0/expression.jpg", "type": "img"},
        {"txt": "戳了戳", "type": "nor"},
        {"col": "1", "nm": "", "tp": "0", "type": "qq", "uid": format!("u_{target_id}")},
        {"txt": "", "type": "nor"},
    ])
}
