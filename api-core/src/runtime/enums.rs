//! What the generated enums share: finding a variant by a loosely written text, and the error
//! for a text that names none.

/// The index of the first of `texts` (each variant's names, label, wire value and aliases)
/// that holds `text`, trimmed and with ASCII case ignored: how an enum's `from_text` reads a
/// text that is not exactly one of its own.
pub fn position_ignoring_case(texts: &[&[&str]], text: &str) -> Option<usize> {
    let text = text.trim();
    texts
        .iter()
        .position(|all| all.iter().any(|t| t.eq_ignore_ascii_case(text)))
}

/// The error of an enum's `FromStr` for a text that names none of its `variants`.
pub fn not_a_variant(text: &str, name: &str, variants: &[&str]) -> String {
    format!(
        "`{text}` is not a {name}; expected one of: {}",
        variants.join(", ")
    )
}
