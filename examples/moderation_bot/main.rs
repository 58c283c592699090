//! A moderation bot for the groups its accounts run (as owner or admin), over NapCat's
//! reverse WebSocket with any number of accounts:
//!
//! - a member's message with a banned word is recalled and its sender banned for ten
//!   minutes, by one of the bot's accounts in the group (the others see it claimed);
//! - a join request whose comment holds the passphrase is approved, any other refused.
//!
//! ```sh
//! cargo run -p bot-examples --bin moderation_bot                                  # embedded simulator
//! cargo run -p bot-examples --bin moderation_bot -- ws://0.0.0.0:3002/ "$TOKEN"   # NapCat dials in
//! ```

mod scene;

use std::sync::Arc;
use std::time::Duration;

use api_bot::claim::Claim;
use api_bot::dispatcher::Bot;
use api_bot::extract::State;
use api_bot::filter::{admin, group};
use api_core::types::{GroupRequest, GroupRequestKind, MessageEvent, Request};
use api_core::{Client, Error, GroupId, Message, UserId};
use tokio::sync::mpsc::UnboundedSender;

/// What the bot enforces.
#[derive(Debug, Clone)]
struct Rules {
    /// Words that get a message recalled and its sender banned.
    banned_words: Vec<String>,
    /// How long such a sender is banned.
    ban_for: Duration,
    /// What a join request's comment must contain to be approved.
    passphrase: String,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            banned_words: vec!["广告".into(), "代刷".into()],
            ban_for: Duration::from_secs(600),
            passphrase: "芝麻开门".into(),
        }
    }
}

/// What the bot did, and which of its accounts did it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decision {
    /// Recalled a message and banned its sender.
    Banned { group: GroupId, user: UserId },
    /// Approved a join request.
    Approved { group: GroupId, user: UserId },
    /// Refused a join request.
    Refused { group: GroupId, user: UserId },
}

/// Where decisions are reported, with the account that made them (the scene prints them).
pub(crate) type Decisions = UnboundedSender<(UserId, Decision)>;

/// Recalls a message with a banned word and bans its sender (admins and the owner are
/// filtered out where the handler is registered).
async fn moderate(
    api: Client,
    m: MessageEvent,
    State(rules): State<Arc<Rules>>,
    State(decisions): State<Decisions>,
    _: Claim,
) -> Result<(), Error> {
    let text = m.message.plain_text();
    let (Some(group), Some(user)) = (m.group_id, m.user_id) else {
        return Ok(());
    };
    if !rules.banned_words.iter().any(|w| text.contains(w.as_str())) {
        return Ok(());
    }
    api.delete_msg(m.message_id).await?;
    api.set_group_ban(group, user, rules.ban_for).await?;
    let minutes = rules.ban_for.as_secs() / 60;
    let warning = Message::new()
        .at(user)
        .text(format!(" 请勿发广告，禁言 {minutes} 分钟。"));
    api.send_group_msg(group, warning).await?;
    let _ = decisions.send((
        m.self_id.unwrap_or_default(),
        Decision::Banned { group, user },
    ));
    Ok(())
}

/// Approves a join request whose comment holds the passphrase, refuses any other.
async fn admit(
    api: Client,
    request: Request,
    r: GroupRequest,
    State(rules): State<Arc<Rules>>,
    State(decisions): State<Decisions>,
) -> Result<(), Error> {
    if r.sub_type != GroupRequestKind::Add {
        return Ok(());
    }
    let (group, user) = (r.group_id, r.user_id);
    let decision = if r.comment.contains(rules.passphrase.as_str()) {
        api.approve(&request).await?;
        Decision::Approved { group, user }
    } else {
        api.reject(&request, Some("暗号不对")).await?;
        Decision::Refused { group, user }
    };
    let _ = decisions.send((r.self_id, decision));
    Ok(())
}

/// The bot, reporting its decisions to `decisions`.
fn bot(decisions: Decisions) -> Bot {
    Bot::new()
        .state(Arc::new(Rules::default()))
        .state(decisions)
        .on_if(group() & !admin(), moderate)
        .on(admit)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    scene::run(bot).await
}
