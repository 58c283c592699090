//! What a handler runs with: the event, the client of the account that received it, and the
//! bot's shared values (state a bot put in, and what the bot's own parts keep there).

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex};

use api_core::types::{Event, MessageEvent, MessageTarget, Notice, Notify, Request};
use api_core::{Client, Handled};
use api_core::{GroupId, MessageId, UserId};

use crate::sequence::Turn;

/// A chat of an account: the key of the dispatcher's per-chat order.
pub(crate) type ChatOf = (Option<UserId>, MessageTarget);

/// What marking an event handled lets go: its source's acknowledgement ([`Handled`]) and, in
/// the dispatcher's per-chat order, its chat's turn (the chat's next event starts then).
#[derive(Default)]
pub(crate) struct Release {
    handled: Option<Handled>,
    turn: Option<Turn<ChatOf>>,
}

/// An event's [`Release`], shared by the dispatcher and the contexts of its handler: whichever
/// marks the event handled first lets it go, once.
pub(crate) type HandledSlot = Arc<Mutex<Release>>;

/// One event on its way to a handler. Cloning is cheap (reference counts).
#[derive(Clone)]
pub struct Ctx {
    event: Arc<Event>,
    client: Client,
    values: Arc<Values>,
    handled: HandledSlot,
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
            handled: HandledSlot::default(),
        }
    }

    /// This context, with the event's `handled` to mark once it is handled.
    pub(crate) fn with_handled(mut self, handled: Handled) -> Self {
        self.handled = Arc::new(Mutex::new(Release {
            handled: Some(handled),
            turn: None,
        }));
        self
    }

    /// The event's [`Handled`], shared with this context.
    pub(crate) fn handled(&self) -> HandledSlot {
        self.handled.clone()
    }

    /// Marks the event handled now, before its handler ends: its source may hand out what
    /// comes next (a relay in per-chat order hands out a chat's events one at a time).
    pub(crate) fn mark_handled(&self) {
        mark_handled(&self.handled);
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
    /// A bot holds a handful, looked up for every handler that asks: a list scanned for the
    /// type is quicker than a hash map of them.
    by_type: Vec<(TypeId, Box<dyn Any + Send + Sync>)>,
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
        let id = TypeId::of::<T>();
        let value: Box<dyn Any + Send + Sync> = Box::new(value);
        match self.by_type.iter_mut().find(|(held, _)| *held == id) {
            Some((_, held)) => *held = value,
            None => self.by_type.push((id, value)),
        }
    }

    /// The value of type `T`, if one is held.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        let (_, value) = self.by_type.iter().find(|(held, _)| *held == id)?;
        value.downcast_ref()
    }
}

/// What identifies an event (in a log line, an error, a reply), kept by the dispatcher while
/// the event itself has moved into its handler.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    /// The event's kind ([`kind`]).
    pub(crate) kind: Cow<'static, str>,
    /// The chat it happened in ([`chat`]).
    pub(crate) chat: Option<MessageTarget>,
    /// Who caused it ([`user`]).
    pub(crate) user: Option<UserId>,
    /// The message it is or is about ([`message_id`]).
    pub(crate) message_id: Option<MessageId>,
    /// The account that received it ([`self_id`]).
    pub(crate) self_id: Option<UserId>,
    /// The message a reply quotes: the event's own, when it is one someone sent.
    pub(crate) quote: Option<MessageId>,
}

impl Summary {
    /// What identifies `event`.
    pub(crate) fn of(event: &Event) -> Summary {
        let kind = match event {
            // Messages, the common case, need no text made for their kind.
            Event::Message(_) => Cow::Borrowed("message"),
            Event::MessageSent(_) => Cow::Borrowed("message_sent"),
            other => Cow::Owned(kind(other)),
        };
        Summary {
            kind,
            chat: chat(event),
            user: user(event),
            message_id: message_id(event),
            self_id: self_id(event),
            quote: match event {
                Event::Message(m) => Some(m.message_id),
                _ => None,
            },
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
pub fn chat(event: &Event) -> Option<MessageTarget> {
    let group = |g: GroupId| Some(MessageTarget::Group(g));
    match event {
        Event::Message(m) | Event::MessageSent(m) => Some(m.reply_target()),
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
            Notice::FriendAdd(n) => Some(MessageTarget::Private(n.user_id)),
            Notice::FriendRecall(n) => Some(MessageTarget::Private(n.user_id)),
            Notice::Notify(Notify::Poke(p)) => match p.group_id {
                Some(g) => group(g),
                None => Some(MessageTarget::Private(p.user_id)),
            },
            Notice::Notify(Notify::GroupName(n)) => group(n.group_id),
            Notice::Notify(Notify::Title(n)) => group(n.group_id),
            Notice::Notify(Notify::GrayTip(n)) => group(n.group_id),
            _ => None,
        },
        Event::Request(Request::Group(r)) => group(r.group_id),
        Event::Request(Request::Friend(r)) => Some(MessageTarget::Private(r.user_id)),
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

/// Marks the event of `slot` handled, unless it was already: its chat's turn and its
/// acknowledgement go.
pub(crate) fn mark_handled(slot: &HandledSlot) {
    let Release { handled, turn } = std::mem::take(&mut *lock(slot));
    drop(turn);
    if let Some(handled) = handled {
        handled.done();
    }
}

/// Lets the event of `slot` go unhandled (its handler was stopped): its chat's turn goes, and
/// its source is not told it was handled.
pub(crate) fn abandon(slot: &HandledSlot) {
    drop(std::mem::take(&mut *lock(slot)));
}

/// Keeps the chat's `turn` until the event of `slot` is marked handled (or abandoned).
pub(crate) fn hold_turn(slot: &HandledSlot, turn: Option<Turn<ChatOf>>) {
    lock(slot).turn = turn;
}

fn lock(slot: &HandledSlot) -> std::sync::MutexGuard<'_, Release> {
    slot.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::Values;

    /// One value per type: a second of the same type replaces the first.
    #[test]
    fn values_hold_one_per_type() {
        let mut values = Values::default();
        values.insert(1u32);
        values.insert("text");
        values.insert(2u32);
        assert_eq!(values.get::<u32>(), Some(&2));
        assert_eq!(values.get::<&str>(), Some(&"text"));
        assert_eq!(values.get::<u64>(), None);
    }
}
