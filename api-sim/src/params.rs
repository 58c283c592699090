//! Reading a request's params in handlers. Values go through the same conversion NapCat's
//! schema check applies (`api_spec::value::convert_param`: numbers from numeric text, text from
//! numbers, booleans from "true"/"false", `null` refused), so there is one set of rules.

use api_spec::value::{Mismatch, convert_param};
use api_spec::{Scalar, TypeRef};
use serde_json::{Map, Value};

/// A failed schema check; NapCat answers it with retcode 400 (HTTP) or 1400 (WebSocket) and
/// the message `Schema compilation error: <TypeBox's first message>`, which does not name the
/// key (`OneBotAction.check` in packages/napcat-onebot/action/OneBotAction.ts, v4.18.19).
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaError(pub String);

impl SchemaError {
    /// A required key that is missing, worded as NapCat words it.
    pub fn required() -> Self {
        SchemaError("Schema compilation error: Expected required property".into())
    }
}

impl From<Mismatch> for SchemaError {
    fn from(m: Mismatch) -> Self {
        SchemaError(format!("Schema compilation error: {}", m.schema))
    }
}

/// A request's params.
pub struct Params<'a>(pub &'a Map<String, Value>);

impl Params<'_> {
    fn get(&self, key: &str, ty: Scalar) -> Result<Option<Value>, SchemaError> {
        let Some(value) = self.0.get(key) else {
            return Ok(None);
        };
        let mut value = value.clone();
        convert_param(api_spec::builtin(), &TypeRef::Scalar(ty), &mut value, key)?;
        Ok(Some(value))
    }

    /// A `string` field (numbers converted); `None` when absent.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>, SchemaError> {
        Ok(self
            .get(key, Scalar::String)?
            .and_then(|v| v.as_str().map(str::to_owned)))
    }

    /// A required `string` field.
    pub fn str(&self, key: &str) -> Result<String, SchemaError> {
        self.opt_str(key)?.ok_or_else(SchemaError::required)
    }

    /// A `number|string` field as an integer.
    pub fn opt_int(&self, key: &str) -> Result<Option<i64>, SchemaError> {
        Ok(self.get(key, Scalar::I64)?.and_then(|v| v.as_i64()))
    }

    /// A required `number|string` field as an integer.
    pub fn int(&self, key: &str) -> Result<i64, SchemaError> {
        self.opt_int(key)?.ok_or_else(SchemaError::required)
    }

    /// A `boolean|string` field.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, SchemaError> {
        Ok(self.get(key, Scalar::Bool)?.and_then(|v| v.as_bool()))
    }
}
