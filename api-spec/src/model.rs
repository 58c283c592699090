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
    /// The file this category was read from, as it was named to the loader.
    pub source: String,
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

    /// The first line of the doc text.
    pub fn summary(&self) -> &str {
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
    /// Its type; `T?` for parameters left out unless set.
    pub ty: TypeRef,
    /// Whether it is positional, optional or defaulted.
    pub presence: Presence,
    /// Doc text.
    pub doc: String,
    /// A text parameter that must not be empty; checked before sending.
    pub non_empty: bool,
}

/// How a parameter is given.
#[derive(Debug, Clone, PartialEq)]
pub enum Presence {
    /// Positional; always sent.
    Required,
    /// A setter; left out of the wire JSON unless set (type `T?`).
    Optional,
    /// A setter with a default that is always sent, because the server's own default may differ.
    Default(DefaultValue),
}

/// A parameter default, checked against the parameter's type.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// A `bool`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Str(String),
    /// A variant of the parameter's enum, by its Rust name.
    Variant(String),
}

impl DefaultValue {
    /// The value as JSON, as it is sent on the wire (enum variants as their wire value).
    pub fn to_json(&self, spec: &Spec) -> serde_json::Value {
        match self {
            DefaultValue::Bool(b) => (*b).into(),
            DefaultValue::Int(i) => (*i).into(),
            DefaultValue::Float(f) => (*f).into(),
            DefaultValue::Str(s) => s.as_str().into(),
            DefaultValue::Variant(v) => spec
                .enums()
                .flat_map(|e| e.variants.iter())
                .find(|x| &x.name == v)
                .map_or(serde_json::Value::Null, |x| x.wire.into()),
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
    /// Its type; `T?` for a field that may be missing.
    pub ty: TypeRef,
    /// Doc text.
    pub doc: String,
}

/// An enum declared in a spec, sent as an integer.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    /// CamelCase name.
    pub name: String,
    /// Doc text.
    pub doc: String,
    /// Variants in order.
    pub variants: Vec<Variant>,
}

/// One enum variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// CamelCase Rust name.
    pub name: String,
    /// The integer sent on the wire.
    pub wire: i64,
    /// The display label (e.g. `男`), also accepted when decoding.
    pub label: String,
    /// Other texts the server sends for this variant (e.g. `male`).
    pub aliases: Vec<String>,
}

impl Spec {
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
