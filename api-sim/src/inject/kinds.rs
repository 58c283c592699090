//! What can be injected: one [`Injection`] per kind, its fields, the sub-types some take,
//! [`KINDS`] (the same, for listings) and what an injection makes ([`Injected`]).

use serde::Deserialize;
use serde_json::{Value, json};

/// What a kind's field is and says, for listings (`napcat sim inject --help`, the control
/// API's `GET /kinds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDoc {
    /// The field's key.
    pub name: &'static str,
    /// Its Rust type, as written.
    pub ty: &'static str,
    /// What it is (doc comment lines, each starting with a space).
    pub doc: &'static str,
    /// Whether it must be given (no default).
    pub required: bool,
}

impl FieldDoc {
    /// How its value is written in JSON, in the notation of NapCat's lists: `number`,
    /// `string`, `boolean`, `json` (a message: segments, one segment or CQ text; or an
    /// object), or its words (`"set"|"unset"`).
    pub fn value_type(&self) -> String {
        let words = |all: &[&'static str]| {
            all.iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join("|")
        };
        match self.ty.replace(' ', "").as_str() {
            "i64" | "Option<i64>" => "number".into(),
            "String" => "string".into(),
            "bool" => "boolean".into(),
            "Value" => "json".into(),
            "AdminChange" => words(&AdminChange::ALL.map(AdminChange::word)),
            "IncreaseKind" => words(&IncreaseKind::ALL.map(IncreaseKind::word)),
            "DecreaseKind" => words(&DecreaseKind::ALL.map(DecreaseKind::word)),
            "FileSendOutcome" => words(&FileSendOutcome::ALL.map(FileSendOutcome::word)),
            other => other.to_owned(),
        }
    }
}

/// One injectable kind, for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindDoc {
    /// Its `kind`, e.g. `group-message`.
    pub name: &'static str,
    /// What it injects (doc comment lines, each starting with a space).
    pub doc: &'static str,
    /// Its fields.
    pub fields: &'static [FieldDoc],
}

impl KindDoc {
    /// The first line of its doc.
    pub fn summary(&self) -> &'static str {
        self.doc.lines().next().unwrap_or("").trim()
    }
}

/// Defines [`Injection`], its `kind` names and [`KINDS`] from one list, so that the listing
/// cannot drift from what is read. A field with a `#[serde(default…)]` is optional.
macro_rules! injections {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $kind:literal {
            $(
                $(#[doc = $fdoc:literal])*
                $(#[serde($($serde:tt)*)])?
                $field:ident : $ty:ty
            ),* $(,)?
        }
    )*) => {
        /// Something that happens to the account, for [`crate::Simulator::inject`]; read from
        /// JSON as an object whose `kind` names the variant (`{"kind": "group-message",
        /// "group_id": 100200, …}`), the other keys its fields, unknown keys refused.
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        #[serde(tag = "kind", deny_unknown_fields)]
        pub enum Injection {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $kind)]
                $variant {
                    $( $(#[doc = $fdoc])* $(#[serde($($serde)*)])? $field: $ty, )*
                },
            )*
        }

        impl Injection {
            /// Its `kind`, e.g. `group-message`.
            pub fn kind(&self) -> &'static str {
                match self {
                    $( Injection::$variant { .. } => $kind, )*
                }
            }
        }

        /// Every injectable kind with its fields, in the order [`Injection`] lists them.
        pub const KINDS: &[KindDoc] = &[$(
            KindDoc {
                name: $kind,
                doc: concat!($($doc, "\n"),*),
                fields: &[$(
                    FieldDoc {
                        name: stringify!($field),
                        ty: stringify!($ty),
                        doc: concat!($($fdoc, "\n"),*),
                        required: injections!(@required $($($serde)*)?),
                    },
                )*],
            },
        )*];
    };
    (@required) => { true };
    (@required $($serde:tt)+) => { false };
}

fn yes() -> bool {
    true
}

fn one() -> i64 {
    1
}

fn offline_tag() -> String {
    "下线通知".into()
}

fn offline_message() -> String {
    "你的帐号在另一台设备上登录，如非本人操作，请尽快修改密码。".into()
}

fn typing() -> String {
    "对方正在输入...".into()
}

injections! {
    /// A friend sends the bot a private message (`message`, sub-type `friend`).
    PrivateMessage = "private-message" {
        /// The friend.
        user_id: i64,
        /// Segments as JSON, one segment, or text with CQ codes.
        message: Value,
    }
    /// A group member who is no friend writes to the bot from the group (a temporary chat:
    /// `message`, private, sub-type `group`).
    TempMessage = "temp-message" {
        /// The group they write from.
        group_id: i64,
        /// The member.
        user_id: i64,
        /// Segments as JSON, one segment, or text with CQ codes.
        message: Value,
    }
    /// A member posts in a group (refused while they are banned); a card they changed since
    /// they last spoke comes first as `group_card`.
    GroupMessage = "group-message" {
        /// The group.
        group_id: i64,
        /// The member.
        user_id: i64,
        /// Segments as JSON, one segment, or text with CQ codes.
        message: Value,
    }
    /// The bot's account sends a message from another device: `message_sent`, pushed only
    /// with NapCat's `reportSelfMessage`.
    SelfMessage = "self-message" {
        /// The group it went to (or give `user_id`).
        #[serde(default)]
        group_id: Option<i64>,
        /// The friend it went to (or give `group_id`).
        #[serde(default)]
        user_id: Option<i64>,
        /// Segments as JSON, one segment, or text with CQ codes.
        message: Value,
    }
    /// Someone asks to become the bot's friend (`request`, `friend`); answer with
    /// `set_friend_add_request` and the flag this returns. Approving brings `friend_add`.
    FriendRequest = "friend-request" {
        /// Who asks.
        user_id: i64,
        /// Their nickname.
        #[serde(default)]
        nickname: String,
        /// What they wrote.
        #[serde(default)]
        comment: String,
    }
    /// Someone asks to join a group the bot is in (`request`, `group`, sub-type `add`);
    /// answer with `set_group_add_request` and the flag this returns.
    GroupRequest = "group-request" {
        /// The group.
        group_id: i64,
        /// Who asks.
        user_id: i64,
        /// Their nickname.
        #[serde(default)]
        nickname: String,
        /// Their answer to the group's question.
        #[serde(default)]
        comment: String,
    }
    /// A member of a group the bot is not in invites it (`request`, `group`, sub-type
    /// `invite`); approving makes the bot a member.
    GroupInvite = "group-invite" {
        /// The group.
        group_id: i64,
        /// The group's name.
        #[serde(default)]
        group_name: String,
        /// Who invites.
        user_id: i64,
        /// Their nickname.
        #[serde(default)]
        nickname: String,
    }
    /// A member uploads a file to the root of the group's files (`group_upload`); returns its
    /// file id.
    GroupUpload = "group-upload" {
        /// The group.
        group_id: i64,
        /// The member.
        user_id: i64,
        /// The file's name.
        name: String,
        /// Its content: text, or `base64://…`.
        #[serde(default)]
        content: String,
    }
    /// The owner makes a member an admin or takes it back (`group_admin`).
    GroupAdmin = "group-admin" {
        /// The group.
        group_id: i64,
        /// The member.
        user_id: i64,
        /// `set` or `unset`.
        sub_type: AdminChange,
    }
    /// Someone joins a group the bot is in (`group_increase`).
    GroupIncrease = "group-increase" {
        /// The group.
        group_id: i64,
        /// Who joins.
        user_id: i64,
        /// Their nickname.
        #[serde(default)]
        nickname: String,
        /// The admin who let them in or invited them; 0 for none.
        #[serde(default)]
        operator_id: i64,
        /// `approve` (the default) or `invite`.
        #[serde(default)]
        sub_type: IncreaseKind,
    }
    /// Someone leaves or is removed (`group_decrease`): `leave`, `kick` (by an admin who
    /// outranks them), `kick_me` (the bot was removed: the group is gone) or `disband` (the
    /// owner disbanded the group: it is gone).
    GroupDecrease = "group-decrease" {
        /// The group.
        group_id: i64,
        /// Who is gone (the bot for `kick_me`).
        user_id: i64,
        /// Who did it; 0 when QQ does not say.
        #[serde(default)]
        operator_id: i64,
        /// `leave`, `kick`, `kick_me` or `disband`.
        sub_type: DecreaseKind,
    }
    /// An admin bans a member, or the whole group with `user_id` 0 (`group_ban`); a duration
    /// of 0 lifts the ban.
    GroupBan = "group-ban" {
        /// The group.
        group_id: i64,
        /// The member; 0 for the whole group.
        user_id: i64,
        /// The admin or owner who does it (NapCat reports no ban by someone it cannot find).
        operator_id: i64,
        /// Seconds; 0 lifts the ban.
        duration: i64,
    }
    /// Someone the bot asked accepted: they are a friend now (`friend_add`).
    FriendAdd = "friend-add" {
        /// The new friend.
        user_id: i64,
        /// Their nickname.
        #[serde(default)]
        nickname: String,
    }
    /// A group message is recalled by its sender or an admin (`group_recall`).
    GroupRecall = "group-recall" {
        /// The group.
        group_id: i64,
        /// The message.
        message_id: i64,
        /// Who recalls it; 0 (the default) for its sender.
        #[serde(default)]
        operator_id: i64,
    }
    /// A friend recalls a message they sent the bot (`friend_recall`).
    FriendRecall = "friend-recall" {
        /// The message.
        message_id: i64,
    }
    /// A member changes their group card. NapCat notices it only when they next speak, so the
    /// `group_card` notice comes with their next `group-message`.
    GroupCard = "group-card" {
        /// The group.
        group_id: i64,
        /// The member.
        user_id: i64,
        /// The new card; empty to clear it.
        #[serde(default)]
        card: String,
    }
    /// An admin sets a group message as essence (`essence`, sub-type `add`).
    Essence = "essence" {
        /// The group.
        group_id: i64,
        /// The message.
        message_id: i64,
        /// The admin or owner who sets it.
        operator_id: i64,
    }
    /// A member reacts to a group message with an emoji, or takes the reaction back
    /// (`group_msg_emoji_like`).
    EmojiLike = "emoji-like" {
        /// The group.
        group_id: i64,
        /// The member who reacts.
        user_id: i64,
        /// The message.
        message_id: i64,
        /// QQ's emoji id, e.g. `76`.
        emoji_id: String,
        /// Whether the reaction is added (the default) or taken back.
        #[serde(default = "yes")]
        is_add: bool,
    }
    /// The account is logged in elsewhere and kicked offline (`bot_offline`).
    BotOffline = "bot-offline" {
        /// QQ's title for it.
        #[serde(default = "offline_tag")]
        tag: String,
        /// QQ's text for it.
        #[serde(default = "offline_message")]
        message: String,
    }
    /// A friend received an online file the bot sent, or refused it (`online_file_send`).
    OnlineFileSend = "online-file-send" {
        /// The friend.
        peer_id: i64,
        /// `receive` or `refuse`.
        sub_type: FileSendOutcome,
    }
    /// A friend cancels an online file they were sending the bot (`online_file_receive`,
    /// sub-type `cancel`).
    OnlineFileReceive = "online-file-receive" {
        /// The friend.
        peer_id: i64,
    }
    /// A member pokes another in a group (`notify`, `poke`).
    GroupPoke = "group-poke" {
        /// The group.
        group_id: i64,
        /// Who pokes.
        user_id: i64,
        /// Who is poked.
        target_id: i64,
    }
    /// A poke in a friend's chat (`notify`, `poke`): by default the friend pokes the bot.
    FriendPoke = "friend-poke" {
        /// The friend.
        user_id: i64,
        /// Who pokes: the friend (the default) or the bot.
        #[serde(default)]
        sender_id: Option<i64>,
        /// Who is poked: the bot (the default) or the friend.
        #[serde(default)]
        target_id: Option<i64>,
    }
    /// A member (an admin or the owner) renames the group (`notify`, `group_name`).
    GroupName = "group-name" {
        /// The group.
        group_id: i64,
        /// Who renames it.
        user_id: i64,
        /// The new name.
        name_new: String,
    }
    /// The owner gives a member a special title (`notify`, `title`).
    Title = "title" {
        /// The group.
        group_id: i64,
        /// The member.
        user_id: i64,
        /// The title.
        title: String,
    }
    /// A friend is typing (`notify`, `input_status`).
    InputStatus = "input-status" {
        /// The friend.
        user_id: i64,
        /// QQ's event type (1 while typing).
        #[serde(default = "one")]
        event_type: i64,
        /// QQ's text for it.
        #[serde(default = "typing")]
        status_text: String,
    }
    /// Someone likes the bot's profile (`notify`, `profile_like`).
    ProfileLike = "profile-like" {
        /// Who likes it.
        operator_id: i64,
        /// Their nickname.
        #[serde(default)]
        operator_nick: String,
        /// How many likes.
        #[serde(default = "one")]
        times: i64,
    }
    /// A member's message shows as a gray tip NapCat does not know (`notify`, `gray_tip`),
    /// e.g. one forged to look like QQ's; returns its message id, which `delete_msg` takes.
    GrayTip = "gray-tip" {
        /// The group.
        group_id: i64,
        /// The member who sent it.
        user_id: i64,
        /// QQ's business id for it.
        busi_id: String,
        /// The gray tip's JSON, e.g. `{"align": "center", "items": [{"txt": "…", "type": "nor"}]}`.
        content: Value,
    }
}

/// `group_admin`'s sub-type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminChange {
    /// Made an admin.
    Set,
    /// No longer an admin.
    Unset,
}

/// `group_increase`'s sub-type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncreaseKind {
    /// An admin approved their request.
    #[default]
    Approve,
    /// A member invited them.
    Invite,
}

/// `group_decrease`'s sub-type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecreaseKind {
    /// They left.
    Leave,
    /// An admin removed them.
    Kick,
    /// The bot was removed.
    KickMe,
    /// The owner disbanded the group.
    Disband,
}

/// `online_file_send`'s sub-type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileSendOutcome {
    /// The friend received it.
    Receive,
    /// The friend refused it.
    Refuse,
}

impl AdminChange {
    const ALL: [AdminChange; 2] = [AdminChange::Set, AdminChange::Unset];

    /// Its word on the wire.
    pub(super) fn word(self) -> &'static str {
        match self {
            AdminChange::Set => "set",
            AdminChange::Unset => "unset",
        }
    }
}

impl IncreaseKind {
    const ALL: [IncreaseKind; 2] = [IncreaseKind::Approve, IncreaseKind::Invite];

    /// Its word on the wire.
    pub(super) fn word(self) -> &'static str {
        match self {
            IncreaseKind::Approve => "approve",
            IncreaseKind::Invite => "invite",
        }
    }
}

impl DecreaseKind {
    const ALL: [DecreaseKind; 4] = [
        DecreaseKind::Leave,
        DecreaseKind::Kick,
        DecreaseKind::KickMe,
        DecreaseKind::Disband,
    ];

    /// Its word on the wire.
    pub(super) fn word(self) -> &'static str {
        match self {
            DecreaseKind::Leave => "leave",
            DecreaseKind::Kick => "kick",
            DecreaseKind::KickMe => "kick_me",
            DecreaseKind::Disband => "disband",
        }
    }
}

impl FileSendOutcome {
    const ALL: [FileSendOutcome; 2] = [FileSendOutcome::Receive, FileSendOutcome::Refuse];

    /// Its word on the wire.
    pub(super) fn word(self) -> &'static str {
        match self {
            FileSendOutcome::Receive => "receive",
            FileSendOutcome::Refuse => "refuse",
        }
    }
}

/// What an injection made that a test goes on with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Injected {
    /// A stored message's id.
    Message(i64),
    /// A request's flag, for `set_friend_add_request` / `set_group_add_request`.
    Flag(String),
    /// A file's id.
    File(String),
    /// Nothing to go on with.
    Done,
}

impl Injected {
    /// As the control API answers: `{"message_id": …}`, `{"flag": …}`, `{"file_id": …}` or
    /// `{}`.
    pub fn to_json(&self) -> Value {
        match self {
            Injected::Message(id) => json!({"message_id": id}),
            Injected::Flag(flag) => json!({"flag": flag}),
            Injected::File(id) => json!({"file_id": id}),
            Injected::Done => json!({}),
        }
    }
}
