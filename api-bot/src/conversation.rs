//! Conversations: from a handler, wait for the user's next message (or any event passing a
//! filter) with a timeout, so a dialogue reads as straight-line code.
//!
//! ```no_run
//! use std::time::Duration;
//! use api_bot::conversation::Conversation;
//! use api_core::types::MessageEvent;
//!
//! async fn register(m: MessageEvent, talk: Conversation) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     let name = talk.ask("what is your name?", Duration::from_secs(60)).await?;
//!     talk.say(format!("hello, {}", name.message.plain_text())).await?;
//!     Ok(())
//! }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use api_core::types::{Event, MessageEvent};
use api_core::{Message, MessageId};

use crate::context::{Ctx, Summary, chat, self_id, user};
use crate::error::BoxError;
use crate::extract::{FromCtx, Rejection};
use crate::filter::Filter;
use crate::reply::send_reply;
use crate::waiters::Waiters;

/// A handler's way to wait for what comes next in its chat. As an argument, it is made from
/// any event.
#[derive(Clone)]
pub struct Conversation {
    ctx: Ctx,
    waiters: Arc<Waiters>,
}

impl fmt::Debug for Conversation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conversation")
            .field("ctx", &self.ctx)
            .finish()
    }
}

/// Why a conversation's wait ended without an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError {
    /// Nothing came in time.
    TimedOut(Duration),
    /// The bot stopped.
    Stopped,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::TimedOut(after) => write!(f, "no answer came within {after:?}"),
            WaitError::Stopped => f.write_str("the bot stopped while waiting for an answer"),
        }
    }
}

impl std::error::Error for WaitError {}

impl FromCtx for Conversation {
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
        let waiters = ctx
            .value::<Arc<Waiters>>()
            .cloned()
            .ok_or(Rejection::Skip)?;
        Ok(Conversation {
            ctx: ctx.clone(),
            waiters,
        })
    }
}

impl Conversation {
    /// The event the conversation started from.
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// A filter passing the messages of the same user, in the same chat, to the same account
    /// as the event the conversation started from.
    pub fn same_user(&self) -> Filter {
        let event = self.ctx.event();
        let (account, where_, who) = (self_id(event), chat(event), user(event));
        Filter::new(move |ctx| {
            matches!(ctx.event(), Event::Message(_))
                && self_id(ctx.event()) == account
                && chat(ctx.event()) == where_
                && user(ctx.event()) == who
        })
    }

    /// The next message of the same user in the same chat, within `timeout`. It goes to this
    /// conversation only: no handler sees it.
    pub async fn next_message(&self, timeout: Duration) -> Result<MessageEvent, WaitError> {
        let ctx = self.wait_for(self.same_user(), timeout).await?;
        match ctx.event() {
            Event::Message(m) => Ok(m.clone()),
            _ => unreachable!("the filter passes messages only"),
        }
    }

    /// The next event passing `filter`, within `timeout`. It goes to this conversation only.
    ///
    /// Waiting marks the event the conversation started from handled: its source may then
    /// hand out the chat's next event, which a relay keeping per-chat order holds back until
    /// the one before it is handled.
    pub async fn wait_for(&self, filter: Filter, timeout: Duration) -> Result<Ctx, WaitError> {
        let taken = self.waiters.wait(filter);
        self.ctx.mark_handled();
        Self::received(taken, timeout).await
    }

    async fn received(
        taken: tokio::sync::oneshot::Receiver<Ctx>,
        timeout: Duration,
    ) -> Result<Ctx, WaitError> {
        match tokio::time::timeout(timeout, taken).await {
            Ok(Ok(ctx)) => Ok(ctx),
            Ok(Err(_)) => Err(WaitError::Stopped),
            Err(_) => Err(WaitError::TimedOut(timeout)),
        }
    }

    /// Says `text` in the chat, quoting the message the conversation started from (or
    /// plainly, when it did not start from a message), as a [`Reply`](crate::reply::Reply)
    /// would.
    pub async fn say(&self, text: impl Into<Message>) -> Result<MessageId, BoxError> {
        send_reply(
            self.ctx.client(),
            &Summary::of(self.ctx.event()),
            text.into(),
        )
        .await
    }

    /// Says `question` and waits for the same user's answer, within `timeout`. The wait
    /// starts before the question is sent, so a quick answer is not missed.
    pub async fn ask(
        &self,
        question: impl Into<Message>,
        timeout: Duration,
    ) -> Result<MessageEvent, BoxError> {
        let taken = self.waiters.wait(self.same_user());
        // As in `wait_for`: the chat's next event may now be handed out.
        self.ctx.mark_handled();
        self.say(question).await?;
        let ctx = Self::received(taken, timeout).await?;
        match ctx.event() {
            Event::Message(m) => Ok(m.clone()),
            _ => unreachable!("the filter passes messages only"),
        }
    }
}
