//! Reads spec files (TOML) into the [`Spec`] model, collecting every problem with its place.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{SourceFile, SpecError, SpecErrors};
use crate::model::*;
use crate::types::{Scalar, TypeRef};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    category: Spanned<String>,
    title: String,
    permalink: String,
    overview: String,
    sections: Spanned<Vec<Spanned<String>>>,
    #[serde(default, rename = "enum")]
    enums: Vec<RawEnum>,
    #[serde(default, rename = "struct")]
    structs: Vec<RawStruct>,
    #[serde(default, rename = "action")]
    actions: Vec<RawAction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnum {
    name: Spanned<String>,
    doc: String,
    variants: Spanned<Vec<RawVariant>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    name: Spanned<String>,
    wire: Spanned<i64>,
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
    fields: Spanned<Vec<RawField>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: Spanned<String>,
    wire: Option<Spanned<String>>,
    #[serde(rename = "type")]
    ty: Spanned<String>,
    doc: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    name: Spanned<String>,
    wire: Option<Spanned<String>>,
    section: Spanned<String>,
    doc: Spanned<String>,
    example: Spanned<String>,
    returns: Spanned<String>,
    timeout_secs: Option<Spanned<u64>>,
    failure_flag: Option<Spanned<String>>,
    #[serde(default)]
    params: Vec<RawParam>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    name: Spanned<String>,
    wire: Option<Spanned<String>>,
    #[serde(rename = "type")]
    ty: Spanned<String>,
    default: Option<Spanned<toml::Value>>,
    doc: String,
    #[serde(default)]
    non_empty: bool,
}

/// Names that generated call builders use for their own methods.
const RESERVED_PARAM_NAMES: &[&str] = &["timeout", "request", "into_future", "client"];
/// Names that `Client` uses for its own methods.
const RESERVED_ACTION_NAMES: &[&str] = &[
    "builder",
    "call",
    "call_raw",
    "call_async",
    "events",
    "clone",
    "timeout",
];

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

/// Reads the spec files that ship with this crate (`spec/*.toml`), sorted by name.
pub fn load_builtin() -> Result<Spec, SpecErrors> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| {
            SpecErrors(vec![SpecError {
                file: "spec".into(),
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
    let files = names
        .iter()
        .map(|n| read_file(&dir.join(n), &format!("api-spec/spec/{n}")))
        .collect::<Result<Vec<_>, _>>()?;
    load(&files)
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
    errors.extend(checker.errors);
    if errors.is_empty() {
        Ok(Spec { categories })
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
}

/// An enum variant's name, wire value and label, for checking defaults.
type VariantKey = (String, i64, String);

#[derive(Default)]
struct Checker {
    errors: Vec<SpecError>,
    /// Declared type name -> kind and the variants of enums.
    types: HashMap<String, (Kind, Vec<VariantKey>)>,
    action_names: HashMap<String, String>,
    wire_names: HashMap<String, String>,
}

impl Checker {
    fn err(&mut self, src: &SourceFile, span: Range<usize>, msg: impl Into<String>) {
        self.errors.push(src.error_at(span, msg));
    }

    fn declare_types(&mut self, src: &SourceFile, raw: &RawFile) {
        let declared = raw
            .structs
            .iter()
            .map(|s| (&s.name, Kind::Struct, Vec::new()))
            .chain(raw.enums.iter().map(|e| {
                let vs = e
                    .variants
                    .get_ref()
                    .iter()
                    .map(|v| (v.name.get_ref().clone(), *v.wire.get_ref(), v.label.clone()))
                    .collect();
                (&e.name, Kind::Enum, vs)
            }));
        for (name, kind, variants) in declared {
            if !is_camel(name.get_ref()) {
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
            } else if self.types.contains_key(name.get_ref()) {
                self.err(
                    src,
                    name.span(),
                    format!("type `{}` is declared twice; rename one", name.get_ref()),
                );
            } else {
                self.types.insert(name.get_ref().clone(), (kind, variants));
            }
        }
    }

    fn category(&mut self, src: &SourceFile, raw: &RawFile) -> Category {
        if !is_snake(raw.category.get_ref()) {
            self.err(
                src,
                raw.category.span(),
                "category must be a snake_case name, e.g. `account`",
            );
        }
        let mut sections = Vec::new();
        for s in raw.sections.get_ref() {
            if sections.contains(s.get_ref()) {
                self.err(
                    src,
                    s.span(),
                    format!("section `{}` is listed twice", s.get_ref()),
                );
            }
            sections.push(s.get_ref().clone());
        }
        if sections.is_empty() {
            self.err(src, raw.sections.span(), "list at least one section");
        }
        let enums = raw.enums.iter().map(|e| self.enum_def(src, e)).collect();
        let structs = raw
            .structs
            .iter()
            .map(|s| self.struct_def(src, s))
            .collect();
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
            source: src.name.clone(),
        }
    }

    fn enum_def(&mut self, src: &SourceFile, raw: &RawEnum) -> EnumDef {
        let mut variants: Vec<Variant> = Vec::new();
        for v in raw.variants.get_ref() {
            if !is_camel(v.name.get_ref()) {
                self.err(
                    src,
                    v.name.span(),
                    format!("variant `{}` must be CamelCase ASCII", v.name.get_ref()),
                );
            }
            if variants.iter().any(|x| &x.name == v.name.get_ref()) {
                self.err(
                    src,
                    v.name.span(),
                    format!("variant `{}` is declared twice", v.name.get_ref()),
                );
            }
            if variants.iter().any(|x| x.wire == *v.wire.get_ref()) {
                self.err(
                    src,
                    v.wire.span(),
                    format!("wire value {} is used twice", v.wire.get_ref()),
                );
            }
            variants.push(Variant {
                name: v.name.get_ref().clone(),
                wire: *v.wire.get_ref(),
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
        }
    }

    fn struct_def(&mut self, src: &SourceFile, raw: &RawStruct) -> StructDef {
        let mut fields: Vec<Field> = Vec::new();
        for f in raw.fields.get_ref() {
            let ty = self.type_ref(src, &f.ty, false);
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
            fields.push(Field {
                rust_name,
                wire_name,
                ty,
                doc: f.doc.clone(),
            });
        }
        if raw.transparent && fields.len() != 1 {
            self.err(
                src,
                raw.fields.span(),
                "a `transparent` struct has exactly one field: the wire value itself",
            );
        }
        if fields.is_empty() && !raw.transparent {
            self.err(src, raw.fields.span(), "a struct needs at least one field");
        }
        StructDef {
            name: raw.name.get_ref().clone(),
            doc: raw.doc.clone(),
            fields,
            transparent: raw.transparent,
        }
    }

    fn action(&mut self, src: &SourceFile, raw: &RawAction, sections: &[String]) -> Action {
        let rust_name = raw.name.get_ref().clone();
        let wire_name = raw
            .wire
            .as_ref()
            .map_or(&rust_name, |w| w.get_ref())
            .clone();
        if self.check_snake(src, &raw.name, "action") {
            if RESERVED_ACTION_NAMES.contains(&rust_name.as_str()) {
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
        let wire_span = raw.wire.as_ref().map_or(raw.name.span(), |w| w.span());
        if wire_name.trim().is_empty() || wire_name.contains(['/', '?', '#', ' ']) {
            self.err(
                src,
                wire_span,
                format!("wire name `{wire_name}` is not a usable action name"),
            );
        } else if let Some(prev) = self.wire_names.insert(wire_name.clone(), src.name.clone()) {
            self.err(
                src,
                wire_span,
                format!("wire action `{wire_name}` is already declared (in {prev}); one action per wire name"),
            );
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
        let mut params: Vec<Param> = Vec::new();
        for p in &raw.params {
            let param = self.param(src, p);
            if params.iter().any(|x| x.rust_name == param.rust_name) {
                self.err(
                    src,
                    p.name.span(),
                    format!("parameter `{}` is declared twice", param.rust_name),
                );
            }
            if params.iter().any(|x| x.wire_name == param.wire_name) {
                self.err(
                    src,
                    p.name.span(),
                    format!("wire name `{}` is used by two parameters", param.wire_name),
                );
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
        }
    }

    fn param(&mut self, src: &SourceFile, raw: &RawParam) -> Param {
        let rust_name = raw.name.get_ref().clone();
        if self.check_snake(src, &raw.name, "parameter")
            && RESERVED_PARAM_NAMES.contains(&rust_name.as_str())
        {
            self.err(
                src,
                raw.name.span(),
                format!("`{rust_name}` is a method of every call builder; choose another Rust name and keep the wire name with `wire = \"{rust_name}\"`"),
            );
        }
        let ty = self.type_ref(src, &raw.ty, true);
        let presence = match (&raw.default, &ty) {
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
        if raw.non_empty && *base != TypeRef::Scalar(Scalar::String) {
            self.err(
                src,
                raw.ty.span(),
                "`non_empty` applies to `string` parameters only",
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
                    TypeRef::Named(n) => format!("variant name or wire number of `{n}`"),
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
                    .find(|(name, wire, label)| match v {
                        V::Integer(i) => wire == i,
                        V::String(s) => name == s || label == s,
                        _ => false,
                    })
                    .map(|(name, _, _)| DefaultValue::Variant(name.clone()))
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
            let mut known: Vec<_> = self.types.keys().cloned().collect();
            known.sort();
            self.err(
                src,
                raw.span(),
                format!(
                    "unknown type `{n}`; declare it with [[struct]] or [[enum]] (declared: {})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                ),
            );
        }
        if ty.contains_file() && !is_param {
            self.err(
                src,
                raw.span(),
                "`file` is for parameters; a reply cannot carry an uploadable file",
            );
        }
        if ty == TypeRef::Unit && is_param {
            self.err(
                src,
                raw.span(),
                "`()` is a return type, not a parameter type",
            );
        }
        ty
    }

    /// Checks a snake_case Rust identifier; false if it is not one.
    fn check_snake(&mut self, src: &SourceFile, name: &Spanned<String>, what: &str) -> bool {
        let n = name.get_ref();
        if !is_snake(n) {
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

fn is_snake(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_camel(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}
