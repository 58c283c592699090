//! Groups the account is in.

use serde_json::{Value, json};

use super::Handler;
use crate::params::Params;
use crate::state::{Failure, Outcome, State};

pub(super) const HANDLERS: &[(&str, Handler)] = &[("send_group_ark_share", send_group_ark_share)];

fn send_group_ark_share(state: &mut State, p: &Params) -> Outcome {
    let group = p.int("group_id")?;
    let name = state
        .seed
        .groups
        .get(&group)
        .ok_or_else(|| Failure::Handler(format!("群 {group} 不存在")))?;
    let ark = json!({
        "app": "com.tencent.contact.lua",
        "prompt": format!("推荐群聊：{name}"),
        "meta": {"contact": {"nickname": name, "tag": "推荐群聊", "jumpUrl": format!("https://qun.qq.com/{group}")}}
    });
    Ok(Some(Value::String(ark.to_string())))
}
