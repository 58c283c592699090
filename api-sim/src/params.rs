//! Reading a request's params in handlers, after NapCat's schema check. NapCat's handlers then
//! read values their own way (`+payload.times`, `payload.user_id.toString()`); here values go
//! through the spec's conversion (`api_spec::value::convert_param`: numbers from numeric text,
//! text from numbers, booleans from "true"/"false"), and a value a handler cannot use is a
//! handler failure (retcode 200 on HTTP, 1200 on WebSocket), as a throw in NapCat's handler is.

use api_spec::value::convert_param;
use api_spec::{Scalar, TypeRef};
use serde_json::{Map, Value};

use crate::state::Failure;

/// A request's params, as the handler sees them.
pub struct Params<'a>(pub &'a Map<String, Value>);

impl Params<'_> {
    fn get(&self, key: &str, ty: Scalar) -> Result<Option<Value>, Failure> {
        let Some(value) = self.0.get(key) else {
            return Ok(None);
        };
        let mut converted = value.clone();
        convert_param(
            api_spec::builtin(),
            &TypeRef::Scalar(ty),
            &mut converted,
            key,
        )
        .map_err(|_| Failure::Handler(format!("参数 {key} 的值 {value} 不是{}", ty.spec_name())))?;
        Ok(Some(converted))
    }

    /// A text field (numbers converted); `None` when absent.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>, Failure> {
        Ok(self
            .get(key, Scalar::String)?
            .and_then(|v| v.as_str().map(str::to_owned)))
    }

    /// The first of two keys that is set and not empty, as NapCat's `payload.file ||=
    /// payload.file_id || ''` reads them; `""` when neither is.
    pub fn str_or(&self, key: &str, other: &str) -> Result<String, Failure> {
        match self.opt_str(key)?.filter(|v| !v.is_empty()) {
            Some(v) => Ok(v),
            None => Ok(self.opt_str(other)?.unwrap_or_default()),
        }
    }

    /// The first of two keys that is present, as NapCat's `payload.folder ??
    /// payload.folder_id` reads them.
    pub fn opt_str_or(&self, key: &str, other: &str) -> Result<Option<String>, Failure> {
        match self.opt_str(key)? {
            Some(v) => Ok(Some(v)),
            None => self.opt_str(other),
        }
    }

    /// A text field the handler needs.
    pub fn str(&self, key: &str) -> Result<String, Failure> {
        self.opt_str(key)?
            .ok_or_else(|| Failure::Handler(format!("缺少参数 {key}")))
    }

    /// An integer field (numeric text converted); `None` when absent.
    pub fn opt_int(&self, key: &str) -> Result<Option<i64>, Failure> {
        Ok(self.get(key, Scalar::I64)?.and_then(|v| v.as_i64()))
    }

    /// An integer field the handler needs.
    pub fn int(&self, key: &str) -> Result<i64, Failure> {
        self.opt_int(key)?
            .ok_or_else(|| Failure::Handler(format!("缺少参数 {key}")))
    }

    /// A boolean field (`"true"`/`"false"` converted); `None` when absent.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, Failure> {
        Ok(self.get(key, Scalar::Bool)?.and_then(|v| v.as_bool()))
    }

    /// A list of integers (numeric text converted); `None` when absent.
    pub fn opt_int_list(&self, key: &str) -> Result<Option<Vec<i64>>, Failure> {
        let Some(value) = self.0.get(key) else {
            return Ok(None);
        };
        let mut converted = value.clone();
        let ty = TypeRef::List(Box::new(TypeRef::Scalar(Scalar::I64)));
        convert_param(api_spec::builtin(), &ty, &mut converted, key)
            .map_err(|_| Failure::Handler(format!("参数 {key} 的值 {value} 不是整数列表")))?;
        Ok(converted
            .as_array()
            .map(|items| items.iter().filter_map(Value::as_i64).collect()))
    }

    /// The raw value of a field, as sent.
    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }
}
