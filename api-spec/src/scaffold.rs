//! First spec entries for NapCat actions, from NapCat's own description of them
//! ([`crate::napcat::ACTIONS_JSON`] or a file of the same shape): the wire name, parameters with
//! their types, required-ness and defaults, NapCat's (Chinese) summary as the doc line, a
//! placeholder for the English `summary`, NapCat's return example as the reply (in the
//! action's `napcat` table), and first guesses a person then refines: a Rust name from the wire
//! name, a struct where NapCat declares a return shape, `json` where it declares `any` (or where
//! its example does not fit the guessed shape).
//!
//! The output is a complete spec file that [`crate::load`] accepts once each action's
//! `summary` placeholder is replaced by one line of English (NapCat describes its actions only
//! in Chinese, so that is left to a person); the tests scaffold every NapCat action and load
//! the result.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde_json::{Map, Value};

use crate::load::ids::{IdKind, id_kind};
use crate::load::summary::PLACEHOLDER;
use crate::names::{RESERVED_ACTION_NAMES, RESERVED_PARAM_NAMES, camel, snake};

/// Why scaffolding could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffoldError(pub String);

impl std::fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScaffoldError {}

/// A spec file with an entry for each of `wire_names` (all of NapCat's actions when empty),
/// read from `schema_json` (NapCat's action list).
pub fn scaffold(schema_json: &str, wire_names: &[String]) -> Result<String, ScaffoldError> {
    let list: Vec<Value> = serde_json::from_str(schema_json)
        .map_err(|e| ScaffoldError(format!("the schema is not NapCat's action list: {e}")))?;
    let mut chosen = Vec::new();
    for name in wire_names {
        let found = list
            .iter()
            .find(|a| a["action"].as_str() == Some(name))
            .ok_or_else(|| ScaffoldError(format!("NapCat has no action `{name}`")))?;
        chosen.push(found);
    }
    if wire_names.is_empty() {
        chosen = list.iter().collect();
    }
    let mut out = Scaffold::default();
    for a in chosen {
        out.action(a);
    }
    Ok(out.finish())
}

#[derive(Default)]
struct Scaffold {
    sections: BTreeSet<String>,
    rust_names: BTreeSet<String>,
    type_names: BTreeSet<String>,
    /// One block per action: its structs, then the action.
    blocks: Vec<String>,
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

impl Scaffold {
    fn unique_type(&mut self, base: &str) -> String {
        let mut name = base.to_owned();
        let mut n = 2;
        while !self.type_names.insert(name.clone()) {
            name = format!("{base}{n}");
            n += 1;
        }
        name
    }

    fn action(&mut self, a: &Value) {
        let wire = a["action"].as_str().unwrap_or_default().to_owned();
        let mut rust = snake(&wire);
        if RESERVED_ACTION_NAMES.contains(&rust.as_str()) {
            rust = format!("{rust}_action");
        }
        let mut unique = rust.clone();
        let mut n = 2;
        while !self.rust_names.insert(unique.clone()) {
            unique = format!("{rust}_{n}");
            n += 1;
        }
        let rust = unique;
        let section = a["category"].as_str().unwrap_or("other").to_owned();
        self.sections.insert(section.clone());
        let mut structs = String::new();
        let returns = self.return_type(&a["returns"], &camel(&rust), &mut structs);
        let example = &a["return_example"];
        let reply_fits = returns == "()" || reply_fits(&structs, &returns, example);
        let (returns, structs, json_reason) = if reply_fits {
            let why = (returns == "json" || returns == "[json]")
                .then_some("NapCat 声明为 `any`（初稿：有示例时按示例定义类型）");
            (returns, structs, why)
        } else {
            let why = "NapCat 的示例与它声明的形状不符（初稿：读 NapCat 的代码定下类型）";
            ("json".to_owned(), String::new(), Some(why))
        };
        let mut block = structs;
        let _ = writeln!(block, "[[action]]");
        let _ = writeln!(block, "name = {}", toml_str(&rust));
        // NapCat describes its actions only in Chinese: the English summary is left for a
        // person to write, and the loader refuses the placeholder until then.
        let _ = writeln!(
            block,
            "summary = {}",
            toml_str(&format!(
                "{PLACEHOLDER}: one line of English saying what `{wire}` does."
            ))
        );
        if rust != wire {
            let _ = writeln!(block, "wire = {}", toml_str(&wire));
        }
        let _ = writeln!(block, "section = {}", toml_str(&section));
        let summary = a["summary"].as_str().filter(|s| !s.trim().is_empty());
        let _ = writeln!(
            block,
            "doc = {}",
            toml_str(summary.unwrap_or(&format!("NapCat 动作 `{wire}`。")))
        );
        let params = self.params(a);
        let args: Vec<&str> = params
            .iter()
            .filter(|p| p.required)
            .map(|_| "Default::default()")
            .collect();
        let _ = writeln!(
            block,
            "example = {}",
            toml_str(&format!("api.{rust}({}).await?;", args.join(", ")))
        );
        let _ = writeln!(block, "returns = {}", toml_str(&returns));
        if !params.is_empty() {
            let _ = writeln!(block, "params = [");
            for p in &params {
                let _ = writeln!(block, "  {},", p.line);
            }
            let _ = writeln!(block, "]");
        }
        // What NapCat does, for the simulator and the conformance tests.
        let mut napcat = String::new();
        if returns != "()" {
            let reply = if example.is_null() && returns == "json" {
                "null".to_owned()
            } else {
                example.to_string()
            };
            let _ = writeln!(napcat, "reply = {}", toml_str(&reply));
        }
        if let Some(why) = json_reason {
            let _ = writeln!(napcat, "json_reason = {}", toml_str(why));
        }
        if a["schema_validated"] == Value::Bool(false) {
            let _ = writeln!(napcat, "schema_checked = false");
        }
        if !napcat.is_empty() {
            let _ = write!(block, "[action.napcat]\n{napcat}");
        }
        let _ = writeln!(block);
        self.blocks.push(block);
    }

    fn params(&self, a: &Value) -> Vec<ScaffoldParam> {
        let mut used = BTreeSet::new();
        let mut out = Vec::new();
        for p in a["params"].as_array().into_iter().flatten() {
            let wire = p["name"].as_str().unwrap_or_default().to_owned();
            let mut rust = snake(&wire);
            if RESERVED_PARAM_NAMES.contains(&rust.as_str()) {
                rust = format!("{rust}_param");
            }
            while !used.insert(rust.clone()) {
                rust.push('_');
            }
            let ty = typed_id(
                &wire,
                param_type(&wire, p["type"].as_str().unwrap_or("any")),
            );
            let required = p["required"].as_bool().unwrap_or(false);
            let default = default_for(&ty, &p["default"]);
            let mut fields = vec![format!("name = {}", toml_str(&rust))];
            if rust != wire {
                fields.push(format!("wire = {}", toml_str(&wire)));
            }
            let ty_text = match (required, &default) {
                (true, _) | (false, Some(_)) => ty.clone(),
                (false, None) => format!("{ty}?"),
            };
            fields.push(format!("type = {}", toml_str(&ty_text)));
            if let (false, Some(d)) = (required, &default) {
                fields.push(format!("default = {d}"));
            }
            let doc = p["description"]
                .as_str()
                .filter(|d| !d.trim().is_empty())
                .unwrap_or(&wire)
                .to_owned();
            fields.push(format!("doc = {}", toml_str(&doc)));
            out.push(ScaffoldParam {
                required,
                line: format!("{{ {} }}", fields.join(", ")),
            });
        }
        out
    }

    /// The spec type for a NapCat return shape, declaring structs for object shapes.
    fn return_type(&mut self, shape: &Value, name: &str, structs: &mut String) -> String {
        match shape {
            Value::Null => "()".into(),
            Value::String(s) => match s.as_str() {
                "null" | "void" | "undefined" => "()".into(),
                other => scalar(other).unwrap_or("json").into(),
            },
            Value::Array(items) => match items.first() {
                Some(item) => {
                    let inner = self.return_type(item, name, structs);
                    if inner == "()" {
                        "json".into()
                    } else {
                        format!("[{inner}]")
                    }
                }
                None => "json".into(),
            },
            Value::Object(fields) if !fields.is_empty() => {
                self.struct_for(fields, &format!("{name}Result"), structs)
            }
            _ => "json".into(),
        }
    }

    fn struct_for(
        &mut self,
        fields: &Map<String, Value>,
        base: &str,
        structs: &mut String,
    ) -> String {
        let name = self.unique_type(base);
        let mut lines = Vec::new();
        let mut used = BTreeSet::new();
        for (key, shape) in fields {
            let (wire, optional) = match key.strip_suffix('?') {
                Some(k) => (k, true),
                None => (key.as_str(), false),
            };
            let mut rust = snake(wire);
            if rust == "extra" {
                rust = "extra_field".into();
            }
            while !used.insert(rust.clone()) {
                rust.push('_');
            }
            let ty = match shape {
                Value::Object(inner) if !inner.is_empty() => {
                    self.struct_for(inner, &format!("{name}{}", camel(&rust)), structs)
                }
                Value::Array(items) => match items.first() {
                    Some(Value::Object(inner)) if !inner.is_empty() => format!(
                        "[{}]",
                        self.struct_for(inner, &format!("{name}{}", camel(&rust)), structs)
                    ),
                    Some(Value::String(s)) => format!("[{}]", scalar(s).unwrap_or("json")),
                    _ => "json".into(),
                },
                Value::String(s) => scalar(s).unwrap_or("json").into(),
                _ => "json".into(),
            };
            let ty = typed_id(wire, ty);
            // Fields may be missing at run time (NapCat's notes say where); `?` is the safe guess.
            let ty = if optional || ty != "json" {
                format!("{ty}?")
            } else {
                "json?".into()
            };
            let mut entry = vec![format!("name = {}", toml_str(&rust))];
            if rust != wire {
                entry.push(format!("wire = {}", toml_str(wire)));
            }
            entry.push(format!("type = {}", toml_str(&ty)));
            entry.push(format!("doc = {}", toml_str(wire)));
            lines.push(format!("  {{ {} }},", entry.join(", ")));
        }
        let _ = writeln!(structs, "[[struct]]");
        let _ = writeln!(structs, "name = {}", toml_str(&name));
        let _ = writeln!(
            structs,
            "doc = {}",
            toml_str(&format!("{name}（由 NapCat 的返回结构生成）。"))
        );
        let _ = writeln!(structs, "fields = [\n{}\n]\n", lines.join("\n"));
        name
    }

    fn finish(self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Scaffolded from NapCat's action list: check each guess (names, types, required-ness)\n# before keeping an entry. `api-spec check FILE` validates the file.\n"
        );
        let _ = writeln!(out, "category = \"napcat_scaffold\"");
        let _ = writeln!(out, "title = \"NapCat (scaffold)\"");
        let sections: Vec<String> = self.sections.iter().map(|s| toml_str(s)).collect();
        let _ = writeln!(out, "sections = [{}]\n", sections.join(", "));
        for b in self.blocks {
            out.push_str(&b);
        }
        out
    }
}

struct ScaffoldParam {
    required: bool,
    line: String,
}

fn scalar(t: &str) -> Option<&'static str> {
    match t {
        "string" => Some("string"),
        "number" => Some("i64"),
        "boolean" => Some("bool"),
        _ => None,
    }
}

/// The spec type for a NapCat parameter type: ids of users become `qq` and of groups `group`
/// (sent as numbers, which NapCat converts where it declares text), other `number|string` an
/// integer.
fn param_type(name: &str, t: &str) -> String {
    let qq_like = matches!(name, "user_id" | "target_id" | "friend_id" | "operator_id");
    let id_like = qq_like || name.ends_with("_uin") || name == "uin";
    match t {
        "string" | "number|string" | "string|number" if name == "group_id" => "group".into(),
        "string" if qq_like => "qq".into(),
        "string" => "string".into(),
        "number" => "i64".into(),
        "boolean" | "boolean|string" | "string|boolean" => "bool".into(),
        "number|string" | "string|number" if id_like => "qq".into(),
        "number|string" | "string|number" => "i64".into(),
        "string[]" => "[string]".into(),
        "Array<number|string>" => "[string]".into(),
        t if t.split('|').all(|m| m.starts_with('"')) => "string".into(),
        _ => "json".into(),
    }
}

/// The id type for a value whose name says it is an id (the loader's rule): a QQ number
/// `qq`, a group `group`, a message id `msg` when NapCat sends a number, `long_msg` for QQ's
/// `msgId` and `any_msg` for other text (NapCat mostly takes a short or a long id there).
fn typed_id(name: &str, ty: String) -> String {
    if let Some(item) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return format!("[{}]", typed_id(name, item.to_owned()));
    }
    let typed = match (id_kind(name), ty.as_str()) {
        (Some(IdKind::User), "string" | "i64") => "qq",
        (Some(IdKind::Group), "string" | "i64") => "group",
        (Some(IdKind::Message), "i64") => "msg",
        (Some(IdKind::Message), "string") if snake(name).ends_with("msg_id") => "long_msg",
        (Some(IdKind::Message), "string") => "any_msg",
        _ => return ty,
    };
    typed.into()
}

/// A TOML default for `ty`, when NapCat's default fits it.
fn default_for(ty: &str, d: &Value) -> Option<String> {
    match (ty, d) {
        ("bool", Value::Bool(b)) => Some(b.to_string()),
        ("bool", Value::String(s)) if s == "true" || s == "false" => Some(s.clone()),
        ("i64" | "qq" | "group", Value::Number(n)) if n.is_i64() => Some(n.to_string()),
        ("string", Value::String(s)) => Some(toml_str(s)),
        _ => None,
    }
}

/// Whether NapCat's return example decodes as the guessed type, with the guessed structs.
fn reply_fits(structs: &str, returns: &str, example: &Value) -> bool {
    if example.is_null() {
        return returns == "json";
    }
    let probe = format!(
        "category = \"probe\"\ntitle = \"probe\"\nsections = [\"s\"]\n\n{structs}[[action]]\nname = \"probe\"\nsummary = \"Probes.\"\nsection = \"s\"\ndoc = \"d\"\nexample = \"api.probe().await?;\"\nreturns = {}\n[action.napcat]\nreply = {}\n",
        toml_str(returns),
        toml_str(&example.to_string())
    );
    crate::load(&[("probe.toml".into(), probe)]).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each scaffolded summary is a placeholder the loader refuses: one error per action, at
    /// its `summary` line.
    #[test]
    fn every_summary_is_left_to_write() {
        let text = scaffold(crate::napcat::ACTIONS_JSON, &[]).unwrap();
        let errors = crate::load(&[("scaffold.toml".into(), text.clone())]).unwrap_err();
        let list: Vec<Value> = serde_json::from_str(crate::napcat::ACTIONS_JSON).unwrap();
        assert_eq!(errors.0.len(), list.len(), "{errors}");
        let lines: Vec<&str> = text.lines().collect();
        for e in &errors.0 {
            assert!(
                e.message.starts_with("`summary` is still a placeholder"),
                "{e}"
            );
            assert!(lines[e.line - 1].starts_with("summary = \"TODO: "), "{e}");
        }
    }

    /// The scaffold with each summary written.
    fn with_summaries_written(text: &str) -> String {
        text.lines()
            .map(|l| match l.starts_with("summary = ") {
                true => "summary = \"Does what NapCat does.\"",
                false => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn every_napcat_action_scaffolds_into_a_spec_that_loads() {
        let text = with_summaries_written(&scaffold(crate::napcat::ACTIONS_JSON, &[]).unwrap());
        let spec = crate::load(&[("scaffold.toml".into(), text.clone())])
            .unwrap_or_else(|e| panic!("{e}\n\n{text}"));
        let list: Vec<Value> = serde_json::from_str(crate::napcat::ACTIONS_JSON).unwrap();
        assert_eq!(spec.actions().count(), list.len());
        for a in &list {
            let wire = a["action"].as_str().unwrap();
            assert!(spec.find_wire(wire).is_some(), "{wire}");
        }
    }

    #[test]
    fn one_action_gets_its_types_and_reply() {
        let text = scaffold(crate::napcat::ACTIONS_JSON, &["get_login_info".into()]).unwrap();
        assert!(text.contains("name = \"get_login_info\""), "{text}");
        assert!(text.contains("returns = \"GetLoginInfoResult\""), "{text}");
        assert!(text.contains("reply = "), "{text}");
        let err = scaffold(crate::napcat::ACTIONS_JSON, &["no_such".into()]).unwrap_err();
        assert_eq!(err.0, "NapCat has no action `no_such`");
    }
}
