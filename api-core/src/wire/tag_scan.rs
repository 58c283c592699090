//! Finds a tag (a top-level string entry such as `post_type`) in JSON text without parsing
//! the rest, so a tagged union can decode its variant straight from the bytes.
//!
//! The scan trusts its input to be JSON: on text that is not, it may find anything, and the
//! decode that follows (a full `serde_json` parse) reports the error. It never panics.

use std::borrow::Cow;

/// What [`find_tag`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagScan<'a> {
    /// The object has the key with this text value.
    Found(Cow<'a, str>),
    /// The object has no such key, or its value is not text.
    Absent,
    /// The text is not a JSON object.
    NotAnObject,
}

/// JSON text as a tagged union's fast decoder takes it: text already known to be UTF-8 is
/// parsed without checking that again.
#[derive(Debug, Clone, Copy)]
pub enum JsonText<'a> {
    /// Text.
    Str(&'a str),
    /// Bytes, checked for UTF-8 as they are parsed.
    Bytes(&'a [u8]),
}

impl<'a> JsonText<'a> {
    /// Bytes, checked for UTF-8 once as a whole (faster than string by string as they are
    /// parsed) and parsed as text when they are.
    pub fn from_bytes(bytes: &'a [u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => JsonText::Str(text),
            Err(_) => JsonText::Bytes(bytes),
        }
    }

    /// The bytes of the text.
    pub fn bytes(&self) -> &[u8] {
        match self {
            JsonText::Str(s) => s.as_bytes(),
            JsonText::Bytes(b) => b,
        }
    }

    /// Decodes the whole text as `T`.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match self {
            JsonText::Str(s) => serde_json::from_str(s),
            JsonText::Bytes(b) => serde_json::from_slice(b),
        }
    }
}

/// Finds the text value of `key` among the top-level entries of the JSON object `json`.
///
/// NapCat writes an event's `post_type` last, so the entries are read from the end first; when
/// that meets a nested value the scan starts again from the front.
pub fn find_tag<'a>(json: &'a [u8], key: &str) -> TagScan<'a> {
    let Some((start, end)) = object_bounds(json) else {
        return TagScan::NotAnObject;
    };
    match from_back(json, start, end, key) {
        Some(found) => found,
        None => from_front(json, start + 1, key),
    }
}

/// [`find_tag`] reading only from the end, and only as far as entries with plain values go:
/// `None` when that does not tell. Costs a few dozen bytes on an event as NapCat writes it,
/// and never walks a large reply.
pub fn find_tag_at_end<'a>(json: &'a [u8], key: &str) -> Option<TagScan<'a>> {
    match object_bounds(json) {
        Some((start, end)) => from_back(json, start, end, key),
        None => Some(TagScan::NotAnObject),
    }
}

/// The value of `key` when it is a whole number among the last plain entries of the JSON
/// object `json` (a reply's `echo`, which NapCat writes next to last); `None` when reading
/// from the end does not find one.
pub fn find_uint_at_end(json: &[u8], key: &str) -> Option<u64> {
    let (start, end) = object_bounds(json)?;
    match value_back(json, start, end, key)? {
        Some((value, false)) => std::str::from_utf8(value).ok()?.parse().ok(),
        _ => None,
    }
}

/// The indices of the outer braces of what looks like a JSON object.
fn object_bounds(json: &[u8]) -> Option<(usize, usize)> {
    let start = skip_ws(json, 0);
    let end = skip_ws_back(json, json.len());
    if json.get(start) == Some(&b'{') && end > start + 1 && json[end - 1] == b'}' {
        Some((start, end - 1))
    } else {
        None
    }
}

/// How far from the end [`from_back`] reads before it leaves the rest to [`from_front`]: a
/// tag NapCat writes last is found within it, and a long text at the end (a file chunk's
/// base64) is not walked twice.
const BACK_BUDGET: usize = 1024;

/// Reads entries backwards from just before the closing brace at `close`; `None` when an
/// entry's value is an object or array (reading those backwards is not worth it), or when
/// the key is not among the entries of the last [`BACK_BUDGET`] bytes.
fn from_back<'a>(json: &'a [u8], open: usize, close: usize, key: &str) -> Option<TagScan<'a>> {
    Some(match value_back(json, open, close, key)? {
        Some((value, true)) => text(value).map_or(TagScan::Absent, TagScan::Found),
        _ => TagScan::Absent,
    })
}

/// What [`from_back`] reads: `Some(None)` when the object has no such key, `Some(Some((value,
/// is_text)))` with the value's bytes (quoted when it is text) when it has.
fn value_back<'a>(
    json: &'a [u8],
    open: usize,
    close: usize,
    key: &str,
) -> Option<Option<(&'a [u8], bool)>> {
    let floor = close.saturating_sub(BACK_BUDGET).max(open);
    let mut pos = close;
    loop {
        pos = skip_ws_back(json, pos);
        if pos < floor {
            return None;
        }
        if pos == open + 1 {
            return Some(None);
        }
        let last = json[pos - 1];
        let (value_start, is_text) = match last {
            b'"' => (string_start_back(json, pos - 1, floor)?, true),
            b'}' | b']' => return None,
            _ => {
                let mut i = pos;
                while i > open + 1 && !matches!(json[i - 1], b':' | b' ' | b'\t' | b'\n' | b'\r') {
                    i -= 1;
                }
                (i, false)
            }
        };
        let value = &json[value_start..pos];
        pos = skip_ws_back(json, value_start);
        if pos <= open + 1 || json[pos - 1] != b':' {
            return None;
        }
        pos = skip_ws_back(json, pos - 1);
        if pos <= open + 1 || json[pos - 1] != b'"' {
            return None;
        }
        let key_start = string_start_back(json, pos - 1, floor)?;
        if key_is(&json[key_start..pos], key) {
            return Some(Some((value, is_text)));
        }
        pos = skip_ws_back(json, key_start);
        match json.get(pos.wrapping_sub(1)) {
            Some(b',') if pos - 1 > open => pos -= 1,
            _ if pos == open + 1 => return Some(None),
            _ => return None,
        }
    }
}

/// Reads entries from the front, from just after the opening brace.
fn from_front<'a>(json: &'a [u8], mut pos: usize, key: &str) -> TagScan<'a> {
    loop {
        pos = skip_ws(json, pos);
        if json.get(pos) != Some(&b'"') {
            return TagScan::Absent;
        }
        let Some(key_end) = string_end(json, pos) else {
            return TagScan::Absent;
        };
        let matches = key_is(&json[pos..key_end], key);
        pos = skip_ws(json, key_end);
        if json.get(pos) != Some(&b':') {
            return TagScan::Absent;
        }
        pos = skip_ws(json, pos + 1);
        let Some(value_end) = value_end(json, pos) else {
            return TagScan::Absent;
        };
        if matches {
            let value = &json[pos..value_end];
            return match value.first() {
                Some(b'"') => text(value).map_or(TagScan::Absent, TagScan::Found),
                _ => TagScan::Absent,
            };
        }
        pos = skip_ws(json, value_end);
        match json.get(pos) {
            Some(b',') => pos += 1,
            _ => return TagScan::Absent,
        }
    }
}

/// Whether the quoted JSON string `quoted` is `key`.
fn key_is(quoted: &[u8], key: &str) -> bool {
    let inner = &quoted[1..quoted.len() - 1];
    if inner.contains(&b'\\') {
        text(quoted).is_some_and(|k| k == key)
    } else {
        inner == key.as_bytes()
    }
}

/// The text of the quoted JSON string `quoted`, unescaped when it has to be.
fn text(quoted: &[u8]) -> Option<Cow<'_, str>> {
    let inner = &quoted[1..quoted.len() - 1];
    if inner.contains(&b'\\') {
        serde_json::from_slice::<String>(quoted)
            .ok()
            .map(Cow::Owned)
    } else {
        std::str::from_utf8(inner).ok().map(Cow::Borrowed)
    }
}

fn skip_ws(json: &[u8], mut pos: usize) -> usize {
    while json.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

fn skip_ws_back(json: &[u8], mut pos: usize) -> usize {
    while pos > 0 && json[pos - 1].is_ascii_whitespace() {
        pos -= 1;
    }
    pos
}

/// Whether the quote at `quote` is escaped (an odd run of backslashes before it).
fn escaped(json: &[u8], quote: usize) -> bool {
    json[..quote]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count()
        % 2
        == 1
}

/// The index of the opening quote of the string whose closing quote is at `close`, if it is
/// above `floor`. Inside a JSON string every quote is escaped, so the first unescaped one
/// before it opens it.
fn string_start_back(json: &[u8], close: usize, floor: usize) -> Option<usize> {
    let mut i = close;
    while i > floor {
        i -= 1;
        if json[i] == b'"' && !escaped(json, i) {
            return Some(i);
        }
    }
    None
}

/// One past the closing quote of the string opening at `open`.
fn string_end(json: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while let Some(&b) = json.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// One past the end of the value starting at `start`.
fn value_end(json: &[u8], start: usize) -> Option<usize> {
    match json.get(start)? {
        b'"' => string_end(json, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            while let Some(&b) = json.get(i) {
                match b {
                    b'"' => {
                        i = string_end(json, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let mut i = start;
            while json
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                i += 1;
            }
            Some(i)
        }
    }
}

/// Whether `data` is a packet's (`type` is `"stream"`).
pub(crate) fn is_stream_tag(data: &[u8]) -> bool {
    matches!(find_tag(data, "type"), TagScan::Found(t) if t == "stream")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(s: &str) -> TagScan<'_> {
        TagScan::Found(Cow::Borrowed(s))
    }

    #[test]
    fn finds_the_tag_wherever_it_stands() {
        for json in [
            r#"{"time":1,"message":[{"type":"text"}],"post_type":"message"}"#,
            r#"{"post_type":"message","message":[{"type":"text","data":{"post_type":"x"}}]}"#,
            r#" { "a" : { "post_type" : "inner" } , "post_type" : "message" } "#,
            r#"{"a":"\"post_type\":\"no\"","post_type":"message","b":[1,{"c":"]"}]}"#,
            r#"{"a":"x\\","post_type":"message"}"#,
            r#"{"a":true,"b":null,"c":-1.5e3,"post_type":"message"}"#,
        ] {
            assert_eq!(
                find_tag(json.as_bytes(), "post_type"),
                found("message"),
                "{json}"
            );
        }
    }

    #[test]
    fn tells_absent_and_not_an_object() {
        assert_eq!(
            find_tag(br#"{"a":{"post_type":"x"}}"#, "post_type"),
            TagScan::Absent
        );
        assert_eq!(
            find_tag(br#"{"post_type":1}"#, "post_type"),
            TagScan::Absent
        );
        assert_eq!(find_tag(br#"{}"#, "post_type"), TagScan::Absent);
        assert_eq!(
            find_tag(br#"[{"post_type":"x"}]"#, "post_type"),
            TagScan::NotAnObject
        );
        assert_eq!(find_tag(b"", "post_type"), TagScan::NotAnObject);
        assert_eq!(find_tag(b"{", "post_type"), TagScan::NotAnObject);
    }

    #[test]
    fn unescapes_keys_and_values() {
        assert_eq!(
            find_tag(br#"{"post\u005ftype":"mess\u0061ge","z":[]}"#, "post_type"),
            TagScan::Found(Cow::Owned("message".into()))
        );
    }

    #[test]
    fn never_panics_on_broken_text() {
        for json in [
            r#"{"a":"#,
            r#"{"a":"b""#,
            r#"{"a":[}"#,
            r#"{"a"}"#,
            r#"{:"a"}"#,
            r#"{"\"}"#,
            r#"{"a":1,}"#,
            r#"{,"a":1}"#,
            r#"{"a":]]]}"#,
        ] {
            let _ = find_tag(json.as_bytes(), "a");
        }
    }
}
