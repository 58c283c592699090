//! Checks JSON values against spec types, under two sets of rules:
//! - [`check`], the generated decoders' rules, so a reply example that would not decode fails
//!   when the spec is loaded, not when a test runs. Scalars are read by the very impls the
//!   decoders use (`api_lenient`); files, messages and base64 as their `api_core` types read
//!   them; enums, structs and unions as the generator writes their decoders;
//! - [`convert_param`], NapCat's rules for request params (TypeBox `Value.Parse`: numbers
//!   from numeric text, text from numbers, booleans from `"true"`/`"false"`, `null` never
//!   taken for a typed value, enums by wire value only), which also normalizes the value. The
//!   simulator validates requests and the CLI reads `key=value` arguments with it.

use std::time::Duration;

use api_lenient::Lenient;
use serde_json::Value;

use crate::model::*;
use crate::types::{Scalar, TypeRef};

/// Why a value does not fit: where (`data.friends[2].user_id`) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The place in the value, starting at `data`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at `{}`: {}", self.path, self.message)
    }
}

/// Whether `value` (a reply's `data`) decodes as `ty`.
pub fn check(spec: &Spec, ty: &TypeRef, value: &Value) -> Result<(), Mismatch> {
    let mut copy = value.clone();
    Checker {
        spec,
        depth: 0,
        rules: Rules::Reply,
    }
    .value(ty, &mut copy, "data")
}

/// Checks a request param as NapCat would and converts it in place to the wire type
/// (`"123"` to 123 for numbers, 123 to `"123"` for text, `"true"` to `true`). `path` names
/// the param in the mismatch.
pub fn convert_param(
    spec: &Spec,
    ty: &TypeRef,
    value: &mut Value,
    path: &str,
) -> Result<(), Mismatch> {
    Checker {
        spec,
        depth: 0,
        rules: Rules::Request,
    }
    .value(ty, value, path)
}

#[derive(Clone, Copy, PartialEq)]
enum Rules {
    /// What the generated decoders accept.
    Reply,
    /// What NapCat's request validation accepts (and converts).
    Request,
}

struct Checker<'a> {
    spec: &'a Spec,
    depth: usize,
    rules: Rules,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The integer a value holds (a number or numeric text), if it fits `s`.
fn integer(s: Scalar, v: &Value) -> Option<Value> {
    let n = match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))?,
        Value::String(t) => t.trim().parse::<i128>().ok()?,
        _ => return None,
    };
    let fits = match s {
        Scalar::I32 => i32::try_from(n).is_ok(),
        Scalar::U32 => u32::try_from(n).is_ok(),
        Scalar::U64 => u64::try_from(n).is_ok(),
        _ => i64::try_from(n).is_ok(),
    };
    if !fits {
        return None;
    }
    i64::try_from(n)
        .map(Value::from)
        .or_else(|_| u64::try_from(n).map(Value::from))
        .ok()
}

/// Whether `text` is standard base64 (padded), as `api_core::Base64` reads it.
fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    text.len().is_multiple_of(4)
        && text.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// A scalar as the generated decoders read it, as the JSON of the value they get; `None` when
/// it does not decode. The lenient scalars go through the very `api_lenient` impls the
/// decoders use (`qq` and `group` are the integers their id types wrap, a `duration` its
/// whole seconds).
fn reply_scalar(s: Scalar, v: &Value) -> Option<Value> {
    fn read<T: Lenient + Into<Value>>(v: &Value) -> Option<Value> {
        T::lenient(v).ok().map(Into::into)
    }
    match s {
        Scalar::String | Scalar::LongMsg | Scalar::AnyMsg | Scalar::Forward => read::<String>(v),
        Scalar::Header => header(v),
        // A received file is the name or id QQ gave it: `Uploadable` reads text only.
        Scalar::File => v.is_string().then(|| v.clone()),
        Scalar::Bool | Scalar::Flag => read::<bool>(v),
        Scalar::I32 => read::<i32>(v),
        Scalar::I64 | Scalar::Qq | Scalar::Group | Scalar::Msg => read::<i64>(v),
        Scalar::U32 => read::<u32>(v),
        Scalar::U64 => read::<u64>(v),
        Scalar::Duration => Duration::lenient(v).ok().map(|d| d.as_secs().into()),
        Scalar::F64 => read::<f64>(v),
        Scalar::Json | Scalar::Message | Scalar::Base64 => shaped(s, v),
    }
}

/// A scalar request param as NapCat's schema takes it (TypeBox's `Value.Parse`), converted to
/// the wire type; `None` when NapCat refuses it.
fn napcat_scalar(s: Scalar, v: &Value) -> Option<Value> {
    match s {
        Scalar::File | Scalar::String | Scalar::LongMsg | Scalar::AnyMsg | Scalar::Forward => {
            match v {
                Value::String(_) => Some(v.clone()),
                Value::Number(n) => Some(Value::String(n.to_string())),
                Value::Bool(b) => Some(Value::String(b.to_string())),
                _ => None,
            }
        }
        Scalar::Header => header(v),
        Scalar::Bool => boolean(v).map(Value::Bool),
        Scalar::Flag => boolean(v).map(|b| Value::from(i64::from(b))),
        Scalar::F64 => match v {
            Value::Number(_) => Some(v.clone()),
            Value::String(t) => t
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            _ => None,
        },
        Scalar::Json | Scalar::Message | Scalar::Base64 => shaped(s, v),
        s => integer(s, v),
    }
}

/// The scalars read alike in replies and requests: any JSON; a message as segments, one
/// segment or a CQ-code string; base64 text.
fn shaped(s: Scalar, v: &Value) -> Option<Value> {
    let fits = match s {
        Scalar::Json => true,
        Scalar::Message => matches!(v, Value::Array(_) | Value::Object(_) | Value::String(_)),
        Scalar::Base64 => v.as_str().is_some_and(is_base64),
        _ => false,
    };
    fits.then(|| v.clone())
}

/// A header as `Name=Value` text, as `api_core::Header` reads it and NapCat splits it.
fn header(v: &Value) -> Option<Value> {
    let text = v.as_str()?;
    let (name, _) = text.split_once('=')?;
    (!name.is_empty()).then(|| v.clone())
}

/// The boolean a value holds (`true`, `1`, `"true"`, `"1"` and their opposites).
fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(t) => match t.as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

impl Checker<'_> {
    fn fail(path: &str, expected: impl std::fmt::Display, got: &Value) -> Result<(), Mismatch> {
        Err(Mismatch {
            path: path.to_owned(),
            message: format!("expected {expected}, got {}", kind(got)),
        })
    }

    fn value(&mut self, ty: &TypeRef, v: &mut Value, path: &str) -> Result<(), Mismatch> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(Mismatch {
                path: path.to_owned(),
                message: "nested too deeply".into(),
            });
        }
        let result = self.value_inner(ty, v, path);
        self.depth -= 1;
        result
    }

    fn value_inner(&mut self, ty: &TypeRef, v: &mut Value, path: &str) -> Result<(), Mismatch> {
        if v.is_null() && self.rules == Rules::Request && *ty != TypeRef::Unit {
            // NapCat's schema takes a missing key for "not given", never `null`.
            return Self::fail(path, format!("`{ty}`"), v);
        }
        match ty {
            TypeRef::Unit => Ok(()),
            TypeRef::Option(_) if v.is_null() => Ok(()),
            TypeRef::Option(t) => self.value(t, v, path),
            TypeRef::List(t) => match v {
                Value::Array(items) => items
                    .iter_mut()
                    .enumerate()
                    .try_for_each(|(i, item)| self.value(t, item, &format!("{path}[{i}]"))),
                _ => Self::fail(path, format!("a list (`{ty}`)"), v),
            },
            TypeRef::Scalar(s) => {
                let converted = match self.rules {
                    Rules::Reply => reply_scalar(*s, v),
                    Rules::Request => napcat_scalar(*s, v),
                };
                match converted {
                    Some(c) => {
                        *v = c;
                        Ok(())
                    }
                    None => Self::fail(path, format!("`{ty}`"), v),
                }
            }
            TypeRef::Named(n) => self.named(n, v, path),
        }
    }

    fn named(&mut self, name: &str, v: &mut Value, path: &str) -> Result<(), Mismatch> {
        if let Some(e) = self.spec.find_enum(name) {
            return self.enum_value(e, v, path);
        }
        if let Some(s) = self.spec.find_struct(name) {
            return self.struct_value(s, v, path);
        }
        if let Some(u) = self.spec.find_union(name) {
            return self.union_value(u, v, path);
        }
        Err(Mismatch {
            path: path.to_owned(),
            message: format!("unknown type `{name}`"),
        })
    }

    fn enum_value(&mut self, e: &EnumDef, v: &mut Value, path: &str) -> Result<(), Mismatch> {
        let text = match v {
            Value::String(t) => t.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            _ if e.open => return Ok(()),
            _ => return Self::fail(path, format!("a `{}`", e.name), v),
        };
        let known = e.variants.iter().find(|x| {
            let wire = x.wire.to_string();
            match self.rules {
                // NapCat takes the wire value (numbers also as numeric text).
                Rules::Request => wire == text,
                Rules::Reply => [x.name.as_str(), x.label.as_str(), &wire]
                    .into_iter()
                    .chain(x.aliases.iter().map(String::as_str))
                    .any(|t| t.eq_ignore_ascii_case(&text)),
            }
        });
        match known {
            Some(x) => {
                *v = x.wire.to_json();
                Ok(())
            }
            None if e.open => Ok(()),
            None => Err(Mismatch {
                path: path.to_owned(),
                message: format!(
                    "`{text}` is not a `{}`; expected one of {}",
                    e.name,
                    e.variants
                        .iter()
                        .map(|x| format!("`{}`", x.wire))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    fn struct_value(&mut self, s: &StructDef, v: &mut Value, path: &str) -> Result<(), Mismatch> {
        if s.transparent {
            return match s.fields.first() {
                Some(f) => self.value(&f.ty, v, path),
                None => Ok(()),
            };
        }
        let Value::Object(map) = v else {
            return Self::fail(path, format!("an object (`{}`)", s.name), v);
        };
        for f in &s.fields {
            // The wire name, or else the first alias the value carries.
            let key = std::iter::once(&f.wire_name)
                .chain(&f.aliases)
                .find(|k| map.contains_key(k.as_str()))
                .unwrap_or(&f.wire_name);
            let here = format!("{path}.{key}");
            match map.get_mut(key) {
                None if matches!(f.ty, TypeRef::Option(_)) => {}
                None => {
                    return Err(Mismatch {
                        path: here,
                        message: format!("missing field of `{}`", s.name),
                    });
                }
                Some(x) => self.value(&f.ty, x, &here)?,
            }
        }
        Ok(())
    }

    fn union_value(&mut self, u: &UnionDef, v: &mut Value, path: &str) -> Result<(), Mismatch> {
        match &u.kind {
            UnionKind::Tagged { tag, content, open } => {
                let Value::Object(map) = v else {
                    return Self::fail(path, format!("an object (`{}`)", u.name), v);
                };
                let Some(Value::String(t)) = map.get(tag) else {
                    return Err(Mismatch {
                        path: format!("{path}.{tag}"),
                        message: format!("a `{}` needs its tag `{tag}` as text", u.name),
                    });
                };
                let Some(variant) = u
                    .variants
                    .iter()
                    .find(|x| x.wire.as_deref() == Some(t.as_str()))
                else {
                    if !*open {
                        return Err(Mismatch {
                            path: format!("{path}.{tag}"),
                            message: format!("`{t}` is not a kind of `{}`", u.name),
                        });
                    }
                    return Ok(()); // kept in `Unknown`
                };
                let Some(ty) = &variant.ty else { return Ok(()) };
                match content {
                    Some(key) => match map.get_mut(key) {
                        Some(inner) => self.value(ty, inner, &format!("{path}.{key}")),
                        None => Err(Mismatch {
                            path: format!("{path}.{key}"),
                            message: format!("missing the value of variant `{}`", variant.name),
                        }),
                    },
                    None => self.value(ty, v, path),
                }
            }
            UnionKind::Keyed => {
                let Value::Object(map) = v else {
                    return Self::fail(path, format!("an object (`{}`)", u.name), v);
                };
                let present: Vec<&UnionVariant> = u
                    .variants
                    .iter()
                    .filter(|x| x.wire.as_ref().is_some_and(|k| map.contains_key(k)))
                    .collect();
                match present.as_slice() {
                    [one] => {
                        let key = one.wire.as_deref().unwrap_or_default();
                        match (&one.ty, map.get_mut(key)) {
                            (Some(ty), Some(x)) => self.value(ty, x, &format!("{path}.{key}")),
                            _ => Ok(()),
                        }
                    }
                    _ => Err(Mismatch {
                        path: path.to_owned(),
                        message: format!(
                            "a `{}` has exactly one of the keys {}",
                            u.name,
                            u.variants
                                .iter()
                                .filter_map(|x| x.wire.as_deref())
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }),
                }
            }
        }
    }
}
