//! One spec file's header and its declarations: the type names it declares (read from every
//! file before anything else is checked, so files may name each other's types) and its
//! category, built from its enums, structs, unions and actions.

use crate::error::SourceFile;
use crate::load::checker::{Checker, Kind};
use crate::load::enums::wire_value;
use crate::load::raw::RawFile;
use crate::model::Category;
use crate::names;
use crate::types::TypeRef;

impl Checker {
    /// Records the types `raw` declares (and the keys of its either-or unions).
    pub(super) fn declare_types(&mut self, src: &SourceFile, raw: &RawFile) {
        for u in &raw.unions {
            if u.keyed.as_ref().is_some_and(|k| *k.get_ref()) {
                let keys = u
                    .variants
                    .get_ref()
                    .iter()
                    .filter_map(|v| v.key.as_ref().map(|k| k.get_ref().clone()))
                    .collect();
                self.keyed_keys.insert(u.name.get_ref().clone(), keys);
            }
        }
        let declared = raw
            .structs
            .iter()
            .map(|s| (&s.name, Kind::Struct, Vec::new()))
            .chain(
                raw.unions
                    .iter()
                    .map(|u| (&u.name, Kind::Union, Vec::new())),
            )
            .chain(raw.enums.iter().map(|e| {
                let vs = e
                    .variants
                    .get_ref()
                    .iter()
                    .filter_map(|v| {
                        wire_value(v.wire.get_ref())
                            .map(|w| (v.name.get_ref().clone(), w, v.label.clone()))
                    })
                    .collect();
                (&e.name, Kind::Enum, vs)
            }));
        for (name, kind, variants) in declared {
            if !names::is_camel(name.get_ref()) {
                self.err(
                    src,
                    name.span(),
                    format!(
                        "type name `{}` must be CamelCase ASCII, e.g. `FriendInfo`",
                        name.get_ref()
                    ),
                );
            } else if TypeRef::parse(name.get_ref()) != Ok(TypeRef::Named(name.get_ref().clone())) {
                self.err(
                    src,
                    name.span(),
                    format!("`{}` is a built-in type name", name.get_ref()),
                );
            } else if let Some(first) = self.type_files.get(name.get_ref()) {
                let first = first.clone();
                self.err(
                    src,
                    name.span(),
                    format!(
                        "type `{}` is already declared (in {first}); use that one, or give this one another name",
                        name.get_ref()
                    ),
                );
            } else {
                self.types.insert(name.get_ref().clone(), (kind, variants));
                self.type_files
                    .insert(name.get_ref().clone(), src.name.clone());
            }
        }
    }

    /// The category of one file, every table checked.
    pub(super) fn category(&mut self, src: &SourceFile, raw: &RawFile) -> Category {
        if !names::is_snake(raw.category.get_ref()) {
            self.err(
                src,
                raw.category.span(),
                "category must be a snake_case name, e.g. `account`",
            );
        }
        let mut sections = Vec::new();
        if let Some(list) = &raw.sections {
            for s in list.get_ref() {
                if sections.contains(s.get_ref()) {
                    self.err(
                        src,
                        s.span(),
                        format!("section `{}` is listed twice", s.get_ref()),
                    );
                }
                sections.push(s.get_ref().clone());
            }
        }
        if sections.is_empty() && !raw.actions.is_empty() {
            let span = raw
                .sections
                .as_ref()
                .map_or(raw.category.span(), |s| s.span());
            self.err(
                src,
                span,
                "a file with actions lists at least one section: `sections = [\"...\"]`",
            );
        }
        let enums = raw.enums.iter().map(|e| self.enum_def(src, e)).collect();
        let structs = raw
            .structs
            .iter()
            .map(|s| self.struct_def(src, s))
            .collect();
        let unions = raw.unions.iter().map(|u| self.union_def(src, u)).collect();
        let actions = raw
            .actions
            .iter()
            .map(|a| self.action(src, a, &sections))
            .collect();
        Category {
            name: raw.category.get_ref().clone(),
            title: raw.title.clone(),
            permalink: raw.permalink.clone(),
            overview: raw.overview.clone(),
            sections,
            actions,
            structs,
            enums,
            unions,
            source: src.name.clone(),
            external: false,
            testing: raw.testing.as_ref().map(|t| t.trim().to_owned()),
        }
    }
}
