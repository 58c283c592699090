//! The action table's entries: each generated action and its parameters, for introspection
//! (`api_core::ACTIONS`).

/// One action of the generated API, for introspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionInfo {
    /// Rust method name.
    pub rust_name: &'static str,
    /// Wire action name.
    pub wire_name: &'static str,
    /// Other wire names NapCat answers for this action (deprecated names).
    pub aliases: &'static [&'static str],
    /// Spec category (file).
    pub category: &'static str,
    /// Section within the category.
    pub section: &'static str,
    /// What the action does, in one line of English.
    pub summary: &'static str,
    /// First line of the (Chinese) doc text.
    pub doc_line: &'static str,
    /// Return type as written in the spec (a stream action's final result).
    pub returns: &'static str,
    /// A stream action's packet type as written in the spec; `None` for one-reply actions.
    pub packets: Option<&'static str>,
    /// Parameters in positional order.
    pub params: &'static [ParamInfo],
    /// Whether it says something in a chat, and so waits for its turn under a client's send
    /// limits ([`Pacing`](crate::pacing::Pacing)).
    pub paced: bool,
}

/// One parameter of an [`ActionInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    /// Rust name.
    pub rust_name: &'static str,
    /// Wire name.
    pub wire_name: &'static str,
    /// Type as written in the spec (`qq`, `string?`, `Sex` ...).
    pub ty: &'static str,
    /// Whether it is positional.
    pub required: bool,
    /// The default sent when it is not set, as JSON text.
    pub default_json: Option<&'static str>,
    /// Other keys NapCat accepts for this parameter.
    pub aliases: &'static [&'static str],
    /// The keys it may send: its wire name, or one of an either-or union's keys.
    pub keys: &'static [&'static str],
}
