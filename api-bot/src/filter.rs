//! Filters that guard a handler (`Bot::on_if`) or pick the event a conversation waits for:
//! predicates over the event being handled that compose with `&`, `|` and `!`.
//!
//! ```
//! use api_bot::filter::{admin, bot_admin, group, text_starts_with};
//! let moderator = group() & (admin() | bot_admin()) & text_starts_with("/");
//! # let _ = moderator;
//! ```

use std::collections::HashSet;
use std::fmt;
use std::ops::{BitAnd, BitOr, Not};
use std::sync::Arc;

use api_core::types::{Event, GroupRole, MessageTarget};
use api_core::{GroupId, UserId};

use crate::context::{Ctx, chat, user};

/// A predicate over the event being handled. Cloning is cheap.
#[derive(Clone)]
pub struct Filter {
    test: Arc<dyn Fn(&Ctx) -> bool + Send + Sync>,
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Filter")
    }
}

impl Filter {
    /// A filter of your own.
    pub fn new(test: impl Fn(&Ctx) -> bool + Send + Sync + 'static) -> Self {
        Filter {
            test: Arc::new(test),
        }
    }

    /// Whether the event passes.
    pub fn test(&self, ctx: &Ctx) -> bool {
        (self.test)(ctx)
    }

    /// Passes when both pass (the second is not asked when the first fails).
    pub fn and(self, other: Filter) -> Filter {
        Filter::new(move |ctx| self.test(ctx) && other.test(ctx))
    }

    /// Passes when either passes.
    pub fn or(self, other: Filter) -> Filter {
        Filter::new(move |ctx| self.test(ctx) || other.test(ctx))
    }

    /// Passes when this fails.
    pub fn negate(self) -> Filter {
        Filter::new(move |ctx| !self.test(ctx))
    }
}

impl BitAnd for Filter {
    type Output = Filter;
    fn bitand(self, rhs: Filter) -> Filter {
        self.and(rhs)
    }
}

impl BitOr for Filter {
    type Output = Filter;
    fn bitor(self, rhs: Filter) -> Filter {
        self.or(rhs)
    }
}

impl Not for Filter {
    type Output = Filter;
    fn not(self) -> Filter {
        self.negate()
    }
}

/// The QQ numbers the bot takes as its own admins, whatever their role in a group (see
/// `Bot::admins`); the [`bot_admin`] filter reads them.
#[derive(Debug, Clone, Default)]
pub struct BotAdmins(pub Arc<HashSet<UserId>>);

/// Events in a private chat.
pub fn private() -> Filter {
    Filter::new(|ctx| matches!(chat(ctx.event()), Some(MessageTarget::Private(_))))
}

/// Events in a group.
pub fn group() -> Filter {
    Filter::new(|ctx| matches!(chat(ctx.event()), Some(MessageTarget::Group(_))))
}

/// Events in the group `id`.
pub fn in_group(id: GroupId) -> Filter {
    Filter::new(move |ctx| chat(ctx.event()) == Some(MessageTarget::Group(id)))
}

/// Events caused by the user `id` (a message's sender, a request's applicant, the member a
/// notice is about).
pub fn from_user(id: UserId) -> Filter {
    Filter::new(move |ctx| user(ctx.event()) == Some(id))
}

/// Group messages whose sender has `role` as the message says.
pub fn role(role: GroupRole) -> Filter {
    Filter::new(move |ctx| ctx.message().and_then(|m| m.sender.role.as_ref()) == Some(&role))
}

/// Group messages from the group's owner.
pub fn owner() -> Filter {
    Filter::new(|ctx| ctx.message().is_some_and(|m| m.sender.is_owner()))
}

/// Group messages from the group's owner or an admin.
pub fn admin() -> Filter {
    Filter::new(|ctx| ctx.message().is_some_and(|m| m.sender.is_admin()))
}

/// Events caused by one of the bot's own admins (`Bot::admins`).
pub fn bot_admin() -> Filter {
    Filter::new(|ctx| {
        let admins = ctx.value::<BotAdmins>();
        user(ctx.event()).is_some_and(|u| admins.is_some_and(|a| a.0.contains(&u)))
    })
}

/// Messages whose text (segments other than text left out, trimmed) is `text`.
pub fn text_eq(text: impl Into<String>) -> Filter {
    let text = text.into();
    text_where(move |t| t.trim() == text)
}

/// Messages whose text, trimmed, starts with `prefix`.
pub fn text_starts_with(prefix: impl Into<String>) -> Filter {
    let prefix = prefix.into();
    text_where(move |t| t.trim_start().starts_with(prefix.as_str()))
}

/// Messages whose text contains `needle`.
pub fn text_contains(needle: impl Into<String>) -> Filter {
    let needle = needle.into();
    text_where(move |t| t.contains(needle.as_str()))
}

/// Messages whose text passes `test`.
pub fn text_where(test: impl Fn(&str) -> bool + Send + Sync + 'static) -> Filter {
    Filter::new(move |ctx| ctx.message().is_some_and(|m| test(&m.message.plain_text())))
}

/// Messages meant for the bot: private ones, and group ones that `@` the account that
/// received them.
pub fn to_me() -> Filter {
    Filter::new(|ctx| {
        let Some(m) = ctx.message() else {
            return false;
        };
        !m.is_group()
            || m.self_id
                .is_some_and(|me| m.message.mentions().any(|u| u == me))
    })
}

/// Events of this kind, as NapCat names it (`message`, `notice.group_upload`, …; see
/// `context::kind`).
pub fn kind(name: &'static str) -> Filter {
    Filter::new(move |ctx| crate::context::kind(ctx.event()) == name)
}

/// Events that are messages (someone sent to the bot).
pub fn message() -> Filter {
    Filter::new(|ctx| matches!(ctx.event(), Event::Message(_)))
}
