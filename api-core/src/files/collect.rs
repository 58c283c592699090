//! Finding the files inside a request, wherever the spec puts them (a parameter, a list, a
//! segment inside a message), so they can be read before sending.

use serde::Serialize;

use crate::files::uploadable::Uploadable;
use crate::wire::ids::{ForwardId, LongMessageId};

/// A value that may hold [`Uploadable`] files; generated for every spec type that can.
pub trait CollectFiles {
    /// Pushes each file with its place (`file`, `message[2].data.file`) onto `out`.
    fn collect_files<'a>(&'a mut self, path: &str, out: &mut Vec<(String, &'a mut Uploadable)>);
}

impl CollectFiles for Uploadable {
    fn collect_files<'a>(&'a mut self, path: &str, out: &mut Vec<(String, &'a mut Uploadable)>) {
        out.push((path.to_owned(), self));
    }
}

impl<T: CollectFiles> CollectFiles for Option<T> {
    fn collect_files<'a>(&'a mut self, path: &str, out: &mut Vec<(String, &'a mut Uploadable)>) {
        if let Some(v) = self {
            v.collect_files(path, out);
        }
    }
}

impl<T: CollectFiles> CollectFiles for Vec<T> {
    fn collect_files<'a>(&'a mut self, path: &str, out: &mut Vec<(String, &'a mut Uploadable)>) {
        for (i, v) in self.iter_mut().enumerate() {
            v.collect_files(&format!("{path}[{i}]"), out);
        }
    }
}

/// What `non_empty` parameters are checked with before sending.
pub trait Blank {
    /// Whether the value counts as empty: blank text, a list or a message with nothing in it.
    fn is_blank(&self) -> bool;
}

impl Blank for String {
    fn is_blank(&self) -> bool {
        self.trim().is_empty()
    }
}

impl Blank for LongMessageId {
    fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl Blank for ForwardId {
    fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl<T> Blank for Vec<T> {
    fn is_blank(&self) -> bool {
        self.is_empty()
    }
}

/// Serializes `value` (an object) with `tag: wire` added, for union variants whose fields
/// sit beside their tag.
pub fn serialize_with_tag<T: Serialize, S: serde::Serializer>(
    value: &T,
    tag: &str,
    wire: &str,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut v = serde_json::to_value(value).map_err(serde::ser::Error::custom)?;
    if let serde_json::Value::Object(map) = &mut v {
        map.insert(tag.to_owned(), serde_json::Value::from(wire));
    }
    v.serialize(s)
}
