//! The spec files' TOML as written, before any check: every table and key the loader reads,
//! with the place of each value it reports errors at. Unknown keys are refused here.

use serde::Deserialize;
use toml::Spanned;

/// One spec file as written: its header keys and its tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) category: Spanned<String>,
    pub(super) title: String,
    #[serde(default)]
    pub(super) permalink: String,
    #[serde(default)]
    pub(super) overview: String,
    #[serde(default)]
    pub(super) testing: Option<String>,
    #[serde(default)]
    pub(super) sections: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default, rename = "enum")]
    pub(super) enums: Vec<RawEnum>,
    #[serde(default, rename = "struct")]
    pub(super) structs: Vec<RawStruct>,
    #[serde(default, rename = "union")]
    pub(super) unions: Vec<RawUnion>,
    #[serde(default, rename = "action")]
    pub(super) actions: Vec<RawAction>,
}

/// An `[[enum]]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEnum {
    pub(super) name: Spanned<String>,
    pub(super) doc: String,
    #[serde(default)]
    pub(super) open: bool,
    pub(super) variants: Spanned<Vec<RawVariant>>,
}

/// One variant of an `[[enum]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVariant {
    pub(super) name: Spanned<String>,
    pub(super) wire: Spanned<toml::Value>,
    pub(super) label: String,
    #[serde(default)]
    pub(super) aliases: Vec<String>,
}

/// A `[[struct]]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStruct {
    pub(super) name: Spanned<String>,
    pub(super) doc: String,
    #[serde(default)]
    pub(super) transparent: bool,
    #[serde(default)]
    pub(super) input: bool,
    pub(super) extends: Option<Spanned<String>>,
    pub(super) fields: Option<Spanned<Vec<RawField>>>,
}

/// One field of a `[[struct]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    pub(super) name: Spanned<String>,
    pub(super) wire: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) aliases: Vec<Spanned<String>>,
    #[serde(rename = "type")]
    pub(super) ty: Spanned<String>,
    pub(super) doc: String,
    /// Why a field named like an id has a plain type (see `load::ids`).
    pub(super) untyped_id: Option<Spanned<String>>,
}

/// A `[[union]]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUnion {
    pub(super) name: Spanned<String>,
    pub(super) doc: String,
    pub(super) tag: Option<Spanned<String>>,
    pub(super) content: Option<Spanned<String>>,
    pub(super) keyed: Option<Spanned<bool>>,
    pub(super) open: Option<Spanned<bool>>,
    /// Not a key (a union is closed unless `open = true`): read only to say so.
    pub(super) closed: Option<Spanned<toml::Value>>,
    pub(super) variants: Spanned<Vec<RawUnionVariant>>,
}

/// One variant of a `[[union]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUnionVariant {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) doc: String,
    pub(super) tag: Option<Spanned<String>>,
    pub(super) key: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub(super) ty: Option<Spanned<String>>,
    pub(super) default: Option<Spanned<toml::Value>>,
}

/// An `[[action]]` table: what the client and the docs need. What NapCat does with the action
/// (for the simulator and the conformance tests) is in its `napcat` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAction {
    pub(super) name: Spanned<String>,
    pub(super) wire: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) aliases: Vec<Spanned<String>>,
    pub(super) section: Spanned<String>,
    /// Required; read as optional so that a missing one is reported at the action's name.
    pub(super) summary: Option<Spanned<String>>,
    pub(super) doc: Spanned<String>,
    pub(super) example: Spanned<String>,
    pub(super) returns: Spanned<String>,
    pub(super) timeout_secs: Option<Spanned<u64>>,
    pub(super) failure_flag: Option<Spanned<String>>,
    /// A send that says something in a chat: held to a client's send limits.
    #[serde(default)]
    pub(super) paced: bool,
    pub(super) packets: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) params: Vec<RawParam>,
    #[serde(default)]
    pub(super) napcat: RawNapcat,
    // Keys that moved into `napcat`, read only to say so.
    #[serde(rename = "reply")]
    pub(super) moved_reply: Option<Spanned<toml::Value>>,
    #[serde(rename = "schema_checked")]
    pub(super) moved_schema_checked: Option<Spanned<toml::Value>>,
    #[serde(rename = "stream_action")]
    pub(super) moved_stream_action: Option<Spanned<toml::Value>>,
    #[serde(rename = "json_reason")]
    pub(super) moved_json_reason: Option<Spanned<toml::Value>>,
    #[serde(rename = "napcat_example_differs")]
    pub(super) moved_example_differs: Option<Spanned<toml::Value>>,
}

/// An action's `napcat` table (`[action.napcat]`, or `napcat = { … }` on the action).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNapcat {
    pub(super) reply: Option<Spanned<String>>,
    pub(super) schema_checked: Option<bool>,
    pub(super) stream_action: Option<Spanned<bool>>,
    pub(super) json_reason: Option<Spanned<String>>,
    pub(super) example_differs: Option<Spanned<String>>,
}

/// One parameter of an `[[action]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParam {
    pub(super) name: Spanned<String>,
    pub(super) wire: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) aliases: Vec<Spanned<String>>,
    #[serde(rename = "type")]
    pub(super) ty: Spanned<String>,
    pub(super) default: Option<Spanned<toml::Value>>,
    pub(super) doc: String,
    #[serde(default)]
    pub(super) non_empty: bool,
    /// Why a parameter named like an id has a plain type (see `load::ids`).
    pub(super) untyped_id: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) napcat: RawParamNapcat,
    /// Moved into `napcat`: read only to say so.
    #[serde(rename = "differs")]
    pub(super) moved_differs: Option<Spanned<toml::Value>>,
}

/// A parameter's `napcat` table (`napcat = { differs = "…" }`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParamNapcat {
    pub(super) differs: Option<String>,
}
