//! The simulated account: profile, friends in categories, requests, read markers and more,
//! and the Account actions that read and change it.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::params::{Params, SchemaError};

/// How an action failed, which decides the retcode per transport.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Bad parameters: 400 on HTTP, 1400 on WebSocket.
    Schema(String),
    /// The handler threw: 200 on HTTP, 1200 on WebSocket.
    Handler(String),
    /// No such action: 200 on HTTP, 1404 on WebSocket.
    Unknown(String),
}

impl From<SchemaError> for Failure {
    fn from(e: SchemaError) -> Self {
        Failure::Schema(e.0)
    }
}

/// `Ok(None)`: success with `data` absent, as NapCat sends for handlers that return nothing.
pub type Outcome = Result<Option<Value>, Failure>;

/// A friend of the simulated account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimFriend {
    /// QQ number.
    pub user_id: i64,
    /// Nickname.
    pub nickname: String,
    /// Remark; empty for none.
    pub remark: String,
    /// `male`, `female` or `unknown`.
    pub sex: String,
    /// Age.
    pub age: i64,
    /// QQ level.
    pub level: i64,
    /// Category it is in.
    pub category_id: i64,
}

/// A pending friend request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimRequest {
    /// Who asked.
    pub user_id: i64,
    /// Their nickname.
    pub nickname: String,
}

/// The data the simulator starts from; change it to seed your own tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seed {
    /// The bot's QQ number.
    pub self_id: i64,
    /// The bot's nickname.
    pub nickname: String,
    /// Categories: id and name.
    pub categories: Vec<(i64, String)>,
    /// Friends.
    pub friends: Vec<SimFriend>,
    /// Pending friend requests by flag.
    pub requests: BTreeMap<String, SimRequest>,
    /// Groups the bot is in, by id and name.
    pub groups: BTreeMap<i64, String>,
    /// Custom face URLs.
    pub custom_faces: Vec<String>,
}

impl Default for Seed {
    fn default() -> Self {
        let friend = |user_id, nickname: &str, remark: &str, sex: &str, category_id| SimFriend {
            user_id,
            nickname: nickname.into(),
            remark: remark.into(),
            sex: sex.into(),
            age: 20,
            level: 32,
            category_id,
        };
        Seed {
            self_id: 10001,
            nickname: "模拟机器人".into(),
            categories: vec![(0, "我的好友".into()), (1, "同学".into())],
            friends: vec![
                friend(123456, "张三", "同学-张三", "male", 1),
                friend(234567, "李四", "", "female", 0),
                friend(345678, "王五", "老王", "unknown", 0),
            ],
            requests: BTreeMap::from([(
                "flag_12345".to_owned(),
                SimRequest {
                    user_id: 456789,
                    nickname: "赵六".into(),
                },
            )]),
            groups: BTreeMap::from([
                (100200, "Rust 学习群".into()),
                (300400, "机器人测试群".into()),
            ]),
            custom_faces: (1..=60)
                .map(|i| format!("https://faces.example/face{i}.png"))
                .collect(),
        }
    }
}

/// The account's state; every action reads or changes it.
#[derive(Debug, Clone)]
pub struct State {
    seed: Seed,
    personal_note: String,
    sex: i64,
    avatar: Option<String>,
    long_nick: String,
    online: (i64, i64, i64),
    friends: BTreeMap<i64, SimFriend>,
    blocked: BTreeSet<i64>,
    likes: BTreeMap<i64, i64>,
    read: BTreeSet<String>,
    collections: Vec<(String, String)>,
    /// Most recent first: (peer, chat type, time, unread).
    recent: Vec<(i64, i64, i64)>,
}

impl State {
    /// A fresh state from `seed`.
    pub fn new(seed: Seed) -> Self {
        let friends = seed
            .friends
            .iter()
            .map(|f| (f.user_id, f.clone()))
            .collect();
        let mut recent: Vec<(i64, i64, i64)> = seed
            .friends
            .iter()
            .map(|f| (f.user_id, 1, 1_734_567_890 + f.user_id % 1000))
            .collect();
        recent.extend(
            seed.groups
                .keys()
                .map(|g| (*g, 2, 1_734_567_000 + g % 1000)),
        );
        recent.sort_by_key(|r| std::cmp::Reverse(r.2));
        State {
            personal_note: String::new(),
            sex: 0,
            avatar: None,
            long_nick: String::new(),
            online: (10, 0, 100),
            friends,
            blocked: BTreeSet::new(),
            likes: BTreeMap::new(),
            read: BTreeSet::new(),
            collections: Vec::new(),
            recent,
            seed,
        }
    }

    /// The bot's QQ number.
    pub fn self_id(&self) -> i64 {
        self.seed.self_id
    }

    /// Likes given to each user so far.
    pub fn likes(&self) -> &BTreeMap<i64, i64> {
        &self.likes
    }

    /// Peers marked as read (`group:<id>`, `user:<id>`, `all`).
    pub fn read_markers(&self) -> &BTreeSet<String> {
        &self.read
    }

    /// The avatar last set, as sent.
    pub fn avatar(&self) -> Option<&str> {
        self.avatar.as_deref()
    }

    /// Collections created: raw data and brief.
    pub fn collections(&self) -> &[(String, String)] {
        &self.collections
    }

    /// Users blocked by `delete_friend`.
    pub fn blocked(&self) -> &BTreeSet<i64> {
        &self.blocked
    }

    /// Runs one action (alias suffixes already removed).
    pub fn handle(&mut self, action: &str, params: &Map<String, Value>) -> Outcome {
        let p = Params(params);
        match action {
            "set_qq_profile" => self.set_qq_profile(&p),
            "set_online_status" => {
                self.online = (
                    p.int("status")?,
                    p.int("ext_status")?,
                    p.int("battery_status")?,
                );
                Ok(Some(Value::Null))
            }
            "set_qq_avatar" => self.set_avatar(&p),
            "set_self_longnick" => {
                self.long_nick = p.str("longNick")?;
                Ok(Some(json!({"result": 0, "errMsg": ""})))
            }
            "get_login_info" => Ok(Some(
                json!({"user_id": self.seed.self_id, "nickname": self.seed.nickname}),
            )),
            "get_status" => Ok(Some(json!({"online": true, "good": true, "stat": {}}))),
            "get_friends_with_category" => Ok(Some(self.categories())),
            "send_like" => {
                let user = p.int("user_id")?;
                let times = p.opt_int("times")?.unwrap_or(1);
                if !(1..=20).contains(&times) {
                    return Err(Failure::Handler(format!(
                        "点赞失败 times must be 1..=20, got {times}"
                    )));
                }
                *self.likes.entry(user).or_default() += times;
                Ok(None)
            }
            "set_friend_add_request" => self.set_friend_add_request(&p),
            "get_friend_list" => Ok(Some(Value::Array(
                self.friends.values().map(user_json).collect(),
            ))),
            "delete_friend" => self.delete_friend(&p),
            "set_friend_remark" => {
                let user = p.int("user_id")?;
                let remark = p.str("remark")?;
                let friend = self
                    .friends
                    .get_mut(&user)
                    .ok_or_else(|| Failure::Handler(format!("{user} 不是好友")))?;
                friend.remark = remark;
                Ok(None)
            }
            "mark_group_msg_as_read" | "mark_private_msg_as_read" | "mark_msg_as_read" => {
                self.mark_read(&p)
            }
            "create_collection" => {
                let raw = p.str("rawData")?;
                let brief = p.str("brief")?;
                self.collections.push((raw, brief));
                Ok(Some(json!({"result": 0, "errMsg": ""})))
            }
            "get_recent_contact" => {
                let count = p.opt_int("count")?.unwrap_or(10).max(0) as usize;
                Ok(Some(Value::Array(
                    self.recent
                        .iter()
                        .take(count)
                        .map(|r| self.contact_json(*r))
                        .collect(),
                )))
            }
            "_mark_all_as_read" => {
                self.read.insert("all".into());
                Ok(Some(Value::Null))
            }
            "send_group_ark_share" | "ArkShareGroup" => {
                let group = p.int("group_id")?;
                let name = self
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
            "get_stranger_info" => self.stranger_info(&p),
            "fetch_custom_face" => {
                let count = p.opt_int("count")?.unwrap_or(48).max(0) as usize;
                Ok(Some(json!(
                    self.seed
                        .custom_faces
                        .iter()
                        .take(count)
                        .collect::<Vec<_>>()
                )))
            }
            "nc_get_user_status" => {
                let user = p.int("user_id")?;
                if user == self.seed.self_id {
                    Ok(Some(
                        json!({"status": self.online.0, "ext_status": self.online.1}),
                    ))
                } else if self.friends.contains_key(&user) {
                    Ok(Some(json!({"status": 10, "ext_status": 0})))
                } else {
                    Err(Failure::Handler("无法获取用户状态".into()))
                }
            }
            other => Err(Failure::Unknown(other.to_owned())),
        }
    }

    fn set_qq_profile(&mut self, p: &Params) -> Outcome {
        let nickname = p.str("nickname")?;
        if let Some(note) = p.opt_str("personal_note")? {
            self.personal_note = note;
        }
        if let Some(sex) = p.opt_str("sex")? {
            let n: i64 = sex.trim().parse().map_err(|_| {
                Failure::Schema(format!(
                    "Schema compilation error: `sex` must be 0, 1 or 2, got {sex}"
                ))
            })?;
            self.sex = n;
        }
        self.seed.nickname = nickname;
        Ok(Some(json!({"result": 0, "errMsg": ""})))
    }

    fn set_avatar(&mut self, p: &Params) -> Outcome {
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
            return Err(Failure::Handler(format!(
                "头像文件无效: {}",
                file.chars().take(40).collect::<String>()
            )));
        }
        self.avatar = Some(file);
        Ok(Some(Value::Null))
    }

    fn set_friend_add_request(&mut self, p: &Params) -> Outcome {
        let flag = p.str("flag")?;
        let approve = p.opt_bool("approve")?.unwrap_or(true);
        let remark = p.opt_str("remark")?;
        let request = self
            .seed
            .requests
            .remove(&flag)
            .ok_or_else(|| Failure::Handler(format!("找不到好友请求 {flag}")))?;
        if approve {
            self.friends.insert(
                request.user_id,
                SimFriend {
                    user_id: request.user_id,
                    nickname: request.nickname.clone(),
                    remark: remark.unwrap_or_default(),
                    sex: "unknown".into(),
                    age: 0,
                    level: 1,
                    category_id: 0,
                },
            );
        }
        Ok(None)
    }

    fn delete_friend(&mut self, p: &Params) -> Outcome {
        let user = match p.opt_int("friend_id")? {
            Some(u) => u,
            None => p
                .opt_int("user_id")?
                .ok_or_else(|| Failure::Handler("好友不存在".into()))?,
        };
        if self.friends.remove(&user).is_none() {
            return Ok(Some(json!({"valid": false, "message": "不是好友"})));
        }
        if p.opt_bool("temp_block")?.unwrap_or(false) {
            self.blocked.insert(user);
        }
        Ok(Some(json!({"result": 0, "errMsg": ""})))
    }

    fn mark_read(&mut self, p: &Params) -> Outcome {
        if let Some(m) = p.opt_str("message_id")? {
            self.read.insert(format!("message:{m}"));
        } else if let Some(u) = p.opt_int("user_id")? {
            self.read.insert(format!("user:{u}"));
        } else if let Some(g) = p.opt_int("group_id")? {
            self.read.insert(format!("group:{g}"));
        } else {
            return Err(Failure::Handler("contact not found".into()));
        }
        Ok(Some(Value::Null))
    }

    fn categories(&self) -> Value {
        let cats = self
            .seed
            .categories
            .iter()
            .enumerate()
            .map(|(i, (id, name))| {
                let buddies: Vec<Value> = self
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
        Value::Array(cats.collect())
    }

    fn contact_json(&self, (peer, chat_type, time): (i64, i64, i64)) -> Value {
        let (name, remark) = if chat_type == 1 {
            self.friends
                .get(&peer)
                .map(|f| (f.nickname.clone(), f.remark.clone()))
                .unwrap_or_default()
        } else {
            (
                self.seed.groups.get(&peer).cloned().unwrap_or_default(),
                String::new(),
            )
        };
        json!({
            "lastestMsg": {
                "self_id": self.seed.self_id,
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

    fn stranger_info(&self, p: &Params) -> Outcome {
        let user = p.int("user_id")?;
        let _ = p.opt_bool("no_cache")?;
        let (nickname, sex, age, long_nick, remark) = if user == self.seed.self_id {
            let sex = ["unknown", "male", "female"]
                .get(self.sex as usize)
                .copied()
                .unwrap_or("unknown");
            (
                self.seed.nickname.clone(),
                sex.to_owned(),
                0,
                if self.long_nick.is_empty() {
                    self.personal_note.clone()
                } else {
                    self.long_nick.clone()
                },
                String::new(),
            )
        } else if let Some(f) = self.friends.get(&user) {
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
}

fn user_json(f: &SimFriend) -> Value {
    json!({
        "user_id": f.user_id,
        "nickname": f.nickname,
        "remark": if f.remark.is_empty() { &f.nickname } else { &f.remark },
        "sex": f.sex,
        "level": f.level,
        "age": f.age,
        "birthday_year": 2000,
        "birthday_month": 1,
        "birthday_day": 1,
        "phone_num": "",
        "email": "",
        "category_id": f.category_id,
    })
}
