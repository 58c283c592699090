//! The id rule: a field or parameter whose name says it holds a QQ number, a group number or a
//! message id has that id's type (`qq`, `group`, `msg`, `long_msg`, `any_msg`, `forward`),
//! not plain text or a plain integer, unless the spec says why with `untyped_id = "…"`. So the
//! one-type-per-fact rule holds as the spec grows.

use std::ops::Range;

use toml::Spanned;

use crate::error::SourceFile;
use crate::load::checker::Checker;
use crate::names::snake;
use crate::types::{Scalar, TypeRef};

/// What a field or parameter name says its value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    /// A QQ number (`user_id`, `operator_id`, `qq`, …).
    User,
    /// A group number (`group_id`, …).
    Group,
    /// A message id (`message_id`, `msg_id`, …).
    Message,
}

impl IdKind {
    /// What the name says, for messages.
    fn what(self) -> &'static str {
        match self {
            IdKind::User => "a QQ number",
            IdKind::Group => "a group number",
            IdKind::Message => "a message id",
        }
    }

    /// The types that hold it.
    fn types(self) -> &'static [Scalar] {
        match self {
            IdKind::User => &[Scalar::Qq],
            IdKind::Group => &[Scalar::Group],
            IdKind::Message => &[
                Scalar::Msg,
                Scalar::LongMsg,
                Scalar::AnyMsg,
                Scalar::Forward,
            ],
        }
    }
}

/// What a name (snake_case or camelCase) says its value is, if it names an id.
pub(crate) fn id_kind(name: &str) -> Option<IdKind> {
    let name = snake(name);
    let ends = |suffix: &str| name == suffix || name.ends_with(&format!("_{suffix}"));
    if ["user_id", "operator_id", "sender_id", "self_id"]
        .iter()
        .any(|s| ends(s))
        || name == "qq"
        || name == "uin"
    {
        Some(IdKind::User)
    } else if ends("group_id") {
        Some(IdKind::Group)
    } else if ends("message_id") || ends("msg_id") {
        Some(IdKind::Message)
    } else {
        None
    }
}

/// The scalar inside `T?` and `[T]`, if the type is one.
fn base_scalar(ty: &TypeRef) -> Option<Scalar> {
    match ty {
        TypeRef::Scalar(s) => Some(*s),
        TypeRef::Option(t) | TypeRef::List(t) => base_scalar(t),
        _ => None,
    }
}

impl Checker {
    /// Reports a field or parameter named `names` (its Rust and wire names) whose type is plain
    /// text or a plain integer where the name says it is an id; `untyped_id` lets it be.
    pub(super) fn check_id_type(
        &mut self,
        src: &SourceFile,
        names: [&str; 2],
        ty: &TypeRef,
        ty_span: Range<usize>,
        untyped_id: Option<&Spanned<String>>,
    ) {
        let Some(kind) = names.iter().find_map(|n| id_kind(n)) else {
            return;
        };
        let (what, types) = (kind.what(), kind.types());
        let Some(scalar) = base_scalar(ty) else {
            return;
        };
        let plain = matches!(
            scalar,
            Scalar::String | Scalar::I32 | Scalar::I64 | Scalar::U32 | Scalar::U64
        );
        match (plain, untyped_id) {
            (true, None) => {
                let choices: Vec<&str> = types.iter().map(|s| s.spec_name()).collect();
                self.err(
                    src,
                    ty_span,
                    format!(
                        "`{}` names {what}, so its type is {} (with `?` or `[…]` as needed); if it really is plain `{}`, say why with `untyped_id = \"…\"`",
                        names[0],
                        choices
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(" or "),
                        scalar.spec_name()
                    ),
                );
            }
            (false, Some(reason)) if types.contains(&scalar) => self.err(
                src,
                reason.span(),
                format!(
                    "`untyped_id` explains a plain type, but `{}` is typed `{ty}`: drop it",
                    names[0]
                ),
            ),
            _ => {}
        }
    }
}
