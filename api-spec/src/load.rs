//! Reads spec files (TOML) into the [`Spec`] model, collecting every problem with its place.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{SourceFile, SpecError, SpecErrors};
use crate::model::*;
use crate::names;
use crate::types::{Scalar, TypeRef};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    category: Spanned<String>,
    title: String,
    #[serde(default)]
    permalink: String,
    #[serde(default)]
    overview: String,
    #[serde(default)]
    testing: Option<String>,
    #[serde(default)]
    sections: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default, rename = "enum")]
    enums: Vec<RawEnum>,
    #[serde(default, rename = "struct")]
    structs: Vec<RawStruct>,
    #[serde(default, rename = "union")]
    unions: Vec<RawUnion>,
    #[serde(default, rename = "action")]
    actions: Vec<RawAction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnum {
    name: Spanned<String>,
    doc: String,
    #[serde(default)]
    open: bool,
    variants: Spanned<Vec<RawVariant>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    name: Spanned<String>,
    wire: Spanned<toml::Value>,
    label: String,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStruct {
    name: Spanned<String>,
    doc: String,
    #[serde(default)]
    transparent: bool,
    #[serde(default)]
    input: bool,
    extends: Option<Spanned<String>>,
    fields: Option<Spanned<Vec<RawField>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: Spanned<String>,
    wire: Option<Spanned<String>>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    #[serde(rename = "type")]
    ty: Spanned<String>,
    doc: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnion {
    name: Spanned<String>,
    doc: String,
    tag: Option<Spanned<String>>,
    content: Option<Spanned<String>>,
    untagged: Option<Spanned<bool>>,
    keyed: Option<Spanned<bool>>,
    #[serde(default)]
    open: bool,
    closed: Option<Spanned<bool>>,
    variants: Spanned<Vec<RawUnionVariant>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnionVariant {
    name: Spanned<String>,
    #[serde(default)]
    doc: String,
    tag: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    literal: Option<Spanned<String>>,
    #[serde(rename = "type")]
    ty: Option<Spanned<String>>,
    default: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    name: Spanned<String>,
    wire: Option<Spanned<String>>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    section: Spanned<String>,
    doc: Spanned<String>,
    example: Spanned<String>,
    returns: Spanned<String>,
    reply: Option<Spanned<String>>,
    schema_checked: Option<bool>,
    timeout_secs: Option<Spanned<u64>>,
    failure_flag: Option<Spanned<String>>,
    stream_action: Option<Spanned<bool>>,
    packets: Option<Spanned<String>>,
    json_reason: Option<Spanned<String>>,
    napcat_example_differs: Option<Spanned<String>>,
    #[serde(default)]
    params: Vec<RawParam>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    name: Spanned<String>,
    wire: Option<Spanned<String>>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    #[serde(rename = "type")]
    ty: Spanned<String>,
    default: Option<Spanned<toml::Value>>,
    doc: String,
    #[serde(default)]
    non_empty: bool,
    differs: Option<String>,
}

/// Reads one spec file from disk. `display_name` is how errors name it.
pub fn read_file(path: &Path, display_name: &str) -> Result<(String, String), SpecErrors> {
    std::fs::read_to_string(path)
        .map(|text| (display_name.to_owned(), text))
        .map_err(|e| {
            SpecErrors(vec![SpecError {
                file: display_name.to_owned(),
                line: 1,
                column: 1,
                message: format!("cannot read spec file: {e}"),
            }])
        })
}

/// The spec files in `dir`: every `*.toml`, sorted by name. The generated code, the docs and
/// the dump all read the built-in spec through this one list.
pub fn spec_files_in(dir: &Path) -> Result<Vec<String>, SpecErrors> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| {
            SpecErrors(vec![SpecError {
                file: dir.display().to_string(),
                line: 1,
                column: 1,
                message: format!("cannot list spec directory: {e}"),
            }])
        })?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    Ok(names)
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The spec files that ship with this crate (`spec/*.toml`, the list [`spec_files_in`]
/// gives), as they were when this crate was built: `(name, text)` pairs for [`load`].
pub fn builtin_files() -> Vec<(String, String)> {
    BUILTIN
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect()
}

/// Loads the spec files that ship with this crate (see [`builtin_files`]).
pub fn load_builtin() -> Result<Spec, SpecErrors> {
    load(&builtin_files())
}

/// The built-in spec, loaded once. It is validated whenever `api-core` is built, so a failure
/// here means this crate was built from spec files that do not compile.
pub fn builtin() -> &'static Spec {
    static SPEC: std::sync::OnceLock<Spec> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        load_builtin().unwrap_or_else(|e| panic!("the built-in spec files are invalid:\n{e}"))
    })
}

/// Parses and validates spec files given as `(name, text)` pairs.
///
/// Every problem found is returned, each with `file:line:col`; nothing panics.
pub fn load(files: &[(String, String)]) -> Result<Spec, SpecErrors> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for (name, text) in files {
        let src = SourceFile {
            name: name.clone(),
            text: text.clone(),
        };
        match toml::from_str::<RawFile>(text) {
            Ok(raw) => parsed.push((src, raw)),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let msg = e.message().trim().to_owned();
                errors.push(src.error_at(span, toml_hint(&msg)));
            }
        }
    }
    let mut checker = Checker::default();
    for (src, raw) in &parsed {
        checker.declare_types(src, raw);
    }
    let categories: Vec<Category> = parsed
        .iter()
        .map(|(src, raw)| checker.category(src, raw))
        .collect();
    let mut spec = Spec { categories };
    if checker.errors.is_empty() {
        let sources: Vec<&SourceFile> = parsed.iter().map(|(s, _)| s).collect();
        checker.resolve_extends(&mut spec, &sources, &parsed);
    }
    if checker.errors.is_empty() {
        checker.check_whole(&spec, &parsed);
    }
    errors.extend(checker.errors);
    if errors.is_empty() {
        Ok(spec)
    } else {
        Err(SpecErrors(errors))
    }
}

fn toml_hint(msg: &str) -> String {
    if msg.starts_with("missing field") {
        format!("{msg}; add it to this table")
    } else if msg.starts_with("unknown field") {
        format!("{msg}; remove it or fix its spelling")
    } else {
        format!("invalid spec: {msg}")
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Struct,
    Enum,
    Union,
}

/// An enum variant's name, wire value and label, for checking defaults.
type VariantKey = (String, WireValue, String);

#[derive(Default)]
struct Checker {
    errors: Vec<SpecError>,
    /// Declared type name -> kind and the variants of enums.
    types: HashMap<String, (Kind, Vec<VariantKey>)>,
    action_names: HashMap<String, String>,
    /// Wire names and aliases of actions -> the file that declared them.
    wire_names: HashMap<String, String>,
    /// Keyed (either-or) unions -> their keys.
    keyed_keys: HashMap<String, Vec<String>>,
    /// Declared type name -> the file that declared it.
    type_files: HashMap<String, String>,
}

impl Checker {
    fn err(&mut self, src: &SourceFile, span: Range<usize>, msg: impl Into<String>) {
        self.errors.push(src.error_at(span, msg));
    }

    fn declare_types(&mut self, src: &SourceFile, raw: &RawFile) {
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

    fn category(&mut self, src: &SourceFile, raw: &RawFile) -> Category {
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

    fn enum_def(&mut self, src: &SourceFile, raw: &RawEnum) -> EnumDef {
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

    fn struct_def(&mut self, src: &SourceFile, raw: &RawStruct) -> StructDef {
        let mut fields: Vec<Field> = Vec::new();
        let raw_fields = raw.fields.as_ref().map_or(&[][..], |f| f.get_ref());
        for f in raw_fields {
            let ty = self.type_ref(src, &f.ty, true);
            let rust_name = f.name.get_ref().clone();
            let wire_name = f.wire.as_ref().map_or(&rust_name, |w| w.get_ref()).clone();
            self.check_snake(src, &f.name, "field");
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

    fn union_def(&mut self, src: &SourceFile, raw: &RawUnion) -> UnionDef {
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

    fn claim_wire_name(&mut self, src: &SourceFile, name: &Spanned<String>, what: &str) {
        let wire_name = name.get_ref();
        if wire_name.trim().is_empty() || wire_name.contains(['/', '?', '#', ' ']) {
            self.err(
                src,
                name.span(),
                format!("{what} `{wire_name}` is not a usable action name"),
            );
        } else if let Some(prev) = self.wire_names.insert(wire_name.clone(), src.name.clone()) {
            self.err(
                src,
                name.span(),
                format!("{what} `{wire_name}` is already a wire name or alias of another action (in {prev}); one action per wire name"),
            );
        }
    }

    fn action(&mut self, src: &SourceFile, raw: &RawAction, sections: &[String]) -> Action {
        let rust_name = raw.name.get_ref().clone();
        let wire = raw.wire.clone().unwrap_or_else(|| raw.name.clone());
        let wire_name = wire.get_ref().clone();
        if self.check_snake(src, &raw.name, "action") {
            if names::RESERVED_ACTION_NAMES.contains(&rust_name.as_str()) {
                self.err(
                    src,
                    raw.name.span(),
                    format!("`{rust_name}` is a method of `Client` itself; choose another name and keep the wire name with `wire = \"{wire_name}\"`"),
                );
            }
            if let Some(prev) = self
                .action_names
                .insert(rust_name.clone(), src.name.clone())
            {
                self.err(
                    src,
                    raw.name.span(),
                    format!("action `{rust_name}` is already declared (in {prev}); Rust names must be unique"),
                );
            }
        }
        self.claim_wire_name(src, &wire, "wire action");
        for alias in &raw.aliases {
            self.claim_wire_name(src, alias, "alias");
        }
        if !sections.contains(raw.section.get_ref()) {
            self.err(
                src,
                raw.section.span(),
                format!(
                    "section `{}` is not in this file's `sections` ({})",
                    raw.section.get_ref(),
                    sections.join(", ")
                ),
            );
        }
        for (text, what) in [(&raw.doc, "doc"), (&raw.example, "example")] {
            if text.get_ref().trim().is_empty() {
                self.err(
                    src,
                    text.span(),
                    format!("`{what}` is empty; write at least one line"),
                );
            }
        }
        if let Err(e) = syn::parse_str::<syn::Block>(&format!("{{\n{}\n}}", raw.example.get_ref()))
        {
            self.err(
                src,
                raw.example.span(),
                format!("`example` is not Rust statements ({e}); it is compiled as a doctest and run by the tour"),
            );
        }
        let returns = self.type_ref(src, &raw.returns, false);
        if let Some(t) = &raw.timeout_secs
            && *t.get_ref() == 0
        {
            self.err(src, t.span(), "`timeout_secs` must be at least 1");
        }
        if let Some(flag) = &raw.failure_flag
            && !matches!(
                returns,
                TypeRef::Unit | TypeRef::Named(_) | TypeRef::Scalar(Scalar::Json)
            )
        {
            self.err(
                src,
                flag.span(),
                "`failure_flag` applies to actions whose data is an object (returns `()`, `json` or a struct)",
            );
        }
        let returns_json = matches!(&returns, TypeRef::Scalar(Scalar::Json))
            || matches!(&returns, TypeRef::List(t) | TypeRef::Option(t) if **t == TypeRef::Scalar(Scalar::Json));
        match (&raw.json_reason, returns_json) {
            (None, true) => self.err(
                src,
                raw.returns.span(),
                "the action returns `json`; add `json_reason` saying why it has no typed shape (e.g. NapCat declares `any` and gives no example), or name a type",
            ),
            (Some(r), false) => self.err(
                src,
                r.span(),
                "`json_reason` explains a `json` return; this action returns a typed shape, so remove it",
            ),
            (Some(r), true) if r.get_ref().trim().is_empty() => {
                self.err(src, r.span(), "`json_reason` is empty; say why the return is `json`")
            }
            _ => {}
        }
        if let Some(d) = &raw.napcat_example_differs
            && d.get_ref().trim().is_empty()
        {
            self.err(
                src,
                d.span(),
                "`napcat_example_differs` is empty; say what NapCat's code sends instead, and which file shows it",
            );
        }
        let packets = raw.packets.as_ref().map(|p| self.type_ref(src, p, false));
        if let (Some(p), Some(flag)) = (&raw.packets, &raw.stream_action)
            && !*flag.get_ref()
        {
            self.err(
                src,
                p.span(),
                "an action with `packets` is a stream action; remove `stream_action = false`",
            );
        }
        if packets == Some(TypeRef::Unit) {
            self.err(
                src,
                raw.packets.as_ref().map_or(0..0, |p| p.span()),
                "`packets` names what each packet carries; `()` carries nothing",
            );
        }
        let reply = match &raw.reply {
            Some(text) => {
                match serde_json::from_str::<serde_json::Value>(text.get_ref()) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        self.err(
                        src,
                        text.span(),
                        format!("`reply` is not JSON ({e}); write the reply's `data` as NapCat sends it"),
                    );
                        None
                    }
                }
            }
            None if returns != TypeRef::Unit => {
                self.err(
                    src,
                    raw.returns.span(),
                    format!("add `reply`: a JSON example of the reply's `data` (type `{returns}`), as NapCat sends it; the simulator answers with it and the tests decode it"),
                );
                None
            }
            None => None,
        };
        let mut params: Vec<Param> = Vec::new();
        let mut keys: HashMap<String, String> = HashMap::new();
        for p in &raw.params {
            let param = self.param(src, p);
            if params.iter().any(|x| x.rust_name == param.rust_name) {
                self.err(
                    src,
                    p.name.span(),
                    format!("parameter `{}` is declared twice", param.rust_name),
                );
            }
            let mut own: Vec<(String, Range<usize>)> = Vec::new();
            match self.keyed_members(&param.ty) {
                Some(members) => own.extend(members.into_iter().map(|m| (m, p.ty.span()))),
                None => own.push((
                    param.wire_name.clone(),
                    p.wire.as_ref().map_or(p.name.span(), |w| w.span()),
                )),
            }
            own.extend(p.aliases.iter().map(|a| (a.get_ref().clone(), a.span())));
            for (key, span) in own {
                if let Some(other) = keys.insert(key.clone(), param.rust_name.clone()) {
                    self.err(
                        src,
                        span,
                        format!(
                            "wire key `{key}` is used by two parameters (`{other}` and `{}`)",
                            param.rust_name
                        ),
                    );
                }
            }
            params.push(param);
        }
        Action {
            rust_name,
            wire_name,
            section: raw.section.get_ref().clone(),
            doc: raw.doc.get_ref().trim().to_owned(),
            example: raw.example.get_ref().trim().to_owned(),
            params,
            returns,
            timeout_secs: raw.timeout_secs.as_ref().map(|t| *t.get_ref()),
            failure_flag: raw.failure_flag.as_ref().map(|f| f.get_ref().clone()),
            aliases: raw.aliases.iter().map(|a| a.get_ref().clone()).collect(),
            schema_checked: raw.schema_checked.unwrap_or(true),
            reply,
            stream_action: packets.is_some()
                || raw.stream_action.as_ref().is_some_and(|f| *f.get_ref()),
            packets,
            json_reason: raw
                .json_reason
                .as_ref()
                .map(|r| r.get_ref().trim().to_owned()),
            napcat_example_differs: raw
                .napcat_example_differs
                .as_ref()
                .map(|r| r.get_ref().trim().to_owned()),
        }
    }

    /// The keys of a keyed (either-or) union type, `T` or `T?`; `None` for other types.
    /// Filled in after all files are read, so only names are known here: the keys come from
    /// `keyed_keys`.
    fn keyed_members(&self, ty: &TypeRef) -> Option<Vec<String>> {
        let base = match ty {
            TypeRef::Option(t) => t.as_ref(),
            t => t,
        };
        match base {
            TypeRef::Named(n) => self.keyed_keys.get(n).cloned(),
            _ => None,
        }
    }

    fn param(&mut self, src: &SourceFile, raw: &RawParam) -> Param {
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
                self.err(src, d.span(), "a parameter with a default is not optional: drop the `?` from its type or drop the default");
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
            TypeRef::Scalar(Scalar::String | Scalar::Message) | TypeRef::List(_)
        );
        if raw.non_empty && !can_be_empty {
            self.err(
                src,
                raw.ty.span(),
                "`non_empty` applies to `string`, `message` and list parameters only",
            );
        }
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
            differs: raw.differs.clone(),
        }
    }

    fn default_value(&self, ty: &TypeRef, value: &toml::Value) -> Result<DefaultValue, String> {
        use toml::Value as V;
        let mismatch = || {
            format!(
                "default `{value}` does not fit the parameter's type `{ty}`; write a {}",
                match ty {
                    TypeRef::Scalar(Scalar::Bool) => "`true` or `false`".to_owned(),
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

    fn type_ref(&mut self, src: &SourceFile, raw: &Spanned<String>, is_param: bool) -> TypeRef {
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

    /// Copies each base struct's fields in front of the fields of structs that extend it.
    fn resolve_extends(
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
    fn check_whole(&mut self, spec: &Spec, parsed: &[(SourceFile, RawFile)]) {
        for (c, (src, raw)) in spec.categories.iter().zip(parsed) {
            for (a, raw_a) in c.actions.iter().zip(&raw.actions) {
                if let (Some(reply), Some(text)) = (&a.reply, &raw_a.reply)
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

    /// Checks a snake_case Rust identifier; false if it is not one.
    fn check_snake(&mut self, src: &SourceFile, name: &Spanned<String>, what: &str) -> bool {
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

fn wire_value(v: &toml::Value) -> Option<WireValue> {
    match v {
        toml::Value::Integer(i) => Some(WireValue::Int(*i)),
        toml::Value::String(s) => Some(WireValue::Str(s.clone())),
        _ => None,
    }
}
