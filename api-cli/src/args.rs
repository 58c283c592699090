//! Reads `key=value` arguments into an action's wire params, by the action's types in the
//! spec: scalars from text (with NapCat's conversions), enums by name, label, alias or wire
//! value, structs, unions and lists as JSON, files as a URL, `base64://…` or a local path.

use api_spec::value::convert_param;
use api_spec::{Action, Presence, Scalar, Spec, TypeRef};
use serde_json::{Map, Value};

/// Up to three names closest to `name`.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .map(|c| {
            let d = api_spec::names::edit_distance(name, c);
            let d = if c.contains(name) || name.contains(c) {
                d.min(2)
            } else {
                d
            };
            (d, c)
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Finds an action by Rust name, wire name or alias, or says which names are close.
pub fn find_action<'a>(spec: &'a Spec, name: &str) -> Result<&'a Action, String> {
    spec.find_action_any(name).ok_or_else(|| {
        let near = closest(name, spec.actions().map(|(_, a)| a.rust_name.as_str()));
        format!(
            "unknown action `{name}`; did you mean {}? (`napcat actions` lists all)",
            quoted(&near)
        )
    })
}

/// How a type is written on the command line, for messages.
fn expects(spec: &Spec, ty: &TypeRef) -> String {
    match ty {
        TypeRef::Scalar(Scalar::Duration) => "a whole number of seconds".into(),
        TypeRef::Scalar(s) if s.is_integer() => "a whole number".into(),
        TypeRef::Scalar(Scalar::F64) => "a number".into(),
        TypeRef::Scalar(Scalar::Bool | Scalar::Flag) => "true or false".into(),
        TypeRef::Scalar(Scalar::File) => "a URL, base64://… or a local path".into(),
        TypeRef::Scalar(Scalar::Base64) => "base64 text".into(),
        TypeRef::Scalar(Scalar::Header) => "a header as Name=Value".into(),
        TypeRef::Scalar(Scalar::LongMsg | Scalar::AnyMsg | Scalar::Forward) => {
            "a message id (text)".into()
        }
        TypeRef::Scalar(Scalar::Message) => {
            "a message: text with CQ codes, or segments as JSON".into()
        }
        TypeRef::Named(n) => match spec.find_enum(n) {
            Some(e) => format!(
                "one of {}",
                e.variants
                    .iter()
                    .map(|v| format!("{}/{}/{}", v.name, v.label, v.wire))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!("a `{n}` as JSON"),
        },
        _ => "JSON".into(),
    }
}

/// A file argument as the wire takes it: a local path (what a person at this machine means
/// by bare text) is read and sent as `base64://`; URLs, `base64://`, `data:` and `file://`
/// go as given.
fn local_file(text: &str) -> Result<String, String> {
    match api_core::Uploadable::from(text) {
        api_core::Uploadable::Path(path) => std::fs::read(&path)
            .map(|bytes| {
                api_core::Uploadable::bytes(bytes)
                    .wire_text()
                    .unwrap_or_default()
            })
            .map_err(|e| format!("cannot read file {}: {e}", path.display())),
        _ => Ok(text.to_owned()),
    }
}

/// Parses one argument's text as `ty`.
fn parse_value(spec: &Spec, ty: &TypeRef, key: &str, text: &str) -> Result<Value, String> {
    let mut value = match ty {
        TypeRef::Scalar(Scalar::File) => Value::from(local_file(text)?),
        TypeRef::Scalar(
            Scalar::String
            | Scalar::Base64
            | Scalar::Header
            | Scalar::LongMsg
            | Scalar::AnyMsg
            | Scalar::Forward,
        ) => Value::from(text),
        TypeRef::Scalar(Scalar::Message) => match serde_json::from_str(text) {
            Ok(v @ (Value::Array(_) | Value::Object(_))) => v,
            _ => Value::from(text),
        },
        TypeRef::Scalar(s)
            if s.is_integer() || matches!(s, Scalar::F64 | Scalar::Bool | Scalar::Flag) =>
        {
            Value::from(text)
        }
        TypeRef::Named(n) if spec.find_enum(n).is_some() => {
            let e = spec.find_enum(n).expect("checked above");
            e.variants
                .iter()
                .find(|v| {
                    [v.name.as_str(), v.label.as_str(), &v.wire.to_string()]
                        .into_iter()
                        .chain(v.aliases.iter().map(String::as_str))
                        .any(|t| t.eq_ignore_ascii_case(text.trim()))
                })
                .map(|v| v.wire.to_json())
                .unwrap_or_else(|| Value::from(text))
        }
        _ => serde_json::from_str(text).unwrap_or_else(|_| Value::from(text)),
    };
    convert_param(spec, ty, &mut value, key)
        .map(|()| value)
        .map_err(|_| format!("expects {}", expects(spec, ty)))
}

/// The object `--json` gives, empty without it.
pub fn json_object(json: Option<&str>) -> Result<Map<String, Value>, String> {
    match json {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(format!("--json must be a JSON object, got `{text}`")),
        },
        None => Ok(Map::new()),
    }
}

/// Builds the wire params from `key=value` pairs and an optional JSON object: keys are Rust
/// names, wire names or the keys NapCat also accepts (an either-or parameter takes one of its
/// keys, e.g. `group_id=1`); defaults are filled in; a missing required parameter is named.
pub fn build_params(
    spec: &Spec,
    action: &Action,
    pairs: &[String],
    json: Option<&str>,
) -> Result<Map<String, Value>, String> {
    let mut params = json_object(json)?;
    let name = &action.rust_name;
    for pair in pairs {
        let (key, text) = pair
            .split_once('=')
            .ok_or_else(|| format!("argument `{pair}` is not key=value"))?;
        let found = action.params.iter().find_map(|p| {
            let keys = spec.param_key_types(p);
            let by_name = (p.rust_name == key || p.aliases.iter().any(|a| a == key))
                .then(|| keys.first().cloned())
                .flatten();
            by_name
                .or_else(|| keys.into_iter().find(|(k, _)| k == key))
                .map(|(k, ty)| (p, k, ty))
        });
        let Some((p, wire_key, ty)) = found else {
            let mut known: Vec<&str> = Vec::new();
            for p in &action.params {
                known.push(&p.rust_name);
                if let Some(u) = spec.keyed_union(&p.ty) {
                    known.extend(u.variants.iter().filter_map(|v| v.wire.as_deref()));
                }
            }
            let near = closest(key, known.into_iter());
            return Err(if near.is_empty() {
                format!("{name}: takes no parameters, got `{key}`")
            } else {
                format!(
                    "{name}: unknown parameter `{key}`; did you mean {}?",
                    quoted(&near)
                )
            });
        };
        let value = parse_value(spec, &ty, &wire_key, text).map_err(|why| {
            format!(
                "{name}: parameter `{}` {why} (type `{}`), got `{text}`",
                p.rust_name, ty
            )
        })?;
        params.insert(wire_key, value);
    }
    for p in &action.params {
        let keys = spec.param_key_types(p);
        if keys.iter().any(|(k, _)| params.contains_key(k))
            || p.aliases.iter().any(|a| params.contains_key(a))
        {
            continue;
        }
        match &p.presence {
            Presence::Required if keys.len() > 1 => {
                return Err(format!(
                    "{name}: missing required parameter `{}`: give one of {}",
                    p.rust_name,
                    quoted(&keys.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
                ));
            }
            Presence::Required => {
                return Err(format!(
                    "{name}: missing required parameter `{}` (type `{}`)",
                    p.rust_name, p.ty
                ));
            }
            // Left out, so that NapCat applies its own default.
            Presence::Default(_) | Presence::Optional => {}
        }
    }
    Ok(params)
}
