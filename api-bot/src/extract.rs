//! Extractors: what a handler's arguments are made from. Each argument type implements
//! [`FromCtx`]; a handler runs for an event only when every one of its arguments can be made
//! from it, so the typed event it asks for is also the kind of event it is registered for.

use std::sync::Arc;

use api_core::types::{
    Event, FriendAddNotice, FriendRecallNotice, FriendRequest, GroupAdminNotice, GroupBanNotice,
    GroupDecreaseNotice, GroupIncreaseNotice, GroupRecallNotice, GroupRequest, GroupUploadNotice,
    MessageEvent, MetaEvent, Notice, Notify, PokeNotify, Request,
};
use api_core::types::{MessageTarget, Segment};
use api_core::{Client, Message};

use crate::context::{Ctx, chat};

/// Why an argument could not be made from an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The handler is not for this event; the next one is tried.
    Skip,
    /// The event is for this handler but not usable as it is (a command with a wrong
    /// argument): this text is answered in the chat, quoting the message, and no other
    /// handler runs.
    Answer(String),
}

/// A handler argument made from the event being handled.
pub trait FromCtx: Sized + Send + 'static {
    /// Makes the argument from `ctx`, or says why not.
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection>;

    /// As [`from_ctx`](Self::from_ctx) for a handler about to run: an argument that is the
    /// event itself (the typed events) only checks the event's kind here, and is made from
    /// the event when the handler starts, moving it in rather than copying it when nothing
    /// else holds it. Other extractors keep this default, which makes them now.
    fn from_ctx_deferred(ctx: &Ctx) -> Result<Deferred<Self>, Rejection> {
        Self::from_ctx(ctx).map(Deferred::Made)
    }
}

/// A handler argument made already, or to be made from the event once the handler starts
/// (see [`FromCtx::from_ctx_deferred`]).
#[derive(Debug)]
pub enum Deferred<T> {
    /// Made.
    Made(T),
    /// Made from the event, of the kind checked already (`None` only if it were not).
    FromEvent(fn(Event) -> Option<T>),
}

impl<T> Deferred<T> {
    /// Whether the argument is made from the event.
    pub fn is_from_event(&self) -> bool {
        matches!(self, Deferred::FromEvent(_))
    }

    /// The argument. `event` is the handler's share of the event and `takers` how many of
    /// its arguments are still to be made from it: the last one takes the share, so the
    /// event moves into it when no one else holds it, and is copied otherwise.
    pub fn make(self, event: &mut Option<Arc<Event>>, takers: &mut usize) -> Option<T> {
        match self {
            Deferred::Made(t) => Some(t),
            Deferred::FromEvent(from_event) => {
                *takers = takers.saturating_sub(1);
                let share = if *takers == 0 {
                    event.take()?
                } else {
                    event.clone()?
                };
                from_event(Arc::unwrap_or_clone(share))
            }
        }
    }
}

impl FromCtx for Ctx {
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
        Ok(ctx.clone())
    }
}

/// The client of the account that received the event: what answers go through.
impl FromCtx for Client {
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
        Ok(ctx.client().clone())
    }
}

/// Any event.
impl FromCtx for Event {
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
        Ok(ctx.event().clone())
    }

    fn from_ctx_deferred(_: &Ctx) -> Result<Deferred<Self>, Rejection> {
        Ok(Deferred::FromEvent(Some))
    }
}

/// Any event, shared (no copy of it is made).
impl FromCtx for Arc<Event> {
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
        Ok(ctx.event_arc().clone())
    }
}

/// The chat the event happened in; events that name none are skipped.
impl FromCtx for MessageTarget {
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
        chat(ctx.event()).ok_or(Rejection::Skip)
    }
}

/// The argument when it can be made, else `None`: the handler runs either way.
impl<T: FromCtx> FromCtx for Option<T> {
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
        Ok(T::from_ctx(ctx).ok())
    }
}

/// A value the bot shares with its handlers (`Bot::state`), cloned for each handler; put it
/// in an `Arc` to share one instance. A handler asking for a type the bot does not hold is
/// never run, and a warning says which type is missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct State<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromCtx for State<T> {
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
        match ctx.value::<T>() {
            Some(v) => Ok(State(v.clone())),
            None => {
                tracing::warn!(
                    state = std::any::type_name::<T>(),
                    "a handler asks for state the bot does not hold (add it with Bot::state)"
                );
                Err(Rejection::Skip)
            }
        }
    }
}

/// The images of the message being handled, as a message of them alone (what echoes them
/// back); messages without an image, and other events, are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Images(pub Message);

impl FromCtx for Images {
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
        let m = ctx.message().ok_or(Rejection::Skip)?;
        let images: Message = m
            .message
            .iter()
            .filter(|s| matches!(s, Segment::Image(_)))
            .cloned()
            .collect();
        if images.is_empty() {
            return Err(Rejection::Skip);
        }
        Ok(Images(images))
    }
}

/// Typed events: each is an argument for the events of its kind only, moved out of the
/// event when a handler starts.
macro_rules! event_extractors {
    ($($(#[doc = $doc:literal])* $ty:ty => $pat:pat => $out:expr;)*) => {$(
        $(#[doc = $doc])*
        impl FromCtx for $ty {
            fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
                match ctx.event() {
                    $pat => Ok($out.clone()),
                    #[allow(unreachable_patterns)]
                    _ => Err(Rejection::Skip),
                }
            }

            fn from_ctx_deferred(ctx: &Ctx) -> Result<Deferred<Self>, Rejection> {
                match ctx.event() {
                    #[allow(unused_variables)]
                    $pat => Ok(Deferred::FromEvent(|event| match event {
                        $pat => Some($out),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    })),
                    #[allow(unreachable_patterns)]
                    _ => Err(Rejection::Skip),
                }
            }
        }
    )*};
}

event_extractors! {
    /// A message someone sent to the bot (`message`; the bot's own, `message_sent`, are not).
    MessageEvent => Event::Message(m) => m;
    /// Any notice.
    Notice => Event::Notice(n) => n;
    /// Any request.
    Request => Event::Request(r) => r;
    /// Any meta event (lifecycle, heartbeat).
    MetaEvent => Event::MetaEvent(m) => m;
    /// A request to join a group, or an invitation of the bot.
    GroupRequest => Event::Request(Request::Group(r)) => r;
    /// A friend request.
    FriendRequest => Event::Request(Request::Friend(r)) => r;
    /// A file uploaded to a group.
    GroupUploadNotice => Event::Notice(Notice::GroupUpload(n)) => n;
    /// A group member made or unmade admin.
    GroupAdminNotice => Event::Notice(Notice::GroupAdmin(n)) => n;
    /// Someone joined a group.
    GroupIncreaseNotice => Event::Notice(Notice::GroupIncrease(n)) => n;
    /// Someone left a group or was removed.
    GroupDecreaseNotice => Event::Notice(Notice::GroupDecrease(n)) => n;
    /// A ban or its lift.
    GroupBanNotice => Event::Notice(Notice::GroupBan(n)) => n;
    /// A group message recalled.
    GroupRecallNotice => Event::Notice(Notice::GroupRecall(n)) => n;
    /// A private message recalled.
    FriendRecallNotice => Event::Notice(Notice::FriendRecall(n)) => n;
    /// A new friend.
    FriendAddNotice => Event::Notice(Notice::FriendAdd(n)) => n;
    /// A poke.
    PokeNotify => Event::Notice(Notice::Notify(Notify::Poke(p))) => p;
}
