//! The groups the simulated account is in: members with roles, cards, titles and bans, the
//! group's settings, and join requests and invitations waiting for an answer.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A member's standing in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A plain member.
    #[default]
    Member,
    /// An admin: bans, kicks, renames, sets cards.
    Admin,
    /// The owner: all an admin does, plus admins and titles.
    Owner,
}

impl Role {
    /// OneBot's word for it.
    pub fn word(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// QQ's number for it (`role` in QQ's own member records).
    pub fn nt_code(self) -> i64 {
        match self {
            Role::Owner => 4,
            Role::Admin => 3,
            Role::Member => 2,
        }
    }

    /// Whether this role may manage members of `other`'s role (ban, kick, set a card).
    pub fn outranks(self, other: Role) -> bool {
        self >= Role::Admin && self > other
    }
}

/// A group member as seeded. In a scenario file only `user_id` and `nickname` must be given
/// (`role` is `member` unless said).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimMember {
    /// QQ number.
    pub user_id: i64,
    /// Nickname.
    pub nickname: String,
    /// Group card; empty for none.
    #[serde(default)]
    pub card: String,
    /// Role.
    #[serde(default)]
    pub role: Role,
    /// Special title; empty for none.
    #[serde(default)]
    pub title: String,
    /// `male`, `female` or `unknown`.
    #[serde(default = "unknown_sex")]
    pub sex: String,
    /// Age.
    #[serde(default)]
    pub age: i64,
    /// Group level, as text (NapCat sends it so).
    #[serde(default = "level_one_text")]
    pub level: String,
    /// When they joined (Unix seconds).
    #[serde(default = "seeded_join_time")]
    pub join_time: i64,
}

/// `unknown`, the sex of someone who has not said.
pub(crate) fn unknown_sex() -> String {
    "unknown".into()
}

/// Level 1, a new account's.
pub(crate) fn level_one() -> i64 {
    1
}

fn level_one_text() -> String {
    "1".into()
}

fn seeded_join_time() -> i64 {
    1_700_000_000
}

impl SimMember {
    /// A member with the usual defaults.
    pub fn new(user_id: i64, nickname: &str, role: Role) -> Self {
        SimMember {
            user_id,
            nickname: nickname.into(),
            card: String::new(),
            role,
            title: String::new(),
            sex: unknown_sex(),
            age: 0,
            level: level_one_text(),
            join_time: seeded_join_time(),
        }
    }
}

/// A group as seeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimGroup {
    /// Name.
    pub name: String,
    /// Member limit.
    #[serde(default = "member_limit")]
    pub max_member_count: i64,
    /// Members, the bot among them.
    pub members: Vec<SimMember>,
}

fn member_limit() -> i64 {
    200
}

/// A member as the simulator keeps them.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// What was seeded (card, role and title change).
    pub info: SimMember,
    /// When a ban ends (Unix seconds); 0 for none.
    pub shut_up_until: i64,
    /// When they last said something (Unix seconds).
    pub last_sent_time: i64,
    /// The card NapCat last saw them with: a `group_card` notice comes when they next speak
    /// with another one (NapCat notices a card change only then).
    pub card_seen: String,
}

/// A group as the simulator keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Name.
    pub name: String,
    /// The bot's remark for it; empty for none.
    pub remark: String,
    /// Member limit.
    pub max_member_count: i64,
    /// Whether everyone is muted.
    pub whole_ban: bool,
    /// Members by QQ number.
    pub members: BTreeMap<i64, Member>,
    /// Settings changed by the `set_group_*` actions, by NapCat's parameter name.
    pub settings: Map<String, Value>,
    /// People kicked with `reject_add_request`.
    pub rejected: BTreeSet<i64>,
}

impl Group {
    /// The group from its seed.
    pub fn from_seed(seed: &SimGroup) -> Self {
        Group {
            name: seed.name.clone(),
            remark: String::new(),
            max_member_count: seed.max_member_count,
            whole_ban: false,
            members: seed
                .members
                .iter()
                .map(|m| (m.user_id, Member::joined(m.clone())))
                .collect(),
            settings: Map::new(),
            rejected: BTreeSet::new(),
        }
    }

    /// `user`'s role, if they are a member.
    pub fn role(&self, user: i64) -> Option<Role> {
        self.members.get(&user).map(|m| m.info.role)
    }

    /// NapCat's `OB11Group` (helper/data.ts `group`).
    pub fn to_json(&self, group_id: i64) -> Value {
        json!({
            "group_all_shut": if self.whole_ban { -1 } else { 0 },
            "group_remark": self.remark,
            "group_id": group_id,
            "group_name": self.name,
            "member_count": self.members.len(),
            "max_member_count": self.max_member_count,
        })
    }
}

impl Member {
    /// Someone who has just joined: not banned, not heard from yet.
    pub fn joined(info: SimMember) -> Self {
        Member {
            card_seen: info.card.clone(),
            info,
            shut_up_until: 0,
            last_sent_time: 0,
        }
    }

    /// NapCat's `OB11GroupMember` (helper/data.ts `groupMember`).
    pub fn to_json(&self, group_id: i64) -> Value {
        let m = &self.info;
        json!({
            "group_id": group_id,
            "user_id": m.user_id,
            "nickname": m.nickname,
            "card": m.card,
            "sex": m.sex,
            "age": m.age,
            "area": "",
            "level": m.level,
            "qq_level": 0,
            "join_time": m.join_time,
            "last_sent_time": self.last_sent_time,
            "title_expire_time": 0,
            "unfriendly": false,
            "card_changeable": true,
            "is_robot": false,
            "shut_up_timestamp": self.shut_up_until,
            "role": m.role.word(),
            "title": m.title,
        })
    }

    /// QQ's own member record, as NapCat passes it on for the shut-up list.
    pub fn to_nt_json(&self) -> Value {
        let m = &self.info;
        json!({
            "uid": format!("u_{}", m.user_id),
            "qid": "",
            "uin": m.user_id.to_string(),
            "nick": m.nickname,
            "remark": "",
            "cardType": 0,
            "cardName": m.card,
            "role": m.role.nt_code(),
            "avatarPath": "",
            "shutUpTime": self.shut_up_until,
            "isDelete": false,
            "isSpecialConcerned": false,
            "isSpecialShield": false,
            "isRobot": false,
        })
    }
}

/// A join request or an invitation of the bot, waiting for `set_group_add_request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimGroupRequest {
    /// The group.
    pub group_id: i64,
    /// The group's name (the bot may not be in it yet).
    pub group_name: String,
    /// Who wants to join, or who invited the bot.
    pub user_id: i64,
    /// Their nickname.
    pub nickname: String,
    /// The comment (question and answer) of a join request.
    pub comment: String,
    /// An invitation of the bot rather than a join request.
    pub invite: bool,
    /// Answered already.
    pub checked: bool,
}

impl SimGroupRequest {
    /// The entry `get_group_system_msg` lists for it (system/GetSystemMsg.ts).
    pub fn to_system_json(&self, flag: &str, actor: i64) -> Value {
        // `user1` of QQ's notification: the inviter, or the person who wants to join.
        json!({
            "request_id": flag.parse::<i64>().unwrap_or(0),
            "invitor_uin": self.user_id,
            "invitor_nick": self.nickname,
            "group_id": self.group_id,
            "message": self.comment,
            "group_name": self.group_name,
            "checked": self.checked,
            "actor": if self.checked { actor } else { 0 },
            "requester_nick": self.nickname,
        })
    }
}

/// Now, in Unix seconds (bans end at real times).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The default seed's groups: the bot owns 100200 (123456 an admin, 234567 and 345678
/// members) and is a plain member of 300400.
pub fn default_groups(self_id: i64, self_nick: &str) -> BTreeMap<i64, SimGroup> {
    let member = |id, nick: &str, role, sex: &str| SimMember {
        sex: sex.into(),
        age: 20,
        ..SimMember::new(id, nick, role)
    };
    BTreeMap::from([
        (
            100200,
            SimGroup {
                name: "Rust 学习群".into(),
                max_member_count: 500,
                members: vec![
                    SimMember::new(self_id, self_nick, Role::Owner),
                    member(123456, "张三", Role::Admin, "male"),
                    member(234567, "李四", Role::Member, "female"),
                    member(345678, "王五", Role::Member, "unknown"),
                ],
            },
        ),
        (
            300400,
            SimGroup {
                name: "机器人测试群".into(),
                max_member_count: 200,
                members: vec![
                    member(888888, "群主", Role::Owner, "unknown"),
                    SimMember::new(self_id, self_nick, Role::Member),
                    member(123456, "张三", Role::Member, "male"),
                ],
            },
        ),
    ])
}
