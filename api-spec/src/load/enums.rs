//! `[[enum]]` tables: variants, their wire values, labels and aliases.

use std::collections::HashMap;

use crate::error::SourceFile;
use crate::load::checker::Checker;
use crate::load::raw::RawEnum;
use crate::model::{EnumDef, Variant, WireValue};
use crate::names;

impl Checker {
    /// Checks an enum: CamelCase variants, one kind of wire value, every text naming one
    /// variant.
    pub(super) fn enum_def(&mut self, src: &SourceFile, raw: &RawEnum) -> EnumDef {
        let mut variants: Vec<Variant> = Vec::new();
        for v in raw.variants.get_ref() {
            if !names::is_camel(v.name.get_ref()) {
                self.err(
                    src,
                    v.name.span(),
                    format!("variant `{}` must be CamelCase ASCII", v.name.get_ref()),
                );
            }
            if raw.open && v.name.get_ref() == "Other" {
                self.err(
                    src,
                    v.name.span(),
                    "`Other` is the variant an open enum generates for unknown values; rename this one",
                );
            }
            if variants.iter().any(|x| &x.name == v.name.get_ref()) {
                self.err(
                    src,
                    v.name.span(),
                    format!("variant `{}` is declared twice", v.name.get_ref()),
                );
            }
            let Some(wire) = wire_value(v.wire.get_ref()) else {
                self.err(
                    src,
                    v.wire.span(),
                    "`wire` is the value sent on the wire: a whole number or a quoted string",
                );
                continue;
            };
            if let Some(first) = variants.first()
                && std::mem::discriminant(&first.wire) != std::mem::discriminant(&wire)
            {
                self.err(
                    src,
                    v.wire.span(),
                    format!(
                        "wire value `{wire}` is not of the same kind as the first variant's (`{}`); an enum is sent either as numbers or as text",
                        first.wire
                    ),
                );
            }
            if variants.iter().any(|x| x.wire == wire) {
                self.err(
                    src,
                    v.wire.span(),
                    format!("wire value {wire} is used twice"),
                );
            }
            variants.push(Variant {
                name: v.name.get_ref().clone(),
                wire,
                label: v.label.clone(),
                aliases: v.aliases.clone(),
            });
        }
        if variants.is_empty() {
            self.err(
                src,
                raw.variants.span(),
                "an enum needs at least one variant",
            );
        }
        // Every text a variant is decoded from must name only that variant.
        let mut owner: HashMap<String, String> = HashMap::new();
        for (v, raw_v) in variants.iter().zip(raw.variants.get_ref()) {
            let texts = [v.name.clone(), v.label.clone(), v.wire.to_string()]
                .into_iter()
                .chain(v.aliases.iter().cloned());
            for t in texts {
                if let Some(other) = owner.insert(t.clone(), v.name.clone())
                    && other != v.name
                {
                    self.err(
                        src,
                        raw_v.name.span(),
                        format!(
                            "`{t}` names both `{other}` and `{}`; each label, alias and wire value must name one variant",
                            v.name
                        ),
                    );
                }
            }
        }
        EnumDef {
            name: raw.name.get_ref().clone(),
            doc: raw.doc.clone(),
            variants,
            open: raw.open,
        }
    }
}

/// A variant's `wire` as a wire value: a whole number or text.
pub(super) fn wire_value(v: &toml::Value) -> Option<WireValue> {
    match v {
        toml::Value::Integer(i) => Some(WireValue::Int(*i)),
        toml::Value::String(s) => Some(WireValue::Str(s.clone())),
        _ => None,
    }
}
