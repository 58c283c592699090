//! NapCat's payload check: TypeBox's `Value.Parse` (Clone, Clean, Default, Convert, Assert)
//! over each action's payload schema, as NapCat's `OneBotAction.check` runs it
//! (packages/napcat-onebot/action/OneBotAction.ts, v4.18.19). The schemas are NapCat's own, as
//! listed in `api-spec/napcat/actions.json`; the conversions and messages are TypeBox 0.34's
//! (`value/convert/convert.ts`, `errors/errors.ts`).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// A TypeBox type, as NapCat declares a parameter's type (`string`, `number|string`,
/// `"private"|"group"`, `string[]`, `{text: string}[]` ...).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    /// Anything (`any`, and named message types this model does not check).
    Any,
    String,
    Number,
    Boolean,
    Null,
    /// One exact text.
    Literal(String),
    /// The first member that the value converts to.
    Union(Vec<Ty>),
    Array(Box<Ty>),
    Object(Vec<Prop>),
}

/// A property of an object type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prop {
    pub name: String,
    /// Required by the schema (neither optional nor defaulted).
    pub required: bool,
    /// Filled in when the key is missing.
    pub default: Option<Value>,
    pub ty: Ty,
}

/// How NapCat checks one action's payload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Check {
    /// Not at all: the action has no payload schema, or overrides the check (`send_*`).
    None,
    /// Against this object schema.
    Schema(Vec<Prop>),
}

/// The payload check of every NapCat action, by wire name.
pub(crate) fn check_for(action: &str) -> Option<&'static Check> {
    static CHECKS: OnceLock<HashMap<String, Check>> = OnceLock::new();
    CHECKS
        .get_or_init(|| {
            let list: Vec<Value> =
                serde_json::from_str(api_spec::napcat::ACTIONS_JSON).unwrap_or_default();
            list.iter().filter_map(action_check).collect()
        })
        .get(action)
}

fn action_check(a: &Value) -> Option<(String, Check)> {
    let name = a["action"].as_str()?.to_owned();
    let unchecked = a["schema_validated"] == Value::Bool(false)
        || a["payload_schema"]
            .as_str()
            .is_some_and(|s| s.starts_with("none"));
    if unchecked {
        return Some((name, Check::None));
    }
    let props = a["params"]
        .as_array()?
        .iter()
        .map(|p| Prop {
            name: p["name"].as_str().unwrap_or_default().to_owned(),
            required: p["required"].as_bool().unwrap_or(false),
            default: Some(p["default"].clone()).filter(|d| !d.is_null()),
            ty: parse_type(p["type"].as_str().unwrap_or("any")),
        })
        .collect();
    Some((name, Check::Schema(props)))
}

/// Parses a type as NapCat's schema list writes it.
pub(crate) fn parse_type(text: &str) -> Ty {
    let t = text.trim();
    let members = split_top(t, '|');
    if members.len() > 1 {
        return Ty::Union(members.iter().map(|m| parse_type(m)).collect());
    }
    if let Some(inner) = t.strip_suffix("[]") {
        return Ty::Array(Box::new(parse_type(inner)));
    }
    if let Some(inner) = t.strip_prefix("Array<").and_then(|r| r.strip_suffix('>')) {
        return Ty::Array(Box::new(parse_type(inner)));
    }
    if let Some(body) = t.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        let props = split_top(body, ',')
            .into_iter()
            .filter(|f| !f.trim().is_empty())
            .filter_map(|field| {
                let (key, ty) = field.split_once(':')?;
                let key = key.trim();
                let (name, optional) = match key.strip_suffix('?') {
                    Some(k) => (k, true),
                    None => (key, false),
                };
                Some(Prop {
                    name: name.to_owned(),
                    required: !optional,
                    default: None,
                    ty: parse_type(ty),
                })
            })
            .collect();
        return Ty::Object(props);
    }
    if let Some(lit) = t.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return Ty::Literal(lit.to_owned());
    }
    match t {
        "string" => Ty::String,
        "number" => Ty::Number,
        "boolean" => Ty::Boolean,
        "null" => Ty::Null,
        _ => Ty::Any,
    }
}

/// Splits on `sep` outside brackets, braces and angle brackets.
fn split_top(text: &str, sep: char) -> Vec<&str> {
    let mut depth = 0i32;
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' | '[' | '<' | '(' => depth += 1,
            '}' | ']' | '>' | ')' => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `Value.Parse` of `payload` against an object schema: extra keys are dropped from the
/// checked copy, defaults filled in, values converted, then the first error (TypeBox's wording)
/// is returned. On success, the converted values are merged into the payload as NapCat's
/// `Object.assign(payload, parsed)` does (extra keys stay in the payload).
pub(crate) fn parse(props: &[Prop], payload: &Value) -> Result<Value, String> {
    let Value::Object(given) = payload else {
        return Err(first_error(&Ty::Object(props.to_vec()), payload).unwrap_or_default());
    };
    let mut parsed = Map::new();
    for p in props {
        match given.get(&p.name) {
            Some(v) => {
                parsed.insert(p.name.clone(), v.clone());
            }
            None => {
                if let Some(d) = &p.default {
                    parsed.insert(p.name.clone(), d.clone());
                }
            }
        }
    }
    let ty = Ty::Object(props.to_vec());
    let parsed = convert(&ty, Value::Object(parsed));
    if let Some(message) = first_error(&ty, &parsed) {
        return Err(message);
    }
    let mut merged = given.clone();
    if let Value::Object(parsed) = parsed {
        merged.extend(parsed);
    }
    Ok(Value::Object(merged))
}

fn is_string_numeric(s: &str) -> Option<f64> {
    // JavaScript's `!isNaN(s) && !isNaN(parseFloat(s))` for the texts JSON can carry.
    let t = s.trim();
    let plain = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if plain { t.parse().ok() } else { None }
}

fn is_true(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() == Some(1.0),
        Value::String(s) => s.to_lowercase() == "true" || s == "1",
        _ => false,
    }
}

fn is_false(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !*b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.to_lowercase() == "false" || s == "0" || s == "-0",
        _ => false,
    }
}

fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn to_string(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// TypeBox's `Convert`.
fn convert(ty: &Ty, v: Value) -> Value {
    match ty {
        Ty::Any => v,
        Ty::String => to_string(&v).map_or(v, Value::String),
        Ty::Number => match &v {
            Value::String(s) => match is_string_numeric(s) {
                Some(f) => number(f),
                None if is_true(&v) => Value::from(1),
                None if is_false(&v) => Value::from(0),
                None => v,
            },
            _ if v.is_number() => v,
            _ if is_true(&v) => Value::from(1),
            _ if is_false(&v) => Value::from(0),
            _ => v,
        },
        Ty::Boolean => {
            if is_true(&v) {
                Value::Bool(true)
            } else if is_false(&v) {
                Value::Bool(false)
            } else {
                v
            }
        }
        Ty::Null => match &v {
            Value::String(s) if s.to_lowercase() == "null" => Value::Null,
            _ => v,
        },
        Ty::Literal(lit) => {
            let text = match &v {
                Value::String(s) => Some(s.clone()),
                other => to_string(other),
            };
            if text.as_deref() == Some(lit.as_str()) {
                Value::String(lit.clone())
            } else {
                v
            }
        }
        Ty::Union(members) => members
            .iter()
            .map(|m| convert(m, v.clone()))
            .zip(members)
            .find(|(c, m)| first_error(m, c).is_none())
            .map_or(v, |(c, _)| c),
        Ty::Array(item) => {
            let items = match v {
                Value::Array(items) => items,
                other => vec![other],
            };
            Value::Array(items.into_iter().map(|x| convert(item, x)).collect())
        }
        // A nested object keeps only its listed keys: TypeBox's `Clean` drops the rest, and
        // `Object.assign(payload, parsed)` replaces the nested object with the cleaned one (so
        // `.handle_quick_operation`'s context loses `request_type` and `flag`).
        Ty::Object(props) => match v {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .filter_map(|(key, x)| {
                        let p = props.iter().find(|p| p.name == key)?;
                        Some((key, convert(&p.ty, x)))
                    })
                    .collect(),
            ),
            other => other,
        },
    }
}

/// The first of TypeBox's errors for `v`, in its wording; `None` when `v` checks.
fn first_error(ty: &Ty, v: &Value) -> Option<String> {
    let fail = |m: &str| Some(m.to_owned());
    match ty {
        Ty::Any => None,
        Ty::String => (!v.is_string()).then(|| "Expected string".to_owned()),
        Ty::Number => (!v.is_number()).then(|| "Expected number".to_owned()),
        Ty::Boolean => (!v.is_boolean()).then(|| "Expected boolean".to_owned()),
        Ty::Null => (!v.is_null()).then(|| "Expected null".to_owned()),
        Ty::Literal(lit) => (v.as_str() != Some(lit)).then(|| format!("Expected '{lit}'")),
        Ty::Union(members) => {
            if members.iter().any(|m| first_error(m, v).is_none()) {
                None
            } else {
                fail("Expected union value")
            }
        }
        Ty::Array(item) => match v {
            Value::Array(items) => items.iter().find_map(|x| first_error(item, x)),
            _ => fail("Expected array"),
        },
        Ty::Object(props) => {
            let Value::Object(map) = v else {
                return fail("Expected object");
            };
            if props
                .iter()
                .any(|p| p.required && !map.contains_key(&p.name))
            {
                return fail("Expected required property");
            }
            props
                .iter()
                .filter_map(|p| map.get(&p.name).map(|x| (p, x)))
                .find_map(|(p, x)| first_error(&p.ty, x))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(list: &[(&str, &str, bool)]) -> Vec<Prop> {
        list.iter()
            .map(|(n, t, r)| Prop {
                name: (*n).into(),
                required: *r,
                default: None,
                ty: parse_type(t),
            })
            .collect()
    }

    #[test]
    fn a_nested_object_keeps_only_its_listed_keys_in_their_order() {
        let p = props(&[("context", "{post_type: string, user_id: string}", true)]);
        let out = parse(
            &p,
            &json!({"context": {"user_id": 7, "request_type": "friend", "post_type": "request", "flag": "f"}, "extra": 1}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"context":{"user_id":"7","post_type":"request"},"extra":1}"#
        );
    }

    #[test]
    fn converts_as_typebox_does() {
        let p = props(&[
            ("id", "string", true),
            ("n", "number|string", false),
            ("b", "boolean|string", false),
            ("k", "\"private\"|\"group\"", false),
            ("list", "string[]", false),
        ]);
        let out = parse(
            &p,
            &json!({"id": 12, "n": "34", "b": "yes", "list": "x", "extra": 1}),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"id": "12", "n": 34, "b": "yes", "list": ["x"], "extra": 1})
        );
        assert_eq!(
            parse(&p, &json!({"id": "1", "b": 1})).unwrap()["b"],
            json!(true)
        );
        assert_eq!(
            parse(&p, &json!({"id": "1", "n": "abc"})).unwrap()["n"],
            json!("abc")
        );
    }

    #[test]
    fn words_errors_as_typebox_does() {
        let p = props(&[
            ("id", "string", true),
            ("n", "number|string", false),
            ("k", "\"private\"|\"group\"", false),
        ]);
        let err = |v: Value| parse(&p, &v).unwrap_err();
        assert_eq!(err(json!({})), "Expected required property");
        assert_eq!(err(json!({"id": null})), "Expected string");
        assert_eq!(err(json!({"id": "1", "n": null})), "Expected union value");
        assert_eq!(
            err(json!({"id": "1", "k": "guild"})),
            "Expected union value"
        );
        assert_eq!(err(json!([1])), "Expected object");
        assert_eq!(parse_type("boolean"), Ty::Boolean);
        assert_eq!(
            parse_type("{text: string}[]"),
            Ty::Array(Box::new(Ty::Object(props(&[("text", "string", true)]))))
        );
    }
}
