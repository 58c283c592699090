//! Parameter checks in the manner of NapCat's TypeBox schemas: required keys, numbers given
//! as text and text given as numbers converted, booleans from "true"/"false".

use serde_json::{Map, Value};

/// A failed schema check; NapCat answers it with retcode 400 (HTTP) or 1400 (WebSocket).
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaError(pub String);

impl SchemaError {
    fn required(key: &str) -> Self {
        SchemaError(format!(
            "Schema compilation error: Expected required property `{key}`"
        ))
    }
    fn wrong(key: &str, expected: &str, got: &Value) -> Self {
        SchemaError(format!(
            "Schema compilation error: Expected {expected} for `{key}`, got {got}"
        ))
    }
}

/// A request's params.
pub struct Params<'a>(pub &'a Map<String, Value>);

impl Params<'_> {
    /// A `string` field (numbers converted); `None` when absent or null.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>, SchemaError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(other) => Err(SchemaError::wrong(key, "string", other)),
        }
    }

    /// A required `string` field.
    pub fn str(&self, key: &str) -> Result<String, SchemaError> {
        self.opt_str(key)?.ok_or_else(|| SchemaError::required(key))
    }

    /// A `number|string` field as an integer.
    pub fn opt_int(&self, key: &str) -> Result<Option<i64>, SchemaError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| SchemaError::wrong(key, "integer", v)),
            Some(v @ Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| SchemaError::wrong(key, "number", v)),
            Some(other) => Err(SchemaError::wrong(key, "number", other)),
        }
    }

    /// A required `number|string` field as an integer.
    pub fn int(&self, key: &str) -> Result<i64, SchemaError> {
        self.opt_int(key)?.ok_or_else(|| SchemaError::required(key))
    }

    /// A `boolean|string` field.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, SchemaError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(other) => Err(SchemaError::wrong(key, "boolean", other)),
        }
    }
}
