//! `[[struct]]` tables: fields, their wire names and aliases, `transparent` and `extends`.

use crate::error::SourceFile;
use crate::load::checker::{Checker, Kind};
use crate::load::raw::RawStruct;
use crate::model::{Field, StructDef};

impl Checker {
    /// Checks a struct's own fields; the fields it inherits are copied in later
    /// ([`Checker::resolve_extends`]).
    pub(super) fn struct_def(&mut self, src: &SourceFile, raw: &RawStruct) -> StructDef {
        let mut fields: Vec<Field> = Vec::new();
        let raw_fields = raw.fields.as_ref().map_or(&[][..], |f| f.get_ref());
        for f in raw_fields {
            let ty = self.type_ref(src, &f.ty, true);
            let rust_name = f.name.get_ref().clone();
            let wire_name = f.wire.as_ref().map_or(&rust_name, |w| w.get_ref()).clone();
            self.check_snake(src, &f.name, "field");
            self.check_id_type(
                src,
                [&rust_name, &wire_name],
                &ty,
                f.ty.span(),
                f.untyped_id.as_ref(),
            );
            if !raw.transparent && rust_name == "extra" {
                self.err(
                    src,
                    f.name.span(),
                    "`extra` is the generated map of fields the spec does not list; name this field differently and set `wire = \"extra\"`",
                );
            }
            if fields.iter().any(|x| x.rust_name == rust_name) {
                self.err(
                    src,
                    f.name.span(),
                    format!("field `{rust_name}` is declared twice"),
                );
            }
            if fields.iter().any(|x| x.wire_name == wire_name) {
                let span = f.wire.as_ref().map_or(f.name.span(), |w| w.span());
                self.err(
                    src,
                    span,
                    format!("wire name `{wire_name}` is used by two fields"),
                );
            }
            for alias in &f.aliases {
                let taken = alias.get_ref() == &wire_name
                    || fields.iter().any(|x| {
                        &x.wire_name == alias.get_ref() || x.aliases.contains(alias.get_ref())
                    });
                if taken {
                    self.err(
                        src,
                        alias.span(),
                        format!(
                            "alias `{}` is already the wire name or an alias of a field",
                            alias.get_ref()
                        ),
                    );
                }
            }
            fields.push(Field {
                rust_name,
                wire_name,
                aliases: f.aliases.iter().map(|a| a.get_ref().clone()).collect(),
                ty,
                doc: f.doc.clone(),
            });
        }
        let fields_span = raw.fields.as_ref().map_or(raw.name.span(), |f| f.span());
        if raw.transparent && (fields.len() != 1 || raw.extends.is_some()) {
            self.err(
                src,
                fields_span.clone(),
                "a `transparent` struct has exactly one field of its own and no `extends`: the wire value itself",
            );
        }
        if fields.is_empty() && !raw.transparent && raw.extends.is_none() {
            self.err(src, fields_span, "a struct needs at least one field");
        }
        if let Some(base) = &raw.extends
            && self.types.get(base.get_ref()).map(|(k, _)| *k) != Some(Kind::Struct)
        {
            self.err(
                src,
                base.span(),
                format!(
                    "`extends = \"{}\"` must name a declared struct",
                    base.get_ref()
                ),
            );
        }
        StructDef {
            name: raw.name.get_ref().clone(),
            doc: raw.doc.clone(),
            fields,
            transparent: raw.transparent,
            extends: raw.extends.as_ref().map(|e| e.get_ref().clone()),
            input: raw.input,
        }
    }
}
