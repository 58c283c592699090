//! `[[union]]` tables: how the variants are told apart (a tag, untagged, or keyed), and what
//! each variant holds.

use toml::Spanned;

use crate::error::SourceFile;
use crate::load::checker::Checker;
use crate::load::raw::RawUnion;
use crate::model::{UnionDef, UnionKind, UnionVariant};
use crate::names;
use crate::types::TypeRef;

impl Checker {
    /// Checks a union: exactly one way to tell variants apart, and what each variant needs.
    pub(super) fn union_def(&mut self, src: &SourceFile, raw: &RawUnion) -> UnionDef {
        let is_set = |b: &Option<Spanned<bool>>| b.as_ref().is_some_and(|b| *b.get_ref());
        let mut kind_known = true;
        let kind = match (&raw.tag, is_set(&raw.untagged), is_set(&raw.keyed)) {
            (Some(tag), false, false) => UnionKind::Tagged {
                tag: tag.get_ref().clone(),
                content: raw.content.as_ref().map(|c| c.get_ref().clone()),
                closed: is_set(&raw.closed),
            },
            (None, true, false) => UnionKind::Untagged { open: raw.open },
            (None, false, true) => UnionKind::Keyed,
            _ => {
                self.err(
                    src,
                    raw.name.span(),
                    "say how the variants are told apart: `tag = \"type\"` (add `content = \"data\"` when the value sits under its own key), `untagged = true`, or `keyed = true` (an either-or parameter); exactly one of them",
                );
                kind_known = false;
                UnionKind::Untagged { open: false }
            }
        };
        if raw.content.is_some() && !matches!(kind, UnionKind::Tagged { .. }) {
            self.err(
                src,
                raw.content.as_ref().map_or(0..0, |c| c.span()),
                "`content` applies to tagged unions (with `tag`)",
            );
        }
        if let Some(closed) = &raw.closed
            && !matches!(kind, UnionKind::Tagged { .. })
        {
            self.err(
                src,
                closed.span(),
                "`closed` applies to tagged unions (with `tag`): it drops their `Unknown` variant",
            );
        }
        if raw.open && !matches!(kind, UnionKind::Untagged { .. }) {
            self.err(
                src,
                raw.name.span(),
                "`open` applies to untagged unions; a tagged union always keeps unknown tags in `Unknown`",
            );
        }
        let reserved = match kind {
            UnionKind::Tagged { closed: false, .. } => Some("Unknown"),
            UnionKind::Untagged { open: true } => Some("Other"),
            _ => None,
        };
        let mut variants: Vec<UnionVariant> = Vec::new();
        for v in raw.variants.get_ref() {
            let name = v.name.get_ref();
            if !names::is_camel(name) {
                self.err(
                    src,
                    v.name.span(),
                    format!("variant `{name}` must be CamelCase ASCII"),
                );
            }
            if Some(name.as_str()) == reserved {
                self.err(
                    src,
                    v.name.span(),
                    format!(
                        "`{name}` is generated for values no variant describes; rename this variant"
                    ),
                );
            }
            if variants.iter().any(|x| &x.name == name) {
                self.err(
                    src,
                    v.name.span(),
                    format!("variant `{name}` is declared twice"),
                );
            }
            if let Some(d) = &v.default {
                self.err(
                    src,
                    d.span(),
                    "a member of an either-or group cannot have a default: the server would always receive it and the choice would be lost; make it a parameter of its own",
                );
            }
            let ty =
                v.ty.as_ref()
                    .map(|t| (self.type_ref(src, t, true), t.span()));
            let (wire, what) = match kind {
                UnionKind::Tagged { .. } => (&v.tag, "tag"),
                UnionKind::Keyed => (&v.key, "key"),
                UnionKind::Untagged { .. } => (&v.literal, "literal"),
            };
            for (given, key) in [(&v.tag, "tag"), (&v.key, "key"), (&v.literal, "literal")] {
                if let Some(g) = given
                    && kind_known
                    && key != what
                {
                    self.err(
                        src,
                        g.span(),
                        format!("`{key}` does not apply here; this union's variants are told apart by `{what}`"),
                    );
                }
            }
            match (&kind, wire, &ty) {
                _ if !kind_known => {}
                (UnionKind::Tagged { .. } | UnionKind::Keyed, None, _) => self.err(
                    src,
                    v.name.span(),
                    format!("variant `{name}` needs its `{what}`"),
                ),
                (UnionKind::Keyed, Some(_), None) => self.err(
                    src,
                    v.name.span(),
                    format!("variant `{name}` needs the `type` of its value"),
                ),
                (UnionKind::Untagged { .. }, None, None) | (UnionKind::Untagged { .. }, Some(_), Some(_)) => self.err(
                    src,
                    v.name.span(),
                    format!("variant `{name}` of an untagged union has either a `type` or a `literal` text"),
                ),
                _ => {}
            }
            if let (UnionKind::Keyed, Some((t, span))) = (&kind, &ty)
                && matches!(t, TypeRef::Option(_))
            {
                self.err(
                    src,
                    span.clone(),
                    "an either-or member always has a value; drop the `?` (make the whole parameter optional instead)",
                );
            }
            if let Some(w) = wire
                && variants
                    .iter()
                    .any(|x| x.wire.as_deref() == Some(w.get_ref()))
            {
                self.err(
                    src,
                    w.span(),
                    format!("{what} `{}` is used by two variants", w.get_ref()),
                );
            }
            variants.push(UnionVariant {
                name: name.clone(),
                doc: v.doc.clone(),
                wire: wire.as_ref().map(|w| w.get_ref().clone()),
                ty: ty.map(|(t, _)| t),
            });
        }
        if variants.is_empty() {
            self.err(
                src,
                raw.variants.span(),
                "a union needs at least one variant",
            );
        }
        UnionDef {
            name: raw.name.get_ref().clone(),
            doc: raw.doc.clone(),
            kind,
            variants,
        }
    }
}
