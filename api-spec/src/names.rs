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

/// A name in snake_case: `groupId` is `group_id`; other characters become `_`.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let out = out.trim_matches('_').to_owned();
    let out = if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        format!("n_{out}")
    } else {
        out
    };
    if syn::parse_str::<syn::Ident>(&out).is_err()
        || matches!(out.as_str(), "self" | "crate" | "super")
    {
        format!("{out}_")
    } else {
        out
    }
}
