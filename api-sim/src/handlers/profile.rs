//! The bot's own profile: nickname, signature, sex, avatar, online status.

use base64::Engine;
use serde_json::{Value, json};

use crate::handlers::handler::Handler;
use crate::params::Params;
use crate::state::{Failure, Outcome, State};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("set_qq_profile", set_qq_profile),
    ("set_online_status", set_online_status),
    ("set_qq_avatar", set_avatar),
    ("set_self_longnick", set_self_longnick),
    ("get_login_info", get_login_info),
    ("get_stranger_info", get_stranger_info),
    ("nc_get_user_status", nc_get_user_status),
];

fn set_qq_profile(state: &mut State, p: &Params) -> Outcome {
    let nickname = p.str("nickname")?;
    if let Some(note) = p.opt_str("personal_note")? {
        state.personal_note = note;
    }
    if let Some(sex) = p.opt_str("sex")? {
        // NapCat parseInt()s it.
        state.sex = sex.trim().parse().unwrap_or(0);
    }
    state.seed.nickname = nickname;
    Ok(Some(json!({"result": 0, "errMsg": ""})))
}

fn set_online_status(state: &mut State, p: &Params) -> Outcome {
    state.online = (
        p.int("status")?,
        p.int("ext_status")?,
        p.int("battery_status")?,
    );
    Ok(Some(Value::Null))
}

fn set_avatar(state: &mut State, p: &Params) -> Outcome {
    let file = p.str("file")?;
    let ok = if let Some(b64) = file.strip_prefix("base64://") {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .is_ok()
            && !b64.is_empty()
    } else {
        ["http://", "https://", "file://", "/"]
            .iter()
            .any(|s| file.starts_with(s))
    };
    if !ok {
        // NapCat's text (extends/SetQQAvatar.ts) when the `file` form is not one it takes.
        return Err(Failure::Handler(format!(
            "头像{file}设置失败,file字段可能格式不正确"
        )));
    }
    state.avatar = Some(file);
    Ok(Some(Value::Null))
}

fn set_self_longnick(state: &mut State, p: &Params) -> Outcome {
    state.long_nick = p.str("longNick")?;
    Ok(Some(json!({"result": 0, "errMsg": ""})))
}

fn get_login_info(state: &mut State, _: &Params) -> Outcome {
    Ok(Some(
        json!({"user_id": state.seed.self_id, "nickname": state.seed.nickname}),
    ))
}

fn nc_get_user_status(state: &mut State, p: &Params) -> Outcome {
    let user = p.int("user_id")?;
    if user == state.seed.self_id {
        Ok(Some(
            json!({"status": state.online.0, "ext_status": state.online.1}),
        ))
    } else if state.friends.contains_key(&user) {
        Ok(Some(json!({"status": 10, "ext_status": 0})))
    } else {
        Err(Failure::Handler("无法获取用户状态".into()))
    }
}

fn get_stranger_info(state: &mut State, p: &Params) -> Outcome {
    let user = p.int("user_id")?;
    let _ = p.opt_bool("no_cache")?;
    let (nickname, sex, age, long_nick, remark) = if user == state.seed.self_id {
        let sex = ["unknown", "male", "female"]
            .get(state.sex as usize)
            .copied()
            .unwrap_or("unknown");
        (
            state.seed.nickname.clone(),
            sex.to_owned(),
            0,
            if state.long_nick.is_empty() {
                state.personal_note.clone()
            } else {
                state.long_nick.clone()
            },
            String::new(),
        )
    } else if let Some(f) = state.friends.get(&user) {
        (
            f.nickname.clone(),
            f.sex.clone(),
            f.age,
            String::new(),
            f.remark.clone(),
        )
    } else {
        (
            format!("用户{user}"),
            "unknown".into(),
            0,
            String::new(),
            String::new(),
        )
    };
    Ok(Some(json!({
        "user_id": user,
        "uid": format!("u_{user}"),
        "uin": user.to_string(),
        "nickname": nickname,
        "nick": nickname,
        "age": age,
        "qid": "",
        "qqLevel": 32,
        "sex": sex,
        "long_nick": long_nick,
        "longNick": long_nick,
        "reg_time": 1_500_000_000,
        "is_vip": false,
        "is_years_vip": false,
        "vip_level": 0,
        "remark": remark,
        "status": 10,
        "login_days": 0,
    })))
}
