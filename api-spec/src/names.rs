//! Names: what a spec may call things, the names generated code keeps for itself, and the
//! conversions and "did you mean" distance the loader, the generator and the scaffold share.

/// Names that generated call builders use for their own methods.
pub const RESERVED_PARAM_NAMES: &[&str] = &["timeout", "request", "into_future", "client"];

/// Names that `Client` uses for its own methods.
pub const RESERVED_ACTION_NAMES: &[&str] = &[
    "builder",
    "call",
    "call_raw",
    "call_async",
    "events",
    "clone",
    "timeout",
];

/// Levenshtein distance, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
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

/// Whether `s` is a snake_case ASCII identifier (a-z, 0-9, _; starting with a letter).
pub fn is_snake(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Whether `s` is a CamelCase ASCII name.
pub fn is_camel(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// `snake_case` to `CamelCase`.
pub fn camel(snake: &str) -> String {
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}
