//! What a handler runs with: the event, the client of the account that received it, and the
//! bot's shared values (state a bot put in, and what the bot's own parts keep there).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use api_core::Client;
use api_core::types::{Event, MessageEvent, Notice, Notify, Request};
use api_core::{GroupId, MessageId, UserId};

/// One event on its way to a handler. Cloning is cheap (reference counts).
#[derive(Clone)]
pub struct Ctx {
    event: Arc<Event>,
    client: Client,
    values: Arc<Values>,
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("kind", &kind(&self.event))
            .field("chat", &chat(&self.event))
            .finish()
    }
}

impl Ctx {
    /// `event` as received by `client`'s account, with the bot's shared `values`.
    pub fn new(event: Arc<Event>, client: Client, values: Arc<Values>) -> Self {
        Ctx {
            event,
            client,
            values,
        }
    }

    /// The event.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The event, shared.
    pub fn event_arc(&self) -> &Arc<Event> {
        &self.event
    }

    /// The client of the account that received the event.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The message, when the event is one someone sent to the bot (not `message_sent`).
    pub fn message(&self) -> Option<&MessageEvent> {
        match &*self.event {
            Event::Message(m) => Some(m),
            _ => None,
        }
    }

    /// A shared value of type `T`, if the bot holds one (see `Bot::state`).
    pub fn value<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.values.get::<T>()
    }

    /// The bot's shared values.
    pub fn values(&self) -> &Arc<Values> {
        &self.values
    }

    /// The QQ number of the account that received the event.
    pub fn self_id(&self) -> Option<UserId> {
        self_id(&self.event)
    }
}

/// Values shared by every handler of a bot, one per type.
#[derive(Default)]
pub struct Values {
    by_type: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Values")
            .field("count", &self.by_type.len())
            .finish()
    }
}

impl Values {
    /// Holds `value`, replacing the one of the same type.
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        self.by_type.insert(TypeId::of::<T>(), Box::new(value));
    }

    /// The value of type `T`, if one is held.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.by_type.get(&TypeId::of::<T>())?.downcast_ref()
    }
}

/// Where an event happened: a group, or the private chat with a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chat {
    /// A group.
    Group(GroupId),
    /// The private chat with this user.
    Private(UserId),
}

impl fmt::Display for Chat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Chat::Group(g) => write!(f, "group {g}"),
            Chat::Private(u) => write!(f, "private {u}"),
        }
    }
}

/// The event's kind as NapCat names it: `message`, `notice.group_upload`,
/// `notice.notify.poke`, `request.group`, `meta_event.heartbeat`.
pub fn kind(event: &Event) -> String {
    match event {
        Event::Notice(Notice::Notify(n)) => format!("notice.notify.{}", n.tag()),
        Event::Notice(n) => format!("notice.{}", n.tag()),
        Event::Request(r) => format!("request.{}", r.tag()),
        Event::MetaEvent(m) => format!("meta_event.{}", m.tag()),
        other => other.tag().to_owned(),
    }
}

/// The chat the event happened in, when it says.
pub fn chat(event: &Event) -> Option<Chat> {
    let group = |g: GroupId| Some(Chat::Group(g));
    match event {
        Event::Message(m) | Event::MessageSent(m) => Some(match m.reply_target() {
            api_core::types::MessageTarget::Group(g) => Chat::Group(g),
            api_core::types::MessageTarget::Private(u) => Chat::Private(u),
        }),
        Event::Notice(n) => match n {
            Notice::GroupUpload(n) => group(n.group_id),
            Notice::GroupAdmin(n) => group(n.group_id),
            Notice::GroupDecrease(n) => group(n.group_id),
            Notice::GroupIncrease(n) => group(n.group_id),
            Notice::GroupBan(n) => group(n.group_id),
            Notice::GroupRecall(n) => group(n.group_id),
            Notice::GroupCard(n) => group(n.group_id),
            Notice::Essence(n) => group(n.group_id),
            Notice::GroupMsgEmojiLike(n) => group(n.group_id),
            Notice::FriendAdd(n) => Some(Chat::Private(n.user_id)),
            Notice::FriendRecall(n) => Some(Chat::Private(n.user_id)),
            Notice::Notify(Notify::Poke(p)) => match p.group_id {
                Some(g) => group(g),
                None => Some(Chat::Private(p.user_id)),
            },
            Notice::Notify(Notify::GroupName(n)) => group(n.group_id),
            Notice::Notify(Notify::Title(n)) => group(n.group_id),
            Notice::Notify(Notify::GrayTip(n)) => group(n.group_id),
            _ => None,
        },
        Event::Request(Request::Group(r)) => group(r.group_id),
        Event::Request(Request::Friend(r)) => Some(Chat::Private(r.user_id)),
        _ => None,
    }
}

/// Who caused the event, when it says: a message's sender, a request's applicant, the member
/// a notice is about.
pub fn user(event: &Event) -> Option<UserId> {
    match event {
        Event::Message(m) | Event::MessageSent(m) => Some(m.user_id.unwrap_or(m.sender.user_id)),
        Event::Notice(n) => match n {
            Notice::GroupUpload(n) => Some(n.user_id),
            Notice::GroupAdmin(n) => Some(n.user_id),
            Notice::GroupDecrease(n) => Some(n.user_id),
            Notice::GroupIncrease(n) => Some(n.user_id),
            Notice::GroupBan(n) => Some(n.user_id),
            Notice::GroupRecall(n) => Some(n.user_id),
            Notice::GroupCard(n) => Some(n.user_id),
            Notice::Essence(n) => Some(n.user_id),
            Notice::GroupMsgEmojiLike(n) => Some(n.user_id),
            Notice::FriendAdd(n) => Some(n.user_id),
            Notice::FriendRecall(n) => Some(n.user_id),
            Notice::Notify(Notify::Poke(p)) => Some(p.user_id),
            _ => None,
        },
        Event::Request(Request::Group(r)) => Some(r.user_id),
        Event::Request(Request::Friend(r)) => Some(r.user_id),
        _ => None,
    }
}

/// The message the event is or is about, when there is one.
pub fn message_id(event: &Event) -> Option<MessageId> {
    match event {
        Event::Message(m) | Event::MessageSent(m) => Some(m.message_id),
        Event::Notice(Notice::GroupRecall(n)) => Some(n.message_id),
        Event::Notice(Notice::FriendRecall(n)) => Some(n.message_id),
        Event::Notice(Notice::GroupMsgEmojiLike(n)) => Some(n.message_id),
        Event::Notice(Notice::Essence(n)) => n.message_id,
        Event::Notice(Notice::Notify(Notify::GrayTip(n))) => Some(n.message_id),
        _ => None,
    }
}

/// The QQ number of the account the event came to.
pub fn self_id(event: &Event) -> Option<UserId> {
    match event {
        Event::Message(m) | Event::MessageSent(m) => m.self_id,
        Event::Request(Request::Group(r)) => Some(r.self_id),
        Event::Request(Request::Friend(r)) => Some(r.self_id),
        Event::Notice(n) => match n {
            Notice::GroupUpload(n) => Some(n.self_id),
            Notice::GroupAdmin(n) => Some(n.self_id),
            Notice::GroupDecrease(n) => Some(n.self_id),
            Notice::GroupIncrease(n) => Some(n.self_id),
            Notice::GroupBan(n) => Some(n.self_id),
            Notice::GroupRecall(n) => Some(n.self_id),
            Notice::FriendAdd(n) => Some(n.self_id),
            Notice::FriendRecall(n) => Some(n.self_id),
            _ => None,
        },
        _ => None,
    }
}
