//! A handler's answer as its return value: [`Reply`] is said in the event's chat, quoting the
//! message when the event is one.

use api_core::{Client, Message, MessageId};

use crate::context::Summary;
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

/// Says `message` in the chat of the event `about` describes, quoting its message when the
/// event is one someone sent, through `client` (the account that received it).
pub(crate) async fn send_reply(
    client: &Client,
    about: &Summary,
    message: Message,
) -> Result<MessageId, BoxError> {
    let Some(chat) = about.chat else {
        return Err(format!("a `{}` event names no chat to reply in", about.kind).into());
    };
    let message = match about.quote {
        Some(id) => {
            let mut quoted = Message::new().reply(id);
            quoted.extend(message);
            quoted
        }
        None => message,
    };
    Ok(client.send_msg(chat, message).await?.message_id)
}
