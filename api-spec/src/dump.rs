//! A JSON description of the whole spec, for tools that should not parse the spec files.
//!
//! Shape (also documented in the README):
//! `{ "version": 1, "categories": [{ name, title, source, sections, actions: [{ rust_name,
//! wire_name, category, section, doc, example, returns, timeout_secs, failure_flag,
//! params: [{ rust_name, wire_name, type, required, default, doc, non_empty }] }] }],
//! "types": [{ kind: "struct", name, doc, transparent, fields: [{ rust_name, wire_name, type,
//! doc }] } | { kind: "enum", name, doc, variants: [{ name, wire, label, aliases }] }] }`

use serde_json::{Value, json};

use crate::model::*;

/// The dump's shape version; bump it when a key changes meaning or goes away.
pub const VERSION: u32 = 1;

/// The whole spec as JSON.
pub fn to_json(spec: &Spec) -> Value {
    let categories: Vec<Value> = spec
        .categories
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "title": c.title,
                "source": c.source,
                "sections": c.sections,
                "actions": c.actions.iter().map(|a| action(spec, c, a)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let structs = spec.structs().map(|s| {
        json!({
            "kind": "struct",
            "name": s.name,
            "doc": s.doc,
            "transparent": s.transparent,
            "fields": s.fields.iter().map(|f| json!({
                "rust_name": f.rust_name,
                "wire_name": f.wire_name,
                "type": f.ty.to_string(),
                "doc": f.doc,
            })).collect::<Vec<_>>(),
        })
    });
    let enums = spec.enums().map(|e| {
        json!({
            "kind": "enum",
            "name": e.name,
            "doc": e.doc,
            "variants": e.variants.iter().map(|v| json!({
                "name": v.name,
                "wire": v.wire,
                "label": v.label,
                "aliases": v.aliases,
            })).collect::<Vec<_>>(),
        })
    });
    json!({
        "version": VERSION,
        "categories": categories,
        "types": enums.chain(structs).collect::<Vec<_>>(),
    })
}

fn action(spec: &Spec, c: &Category, a: &Action) -> Value {
    json!({
        "rust_name": a.rust_name,
        "wire_name": a.wire_name,
        "category": c.name,
        "section": a.section,
        "doc": a.doc,
        "example": a.example,
        "returns": a.returns.to_string(),
        "timeout_secs": a.timeout_secs,
        "failure_flag": a.failure_flag,
        "params": a.params.iter().map(|p| json!({
            "rust_name": p.rust_name,
            "wire_name": p.wire_name,
            "type": p.ty.to_string(),
            "required": p.presence == Presence::Required,
            "default": match &p.presence {
                Presence::Default(v) => v.to_json(spec),
                _ => Value::Null,
            },
            "doc": p.doc,
            "non_empty": p.non_empty,
        })).collect::<Vec<_>>(),
    })
}
