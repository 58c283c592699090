//! How deep JSON text nests, read without building it: a check for what serde_json skips
//! without looking (it passes over unread values without a depth limit).

/// The deepest nesting of arrays and objects accepted in what arrives: serde_json's own limit
/// when it builds values, so anything deeper could never be decoded.
pub(crate) const MAX_NESTING: usize = 128;

/// Whether `text` nests arrays and objects at most `max` deep. Strings are skipped (with
/// their escapes); the text need not be valid JSON, which is checked apart.
pub(crate) fn nesting_within(text: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in text {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_in_strings_do_not_count() {
        assert!(nesting_within(br#"{"a":[1,{"b":"[[[[\"{{{{"}]}"#, 3));
        assert!(!nesting_within(br#"{"a":[1,{"b":"x"}]}"#, 2));
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert!(!nesting_within(deep.as_bytes(), MAX_NESTING));
        assert!(nesting_within(&deep.as_bytes()[1..256], MAX_NESTING));
    }
}
