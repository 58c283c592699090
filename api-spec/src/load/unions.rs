//! `[[union]]` tables: how the variants are told apart (a tag, or keys for an either-or
//! parameter), whether unknown tags are kept (`open`), and what each variant holds.

use crate::error::SourceFile;
use crate::load::checker::Checker;
use crate::load::raw::{RawUnion, RawUnionVariant};
use crate::model::{UnionDef, UnionKind, UnionVariant};
use crate::names;
use crate::types::TypeRef;

impl Checker {
    /// Checks a union: exactly one way to tell variants apart, and what each variant needs.
    pub(super) fn union_def(&mut self, src: &SourceFile, raw: &RawUnion) -> UnionDef {
        let kind = self.union_kind(src, raw);
        let mut variants: Vec<UnionVariant> = Vec::new();
        for v in raw.variants.get_ref() {
            let variant = self.union_variant(src, kind.as_ref(), v, &variants);
            variants.push(variant);
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
            // An unknown kind has been reported; the union is not used.
            kind: kind.unwrap_or(UnionKind::Keyed),
            variants,
        }
    }

    /// How the variants are told apart, and the keys that go with it (`content` and `open`
    /// for a tagged union); `None` when the union does not say (reported).
    fn union_kind(&mut self, src: &SourceFile, raw: &RawUnion) -> Option<UnionKind> {
        let keyed = raw.keyed.as_ref().is_some_and(|k| *k.get_ref());
        let open = raw.open.as_ref().is_some_and(|o| *o.get_ref());
        let kind = match (&raw.tag, keyed) {
            (Some(tag), false) => Some(UnionKind::Tagged {
                tag: tag.get_ref().clone(),
                content: raw.content.as_ref().map(|c| c.get_ref().clone()),
                open,
            }),
            (None, true) => Some(UnionKind::Keyed),
            _ => {
                self.err(
                    src,
                    raw.name.span(),
                    "say how the variants are told apart: `tag = \"type\"` (add `content = \"data\"` when the value sits under its own key) or `keyed = true` (an either-or parameter); exactly one of them",
                );
                None
            }
        };
        let tagged = matches!(kind, Some(UnionKind::Tagged { .. }));
        if let Some(content) = &raw.content
            && !tagged
        {
            self.err(
                src,
                content.span(),
                "`content` applies to tagged unions (with `tag`)",
            );
        }
        if let Some(closed) = &raw.closed {
            self.err(
                src,
                closed.span(),
                "`closed` is not a key: a union is closed unless it says `open = true` (then an unknown tag decodes to `Unknown`); remove `closed`",
            );
        }
        if let Some(o) = &raw.open
            && kind == Some(UnionKind::Keyed)
        {
            self.err(
                src,
                o.span(),
                "`open` applies to tagged unions (with `tag`): it keeps unknown tags in `Unknown`; an either-or parameter is always one of its keys",
            );
        }
        kind
    }

    /// Checks one variant against the union's kind (`None`: unknown, so only what every
    /// variant needs is checked) and the variants before it.
    fn union_variant(
        &mut self,
        src: &SourceFile,
        kind: Option<&UnionKind>,
        v: &RawUnionVariant,
        earlier: &[UnionVariant],
    ) -> UnionVariant {
        let name = v.name.get_ref();
        if !names::is_camel(name) {
            self.err(
                src,
                v.name.span(),
                format!("variant `{name}` must be CamelCase ASCII"),
            );
        }
        if name == "Unknown" && matches!(kind, Some(UnionKind::Tagged { open: true, .. })) {
            self.err(
                src,
                v.name.span(),
                "`Unknown` is generated for tags no variant lists; rename this variant",
            );
        }
        if earlier.iter().any(|x| &x.name == name) {
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
        if let (Some(key), Some((t, span))) = (&v.key, &ty) {
            self.check_id_type(src, [key.get_ref(), key.get_ref()], t, span.clone(), None);
        }
        let (wire, what, other, other_name) = match kind {
            Some(UnionKind::Keyed) => (&v.key, "key", &v.tag, "tag"),
            _ => (&v.tag, "tag", &v.key, "key"),
        };
        if let Some(kind) = kind {
            if let Some(o) = other {
                self.err(
                    src,
                    o.span(),
                    format!("`{other_name}` does not apply here; this union's variants are told apart by `{what}`"),
                );
            }
            if wire.is_none() {
                self.err(
                    src,
                    v.name.span(),
                    format!("variant `{name}` needs its `{what}`"),
                );
            }
            if *kind == UnionKind::Keyed {
                match &ty {
                    None if wire.is_some() => self.err(
                        src,
                        v.name.span(),
                        format!("variant `{name}` needs the `type` of its value"),
                    ),
                    Some((TypeRef::Option(_), span)) => self.err(
                        src,
                        span.clone(),
                        "an either-or member always has a value; drop the `?` (make the whole parameter optional instead)",
                    ),
                    _ => {}
                }
            }
        }
        if let Some(w) = wire
            && earlier
                .iter()
                .any(|x| x.wire.as_deref() == Some(w.get_ref()))
        {
            self.err(
                src,
                w.span(),
                format!("{what} `{}` is used by two variants", w.get_ref()),
            );
        }
        UnionVariant {
            name: name.clone(),
            doc: v.doc.clone(),
            wire: wire.as_ref().map(|w| w.get_ref().clone()),
            ty: ty.map(|(t, _)| t),
        }
    }
}
