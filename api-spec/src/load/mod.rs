//! Reads spec files (TOML) into the [`Spec`] model, collecting every problem with its place.
//!
//! The TOML is first read as written (`raw`); then the checker declares every file's types,
//! so that files may name each other's, and checks each file's tables: `enums`,
//! `structs`, `unions`, `actions` (with their `summary`, their `params` and their `napcat`
//! table). Last come the checks that need every file (`cross`).

mod actions;
mod category;
mod checker;
mod cross;
mod enums;
pub(crate) mod ids;
mod napcat;
mod params;
mod raw;
mod structs;
pub(crate) mod summary;
mod unions;

use std::path::Path;

use crate::error::{SourceFile, SpecError, SpecErrors};
use crate::model::{Category, Spec};
use checker::Checker;
use raw::RawFile;

/// Reads one spec file from disk. `display_name` is how errors name it.
pub fn read_file(path: &Path, display_name: &str) -> Result<(String, String), SpecErrors> {
    std::fs::read_to_string(path)
        .map(|text| (display_name.to_owned(), text))
        .map_err(|e| {
            SpecErrors(vec![SpecError {
                file: display_name.to_owned(),
                line: 1,
                column: 1,
                message: format!("cannot read spec file: {e}"),
            }])
        })
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The spec files that ship with this crate (every `spec/*.toml`, sorted by name, as the build
/// script lists and embeds them; nothing else lists them), as they were when this crate was
/// built: `(name, text)` pairs for [`load`], named `api-spec/spec/<file>`. The generated code,
/// the docs, the dump, the simulator and the CLI all read the built-in spec from here.
pub fn builtin_files() -> Vec<(String, String)> {
    BUILTIN
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect()
}

/// Whether `path` is the built-in file `name` (a name [`builtin_files`] gives): the same file
/// on disk as the one this crate embedded, where it was built. A tool given such a file reads
/// it in place of the embedded copy, so an edited built-in file is checked as it is now and
/// does not clash with itself.
pub fn is_builtin_file(path: &Path, name: &str) -> bool {
    let Some(file) = Path::new(name).file_name() else {
        return false;
    };
    match (
        path.canonicalize(),
        Path::new(BUILTIN_DIR).join(file).canonicalize(),
    ) {
        (Ok(given), Ok(builtin)) => given == builtin,
        _ => false,
    }
}

/// Loads the spec files that ship with this crate (see [`builtin_files`]).
pub fn load_builtin() -> Result<Spec, SpecErrors> {
    load(&builtin_files())
}

/// The built-in spec, loaded once. It is validated whenever `api-core` is built, so a failure
/// here means this crate was built from spec files that do not compile.
pub fn builtin() -> &'static Spec {
    static SPEC: std::sync::OnceLock<Spec> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        load_builtin().unwrap_or_else(|e| panic!("the built-in spec files are invalid:\n{e}"))
    })
}

/// Parses and validates spec files given as `(name, text)` pairs.
///
/// Every problem found is returned, each with `file:line:col`; nothing panics.
pub fn load(files: &[(String, String)]) -> Result<Spec, SpecErrors> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for (name, text) in files {
        let src = SourceFile {
            name: name.clone(),
            text: text.clone(),
        };
        match toml::from_str::<RawFile>(text) {
            Ok(raw) => parsed.push((src, raw)),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let msg = e.message().trim().to_owned();
                errors.push(src.error_at(span, toml_hint(&msg)));
            }
        }
    }
    let mut checker = Checker::default();
    for (src, raw) in &parsed {
        checker.declare_types(src, raw);
    }
    let categories: Vec<Category> = parsed
        .iter()
        .map(|(src, raw)| checker.category(src, raw))
        .collect();
    let mut spec = Spec { categories };
    if checker.errors.is_empty() {
        let sources: Vec<&SourceFile> = parsed.iter().map(|(s, _)| s).collect();
        checker.resolve_extends(&mut spec, &sources, &parsed);
    }
    if checker.errors.is_empty() {
        checker.check_whole(&spec, &parsed);
    }
    errors.extend(checker.errors);
    if errors.is_empty() {
        Ok(spec)
    } else {
        Err(SpecErrors(errors))
    }
}

fn toml_hint(msg: &str) -> String {
    if msg.starts_with("missing field") {
        format!("{msg}; add it to this table")
    } else if msg.starts_with("unknown field") {
        format!("{msg}; remove it or fix its spelling")
    } else {
        format!("invalid spec: {msg}")
    }
}
