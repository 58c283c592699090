//! Constructors of the action table's entries ([`ActionInfo`], [`ParamInfo`]), so that the
//! generated table writes only what differs from the usual: one line per parameter.

use crate::action::info::{ActionInfo, ParamInfo};

impl ActionInfo {
    /// An action whose wire name is its Rust name, with no aliases, answered with one reply.
    #[doc(hidden)]
    pub const fn new(
        rust_name: &'static str,
        category: &'static str,
        section: &'static str,
        summary: &'static str,
        doc_line: &'static str,
        returns: &'static str,
        params: &'static [ParamInfo],
    ) -> Self {
        ActionInfo {
            rust_name,
            wire_name: rust_name,
            aliases: &[],
            category,
            section,
            summary,
            doc_line,
            returns,
            packets: None,
            params,
            paced: false,
        }
    }

    /// The same action, sent as `wire_name`.
    #[doc(hidden)]
    pub const fn wire(self, wire_name: &'static str) -> Self {
        ActionInfo { wire_name, ..self }
    }

    /// The same action, also answered under `aliases`.
    #[doc(hidden)]
    pub const fn aliases(self, aliases: &'static [&'static str]) -> Self {
        ActionInfo { aliases, ..self }
    }

    /// The same action, a stream of `packets` before its result.
    #[doc(hidden)]
    pub const fn packets(self, packets: &'static str) -> Self {
        ActionInfo {
            packets: Some(packets),
            ..self
        }
    }

    /// The same action, a send held to a client's send limits.
    #[doc(hidden)]
    pub const fn paced(self) -> Self {
        ActionInfo {
            paced: true,
            ..self
        }
    }
}

impl ParamInfo {
    /// An optional parameter of type `ty` (as the spec writes it) that sends one of `keys`;
    /// its Rust and wire names are the first key. No default, no aliases.
    #[doc(hidden)]
    pub const fn new(keys: &'static [&'static str], ty: &'static str) -> Self {
        ParamInfo {
            rust_name: keys[0],
            wire_name: keys[0],
            ty,
            required: false,
            default_json: None,
            aliases: &[],
            keys,
        }
    }

    /// The same parameter with other names than its first key.
    #[doc(hidden)]
    pub const fn named(self, rust_name: &'static str, wire_name: &'static str) -> Self {
        ParamInfo {
            rust_name,
            wire_name,
            ..self
        }
    }

    /// The same parameter, positional.
    #[doc(hidden)]
    pub const fn required(self) -> Self {
        ParamInfo {
            required: true,
            ..self
        }
    }

    /// The same parameter, sending `json` when not set.
    #[doc(hidden)]
    pub const fn default_json(self, json: &'static str) -> Self {
        ParamInfo {
            default_json: Some(json),
            ..self
        }
    }

    /// The same parameter, also read from `aliases`.
    #[doc(hidden)]
    pub const fn aliases(self, aliases: &'static [&'static str]) -> Self {
        ParamInfo { aliases, ..self }
    }
}
