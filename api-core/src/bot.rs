//! What a bot does with an event: reply to a message where it was said, answer a request.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::client::{ApiFuture, Client};
use crate::message::Message;
use crate::requests::{
    SendMsgCall, SetFriendAddRequestCall, SetGroupAddRequestCall, SetGroupBanCall,
};
use crate::types::{
    BanKind, GroupBanNotice, GroupMember, GroupNotification, GroupRole, MessageEvent,
    MessageTarget, MessageType, Request, Sender,
};
use crate::wire::ids::{GroupId, UserId};

impl fmt::Display for MessageTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageTarget::Group(g) => write!(f, "group {g}"),
            MessageTarget::Private(u) => write!(f, "private {u}"),
        }
    }
}

impl MessageEvent {
    /// Where an answer to this message goes: its group, or the private chat with the other
    /// party (for the bot's own private messages, their recipient).
    pub fn reply_target(&self) -> MessageTarget {
        match (self.message_type.clone(), self.group_id) {
            (MessageType::Group, Some(group)) => MessageTarget::Group(group),
            _ => MessageTarget::Private(
                self.target_id
                    .filter(|_| self.message_sent_type.is_some())
                    .or(self.user_id)
                    .unwrap_or(self.sender.user_id),
            ),
        }
    }

    /// Whether it was said in a group.
    pub fn is_group(&self) -> bool {
        self.message_type == MessageType::Group
    }
}

impl Sender {
    /// The name to show: the group card when there is one, else the nickname.
    pub fn display_name(&self) -> &str {
        self.card
            .as_deref()
            .filter(|c| !c.is_empty())
            .unwrap_or(&self.nickname)
    }

    /// Whether they are the group's owner or an admin, as far as the message says (NapCat
    /// gives the role for group messages when the member is in its cache).
    pub fn is_admin(&self) -> bool {
        matches!(self.role, Some(GroupRole::Owner | GroupRole::Admin))
    }

    /// Whether they own the group, as far as the message says.
    pub fn is_owner(&self) -> bool {
        self.role == Some(GroupRole::Owner)
    }
}

impl GroupMember {
    /// The name to show: the group card when there is one, else the nickname.
    pub fn display_name(&self) -> &str {
        self.card
            .as_deref()
            .filter(|c| !c.is_empty())
            .unwrap_or(&self.nickname)
    }

    /// Whether they are the owner or an admin.
    pub fn is_admin(&self) -> bool {
        matches!(self.role, Some(GroupRole::Owner | GroupRole::Admin))
    }

    /// Whether they own the group.
    pub fn is_owner(&self) -> bool {
        self.role == Some(GroupRole::Owner)
    }

    /// When their ban ends, if they are banned at `now`.
    pub fn banned_until(&self, now: SystemTime) -> Option<SystemTime> {
        let end = UNIX_EPOCH + Duration::from_secs(self.shut_up_timestamp?.try_into().ok()?);
        (end > now).then_some(end)
    }
}

impl GroupBanNotice {
    /// Whether the whole group was muted or unmuted (NapCat sends `user_id` 0 then, and a
    /// `duration` of -1 for a whole-group ban).
    pub fn is_whole_group(&self) -> bool {
        self.user_id == 0
    }

    /// How long one member is banned for; `None` for a lift and for a whole-group ban, which
    /// lasts until lifted.
    pub fn ban_duration(&self) -> Option<Duration> {
        if self.sub_type != BanKind::Ban || self.is_whole_group() {
            return None;
        }
        u64::try_from(self.duration).ok().map(Duration::from_secs)
    }
}

impl GroupNotification {
    /// The `flag` that answers this request with `set_group_add_request`.
    pub fn flag(&self) -> String {
        self.request_id.to_string()
    }
}

impl Client {
    /// Replies to `to` in its chat (its group, or the private chat), quoting it. The call can
    /// be awaited directly or given options first, as `send_msg`'s.
    ///
    /// ```no_run
    /// # async fn run(api: api_core::Client) -> Result<(), api_core::Error> {
    /// use api_core::types::Event;
    /// let mut events = api.events();
    /// while let Ok(Event::Message(m)) = events.recv().await {
    ///     api.reply(&m, format!("you said: {}", m.message.plain_text())).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn reply(&self, to: &MessageEvent, message: impl Into<Message>) -> SendMsgCall {
        let mut quoted = Message::new().reply(to.message_id);
        quoted.extend(message.into());
        self.send_msg(to.reply_target(), quoted)
    }

    /// Lifts a member's ban: `set_group_ban` with a duration of zero, by name.
    ///
    /// ```no_run
    /// # async fn run(api: api_core::Client) -> Result<(), api_core::Error> {
    /// use api_core::{GroupId, UserId};
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// api.set_group_ban(GroupId(100200), UserId(234567), Duration::from_secs(60)).await?;
    /// api.lift_group_ban(GroupId(100200), UserId(234567)).await?;
    /// # Ok(()) }
    /// ```
    pub fn lift_group_ban(&self, group_id: GroupId, user_id: UserId) -> SetGroupBanCall {
        self.set_group_ban(group_id, user_id, Duration::ZERO)
    }

    /// Accepts a friend or group request (`set_friend_add_request` /
    /// `set_group_add_request` with its `flag`).
    pub fn approve(&self, request: &Request) -> ApiFuture<()> {
        self.answer(request, true, None)
    }

    /// Refuses a friend or group request; `reason` is shown for group requests.
    pub fn reject(&self, request: &Request, reason: Option<&str>) -> ApiFuture<()> {
        self.answer(request, false, reason)
    }

    fn answer(&self, request: &Request, approve: bool, reason: Option<&str>) -> ApiFuture<()> {
        match request {
            Request::Friend(r) => {
                let call: SetFriendAddRequestCall = self.set_friend_add_request(&r.flag, approve);
                Box::pin(async move { call.await })
            }
            Request::Group(r) => {
                let mut call: SetGroupAddRequestCall = self.set_group_add_request(&r.flag, approve);
                if let Some(reason) = reason {
                    call = call.reason(reason);
                }
                Box::pin(async move { call.await })
            }
            Request::Unknown(raw) => {
                let kind = raw
                    .get("request_type")
                    .and_then(|t| t.as_str())
                    .unwrap_or("")
                    .to_owned();
                Box::pin(async move {
                    Err(crate::error::Error::invalid_argument(
                        "approve",
                        "request",
                        format!("a `{kind}` request is not one this client can answer"),
                    ))
                })
            }
        }
    }
}
