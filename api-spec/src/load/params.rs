//! An action's parameters: names, types, defaults, either-or parameters and `non_empty`.

use crate::error::SourceFile;
use crate::load::checker::{Checker, Kind};
use crate::load::raw::RawParam;
use crate::model::{DefaultValue, NapcatParamFacts, Param, Presence, WireValue};
use crate::names;
use crate::types::{Scalar, TypeRef};

impl Checker {
    /// The keys of a keyed (either-or) union type, `T` or `T?`; `None` for other types.
    /// Filled in after all files are read, so only names are known here: the keys come from
    /// `keyed_keys`.
    pub(super) fn keyed_members(&self, ty: &TypeRef) -> Option<Vec<String>> {
        let base = match ty {
            TypeRef::Option(t) => t.as_ref(),
            t => t,
        };
        match base {
            TypeRef::Named(n) => self.keyed_keys.get(n).cloned(),
            _ => None,
        }
    }

    pub(super) fn param(&mut self, src: &SourceFile, raw: &RawParam) -> Param {
        let rust_name = raw.name.get_ref().clone();
        if self.check_snake(src, &raw.name, "parameter")
            && names::RESERVED_PARAM_NAMES.contains(&rust_name.as_str())
        {
            self.err(
                src,
                raw.name.span(),
                format!("`{rust_name}` is a method of every call builder; choose another Rust name and keep the wire name with `wire = \"{rust_name}\"`"),
            );
        }
        let ty = self.type_ref(src, &raw.ty, true);
        let wire_name = raw.wire.as_ref().map_or(&rust_name, |w| w.get_ref());
        self.check_id_type(
            src,
            [&rust_name, wire_name],
            &ty,
            raw.ty.span(),
            raw.untyped_id.as_ref(),
        );
        let is_keyed = self.keyed_members(&ty).is_some();
        if is_keyed {
            if let Some(w) = &raw.wire {
                self.err(
                    src,
                    w.span(),
                    "an either-or parameter has no wire name of its own: each variant's `key` is sent",
                );
            }
            if let Some(a) = raw.aliases.first() {
                self.err(
                    src,
                    a.span(),
                    "an either-or parameter has no key of its own to alias; put the other key in the union as a variant",
                );
            }
        }
        let presence = match (&raw.default, &ty) {
            (Some(d), _) if is_keyed => {
                self.err(src, d.span(), "an either-or parameter takes no default: the server would always get that member and the choice would be lost");
                Presence::Required
            }
            (Some(d), TypeRef::Option(_)) => {
                self.err(src, d.span(), "a default is NapCat's value for a parameter left out unless set, so the parameter is already optional: drop the `?` from its type");
                Presence::Optional
            }
            (Some(d), _) => match self.default_value(&ty, d.get_ref()) {
                Ok(v) => Presence::Default(v),
                Err(msg) => {
                    self.err(src, d.span(), msg);
                    Presence::Required
                }
            },
            (None, TypeRef::Option(_)) => Presence::Optional,
            (None, _) => Presence::Required,
        };
        let base = match &ty {
            TypeRef::Option(t) => t.as_ref(),
            t => t,
        };
        let can_be_empty = matches!(
            base,
            TypeRef::Scalar(Scalar::String | Scalar::Message | Scalar::LongMsg | Scalar::Forward)
                | TypeRef::List(_)
        );
        if raw.non_empty && !can_be_empty {
            self.err(
                src,
                raw.ty.span(),
                "`non_empty` applies to `string`, `message`, `long_msg`, `forward` and list parameters only",
            );
        }
        if let Some(d) = &raw.moved_differs {
            self.err(
                src,
                d.span(),
                "`differs` moved into the parameter's `napcat` table (what NapCat's schema says, for the conformance tests): write `napcat = { differs = \"…\" }`",
            );
        }
        // A parameter with a default is left out unless set, like a `T?` one; NapCat applies
        // its own default (the one the spec documents).
        let ty = match presence {
            Presence::Default(_) => TypeRef::Option(Box::new(ty)),
            _ => ty,
        };
        Param {
            wire_name: raw
                .wire
                .as_ref()
                .map_or(&rust_name, |w| w.get_ref())
                .clone(),
            rust_name,
            ty,
            presence,
            doc: raw.doc.clone(),
            non_empty: raw.non_empty,
            aliases: raw.aliases.iter().map(|a| a.get_ref().clone()).collect(),
            napcat: NapcatParamFacts {
                differs: raw.napcat.differs.clone(),
            },
        }
    }

    pub(super) fn default_value(
        &self,
        ty: &TypeRef,
        value: &toml::Value,
    ) -> Result<DefaultValue, String> {
        use toml::Value as V;
        let mismatch = || {
            format!(
                "default `{value}` does not fit the parameter's type `{ty}`; write a {}",
                match ty {
                    TypeRef::Scalar(Scalar::Bool | Scalar::Flag) => "`true` or `false`".to_owned(),
                    TypeRef::Scalar(Scalar::String) => "quoted string".to_owned(),
                    TypeRef::Scalar(Scalar::F64) => "number".to_owned(),
                    TypeRef::Scalar(s) if s.is_integer() => "whole number".to_owned(),
                    TypeRef::Named(n) => format!("variant name or wire value of `{n}`"),
                    _ => "value of that type (this type takes no default)".to_owned(),
                }
            )
        };
        match (ty, value) {
            (TypeRef::Scalar(Scalar::Bool), V::Boolean(b)) => Ok(DefaultValue::Bool(*b)),
            (TypeRef::Scalar(Scalar::Flag), V::Boolean(b)) => Ok(DefaultValue::Flag(*b)),
            (TypeRef::Scalar(Scalar::String), V::String(s)) => Ok(DefaultValue::Str(s.clone())),
            (TypeRef::Scalar(Scalar::F64), V::Float(f)) => Ok(DefaultValue::Float(*f)),
            (TypeRef::Scalar(Scalar::F64), V::Integer(i)) => Ok(DefaultValue::Float(*i as f64)),
            (TypeRef::Scalar(s), V::Integer(i)) if s.is_integer() => {
                let fits = match s {
                    Scalar::I32 => i32::try_from(*i).is_ok(),
                    Scalar::U32 => u32::try_from(*i).is_ok(),
                    Scalar::U64 => *i >= 0,
                    _ => true,
                };
                if fits {
                    Ok(DefaultValue::Int(*i))
                } else {
                    Err(format!("default {i} is out of range for `{ty}`"))
                }
            }
            (TypeRef::Named(n), v) => {
                let Some((Kind::Enum, variants)) = self.types.get(n) else {
                    return Err(format!("`{n}` is not an enum, so it takes no default"));
                };
                variants
                    .iter()
                    .find(|(name, wire, label)| match (v, wire) {
                        (V::Integer(i), WireValue::Int(w)) => w == i,
                        (V::String(s), WireValue::Str(w)) if w == s => true,
                        (V::String(s), _) => name == s || label == s,
                        _ => false,
                    })
                    .map(|(name, _, _)| DefaultValue::Variant {
                        enum_name: n.clone(),
                        variant: name.clone(),
                    })
                    .ok_or_else(mismatch)
            }
            _ => Err(mismatch()),
        }
    }
}
