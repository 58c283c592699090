//! NapCat's own description of its actions (v4.18.19): the reference the simulator's payload
//! checks, the scaffold and the conformance tests read. See `napcat/README.md`.

/// `napcat/actions.json`: every action NapCat registers, with its parameter schema (NapCat's
/// declared types), return shape, return example and remarks.
pub const ACTIONS_JSON: &str = include_str!("../napcat/actions.json");
