//! The type expressions a spec may write: `string`, `qq`, `Sex?`, `[Friend]`, `()` ...

use std::fmt;

/// A built-in scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// Text (`String`). Decoded leniently: a number arrives as its decimal text.
    String,
    /// `bool`. Decoded from `true`/`false` and from `"true"`/`"false"`.
    Bool,
    /// A yes/no (`bool`) the wire carries as the number `1` or `0`; decoded like `bool`.
    Flag,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `f64`.
    F64,
    /// A QQ user number (`api_core::UserId`): sent as a JSON number, decoded from numbers and
    /// numeric text.
    Qq,
    /// A group number (`api_core::GroupId`), a type of its own so that a call taking a group
    /// and a user cannot get them swapped. On the wire like `qq`.
    Group,
    /// NapCat's short message id (`api_core::MessageId`): a number, like `qq`.
    Msg,
    /// QQ's long message id (`api_core::LongMessageId`): text.
    LongMsg,
    /// A short or a long message id (`api_core::AnyMessageId`), where NapCat takes both: sent
    /// as text.
    AnyMsg,
    /// A forward's `res_id` (`api_core::ForwardId`): text.
    Forward,
    /// A duration (`std::time::Duration`) the wire takes as whole seconds.
    Duration,
    /// Any JSON value, kept as `serde_json::Value`.
    Json,
    /// A file (`api_core::Uploadable`): a URL, base64, a local path read when sent, or a
    /// name the server knows (what a received `file` decodes to).
    File,
    /// A message (`api_core::Message`): segments, sent as an array; decoded from an array,
    /// one segment or a CQ-code string.
    Message,
    /// Bytes (`api_core::Base64`) that travel as base64 text.
    Base64,
    /// An HTTP request header (`api_core::Header`, a name and a value) that travels as
    /// `Name=Value` text.
    Header,
}

impl Scalar {
    /// Every scalar with the name a spec writes for it.
    pub const ALL: &'static [(&'static str, Scalar)] = &[
        ("string", Scalar::String),
        ("bool", Scalar::Bool),
        ("flag", Scalar::Flag),
        ("i32", Scalar::I32),
        ("i64", Scalar::I64),
        ("u32", Scalar::U32),
        ("u64", Scalar::U64),
        ("f64", Scalar::F64),
        ("qq", Scalar::Qq),
        ("group", Scalar::Group),
        ("msg", Scalar::Msg),
        ("long_msg", Scalar::LongMsg),
        ("any_msg", Scalar::AnyMsg),
        ("forward", Scalar::Forward),
        ("duration", Scalar::Duration),
        ("json", Scalar::Json),
        ("file", Scalar::File),
        ("message", Scalar::Message),
        ("base64", Scalar::Base64),
        ("header", Scalar::Header),
    ];

    /// The name a spec writes.
    pub fn spec_name(self) -> &'static str {
        Scalar::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// Whether values of this type are integers.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            Scalar::I32
                | Scalar::I64
                | Scalar::U32
                | Scalar::U64
                | Scalar::Qq
                | Scalar::Group
                | Scalar::Msg
                | Scalar::Duration
        )
    }
}

/// A parsed type expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeRef {
    /// `()`: nothing (data absent or ignored).
    Unit,
    /// A built-in scalar.
    Scalar(Scalar),
    /// `T?`: may be missing or null.
    Option(Box<TypeRef>),
    /// `[T]`: a list.
    List(Box<TypeRef>),
    /// A struct or enum declared in a spec.
    Named(String),
}

impl TypeRef {
    /// Parses a type expression. The error says what was expected.
    pub fn parse(text: &str) -> Result<TypeRef, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty type; write e.g. `string`, `qq`, `i64?`, `[Friend]` or `()`".into());
        }
        if t == "()" {
            return Ok(TypeRef::Unit);
        }
        if let Some(inner) = t.strip_suffix('?') {
            let inner = TypeRef::parse(inner)?;
            if matches!(inner, TypeRef::Option(_) | TypeRef::Unit) {
                return Err(format!("`{t}`: `?` applies once, to a value type"));
            }
            return Ok(TypeRef::Option(Box::new(inner)));
        }
        if let Some(rest) = t.strip_prefix('[') {
            let inner = rest
                .strip_suffix(']')
                .ok_or_else(|| format!("`{t}`: a list is written `[T]`"))?;
            let inner = TypeRef::parse(inner)?;
            if inner == TypeRef::Unit {
                return Err(format!("`{t}`: a list of `()` is not a type"));
            }
            return Ok(TypeRef::List(Box::new(inner)));
        }
        if let Some((_, s)) = Scalar::ALL.iter().find(|(n, _)| *n == t) {
            return Ok(TypeRef::Scalar(*s));
        }
        let mut chars = t.chars();
        let first_upper = chars.next().is_some_and(|c| c.is_ascii_uppercase());
        if first_upper && chars.all(|c| c.is_ascii_alphanumeric()) {
            return Ok(TypeRef::Named(t.to_owned()));
        }
        Err(format!(
            "unknown type `{t}`; built-in types are {}, a declared struct or enum (CamelCase), `T?`, `[T]` or `()`",
            Scalar::ALL
                .iter()
                .map(|(n, _)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// Every named type this expression mentions.
    pub fn named(&self) -> Option<&str> {
        match self {
            TypeRef::Named(n) => Some(n),
            TypeRef::Option(t) | TypeRef::List(t) => t.named(),
            _ => None,
        }
    }

    /// Whether the expression contains `file` (or a message, whose segments may hold files)
    /// anywhere.
    pub fn contains_file(&self) -> bool {
        match self {
            TypeRef::Scalar(Scalar::File | Scalar::Message) => true,
            TypeRef::Option(t) | TypeRef::List(t) => t.contains_file(),
            _ => false,
        }
    }
}

impl fmt::Display for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeRef::Unit => f.write_str("()"),
            TypeRef::Scalar(s) => f.write_str(s.spec_name()),
            TypeRef::Option(t) => write!(f, "{t}?"),
            TypeRef::List(t) => write!(f, "[{t}]"),
            TypeRef::Named(n) => f.write_str(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        for t in [
            "()",
            "string",
            "qq?",
            "[Friend]",
            "[string]?",
            "[[i64]]",
            "Sex?",
        ] {
            assert_eq!(TypeRef::parse(t).unwrap().to_string(), t);
        }
    }

    #[test]
    fn rejects_what_is_not_a_type() {
        for t in ["", "str", "[i64", "i64??", "[()]", "foo_bar"] {
            assert!(TypeRef::parse(t).is_err(), "{t} should not parse");
        }
    }
}
