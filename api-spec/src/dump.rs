//! A JSON description of the whole spec, for tools that should not parse the spec files.
//!
//! Shape (also documented in the README):
//! `{ "version": 3, "categories": [{ name, title, source, testing, sections, actions: [{ rust_name,
//! wire_name, aliases, category, section, summary, doc, example, returns, timeout_secs,
//! failure_flag, paced, packets, params: [{ rust_name, wire_name, keys, aliases, type, required,
//! default, doc, non_empty, napcat: { differs } }], napcat: { reply, schema_checked,
//! stream_action, json_reason, example_differs } }] }], "types": [{ kind: "enum", name, doc,
//! repr, open, variants: [{ name, wire, label, aliases }] } | { kind: "struct", name, doc,
//! transparent, input, extends, fields: [{ rust_name, wire_name, type, doc }] } | { kind:
//! "union", name, doc, union: "tagged"|"keyed", tag, content, open, variants: [{ name, doc,
//! wire, type }] }] }`

use serde_json::{Value, json};

use crate::model::*;

/// The dump's shape version; bump it when a key changes meaning or goes away.
pub const VERSION: u32 = 3;

/// The whole spec as JSON.
pub fn to_json(spec: &Spec) -> Value {
    let categories: Vec<Value> = spec
        .own_categories()
        .map(|c| {
            json!({
                "name": c.name,
                "title": c.title,
                "source": c.source,
                "testing": c.testing,
                "sections": c.sections,
                "actions": c.actions.iter().map(|a| action(spec, c, a)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let structs = spec.own_categories().flat_map(|c| &c.structs).map(|s| {
        json!({
            "kind": "struct",
            "name": s.name,
            "doc": s.doc,
            "transparent": s.transparent,
            "input": s.input,
            "extends": s.extends,
            "fields": s.fields.iter().map(|f| json!({
                "rust_name": f.rust_name,
                "wire_name": f.wire_name,
                "type": f.ty.to_string(),
                "doc": f.doc,
            })).collect::<Vec<_>>(),
        })
    });
    let enums = spec.own_categories().flat_map(|c| &c.enums).map(|e| {
        json!({
            "kind": "enum",
            "name": e.name,
            "doc": e.doc,
            "repr": if e.is_text() { "string" } else { "integer" },
            "open": e.open,
            "variants": e.variants.iter().map(|v| json!({
                "name": v.name,
                "wire": v.wire.to_json(),
                "label": v.label,
                "aliases": v.aliases,
            })).collect::<Vec<_>>(),
        })
    });
    let unions = spec.own_categories().flat_map(|c| &c.unions).map(|u| {
        let (kind, tag, content, open) = match &u.kind {
            UnionKind::Tagged { tag, content, open } => {
                ("tagged", Some(tag), content.as_ref(), *open)
            }
            UnionKind::Keyed => ("keyed", None, None, false),
        };
        json!({
            "kind": "union",
            "name": u.name,
            "doc": u.doc,
            "union": kind,
            "tag": tag,
            "content": content,
            "open": open,
            "variants": u.variants.iter().map(|v| json!({
                "name": v.name,
                "doc": v.doc,
                "wire": v.wire,
                "type": v.ty.as_ref().map(|t| t.to_string()),
            })).collect::<Vec<_>>(),
        })
    });
    json!({
        "version": VERSION,
        "categories": categories,
        "types": enums.chain(structs).chain(unions).collect::<Vec<_>>(),
    })
}

fn action(spec: &Spec, c: &Category, a: &Action) -> Value {
    json!({
        "rust_name": a.rust_name,
        "wire_name": a.wire_name,
        "aliases": a.aliases,
        "category": c.name,
        "section": a.section,
        "summary": a.summary,
        "doc": a.doc,
        "example": a.example,
        "returns": a.returns.to_string(),
        "timeout_secs": a.timeout_secs,
        "failure_flag": a.failure_flag,
        "paced": a.paced,
        "packets": a.packets.as_ref().map(ToString::to_string),
        "params": a.params.iter().map(|p| json!({
            "rust_name": p.rust_name,
            "wire_name": p.wire_name,
            "keys": spec.param_keys(p),
            "aliases": p.aliases,
            "type": p.ty.to_string(),
            "required": p.presence == Presence::Required,
            "default": match &p.presence {
                Presence::Default(v) => v.to_json(spec),
                _ => Value::Null,
            },
            "doc": p.doc,
            "non_empty": p.non_empty,
            "napcat": { "differs": p.napcat.differs },
        })).collect::<Vec<_>>(),
        "napcat": {
            "reply": a.napcat.reply,
            "schema_checked": a.napcat.schema_checked,
            "stream_action": a.napcat.stream_action,
            "json_reason": a.napcat.json_reason,
            "example_differs": a.napcat.example_differs,
        },
    })
}
