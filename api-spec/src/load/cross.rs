//! Checks that need every file loaded: inherited struct fields (`extends`), reply examples
//! against return types, and what the variants of a union tagged beside its fields hold.

use std::collections::HashMap;

use crate::error::SourceFile;
use crate::load::checker::Checker;
use crate::load::raw::RawFile;
use crate::model::{Field, Spec, UnionKind};
use crate::types::TypeRef;

impl Checker {
    /// Copies each base struct's fields in front of the fields of structs that extend it.
    pub(super) fn resolve_extends(
        &mut self,
        spec: &mut Spec,
        sources: &[&SourceFile],
        parsed: &[(SourceFile, RawFile)],
    ) {
        let mut done: HashMap<String, Vec<Field>> = HashMap::new();
        let by_name: HashMap<String, (Option<String>, Vec<Field>)> = spec
            .structs()
            .map(|s| (s.name.clone(), (s.extends.clone(), s.fields.clone())))
            .collect();
        for (ci, (_, raw)) in parsed.iter().enumerate() {
            for (si, raw_s) in raw.structs.iter().enumerate() {
                let Some(base) = &raw_s.extends else { continue };
                let mut chain = vec![raw_s.name.get_ref().clone()];
                let mut inherited: Vec<Field> = Vec::new();
                let mut next = Some(base.get_ref().clone());
                while let Some(name) = next {
                    if chain.contains(&name) {
                        self.err(
                            sources[ci],
                            base.span(),
                            format!(
                                "`extends` goes round in a circle: {} -> {name}",
                                chain.join(" -> ")
                            ),
                        );
                        break;
                    }
                    chain.push(name.clone());
                    let Some((up, fields)) = by_name.get(&name) else {
                        break;
                    };
                    let mut fields = fields.clone();
                    fields.extend(inherited);
                    inherited = fields;
                    next = up.clone();
                }
                let own = &spec.categories[ci].structs[si].fields;
                for f in own {
                    if inherited
                        .iter()
                        .any(|b| b.wire_name == f.wire_name || b.rust_name == f.rust_name)
                    {
                        let span = raw_s.name.span();
                        self.err(
                            sources[ci],
                            span,
                            format!(
                                "field `{}` is already declared by `{}`, which this struct extends",
                                f.rust_name,
                                base.get_ref()
                            ),
                        );
                    }
                }
                inherited.extend(own.iter().cloned());
                done.insert(raw_s.name.get_ref().clone(), inherited);
            }
        }
        for c in &mut spec.categories {
            for s in &mut c.structs {
                if let Some(fields) = done.remove(&s.name) {
                    s.fields = fields;
                }
            }
        }
    }

    /// Checks that need every file: reply examples against return types, what tagged
    /// variants hold.
    pub(super) fn check_whole(&mut self, spec: &Spec, parsed: &[(SourceFile, RawFile)]) {
        for (c, (src, raw)) in spec.categories.iter().zip(parsed) {
            for (a, raw_a) in c.actions.iter().zip(&raw.actions) {
                if let (Some(reply), Some(text)) = (&a.napcat.reply, &raw_a.napcat.reply)
                    && let Err(e) = crate::value::check(spec, &a.returns, reply)
                {
                    self.err(
                        src,
                        text.span(),
                        format!("`reply` does not decode as `{}`: {e}; fix the example or the return type", a.returns),
                    );
                }
            }
            for (u, raw_u) in c.unions.iter().zip(&raw.unions) {
                let UnionKind::Tagged {
                    content: None, tag, ..
                } = &u.kind
                else {
                    continue;
                };
                for (v, raw_v) in u.variants.iter().zip(raw_u.variants.get_ref()) {
                    let fits = match &v.ty {
                        None => true,
                        Some(TypeRef::Named(n)) => {
                            match (spec.find_struct(n), spec.find_union(n)) {
                                (Some(s), _) => !s.transparent,
                                (_, Some(inner)) => {
                                    matches!(inner.kind, UnionKind::Tagged { content: None, .. })
                                }
                                _ => false,
                            }
                        }
                        Some(_) => false,
                    };
                    if !fits {
                        self.err(
                            src,
                            raw_v.ty.as_ref().map_or(raw_v.name.span(), |t| t.span()),
                            format!("the fields of variant `{}` sit beside the tag `{tag}`, so its type must be a struct (or a union tagged the same way); set `content = \"...\"` on the union if the value sits under its own key", v.name),
                        );
                    }
                }
            }
        }
    }
}
