//! Typed commands: `#[derive(Commands)]` on an enum gives parsing with a prefix, aliases,
//! typed arguments (numbers, words, the rest of the line, and QQ's own: an `@` as a
//! [`UserId`](api_core::UserId), a reply as [`Quoted`], an image), a help text and errors a
//! user in the chat can read. A handler takes the enum as an argument: it runs for messages
//! that are one of its commands; a command with wrong arguments is answered with the error
//! and its usage.
//!
//! ```
//! use api_bot::commands::{Commands, Rest};
//! use api_core::UserId;
//!
//! #[derive(Commands, Debug, PartialEq)]
//! #[commands(prefix = "/")]
//! enum Command {
//!     /// 回答 pong
//!     Ping,
//!     /// 掷骰子
//!     #[command(alias = "r")]
//!     Roll { sides: Option<u32> },
//!     /// 禁言成员
//!     Ban { who: UserId, minutes: u32 },
//!     /// 复述
//!     Say(Rest),
//! }
//!
//! let parse = |text: &str| Command::parse(&api_core::Message::from_cq(text), None);
//! assert_eq!(parse("/r 20"), Ok(Some(Command::Roll { sides: Some(20) })));
//! assert_eq!(parse("/ban [CQ:at,qq=234567] 10"), Ok(Some(Command::Ban { who: UserId(234567), minutes: 10 })));
//! assert_eq!(parse("hello"), Ok(None));
//! assert_eq!(parse("/roll six").unwrap_err().to_string(), "参数 <sides> 应为非负整数，收到“six”\n用法：/roll [sides]");
//! assert!(Command::help().contains("/ban <who> <minutes> — 禁言成员"));
//! ```

mod args;

use std::fmt;

use api_core::{Message, UserId};

pub use api_macros::Commands;
pub use args::{ArgError, ArgErrorKind, Args, CommandArg, Quoted, Rest, Token};

use crate::context::Ctx;
use crate::extract::Rejection;

/// One command, as the help text shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInfo {
    /// Its name.
    pub name: &'static str,
    /// Its other names.
    pub aliases: &'static [&'static str],
    /// What it does (the variant's doc comment, first line).
    pub about: &'static str,
    /// Its arguments.
    pub params: Vec<Param>,
}

/// One argument, as the usage shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Its name: the field's, or its type's label.
    pub name: &'static str,
    /// Whether the name is the field's (else the argument is known by its place).
    pub named: bool,
    /// Whether it may be left out.
    pub optional: bool,
}

impl Param {
    /// The argument of type `T` in a field named `name` (empty for a tuple variant's).
    pub fn of<T: CommandArg>(name: &'static str) -> Param {
        Param {
            name: if name.is_empty() { T::LABEL } else { name },
            named: !name.is_empty(),
            optional: T::OPTIONAL,
        }
    }
}

impl CommandInfo {
    /// `/roll [sides]`.
    pub fn usage(&self, prefix: &str) -> String {
        let mut out = format!("{prefix}{}", self.name);
        for p in &self.params {
            let (open, close) = if p.optional { ('[', ']') } else { ('<', '>') };
            out.push_str(&format!(" {open}{}{close}", p.name));
        }
        out
    }
}

/// An enum of commands; implemented by `#[derive(Commands)]`.
pub trait Commands: Sized {
    /// What every command starts with.
    fn prefix() -> &'static str;

    /// The commands, in the order of the variants.
    fn commands() -> Vec<CommandInfo>;

    /// Reads the arguments of the command at `index` in [`commands`](Self::commands).
    fn from_args(index: usize, args: &mut Args) -> Result<Self, ArgError>;

    /// The command `message` gives: `Ok(None)` when it is not one of these commands (no
    /// prefix, or a name not listed), an error when its arguments are wrong. `@`s of
    /// `me` (the account that received it) before the command are passed over.
    fn parse(message: &Message, me: Option<UserId>) -> Result<Option<Self>, CommandError> {
        let tokens = args::tokens(message);
        let leading = tokens
            .iter()
            .take_while(|t| matches!(t, Token::At(u) if Some(*u) == me))
            .count();
        let Some(Token::Word(first)) = tokens.get(leading) else {
            return Ok(None);
        };
        let Some(name) = first.strip_prefix(Self::prefix()) else {
            return Ok(None);
        };
        let commands = Self::commands();
        let Some(index) = commands.iter().position(|c| {
            c.name.eq_ignore_ascii_case(name)
                || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        }) else {
            return Ok(None);
        };
        let info = &commands[index];
        let mut args = Args::of(message, leading + 1);
        let parsed =
            Self::from_args(index, &mut args).and_then(|command| match args.next_token() {
                None => Ok(command),
                Some(extra) => Err(ArgError {
                    index: None,
                    kind: ArgErrorKind::TooMany(extra.to_string()),
                }),
            });
        parsed.map(Some).map_err(|error| CommandError {
            usage: info.usage(Self::prefix()),
            param: error
                .index
                .and_then(|i| Some((i, info.params.get(i)?.clone()))),
            error,
        })
    }

    /// Every command with its usage and what it does, one a line.
    fn help() -> String {
        let prefix = Self::prefix();
        let mut out = String::from("命令：");
        for c in Self::commands() {
            out.push_str(&format!("\n{}", c.usage(prefix)));
            if !c.about.is_empty() {
                out.push_str(&format!(" — {}", c.about));
            }
            if !c.aliases.is_empty() {
                let aliases: Vec<String> =
                    c.aliases.iter().map(|a| format!("{prefix}{a}")).collect();
                out.push_str(&format!("（又作 {}）", aliases.join("、")));
            }
        }
        out
    }
}

/// A command whose arguments are wrong, as said to the user: what is wrong, and the usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    /// The command's usage.
    pub usage: String,
    /// The argument at fault (its place, from 0), when one is.
    pub param: Option<(usize, Param)>,
    /// What went wrong.
    pub error: ArgError,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A field's argument by its name, a tuple variant's by its place.
        let param = match &self.param {
            Some((_, p)) if p.named => format!("参数 <{}> ", p.name),
            Some((i, _)) => format!("第 {} 个参数", i + 1),
            None => "参数".to_owned(),
        };
        match &self.error.kind {
            ArgErrorKind::Missing => match &self.param {
                Some((_, p)) if !p.named => write!(f, "缺少{param}（{}）", p.name)?,
                _ => write!(f, "缺少{}", param.trim_end())?,
            },
            ArgErrorKind::Invalid { got, expected } => {
                write!(f, "{param}应为{expected}，收到“{got}”")?
            }
            ArgErrorKind::TooMany(extra) => write!(f, "多余的参数“{extra}”")?,
        }
        write!(f, "\n用法：{}", self.usage)
    }
}

impl std::error::Error for CommandError {}

/// The extractor the derive implements: the command in the message being handled. Other
/// events and messages that are no command of `C` are skipped; wrong arguments are answered.
pub fn extract<C: Commands>(ctx: &Ctx) -> Result<C, Rejection> {
    let m = ctx.message().ok_or(Rejection::Skip)?;
    match C::parse(&m.message, m.self_id) {
        Ok(Some(command)) => Ok(command),
        Ok(None) => Err(Rejection::Skip),
        Err(e) => Err(Rejection::Answer(e.to_string())),
    }
}
