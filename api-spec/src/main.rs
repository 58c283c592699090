//! `api-spec`: regenerate the docs from the spec, check them, or dump the spec as JSON.
//!
//! ```text
//! cargo run -p api-spec -- docs           # write docs/api/*.md
//! cargo run -p api-spec -- docs --check   # fail if docs/ is stale
//! cargo run -p api-spec -- dump --json    # print the spec as JSON
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spec = match api_spec::load_builtin() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["docs"] => match api_spec::docs::write(&spec, &docs_dir()) {
            Ok(paths) => {
                for p in paths {
                    println!("wrote docs/{p}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot write docs: {e}");
                ExitCode::FAILURE
            }
        },
        ["docs", "--check"] => {
            let stale = api_spec::docs::stale_pages(&spec, &docs_dir());
            if stale.is_empty() {
                println!("docs are up to date");
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "docs are stale: {}; run `{}`",
                    stale.join(", "),
                    api_spec::docs::REGENERATE
                );
                ExitCode::FAILURE
            }
        }
        ["dump"] | ["dump", "--json"] => {
            let json = api_spec::dump::to_json(&spec);
            let text = serde_json::to_string_pretty(&json).unwrap_or_default();
            // A closed stdout (e.g. piped into `head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{text}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: api-spec docs [--check] | api-spec dump --json");
            ExitCode::from(2)
        }
    }
}
