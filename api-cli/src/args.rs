//! Checks `key=value` arguments against an action's parameters from the spec table.

use api_core::{ActionInfo, ParamInfo};
use serde_json::{Map, Value};

/// Levenshtein distance, for "did you mean" suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Up to three names closest to `name`.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .map(|c| {
            let d = distance(name, c);
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

/// Finds an action by Rust or wire name, or says which names are close.
pub fn find_action(name: &str) -> Result<&'static ActionInfo, String> {
    api_core::ACTIONS
        .iter()
        .find(|a| a.rust_name == name || a.wire_name == name)
        .ok_or_else(|| {
            let near = closest(name, api_core::ACTIONS.iter().map(|a| a.rust_name));
            format!(
                "unknown action `{name}`; did you mean {}? (`napcat actions` lists all)",
                near.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

fn parse_value(action: &str, p: &ParamInfo, text: &str) -> Result<Value, String> {
    let base = p.ty.trim_end_matches('?');
    let wrong = |what: &str| {
        format!(
            "{action}: parameter `{}` expects {what} (type `{}`), got `{text}`",
            p.rust_name, p.ty
        )
    };
    match base {
        "qq" | "i64" | "i32" | "u32" | "u64" => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| wrong("a whole number")),
        "f64" => text
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| wrong("a number")),
        "bool" => text
            .parse::<bool>()
            .map(Value::from)
            .map_err(|_| wrong("true or false")),
        "string" | "file" => Ok(Value::from(text)),
        "Sex" => text
            .parse::<api_core::types::Sex>()
            .map(|s| Value::from(s.wire()))
            .map_err(|_| wrong("未知/男/女, unknown/male/female or 0/1/2")),
        _ => Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::from(text))),
    }
}

/// Builds the wire params from `key=value` pairs and an optional JSON object.
pub fn build_params(
    action: &ActionInfo,
    pairs: &[String],
    json: Option<&str>,
) -> Result<Map<String, Value>, String> {
    let mut params = match json {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            _ => return Err(format!("--json must be a JSON object, got `{text}`")),
        },
        None => Map::new(),
    };
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("argument `{pair}` is not key=value"))?;
        let p = action
            .params
            .iter()
            .find(|p| p.rust_name == key || p.wire_name == key)
            .ok_or_else(|| {
                let near = closest(key, action.params.iter().map(|p| p.rust_name));
                if near.is_empty() {
                    format!("{}: takes no parameters, got `{key}`", action.rust_name)
                } else {
                    format!(
                        "{}: unknown parameter `{key}`; did you mean {}?",
                        action.rust_name,
                        near.iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            })?;
        params.insert(
            p.wire_name.to_owned(),
            parse_value(action.rust_name, p, value)?,
        );
    }
    for p in action.params {
        if params.contains_key(p.wire_name) {
            continue;
        }
        if p.required {
            return Err(format!(
                "{}: missing required parameter `{}` (type `{}`)",
                action.rust_name, p.rust_name, p.ty
            ));
        }
        if let Some(default) = p.default_json {
            params.insert(
                p.wire_name.to_owned(),
                serde_json::from_str(default).unwrap_or(Value::Null),
            );
        }
    }
    Ok(params)
}
