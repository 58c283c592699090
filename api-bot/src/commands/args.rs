//! A command's arguments as read from the message: words of its text, `@` segments, images,
//! and the message it quotes; and the types they are read into.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

use api_core::types::{ImageSegment, Segment};
use api_core::{GroupId, Message, MessageId, UserId};

/// One positional argument: a word of text, an `@`, or an image.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A word (text between spaces).
    Word(String),
    /// An `@` of a member (`@全体成员` is a word, `@all`).
    At(UserId),
    /// An image.
    Image(Box<ImageSegment>),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => f.write_str(w),
            Token::At(u) => write!(f, "@{u}"),
            Token::Image(_) => f.write_str("[图片]"),
        }
    }
}

/// The arguments after a command's name.
#[derive(Debug, Clone, Default)]
pub struct Args {
    tokens: VecDeque<Token>,
    /// What is left after the name, its tokens joined by single spaces, for [`Rest`].
    rest: String,
    quoted: Option<MessageId>,
}

impl Args {
    /// The arguments in `message` after the first `skip` tokens (the command name and any
    /// `@` before it).
    pub(crate) fn of(message: &Message, skip: usize) -> Args {
        let tokens: VecDeque<Token> = tokens(message).into_iter().skip(skip).collect();
        let rest = tokens
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        Args {
            tokens,
            rest,
            quoted: message.reply_to(),
        }
    }

    /// Reads argument `n` as `T` (the generated parsers call it, one argument after the
    /// other).
    pub fn take<T: CommandArg>(&mut self, n: usize) -> Result<T, ArgError> {
        T::take(self).map_err(|e| e.at(n))
    }

    /// The next positional argument, if any.
    pub fn peek(&self) -> Option<&Token> {
        self.tokens.front()
    }

    /// Takes the next positional argument.
    pub fn next_token(&mut self) -> Option<Token> {
        let token = self.tokens.pop_front()?;
        let shown = token.to_string();
        self.rest = self.rest[shown.len().min(self.rest.len())..]
            .trim_start()
            .to_owned();
        Some(token)
    }

    /// Whether nothing positional is left.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The quoted message, if the message quotes one.
    pub fn quoted(&self) -> Option<MessageId> {
        self.quoted
    }
}

/// The message split into tokens: words of text, `@`s, images (other segments left out).
pub(crate) fn tokens(message: &Message) -> Vec<Token> {
    let mut out = Vec::new();
    for segment in message.segments() {
        match segment {
            Segment::Text(t) => {
                out.extend(t.text.split_whitespace().map(|w| Token::Word(w.to_owned())))
            }
            Segment::At(a) => match a.target() {
                Some(api_core::AtTarget::User(u)) => out.push(Token::At(u)),
                _ => out.push(Token::Word("@all".to_owned())),
            },
            Segment::Image(i) => out.push(Token::Image(Box::new(i.clone()))),
            _ => {}
        }
    }
    out
}

/// Why an argument could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    /// Which argument (0 for the first), once known.
    pub index: Option<usize>,
    /// What went wrong.
    pub kind: ArgErrorKind,
}

/// What went wrong with an argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgErrorKind {
    /// It is missing.
    Missing,
    /// It is not what was expected: what came, and what is expected.
    Invalid {
        /// What came.
        got: String,
        /// What is expected, as the usage names it.
        expected: &'static str,
    },
    /// More came than the command takes: the first extra one.
    TooMany(String),
}

impl ArgError {
    /// A missing argument.
    pub fn missing() -> Self {
        ArgError {
            index: None,
            kind: ArgErrorKind::Missing,
        }
    }

    /// An argument that is not a `expected`.
    pub fn invalid(got: impl fmt::Display, expected: &'static str) -> Self {
        ArgError {
            index: None,
            kind: ArgErrorKind::Invalid {
                got: got.to_string(),
                expected,
            },
        }
    }

    fn at(mut self, index: usize) -> Self {
        self.index.get_or_insert(index);
        self
    }
}

/// A type a command argument is read into.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a command argument",
    label = "not readable from a message",
    note = "a command argument is a number, `String` (one word), `Rest`, `UserId`, `GroupId`, `Quoted`, `ImageSegment`, an `Option` of one, or a type implementing `CommandArg`"
)]
pub trait CommandArg: Sized {
    /// How the usage names it when its field has no name (`数字`, `@成员`, …).
    const LABEL: &'static str;
    /// Whether it may be left out (`Option`).
    const OPTIONAL: bool = false;
    /// Whether the message has one to read next.
    fn present(args: &Args) -> bool {
        !args.is_empty()
    }
    /// Reads it.
    fn take(args: &mut Args) -> Result<Self, ArgError>;
}

/// The next token read by `read`, which gives back a token of the wrong kind; named `label`
/// in errors.
fn next_as<T>(
    args: &mut Args,
    label: &'static str,
    read: impl FnOnce(Token) -> Result<T, Token>,
) -> Result<T, ArgError> {
    let token = args.next_token().ok_or_else(ArgError::missing)?;
    read(token).map_err(|wrong| ArgError::invalid(wrong, label))
}

/// A word parsed with `FromStr`, named `label` in errors.
fn parsed<T: FromStr>(args: &mut Args, label: &'static str) -> Result<T, ArgError> {
    next_as(args, label, |t| match t {
        Token::Word(w) => w.parse().map_err(|_| Token::Word(w)),
        other => Err(other),
    })
}

macro_rules! numbers {
    ($($ty:ty => $label:literal),*) => {$(
        /// A number.
        impl CommandArg for $ty {
            const LABEL: &'static str = $label;
            fn take(args: &mut Args) -> Result<Self, ArgError> {
                parsed(args, $label)
            }
        }
    )*};
}

numbers!(i8 => "整数", i16 => "整数", i32 => "整数", i64 => "整数", u8 => "非负整数", u16 => "非负整数", u32 => "非负整数", u64 => "非负整数", usize => "非负整数", f32 => "数字", f64 => "数字");

/// One word.
impl CommandArg for String {
    const LABEL: &'static str = "词";
    fn take(args: &mut Args) -> Result<Self, ArgError> {
        next_as(args, "词", |t| match t {
            Token::Word(w) => Ok(w),
            other => Err(other),
        })
    }
}

/// A member: an `@` segment, or their QQ number.
impl CommandArg for UserId {
    const LABEL: &'static str = "@成员";
    fn take(args: &mut Args) -> Result<Self, ArgError> {
        next_as(args, "@成员", |t| match t {
            Token::At(u) => Ok(u),
            Token::Word(w) => w.parse().map(UserId).map_err(|_| Token::Word(w)),
            other => Err(other),
        })
    }
}

/// A group, by its number.
impl CommandArg for GroupId {
    const LABEL: &'static str = "群号";
    fn take(args: &mut Args) -> Result<Self, ArgError> {
        parsed::<i64>(args, "群号").map(GroupId)
    }
}

/// An image sent with the command.
impl CommandArg for ImageSegment {
    const LABEL: &'static str = "图片";
    fn present(args: &Args) -> bool {
        matches!(args.peek(), Some(Token::Image(_)))
    }
    fn take(args: &mut Args) -> Result<Self, ArgError> {
        next_as(args, "图片", |t| match t {
            Token::Image(i) => Ok(*i),
            other => Err(other),
        })
    }
}

/// An argument kept on the heap (an image, so that the command enum stays small).
impl<T: CommandArg> CommandArg for Box<T> {
    const LABEL: &'static str = T::LABEL;
    const OPTIONAL: bool = T::OPTIONAL;
    fn present(args: &Args) -> bool {
        T::present(args)
    }
    fn take(args: &mut Args) -> Result<Self, ArgError> {
        T::take(args).map(Box::new)
    }
}

/// An argument that may be left out.
impl<T: CommandArg> CommandArg for Option<T> {
    const LABEL: &'static str = T::LABEL;
    const OPTIONAL: bool = true;
    fn present(_: &Args) -> bool {
        true
    }
    fn take(args: &mut Args) -> Result<Self, ArgError> {
        if T::present(args) {
            T::take(args).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// The rest of the line (at least one word), its words joined by single spaces; the last
/// argument only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rest(pub String);

impl CommandArg for Rest {
    const LABEL: &'static str = "文本";
    fn take(args: &mut Args) -> Result<Self, ArgError> {
        if args.is_empty() {
            return Err(ArgError::missing());
        }
        let rest = std::mem::take(&mut args.rest);
        args.tokens.clear();
        Ok(Rest(rest))
    }
}

/// The message the command's message quotes (QQ's reply): its id. Takes no place among the
/// positional arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted(pub MessageId);

impl CommandArg for Quoted {
    const LABEL: &'static str = "回复一条消息";
    fn present(args: &Args) -> bool {
        args.quoted.is_some()
    }
    fn take(args: &mut Args) -> Result<Self, ArgError> {
        args.quoted.map(Quoted).ok_or_else(ArgError::missing)
    }
}
