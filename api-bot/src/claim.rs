//! One answer from several accounts: when several of the bot's accounts sit in one group,
//! each receives the group's messages; the first account to handle one claims it, and for
//! the others it is claimed (their handler asking for [`Claim`] is skipped, and the next
//! handler gets the message, if any).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use api_core::types::{Event, MessageEvent};
use api_core::{GroupId, UserId};

use crate::context::Ctx;
use crate::extract::{FromCtx, Rejection};

/// How many claimed messages are remembered (the oldest are forgotten first).
const REMEMBERED: usize = 4096;

/// A message this account claimed: as an argument, it makes the handler run only on the
/// first of the bot's accounts to handle a group message. Put it last among the arguments,
/// so that a handler that would not run anyway claims nothing. Private messages and other
/// events are always this account's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim;

/// The claimed messages, shared by every account of a bot.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    inner: Mutex<ClaimsInner>,
}

#[derive(Debug, Default)]
struct ClaimsInner {
    by: HashMap<MessageKey, UserId>,
    order: VecDeque<MessageKey>,
}

/// A group message as every account in the group sees it: QQ's sequence number in the
/// group when NapCat gives it, else its sender, time and content. What a claim is made on,
/// here and in a claim store shared by processes (`api_bridge::claim`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageKey {
    /// The group, and QQ's sequence number of the message in it (`real_seq`).
    Seq(GroupId, String),
    /// The group, the sender, the time and the message's text (when NapCat gives no
    /// sequence number).
    Content(GroupId, UserId, i64, String),
}

impl MessageKey {
    /// The key of `m`; `None` for a message that is not a group message.
    pub fn of(m: &MessageEvent) -> Option<MessageKey> {
        let group = m.group_id.filter(|_| m.is_group())?;
        Some(match &m.real_seq {
            Some(seq) if !seq.is_empty() => MessageKey::Seq(group, seq.clone()),
            _ => MessageKey::Content(
                group,
                m.user_id.unwrap_or(m.sender.user_id),
                m.time,
                m.message.to_string(),
            ),
        })
    }
}

impl Claims {
    /// Claims the message for `account`; `false` when another account has it.
    fn claim(&self, key: MessageKey, account: UserId) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(owner) = inner.by.get(&key) {
            return *owner == account;
        }
        if inner.order.len() >= REMEMBERED
            && let Some(old) = inner.order.pop_front()
        {
            inner.by.remove(&old);
        }
        inner.by.insert(key.clone(), account);
        inner.order.push_back(key);
        true
    }
}

impl FromCtx for Claim {
    fn from_ctx(ctx: &Ctx) -> Result<Self, Rejection> {
        let (Event::Message(m), Some(account)) = (ctx.event(), ctx.self_id()) else {
            return Ok(Claim);
        };
        let (Some(key), Some(claims)) = (MessageKey::of(m), ctx.value::<Arc<Claims>>()) else {
            return Ok(Claim);
        };
        if claims.claim(key, account) {
            Ok(Claim)
        } else {
            Err(Rejection::Skip)
        }
    }
}
