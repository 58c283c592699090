//! What happens when a handler fails: the failure is logged through `tracing` with the
//! event's kind, chat and ids, and handed to the bot's error hook.

use std::fmt;
use std::sync::Arc;

use api_core::types::MessageTarget;
use api_core::{MessageId, UserId};

use crate::context::Summary;
use crate::error::BoxError;

/// A handler's failure, with what identifies the event it was handling.
#[derive(Debug)]
pub struct HandlerError {
    /// The event's kind (`message`, `notice.group_upload`, …).
    pub kind: String,
    /// The chat the event happened in, when it says.
    pub chat: Option<MessageTarget>,
    /// Who caused the event, when it says.
    pub user: Option<UserId>,
    /// The message the event is or is about, when there is one.
    pub message_id: Option<MessageId>,
    /// The account that received the event.
    pub self_id: Option<UserId>,
    /// What went wrong (a panic arrives as an error holding its message).
    pub error: BoxError,
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "handling a `{}` event", self.kind)?;
        if let Some(chat) = self.chat {
            write!(f, " in {chat}")?;
        }
        write!(f, ": {}", self.error)
    }
}

impl std::error::Error for HandlerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.error)
    }
}

/// The function a bot calls with each handler failure, after logging it.
pub type ErrorHook = Arc<dyn Fn(&HandlerError) + Send + Sync>;

/// Logs `error`, raised while handling the event `about` describes, and hands it to `hook`.
pub(crate) fn report(about: &Summary, error: BoxError, hook: Option<&ErrorHook>) {
    let failure = HandlerError {
        kind: about.kind.clone().into_owned(),
        chat: about.chat,
        user: about.user,
        message_id: about.message_id,
        self_id: about.self_id,
        error,
    };
    tracing::error!(
        kind = %failure.kind,
        chat = failure.chat.map(tracing::field::display),
        user_id = failure.user.map(tracing::field::display),
        message_id = failure.message_id.map(tracing::field::display),
        self_id = failure.self_id.map(tracing::field::display),
        error = %failure.error,
        "a handler failed"
    );
    if let Some(hook) = hook {
        // The hook is the bot's own code: a panic in it is logged, not spread.
        let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&failure)));
        if let Err(panic) = called {
            tracing::error!(
                kind = %failure.kind,
                error = %panic_error(panic),
                "the error hook panicked"
            );
        }
    }
}

/// A panic's message as an error.
pub(crate) fn panic_error(payload: Box<dyn std::any::Any + Send>) -> BoxError {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    format!("panicked: {text}").into()
}
