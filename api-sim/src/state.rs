//! The simulated account: profile, friends in categories, requests, read markers and more.
//! The handlers in `handlers/` read and change it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::files::SeedFile;
use crate::groups::{Group, SimGroup, SimGroupRequest, default_groups};
use crate::store::{Chat, Store, StoredMessage};
use serde_json::{Value, json};

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

/// `Ok(None)`: success with `data` absent, as NapCat sends for handlers that return nothing.
pub type Outcome = Result<Option<Value>, Failure>;

/// What a stream action sends, one envelope each: its packets (made lazily, so a large file
/// is never held as envelopes), then how it ends: the final result or a failure.
pub struct Packets {
    /// The packets' `data`, in order.
    pub packets: Box<dyn Iterator<Item = Value> + Send>,
    /// The last envelope's `data`, or the failure it reports.
    pub end: Result<Value, Failure>,
}

impl Packets {
    /// Every envelope's outcome in order: the packets, then the end.
    pub fn envelopes(self) -> impl Iterator<Item = Result<Value, Failure>> + Send {
        self.packets.map(Ok).chain(std::iter::once(self.end))
    }
}

/// What an action answers with.
pub enum Reply {
    /// One envelope: `data` (`None` when absent).
    Data(Option<Value>),
    /// A stream action's envelopes.
    Packets(Packets),
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Data(d) => f.debug_tuple("Data").field(d).finish(),
            Reply::Packets(_) => f.write_str("Packets(..)"),
        }
    }
}

/// A friend of the simulated account. In a scenario file only `user_id` and `nickname` must
/// be given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimFriend {
    /// QQ number.
    pub user_id: i64,
    /// Nickname.
    pub nickname: String,
    /// Remark; empty for none.
    #[serde(default)]
    pub remark: String,
    /// `male`, `female` or `unknown`.
    #[serde(default = "crate::groups::unknown_sex")]
    pub sex: String,
    /// Age.
    #[serde(default)]
    pub age: i64,
    /// QQ level.
    #[serde(default = "crate::groups::level_one")]
    pub level: i64,
    /// Category it is in.
    #[serde(default)]
    pub category_id: i64,
}

/// A pending friend request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimRequest {
    /// Who asked.
    pub user_id: i64,
    /// Their nickname.
    pub nickname: String,
}

/// The data the simulator starts from; change it to seed your own tests. Read from a
/// scenario file (`Seed::from_scenario`), every key left out keeps the default seed's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// Groups the bot is in, with their members, by group number.
    pub groups: BTreeMap<i64, SimGroup>,
    /// Group join requests and invitations by flag (QQ's notification seq).
    pub group_requests: BTreeMap<String, SimGroupRequest>,
    /// Custom face URLs.
    pub custom_faces: Vec<String>,
    /// Files the account has besides the built-in ones (see `Files::with_defaults`).
    pub files: Vec<SeedFile>,
}

impl Seed {
    /// The default seed for another account, QQ number `self_id`: the same friends, groups
    /// and members, the bot's own membership (and role) moved to `self_id`. Several
    /// simulators started from such seeds are several accounts of one bot in the same groups.
    pub fn for_account(self_id: i64) -> Seed {
        let mut seed = Seed::default();
        for group in seed.groups.values_mut() {
            for member in &mut group.members {
                if member.user_id == seed.self_id {
                    member.user_id = self_id;
                }
            }
        }
        seed.self_id = self_id;
        seed
    }
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
            groups: default_groups(10001, "模拟机器人"),
            group_requests: BTreeMap::from([(
                "1764151190000001".to_owned(),
                SimGroupRequest {
                    group_id: 100200,
                    group_name: "Rust 学习群".into(),
                    user_id: 567890,
                    nickname: "孙七".into(),
                    comment: "问题：暗号？\n答案：芝麻开门".into(),
                    invite: false,
                    checked: false,
                },
            )]),
            custom_faces: (1..=60)
                .map(|i| format!("https://faces.example/face{i}.png"))
                .collect(),
            files: Vec::new(),
        }
    }
}

/// The account's state; every action reads or changes it.
#[derive(Debug, Clone)]
pub struct State {
    pub(crate) seed: Seed,
    pub(crate) personal_note: String,
    pub(crate) sex: i64,
    pub(crate) avatar: Option<String>,
    pub(crate) long_nick: String,
    pub(crate) online: (i64, i64, i64),
    pub(crate) friends: BTreeMap<i64, SimFriend>,
    pub(crate) blocked: BTreeSet<i64>,
    pub(crate) likes: BTreeMap<i64, i64>,
    pub(crate) read: BTreeSet<String>,
    pub(crate) collections: Vec<(String, String)>,
    /// Most recent first: (peer, chat type, time, unread).
    pub(crate) recent: Vec<(i64, i64, i64)>,
    /// Messages sent and received.
    pub(crate) store: Store,
    /// Whether the bot's own messages are pushed as `message_sent` events (NapCat's
    /// `reportSelfMessage`).
    pub(crate) report_self_message: bool,
    /// Groups the bot is in.
    pub(crate) groups: BTreeMap<i64, Group>,
    /// Join requests and invitations by flag.
    pub(crate) group_requests: BTreeMap<String, SimGroupRequest>,
    /// Names of groups the bot is invited to.
    pub(crate) pending_group_names: BTreeMap<i64, String>,
    /// Files QQ knows and NapCat's temp directory.
    pub(crate) files: crate::files::Files,
    /// Events the last action caused, pushed after it answers.
    pub(crate) outbox: Vec<Value>,
    /// Actions the last action started (`.handle_quick_operation`'s quick operation), with
    /// their params; the dispatcher runs them once it has answered.
    pub(crate) started: Vec<(&'static str, Value)>,
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
            store: Store::default(),
            files: crate::files::Files::with_defaults().with_seed_files(
                &seed.files,
                seed.self_id,
                |group, user| {
                    seed.groups
                        .get(&group)
                        .and_then(|g| g.members.iter().find(|m| m.user_id == user))
                        .map_or_else(String::new, |m| m.nickname.clone())
                },
            ),
            report_self_message: false,
            groups: seed
                .groups
                .iter()
                .map(|(id, g)| (*id, Group::from_seed(g)))
                .collect(),
            group_requests: seed.group_requests.clone(),
            pending_group_names: BTreeMap::new(),
            outbox: Vec::new(),
            started: Vec::new(),
            seed,
        }
    }

    /// NapCat's OB11Message for a stored message.
    pub(crate) fn message_json(&self, m: &StoredMessage) -> Value {
        let group_name = match m.chat {
            Chat::Group(g) => self.group_name(g),
            Chat::Private(_) => String::new(),
        };
        m.to_json(self.seed.self_id, &group_name)
    }

    /// Queues the `message_sent` event for a message the bot sent, when reported.
    pub(crate) fn report_sent(&mut self, id: i64) {
        if !self.report_self_message {
            return;
        }
        if let Some(m) = self.store.get(id) {
            let event = self.message_json(m);
            self.outbox.push(event);
        }
    }

    /// Keeps a request and queues its `request` event; returns its flag (QQ's notification
    /// seq, a microsecond-timestamp string).
    pub(crate) fn add_group_request(
        &mut self,
        group_id: i64,
        user_id: i64,
        nickname: &str,
        comment: &str,
        invite: bool,
    ) -> String {
        let flag = (1_764_151_190_000_000i64 + self.group_requests.len() as i64 + 1).to_string();
        let group_name = self
            .pending_group_names
            .get(&group_id)
            .cloned()
            .unwrap_or_else(|| self.group_name(group_id));
        self.group_requests.insert(
            flag.clone(),
            SimGroupRequest {
                group_id,
                group_name,
                user_id,
                nickname: nickname.to_owned(),
                comment: comment.to_owned(),
                invite,
                checked: false,
            },
        );
        self.outbox.push(json!({
            "time": crate::groups::unix_now(), "self_id": self.seed.self_id,
            "post_type": "request", "request_type": "group", "group_id": group_id,
            "user_id": user_id, "sub_type": if invite { "invite" } else { "add" },
            "comment": comment, "flag": flag,
        }));
        flag
    }

    /// Queues an event: NapCat's header (`time`, `self_id`, `post_type`), then `fields` in
    /// their order.
    pub(crate) fn push_event(&mut self, post_type: &str, fields: Value) {
        let mut event = json!({
            "time": crate::groups::unix_now(), "self_id": self.seed.self_id, "post_type": post_type,
        });
        if let (Some(e), Value::Object(f)) = (event.as_object_mut(), fields) {
            e.extend(f);
        }
        self.outbox.push(event);
    }

    /// Keeps a friend request and queues its `request` event; returns its flag (QQ's request
    /// time in seconds, as text, one later for each request made in the same second).
    pub(crate) fn add_friend_request(
        &mut self,
        user_id: i64,
        nickname: &str,
        comment: &str,
    ) -> String {
        let mut time = crate::groups::unix_now();
        while self.seed.requests.contains_key(&time.to_string()) {
            time += 1;
        }
        let flag = time.to_string();
        self.seed.requests.insert(
            flag.clone(),
            SimRequest {
                user_id,
                nickname: nickname.to_owned(),
            },
        );
        self.push_event(
            "request",
            json!({"request_type": "friend", "user_id": user_id, "comment": comment, "flag": flag}),
        );
        flag
    }

    /// Makes `user_id` a friend (in the first category) and queues the `friend_add` notice
    /// NapCat reports for QQ's "you are now friends" tip.
    pub(crate) fn befriend(&mut self, user_id: i64, nickname: &str, remark: &str) {
        self.friends.insert(
            user_id,
            SimFriend {
                user_id,
                nickname: nickname.to_owned(),
                remark: remark.to_owned(),
                sex: "unknown".into(),
                age: 0,
                level: 1,
                category_id: 0,
            },
        );
        self.push_event(
            "notice",
            json!({"notice_type": "friend_add", "user_id": user_id}),
        );
    }

    /// Member `user_id` uploads a file to the root of group `group_id`'s files: it is listed
    /// there and the `group_upload` notice is queued. Returns its file id.
    pub(crate) fn upload_group_file(
        &mut self,
        group_id: i64,
        user_id: i64,
        name: &str,
        data: bytes::Bytes,
    ) -> String {
        let nick = self
            .groups
            .get(&group_id)
            .and_then(|g| g.members.get(&user_id))
            .map_or_else(String::new, |m| m.info.nickname.clone());
        let id = self.files.add(name, data, crate::files::FileKind::File);
        let now = crate::groups::unix_now();
        let entry = self.files.group_entry(&id, "/", user_id, &nick, now);
        let size = entry.size;
        self.files
            .groups
            .entry(group_id)
            .or_default()
            .files
            .push(entry);
        self.push_event(
            "notice",
            json!({"group_id": group_id, "user_id": user_id, "notice_type": "group_upload",
                   "file": {"id": id, "name": name, "size": size, "busid": 102}}),
        );
        id
    }

    /// Whether NapCat could turn `user` into a uid: QQ knows everyone the account has met.
    pub(crate) fn knows_user(&self, user: i64) -> bool {
        user == self.seed.self_id
            || self.friends.contains_key(&user)
            || self.groups.values().any(|g| g.members.contains_key(&user))
            || self.group_requests.values().any(|r| r.user_id == user)
            || self.seed.requests.values().any(|r| r.user_id == user)
    }

    /// Remembers the name of a group the bot is invited to (and not in yet).
    pub(crate) fn groups_named(&mut self, group_id: i64, name: &str) {
        if !self.groups.contains_key(&group_id) {
            self.pending_group_names.insert(group_id, name.to_owned());
        }
    }

    /// A group's name; empty for a group the bot is not in.
    pub(crate) fn group_name(&self, group_id: i64) -> String {
        self.groups
            .get(&group_id)
            .map(|g| g.name.clone())
            .unwrap_or_default()
    }

    /// Stores a message someone else sent and queues its `message` event; returns its id.
    /// A group member who speaks with a card NapCat has not seen yet gets a `group_card`
    /// notice first, as NapCat notices card changes only on a member's next message.
    pub(crate) fn receive(&mut self, mut message: StoredMessage) -> i64 {
        if let Chat::Group(g) = message.chat {
            let self_id = self.seed.self_id;
            if let Some(member) = self
                .groups
                .get_mut(&g)
                .and_then(|group| group.members.get_mut(&message.sender_id))
            {
                member.last_sent_time = crate::groups::unix_now();
                message.sender_card = member.info.card.clone();
                message.sender_role = Some(member.info.role.word());
                if member.info.card != member.card_seen {
                    let event = json!({
                        "time": crate::groups::unix_now(), "self_id": self_id, "post_type": "notice",
                        "group_id": g, "user_id": message.sender_id, "notice_type": "group_card",
                        "card_new": member.info.card, "card_old": member.card_seen,
                    });
                    member.card_seen = member.info.card.clone();
                    self.outbox.push(event);
                }
            }
        }
        let id = self.store.insert(message);
        if let Some(m) = self.store.get(id) {
            let event = self.message_json(m);
            self.outbox.push(event);
        }
        id
    }

    /// The bot's QQ number.
    pub fn self_id(&self) -> i64 {
        self.seed.self_id
    }

    /// How many friends the account has.
    pub fn friends_len(&self) -> usize {
        self.friends.len()
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

    /// A group's settings as the `set_group_*` actions left them, by NapCat's parameter name;
    /// `None` for a group the bot is not in.
    pub fn group_settings(&self, group_id: i64) -> Option<&serde_json::Map<String, Value>> {
        self.groups.get(&group_id).map(|g| &g.settings)
    }
}

/// A friend as NapCat's user object.
pub(crate) fn user_json(f: &SimFriend) -> Value {
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
