//! CQ codes: OneBot 11's text form of a message, `hi [CQ:at,qq=123] [CQ:face,id=14]`.
//!
//! Escaping follows OneBot 11 (and NapCat's `encodeCQCode`): in text, `&` `[` `]` become
//! `&amp;` `&#91;` `&#93;`; inside a code's values `,` also becomes `&#44;`. Parsing never
//! fails: a `[CQ:` that does not form a code stays text.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::types::{Segment, TextSegment};

/// Escapes text outside CQ codes.
pub fn escape_text(text: &str) -> String {
    escape(text, false)
}

/// Escapes a value inside a CQ code.
pub fn escape_value(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, comma: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            ',' if comma => out.push_str("&#44;"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`escape_text`] and [`escape_value`]. Other `&…;` sequences stay as they are.
pub fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    text.replace("&#44;", ",")
        .replace("&#91;", "[")
        .replace("&#93;", "]")
        .replace("&amp;", "&")
}

/// Renders segments as a CQ string as NapCat's `encodeCQCode` does
/// (`packages/napcat-onebot/helper/cqcode.ts`): text is escaped; other segments become
/// `[CQ:type,key=value,…]` with their `data` keys in order, objects and lists written as JSON,
/// and null or empty values left out.
pub fn render(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        if let Segment::Text(t) = segment {
            out.push_str(&escape_text(&t.text));
            continue;
        }
        let value = serde_json::to_value(segment).unwrap_or(Value::Null);
        let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
        out.push_str("[CQ:");
        out.push_str(kind);
        if let Some(data) = value.get("data").and_then(Value::as_object) {
            for (key, v) in data {
                let text = match v {
                    Value::Null => continue,
                    Value::String(s) if s.is_empty() => continue,
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out.push(',');
                out.push_str(key);
                out.push('=');
                out.push_str(&escape_value(&text));
            }
        }
        out.push(']');
    }
    out
}

/// Parses a CQ string into segments, reading codes as NapCat's `decodeCQCode` does
/// (`[CQ:` word, then `,key=value` pairs with word keys, then `]`). Text between codes becomes
/// text segments; a code of a type the spec does not list, or whose values do not fit its
/// type, is kept as [`Segment::Unknown`] (so it is sent back as it came); a malformed code is
/// text.
pub fn parse(text: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut pending = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("[CQ:") {
        pending.push_str(&rest[..start]);
        let after = &rest[start..];
        match parse_code(after) {
            Some((segment, used)) => {
                flush_text(&mut pending, &mut segments);
                segments.push(segment);
                rest = &after[used..];
            }
            None => {
                pending.push_str("[CQ:");
                rest = &after[4..];
            }
        }
    }
    pending.push_str(rest);
    flush_text(&mut pending, &mut segments);
    segments
}

fn flush_text(pending: &mut String, segments: &mut Vec<Segment>) {
    if !pending.is_empty() {
        segments.push(Segment::Text(TextSegment::new(unescape(pending))));
        pending.clear();
    }
}

/// One code at the start of `text` (which starts with `[CQ:`): the segment and the bytes it
/// took, or `None` when it is malformed.
fn parse_code(text: &str) -> Option<(Segment, usize)> {
    let end = text.find(']')?;
    let body = &text[4..end];
    let mut parts = body.split(',');
    let kind = parts.next()?;
    if !is_word(kind) {
        return None;
    }
    let mut data = Map::new();
    for part in parts {
        let (key, value) = part.split_once('=')?;
        if !is_word(key) {
            return None;
        }
        data.insert(key.to_owned(), Value::String(unescape(value)));
    }
    let mut raw = Map::new();
    raw.insert("type".into(), Value::String(kind.to_owned()));
    raw.insert("data".into(), Value::Object(data));
    let raw = Value::Object(raw);
    let segment = Segment::deserialize(&raw).unwrap_or(Segment::Unknown(raw));
    Some((segment, end + 1))
}

/// JavaScript's `\w+`: ASCII letters, digits and `_`, at least one.
fn is_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let text = "a&b[c]d,e &amp;";
        assert_eq!(unescape(&escape_value(text)), text);
        assert_eq!(unescape(&escape_text(text)), text);
        assert_eq!(escape_text("[x],"), "&#91;x&#93;,");
        assert_eq!(escape_value("[x],"), "&#91;x&#93;&#44;");
    }

    #[test]
    fn malformed_codes_are_text() {
        for text in [
            "[CQ:",
            "[CQ:at,qq",
            "[CQ:,x=1]",
            "[CQ:at,=1]",
            "x [CQ:a b] y",
            "[CQ:[CQ:at,qq=1]",
        ] {
            let segments = parse(text);
            let plain: String = segments
                .iter()
                .filter_map(|s| match s {
                    Segment::Text(t) => Some(t.text.as_str()),
                    _ => None,
                })
                .collect();
            assert!(plain.contains("[CQ:"), "{text}: {segments:?}");
        }
    }
}
