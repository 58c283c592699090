//! A handler's answer as its return value: [`Reply`] is said in the event's chat, quoting the
//! message when the event is one.

use api_core::types::MessageTarget;
use api_core::{Message, MessageId};

use crate::context::{Chat, Ctx, chat};
use crate::error::BoxError;

/// What a handler returns to say something in the event's chat: a reply quoting the message
/// for a message, a plain message to the group or user for another event (a member joined,
/// a file was uploaded). A failed send is reported as the handler's failure.
///
/// ```
/// use api_bot::reply::Reply;
/// use api_core::types::{GroupIncreaseNotice, MessageEvent};
///
/// async fn ping(_: MessageEvent) -> Reply {
///     Reply::from("pong")
/// }
///
/// async fn welcome(joined: GroupIncreaseNotice) -> Reply {
///     Reply(api_core::Message::new().at(joined.user_id).text(" 欢迎！"))
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Reply(pub Message);

impl<T: Into<Message>> From<T> for Reply {
    fn from(message: T) -> Self {
        Reply(message.into())
    }
}

/// Says `message` in `ctx`'s chat, quoting the message when the event is one; returns the
/// id of the message sent.
pub(crate) async fn send_reply(ctx: &Ctx, message: Message) -> Result<MessageId, BoxError> {
    let api = ctx.client();
    let sent = match (ctx.message(), chat(ctx.event())) {
        (Some(m), _) => api.reply(m, message).await?,
        (None, Some(Chat::Group(g))) => api.send_msg(MessageTarget::Group(g), message).await?,
        (None, Some(Chat::Private(u))) => api.send_msg(MessageTarget::Private(u), message).await?,
        (None, None) => {
            return Err(format!(
                "a `{}` event names no chat to reply in",
                crate::context::kind(ctx.event())
            )
            .into());
        }
    };
    Ok(sent.message_id)
}
