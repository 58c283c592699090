//! Group join requests and invitations: answering them and listing QQ's group notifications.
//! Follows NapCat's group/SetGroupAddRequest.ts, system/GetSystemMsg.ts,
//! group/GetGroupIgnoredNotifies.ts and extends/GetGroupAddRequest.ts (v4.18.19).

use serde_json::{Value, json};

use crate::groups::{Group, Role, SimGroup, SimMember, unix_now};
use crate::handlers::handler::Handler;
use crate::params::Params;
use crate::state::{Failure, Outcome, State};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("set_group_add_request", set_group_add_request),
    ("get_group_system_msg", get_group_system_msg),
    ("get_group_ignored_notifies", get_group_ignored_notifies),
    ("get_group_ignore_add_request", get_group_ignore_add_request),
];

/// Answers a request by its flag. NapCat does not look at QQ's answer: approving a join
/// request without admin rights, or one already answered, changes nothing and succeeds.
fn set_group_add_request(state: &mut State, p: &Params) -> Outcome {
    let flag = p.str("flag")?;
    let approve = p.opt_bool("approve")?.unwrap_or(true);
    let self_id = state.seed.self_id;
    let Some(request) = state.group_requests.get(&flag).cloned() else {
        return Err(Failure::Handler("No such request".into()));
    };
    if request.checked {
        return Ok(None);
    }
    if request.invite {
        if approve {
            let nick = state.seed.nickname.clone();
            let seed = SimGroup {
                name: request.group_name.clone(),
                max_member_count: 200,
                members: vec![
                    SimMember::new(request.user_id, &request.nickname, Role::Owner),
                    SimMember::new(self_id, &nick, Role::Member),
                ],
            };
            state
                .groups
                .entry(request.group_id)
                .or_insert_with(|| Group::from_seed(&seed));
            joined(state, request.group_id, self_id, 0);
        }
    } else {
        let is_admin = state
            .groups
            .get(&request.group_id)
            .and_then(|g| g.role(self_id))
            .is_some_and(|r| r >= Role::Admin);
        if !is_admin {
            return Ok(None);
        }
        if approve {
            let member = SimMember {
                join_time: unix_now(),
                ..SimMember::new(request.user_id, &request.nickname, Role::Member)
            };
            if let Some(g) = state.groups.get_mut(&request.group_id) {
                g.members
                    .entry(request.user_id)
                    .or_insert_with(|| crate::groups::Member::joined(member));
            }
            joined(state, request.group_id, request.user_id, self_id);
        }
    }
    if let Some(r) = state.group_requests.get_mut(&flag) {
        r.checked = true;
    }
    Ok(None)
}

/// Queues the `group_increase` notice for someone who joined.
fn joined(state: &mut State, group_id: i64, user_id: i64, operator_id: i64) {
    let event = json!({
        "time": unix_now(), "self_id": state.seed.self_id, "post_type": "notice",
        "group_id": group_id, "user_id": user_id, "notice_type": "group_increase",
        "operator_id": operator_id, "sub_type": "approve",
    });
    state.outbox.push(event);
}

/// The notifications as `get_group_system_msg` lists them: invitations (QQ's type 1) and join
/// requests (type 7), newest first, at most `count`.
fn notifications(state: &State, count: usize) -> Value {
    let self_id = state.seed.self_id;
    let mut invited = Vec::new();
    let mut joins = Vec::new();
    for (flag, r) in state.group_requests.iter().rev().take(count) {
        let entry = r.to_system_json(flag, self_id);
        if r.invite {
            invited.push(entry);
        } else {
            joins.push(entry);
        }
    }
    json!({"invited_requests": invited, "InvitedRequest": invited, "join_requests": joins})
}

fn get_group_system_msg(state: &mut State, p: &Params) -> Outcome {
    let count = p.opt_int("count")?.unwrap_or(50).max(0) as usize;
    Ok(Some(notifications(state, count)))
}

/// The same notifications, 50 at most (NapCat reads the same list as for the system
/// messages).
fn get_group_ignored_notifies(state: &mut State, _: &Params) -> Outcome {
    Ok(Some(notifications(state, 50)))
}

/// Requests QQ filtered as risky: the simulator has none.
fn get_group_ignore_add_request(_: &mut State, _: &Params) -> Outcome {
    Ok(Some(Value::Array(Vec::new())))
}
