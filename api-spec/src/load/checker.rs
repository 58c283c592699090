//! The checker the loader runs over every file: what it has seen so far (declared types,
//! action names, wire names) and the errors it found, with the small checks every kind of
//! table shares (type names, snake_case names).

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use crate::error::{SourceFile, SpecError};
use crate::model::WireValue;
use crate::names;
use crate::types::{Scalar, TypeRef};

/// What kind of type a declared name is.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Struct,
    Enum,
    Union,
}

/// An enum variant's name, wire value and label, for checking defaults.
pub(super) type VariantKey = (String, WireValue, String);

/// Everything the loader has learned so far, and every problem found.
#[derive(Default)]
pub(super) struct Checker {
    pub(super) errors: Vec<SpecError>,
    /// Declared type name -> kind and the variants of enums.
    pub(super) types: HashMap<String, (Kind, Vec<VariantKey>)>,
    /// Rust names of actions -> the file that declared them.
    pub(super) action_names: HashMap<String, String>,
    /// Wire names and aliases of actions -> the file that declared them.
    pub(super) wire_names: HashMap<String, String>,
    /// Keyed (either-or) unions -> their keys.
    pub(super) keyed_keys: HashMap<String, Vec<String>>,
    /// Declared type name -> the file that declared it.
    pub(super) type_files: HashMap<String, String>,
}

impl Checker {
    /// Records a problem at the start of `span`.
    pub(super) fn err(&mut self, src: &SourceFile, span: Range<usize>, msg: impl Into<String>) {
        self.errors.push(src.error_at(span, msg));
    }

    /// A type as written (`qq`, `[Friend]?`), parsed; an unknown name is reported with the
    /// closest declared one.
    pub(super) fn type_ref(
        &mut self,
        src: &SourceFile,
        raw: &Spanned<String>,
        is_param: bool,
    ) -> TypeRef {
        let ty = match TypeRef::parse(raw.get_ref()) {
            Ok(t) => t,
            Err(msg) => {
                self.err(src, raw.span(), msg);
                return TypeRef::Scalar(Scalar::Json);
            }
        };
        if let Some(n) = ty.named()
            && !self.types.contains_key(n)
        {
            let mut near: Vec<(usize, &String)> = self
                .types
                .keys()
                .map(|k| {
                    (
                        names::edit_distance(&k.to_lowercase(), &n.to_lowercase()),
                        k,
                    )
                })
                .filter(|(d, _)| *d <= 3)
                .collect();
            near.sort();
            let hint = near
                .first()
                .map(|(_, k)| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            self.err(
                src,
                raw.span(),
                format!(
                    "unknown type `{n}`; declare it with [[struct]], [[enum]] or [[union]]{hint}"
                ),
            );
        }
        if ty == TypeRef::Unit && is_param {
            self.err(
                src,
                raw.span(),
                "`()` is a return type, not a parameter or field type",
            );
        }
        ty
    }

    /// Checks a snake_case Rust identifier; false if it is not one.
    pub(super) fn check_snake(
        &mut self,
        src: &SourceFile,
        name: &Spanned<String>,
        what: &str,
    ) -> bool {
        let n = name.get_ref();
        if !names::is_snake(n) {
            self.err(
                src,
                name.span(),
                format!("{what} name `{n}` is not a snake_case Rust identifier (a-z, 0-9, _; starting with a letter)"),
            );
            false
        } else if syn::parse_str::<syn::Ident>(n).is_err() {
            self.err(src, name.span(), format!("{what} name `{n}` is a Rust keyword; choose another and keep the wire name with `wire = \"{n}\"`"));
            false
        } else {
            true
        }
    }
}
