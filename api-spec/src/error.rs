//! Spec errors that point at `file:line:col`.

use std::fmt;
use std::ops::Range;

/// One problem found in a spec file, with the place it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The file as it was named to the loader.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for SpecError {}

impl SpecError {
    /// The error with the line it points at and a caret under the column, as a compiler
    /// shows it; `text` is the file's text.
    pub fn with_excerpt(&self, text: &str) -> String {
        let Some(line) = text.lines().nth(self.line.saturating_sub(1)) else {
            return format!("error: {self}");
        };
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        let caret_at: String = line
            .chars()
            .take(self.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!("error: {self}\n{pad} |\n{number} | {line}\n{pad} | {caret_at}^")
    }
}

/// All the problems found in one load; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

/// A spec file's text and name, for turning byte offsets into `line:col`.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The file as it was named to the loader.
    pub name: String,
    /// The whole text.
    pub text: String,
}

impl SourceFile {
    /// Builds a [`SpecError`] at the start of `span`.
    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> SpecError {
        let (line, column) = self.line_col(span.start);
        SpecError {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let f = SourceFile {
            name: "x.toml".into(),
            text: "a = 1\n中文 = 2\n".into(),
        };
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(6), (2, 1));
        // byte 12 is after the two 3-byte characters and the space
        assert_eq!(f.line_col(13), (2, 4));
    }
}
