//! The validated spec: one model that the generator, the docs renderer and the JSON dump read.

use crate::types::TypeRef;

/// Every category of every spec file, validated together.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// One category per spec file, in load order.
    pub categories: Vec<Category>,
}

/// One spec file: a category of actions and the named types they use.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// Short machine name, e.g. `account`; also the docs page's file name.
    pub name: String,
    /// Page title.
    pub title: String,
    /// Permalink for the docs page's front matter.
    pub permalink: String,
    /// One paragraph for the 概览 section.
    pub overview: String,
    /// The sections actions are grouped in, in order.
    pub sections: Vec<String>,
    /// Actions in spec order.
    pub actions: Vec<Action>,
    /// Structs declared in this file.
    pub structs: Vec<StructDef>,
    /// Enums declared in this file.
    pub enums: Vec<EnumDef>,
    /// Unions declared in this file.
    pub unions: Vec<UnionDef>,
    /// The file this category was read from, as it was named to the loader.
    pub source: String,
    /// Declared by a spec this one builds on (the built-in spec, under a user's extension
    /// spec): its types can be named, but nothing is generated for it and its docs pages go
    /// under `builtin/`. The loader sets `false`; see [`Spec::mark_external`].
    pub external: bool,
    /// Set for a category of NapCat's test actions: why they are kept out of the main docs.
    /// Their page is generated; the index lists them apart, with this reason.
    pub testing: Option<String>,
}

/// One action: a method on the client and one request/response on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The Rust method name (snake_case).
    pub rust_name: String,
    /// The wire action name NapCat expects.
    pub wire_name: String,
    /// The section of its category it belongs to.
    pub section: String,
    /// One line of English saying what the action does; the first line of the method's
    /// rustdoc and of its docs section, and a column of the API index.
    pub summary: String,
    /// Doc text (Chinese), first line is the 功能 line.
    pub doc: String,
    /// A Rust example using `api: Client`.
    pub example: String,
    /// Parameters in positional order.
    pub params: Vec<Param>,
    /// What a successful call returns.
    pub returns: TypeRef,
    /// A timeout for this action that overrides the client default.
    pub timeout_secs: Option<u64>,
    /// A boolean field of `data` whose `false` means failure despite `status: "ok"`.
    pub failure_flag: Option<String>,
    /// A send that says something in a chat (a message, a forward, a file, a poke): held to a
    /// client's send limits (api-core's `Pacing`), whatever code calls it.
    pub paced: bool,
    /// Other wire names NapCat answers for this action (deprecated names).
    pub aliases: Vec<String>,
    /// A stream action that answers one call with several envelopes: packets (`data.type`
    /// is `"stream"`) of this type, then the final result ([`returns`](Self::returns)).
    pub packets: Option<TypeRef>,
    /// What NapCat does with this action beyond its signature: what the simulator answers
    /// and what the conformance tests hold NapCat's own description to (the spec's `napcat`
    /// table on the action).
    pub napcat: NapcatFacts,
}

/// What NapCat does with an action, for the simulator and the conformance tests: the spec's
/// `napcat` table on an action (`[action.napcat]`).
#[derive(Debug, Clone, PartialEq)]
pub struct NapcatFacts {
    /// An example of the reply's `data`, as NapCat sends it; `None` only for actions that
    /// return `()` and whose `data` is absent. For a stream action, the final result's. The
    /// simulator answers with it where it has no handler; it is checked against the return
    /// type when the spec loads, and the docs show it.
    pub reply: Option<serde_json::Value>,
    /// Whether NapCat checks (and converts) this action's params against its schema; `false`
    /// for the actions NapCat passes through as sent (the `send_*` message actions).
    pub schema_checked: bool,
    /// NapCat marks this action's envelopes `stream: "stream-action"` (its `useStream`), and
    /// a failure's `data` is `{type: "error", data_type: "error"}` instead of `null`. Always
    /// set for an action with [`packets`](Action::packets).
    pub stream_action: bool,
    /// Why the action returns `json` rather than a typed shape (required when it does).
    pub json_reason: Option<String>,
    /// Why NapCat's own `return_example` for this action does not decode: what its code sends
    /// instead, and the file that shows it. The conformance test expects that example to fail.
    pub example_differs: Option<String>,
}

impl Action {
    /// The parameters callers pass positionally.
    pub fn required_params(&self) -> impl Iterator<Item = &Param> {
        self.params
            .iter()
            .filter(|p| p.presence == Presence::Required)
    }

    /// The parameters set with chained setters.
    pub fn optional_params(&self) -> impl Iterator<Item = &Param> {
        self.params
            .iter()
            .filter(|p| p.presence != Presence::Required)
    }

    /// The first line of the (Chinese) doc text, the 功能 line.
    pub fn doc_line(&self) -> &str {
        self.doc.lines().next().unwrap_or("")
    }
}

/// One parameter of an action.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Rust name (snake_case).
    pub rust_name: String,
    /// Wire name (JSON key).
    pub wire_name: String,
    /// Its type; `T?` for every parameter that is not required (those with a default too).
    pub ty: TypeRef,
    /// Whether it is positional, or optional with or without a documented NapCat default.
    pub presence: Presence,
    /// Doc text.
    pub doc: String,
    /// A text parameter that must not be empty; checked before sending.
    pub non_empty: bool,
    /// Other keys NapCat accepts for this parameter.
    pub aliases: Vec<String>,
    /// How NapCat's schema sees this parameter, for the conformance tests (the spec's
    /// `napcat` table on a parameter).
    pub napcat: NapcatParamFacts,
}

/// What NapCat's schema says of a parameter, for the conformance tests: the spec's
/// `napcat = { … }` on a parameter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NapcatParamFacts {
    /// Why this parameter deliberately differs from NapCat's schema (required-ness), if it
    /// does; the conformance test holds every other parameter to NapCat's.
    pub differs: Option<String>,
}

/// How a parameter is given.
#[derive(Debug, Clone, PartialEq)]
pub enum Presence {
    /// Positional; always sent.
    Required,
    /// A setter; left out of the wire JSON unless set (type `T?`).
    Optional,
    /// A setter; left out of the wire JSON unless set, like [`Presence::Optional`], with
    /// NapCat's own default for it, which the docs show (the spec's `default`).
    Default(DefaultValue),
}

/// A parameter default, checked against the parameter's type.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// A `bool`.
    Bool(bool),
    /// A `flag`: a `bool` sent as `1`/`0`.
    Flag(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Str(String),
    /// A variant of an enum: the enum's name and the variant's Rust name.
    Variant {
        /// The enum the variant belongs to.
        enum_name: String,
        /// The variant's Rust name.
        variant: String,
    },
}

impl DefaultValue {
    /// The value as JSON, as it is sent on the wire (enum variants as their wire value).
    pub fn to_json(&self, spec: &Spec) -> serde_json::Value {
        match self {
            DefaultValue::Bool(b) => (*b).into(),
            DefaultValue::Flag(b) => i64::from(*b).into(),
            DefaultValue::Int(i) => (*i).into(),
            DefaultValue::Float(f) => (*f).into(),
            DefaultValue::Str(s) => s.as_str().into(),
            DefaultValue::Variant { enum_name, variant } => spec
                .find_enum(enum_name)
                .and_then(|e| e.variants.iter().find(|x| &x.name == variant))
                .map_or(serde_json::Value::Null, |x| x.wire.to_json()),
        }
    }
}

/// A struct declared in a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    /// CamelCase name.
    pub name: String,
    /// Doc text.
    pub doc: String,
    /// Fields in order.
    pub fields: Vec<Field>,
    /// The wire value is the single field itself (e.g. a plain list wrapped in a struct).
    pub transparent: bool,
    /// The struct whose fields come first (already copied into `fields`).
    pub extends: Option<String>,
    /// Built by callers (a parameter or part of one): gets `new` with the required fields and
    /// a setter per optional field.
    pub input: bool,
}

impl StructDef {
    /// Whether fields the spec does not list are kept (in a map named `extra`).
    pub fn keeps_unknown_fields(&self) -> bool {
        !self.transparent
    }
}

/// A field of a declared struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Rust name (snake_case).
    pub rust_name: String,
    /// Wire name (JSON key).
    pub wire_name: String,
    /// Other keys NapCat sends the same value under (accepted when decoding; sent as
    /// `wire_name`).
    pub aliases: Vec<String>,
    /// Its type; `T?` for a field that may be missing.
    pub ty: TypeRef,
    /// Doc text.
    pub doc: String,
}

/// An enum declared in a spec, sent as an integer or as text.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    /// CamelCase name.
    pub name: String,
    /// Doc text.
    pub doc: String,
    /// Variants in order.
    pub variants: Vec<Variant>,
    /// Whether values the spec does not list decode into an `Other` variant that keeps them
    /// (and sends them back unchanged) instead of failing.
    pub open: bool,
}

impl EnumDef {
    /// Whether the wire values are text (else integers).
    pub fn is_text(&self) -> bool {
        self.variants
            .first()
            .is_some_and(|v| matches!(v.wire, WireValue::Str(_)))
    }
}

/// An enum variant's wire value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WireValue {
    /// An integer.
    Int(i64),
    /// Text.
    Str(String),
}

impl WireValue {
    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            WireValue::Int(i) => (*i).into(),
            WireValue::Str(s) => s.as_str().into(),
        }
    }
}

impl std::fmt::Display for WireValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireValue::Int(i) => write!(f, "{i}"),
            WireValue::Str(s) => f.write_str(s),
        }
    }
}

/// One enum variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// CamelCase Rust name.
    pub name: String,
    /// The value sent on the wire.
    pub wire: WireValue,
    /// The display label (e.g. `男`), also accepted when decoding.
    pub label: String,
    /// Other texts the server sends for this variant (e.g. `male`).
    pub aliases: Vec<String>,
}

/// A sum type declared in a spec: message segments, events, either-or parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionDef {
    /// CamelCase name.
    pub name: String,
    /// Doc text.
    pub doc: String,
    /// How a variant is told apart on the wire.
    pub kind: UnionKind,
    /// Variants in order.
    pub variants: Vec<UnionVariant>,
}

/// How a union's variant shows on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum UnionKind {
    /// An object with a tag key naming the variant. With `content`, the variant's value sits
    /// under that key (`{type, data}`); without, its fields sit beside the tag. An unknown
    /// tag decodes to an `Unknown` variant that keeps the whole object when `open`, and is
    /// an error otherwise.
    Tagged {
        /// The key holding the tag, e.g. `type`.
        tag: String,
        /// The key holding the variant's value, e.g. `data`; `None` for fields beside the tag.
        content: Option<String>,
        /// Whether there is an `Unknown` variant for tags the spec does not list (what the
        /// server sends: segments, events). Without it only the listed kinds can be built or
        /// decoded (an input that must be one of them, e.g. forward nodes that cannot mix
        /// with other segments).
        open: bool,
    },
    /// Exactly one of several keys (an either-or parameter): `{group_id: 1}` or
    /// `{user_id: 2}`. As a parameter its key goes straight into the request.
    Keyed,
}

/// One variant of a union.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionVariant {
    /// CamelCase Rust name.
    pub name: String,
    /// Doc text.
    pub doc: String,
    /// The tag value (tagged unions) or the key (keyed unions).
    pub wire: Option<String>,
    /// The variant's value; `None` for a variant without one.
    pub ty: Option<TypeRef>,
}

impl Spec {
    /// Marks the categories read from the first `count` files as external (see
    /// [`Category::external`]).
    pub fn mark_external(&mut self, count: usize) {
        for c in self.categories.iter_mut().take(count) {
            c.external = true;
        }
    }

    /// The categories that are not external: what is generated, rendered and dumped.
    pub fn own_categories(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| !c.external)
    }

    /// Every action of the categories that are not external.
    pub fn own_actions(&self) -> impl Iterator<Item = (&Category, &Action)> {
        self.own_categories()
            .flat_map(|c| c.actions.iter().map(move |a| (c, a)))
    }

    /// Every action of every category.
    pub fn actions(&self) -> impl Iterator<Item = (&Category, &Action)> {
        self.categories
            .iter()
            .flat_map(|c| c.actions.iter().map(move |a| (c, a)))
    }

    /// Every declared struct.
    pub fn structs(&self) -> impl Iterator<Item = &StructDef> {
        self.categories.iter().flat_map(|c| c.structs.iter())
    }

    /// Every declared enum.
    pub fn enums(&self) -> impl Iterator<Item = &EnumDef> {
        self.categories.iter().flat_map(|c| c.enums.iter())
    }

    /// Every declared union.
    pub fn unions(&self) -> impl Iterator<Item = &UnionDef> {
        self.categories.iter().flat_map(|c| c.unions.iter())
    }

    /// A declared union by name.
    pub fn find_union(&self, name: &str) -> Option<&UnionDef> {
        self.unions().find(|u| u.name == name)
    }

    /// Whether a value of `ty` can hold an uploadable file, through any declared type.
    pub fn contains_file(&self, ty: &TypeRef) -> bool {
        self.contains_file_seen(ty, &mut Vec::new())
    }

    fn contains_file_seen<'a>(&'a self, ty: &'a TypeRef, seen: &mut Vec<&'a str>) -> bool {
        match ty {
            TypeRef::Scalar(crate::types::Scalar::File | crate::types::Scalar::Message) => true,
            TypeRef::Option(t) | TypeRef::List(t) => self.contains_file_seen(t, seen),
            TypeRef::Named(n) => {
                if seen.contains(&n.as_str()) {
                    return false;
                }
                seen.push(n);
                if let Some(s) = self.find_struct(n) {
                    s.fields
                        .iter()
                        .any(|f| self.contains_file_seen(&f.ty, seen))
                } else if let Some(u) = self.find_union(n) {
                    u.variants
                        .iter()
                        .filter_map(|v| v.ty.as_ref())
                        .any(|t| self.contains_file_seen(t, seen))
                } else {
                    false
                }
            }
            _ => false,
        }
    }

    /// The either-or union a parameter's type names (`T` or `T?`), if it is one.
    pub fn keyed_union(&self, ty: &TypeRef) -> Option<&UnionDef> {
        let base = match ty {
            TypeRef::Option(t) => t.as_ref(),
            t => t,
        };
        let u = self.find_union(base.named()?)?;
        (u.kind == UnionKind::Keyed && matches!(base, TypeRef::Named(_))).then_some(u)
    }

    /// The wire keys a parameter may send: its wire name, or each key of an either-or union.
    pub fn param_keys(&self, p: &Param) -> Vec<String> {
        self.param_key_types(p)
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    /// Each wire key a parameter may send with the type of its value: its wire name with its
    /// type (`T` for `T?`), or each key of an either-or union with that variant's type.
    pub fn param_key_types(&self, p: &Param) -> Vec<(String, TypeRef)> {
        match self.keyed_union(&p.ty) {
            Some(u) => u
                .variants
                .iter()
                .filter_map(|v| Some((v.wire.clone()?, v.ty.clone()?)))
                .collect(),
            None => {
                let base = match &p.ty {
                    TypeRef::Option(t) => t.as_ref().clone(),
                    t => t.clone(),
                };
                vec![(p.wire_name.clone(), base)]
            }
        }
    }

    /// An action by wire name or wire alias, as a server would look it up.
    pub fn find_wire(&self, name: &str) -> Option<&Action> {
        self.actions()
            .map(|(_, a)| a)
            .find(|a| a.wire_name == name || a.aliases.iter().any(|x| x == name))
    }

    /// An action by Rust name, wire name or wire alias.
    pub fn find_action_any(&self, name: &str) -> Option<&Action> {
        self.actions().map(|(_, a)| a).find(|a| {
            a.rust_name == name || a.wire_name == name || a.aliases.iter().any(|x| x == name)
        })
    }

    /// A declared struct by name.
    pub fn find_struct(&self, name: &str) -> Option<&StructDef> {
        self.structs().find(|s| s.name == name)
    }

    /// A declared enum by name.
    pub fn find_enum(&self, name: &str) -> Option<&EnumDef> {
        self.enums().find(|e| e.name == name)
    }

    /// An action by Rust name or wire name.
    pub fn find_action(&self, name: &str) -> Option<&Action> {
        self.actions()
            .map(|(_, a)| a)
            .find(|a| a.rust_name == name || a.wire_name == name)
    }
}
