//! An action's `summary`: one sentence of English saying what it does, which starts the
//! generated method's rustdoc and the action's docs section beside the Chinese `doc`.

use crate::error::SourceFile;
use crate::load::checker::Checker;
use crate::load::raw::RawAction;

/// What a scaffolded summary starts with until someone writes it.
pub(crate) const PLACEHOLDER: &str = "TODO";

/// The example every message about the summary shows.
const EXAMPLE: &str = "summary = \"Sends a private message.\"";

impl Checker {
    /// The action's summary, trimmed: present, not a placeholder, one line, English, and one
    /// sentence (a capital letter first, a full stop last). The first rule it breaks is
    /// reported.
    pub(super) fn summary(&mut self, src: &SourceFile, raw: &RawAction) -> String {
        let Some(summary) = &raw.summary else {
            self.err(
                src,
                raw.name.span(),
                format!(
                    "action `{}` has no `summary`; add one line of English saying what it does after its `name`, e.g. `{EXAMPLE}` (it starts the method's rustdoc)",
                    raw.name.get_ref()
                ),
            );
            return String::new();
        };
        let text = summary.get_ref().trim();
        if let Some(problem) = problem(text) {
            self.err(src, summary.span(), problem);
        }
        text.to_owned()
    }
}

/// What is wrong with a summary, if anything.
fn problem(text: &str) -> Option<String> {
    let lines = text.lines().count();
    if text.is_empty() {
        Some(format!(
            "`summary` is empty; write one line of English saying what the action does, e.g. `{EXAMPLE}`"
        ))
    } else if text.starts_with(PLACEHOLDER) {
        Some(format!(
            "`summary` is still a placeholder; replace it with one line of English saying what the action does, e.g. `{EXAMPLE}`"
        ))
    } else if lines > 1 {
        Some(format!(
            "`summary` has {lines} lines; keep it to one sentence on one line and put the rest in `doc`"
        ))
    } else if let Some(c) = text.chars().find(|c| is_cjk(*c)) {
        Some(format!(
            "`summary` is English (the Chinese text goes in `doc`), but it holds `{c}`"
        ))
    } else if !text.starts_with(|c: char| c.is_ascii_uppercase()) || !text.ends_with('.') {
        Some(format!(
            "`summary` is one sentence: begin it with a capital letter and end it with a full stop, e.g. `{EXAMPLE}`"
        ))
    } else {
        None
    }
}

/// A Chinese, Japanese or Korean character, or full-width punctuation.
fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{2E80}'..='\u{9FFF}'
            | '\u{AC00}'..='\u{D7AF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF00}'..='\u{FFEF}'
    )
}
