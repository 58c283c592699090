//! `api-spec`: the spec tool. Renders docs, checks spec files, dumps them as JSON and scaffolds
//! entries from NapCat's own action list, for the built-in spec and for users' own spec files.
//!
//! ```text
//! cargo run -p api-spec -- docs                      # write docs/api/*.md (built-in spec)
//! cargo run -p api-spec -- docs --check              # fail if docs/ is stale
//! api-spec docs --spec spec/mine.toml --out docs     # a user's spec (built-in types linked)
//! api-spec check spec/mine.toml                      # validate without compiling
//! api-spec dump --json --spec spec/mine.toml
//! api-spec scaffold get_group_info set_group_ban     # first entries from NapCat's schema
//! api-spec expand --category account > account.rs    # the generated code, formatted
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use api_spec::codegen::{Options, Target};
use api_spec::{Spec, SpecErrors};

#[derive(Parser)]
#[command(
    name = "api-spec",
    version,
    about = "Docs, checks, JSON and scaffolds for NapCat API spec files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Renders Markdown docs for spec files (the built-in ones by default).
    Docs {
        /// Spec files to document; they may name the built-in types, whose pages are written
        /// under `api/builtin/` and linked. Without it: the built-in spec.
        #[arg(long = "spec", value_name = "FILE")]
        specs: Vec<PathBuf>,
        /// Where to write (`api/*.md` below it). Default: this repository's `docs/` for the
        /// built-in spec, `docs` otherwise.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Write nothing; fail and name the stale pages if the docs differ from the spec.
        #[arg(long)]
        check: bool,
    },
    /// Validates spec files without compiling: every error at file:line:col with the line
    /// and a caret; exit code 1 on any error.
    Check {
        /// Spec files, or directories of them (they may name the built-in types).
        #[arg(required = true, value_name = "FILE_OR_DIR")]
        files: Vec<PathBuf>,
        /// Check the files on their own, without the built-in spec (e.g. a scaffold of NapCat
        /// actions the built-in spec already has).
        #[arg(long)]
        alone: bool,
    },
    /// Prints the spec as JSON (the built-in one by default).
    Dump {
        /// JSON output (the only format; accepted for clarity).
        #[arg(long)]
        json: bool,
        /// Spec files to dump instead of the built-in spec.
        #[arg(long = "spec", value_name = "FILE")]
        specs: Vec<PathBuf>,
    },
    /// Prints a spec file with first entries for NapCat actions, from NapCat's action list.
    Scaffold {
        /// Wire names (all of NapCat's actions when none is given).
        #[arg(value_name = "WIRE_NAME")]
        actions: Vec<String>,
        /// NapCat's action list as JSON (default: the copy built into this tool, NapCat
        /// v4.18.19).
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
    },
    /// Prints the code `generate_api!` generates, formatted as Rust (what `cargo expand` shows
    /// for the macro call), to read and grep: the built-in spec as inside `api-core` by
    /// default, or spec files as an extension crate's macro call generates them.
    Expand {
        /// Only this category's actions and types; the types of the others are named through
        /// `api_core::types`, as an extension spec names the built-in ones.
        #[arg(long, value_name = "NAME")]
        category: Option<String>,
        /// Spec files to expand, on top of the built-in spec (they may name its types).
        #[arg(long = "spec", value_name = "FILE")]
        specs: Vec<PathBuf>,
        /// The extension trait the methods of `--spec` files go in.
        #[arg(long, value_name = "NAME", default_value = "SpecActions")]
        extension_trait: String,
    },
}

fn builtin_docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

/// The paths given on the command line with each directory replaced by the `.toml` files in
/// it, sorted by name (as the built-in spec is read).
fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path)
            .map_err(|e| format!("{}: cannot list the directory: {e}", path.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        if found.is_empty() {
            return Err(format!(
                "{}: a directory with no `.toml` files; name spec files or a directory that holds them",
                path.display()
            ));
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// The spec files as `(name, text)`, named as given on the command line (a directory's files
/// as the directory joined with their names).
fn read(paths: &[PathBuf]) -> Result<Vec<(String, String)>, String> {
    spec_files(paths)?
        .iter()
        .map(|p| {
            let name = p.display().to_string();
            api_spec::load::read_file(p, &name).map_err(|e| e.to_string())
        })
        .collect()
}

/// Loads the built-in spec, plus `paths` on top of it (marking the built-in part external).
/// A path that is one of the built-in files replaces it rather than being added beside it.
fn load(paths: &[PathBuf]) -> Result<Spec, String> {
    let builtin = api_spec::load::builtin_files();
    if paths.is_empty() {
        return api_spec::load(&builtin).map_err(|e| e.to_string());
    }
    let paths = spec_files(paths)?;
    let own = read(&paths)?;
    let builtin: Vec<(String, String)> = builtin
        .into_iter()
        .filter(|(name, _)| {
            !paths
                .iter()
                .any(|p| api_spec::load::is_builtin_file(p, name))
        })
        .collect();
    let count = builtin.len();
    let all: Vec<(String, String)> = builtin.into_iter().chain(own.iter().cloned()).collect();
    let mut spec = api_spec::load(&all).map_err(|e| excerpts(&e, &all))?;
    spec.mark_external(count);
    Ok(spec)
}

/// Every error with its excerpt.
fn excerpts(errors: &SpecErrors, files: &[(String, String)]) -> String {
    errors
        .0
        .iter()
        .map(|e| match files.iter().find(|(n, _)| *n == e.file) {
            Some((_, text)) => e.with_excerpt(text),
            None => format!("error: {e}"),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The generated code for `spec` as formatted Rust; `category` keeps only that category's
/// items.
fn expand(mut spec: Spec, target: Target, category: Option<&str>) -> Result<String, String> {
    if let Some(name) = category {
        if !spec.own_categories().any(|c| c.name == name) {
            let names: Vec<&str> = spec.own_categories().map(|c| c.name.as_str()).collect();
            return Err(format!(
                "no category `{name}`; the spec has: {}",
                names.join(", ")
            ));
        }
        for c in &mut spec.categories {
            c.external |= c.name != name;
        }
    }
    let options = Options::new(target);
    let file = syn::parse2::<syn::File>(api_spec::codegen::generate(&spec, &options))
        .map_err(|e| format!("the generated code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Docs { specs, out, check } => {
            let spec = load(&specs)?;
            let dir = out.unwrap_or_else(|| {
                if specs.is_empty() {
                    builtin_docs_dir()
                } else {
                    PathBuf::from("docs")
                }
            });
            if check {
                let stale = api_spec::docs::stale_pages(&spec, &dir);
                if !stale.is_empty() {
                    let regenerate = if specs.is_empty() {
                        api_spec::docs::REGENERATE.to_owned()
                    } else {
                        let files: Vec<String> = specs
                            .iter()
                            .map(|s| format!("--spec {}", s.display()))
                            .collect();
                        format!("api-spec docs {} --out {}", files.join(" "), dir.display())
                    };
                    return Err(format!(
                        "docs are stale: {}; regenerate with `{regenerate}`",
                        stale.join(", ")
                    ));
                }
                println!("docs are up to date");
                return Ok(());
            }
            let written = api_spec::docs::write(&spec, &dir)
                .map_err(|e| format!("cannot write docs under {}: {e}", dir.display()))?;
            for p in written {
                println!("wrote {}", dir.join(p).display());
            }
            Ok(())
        }
        Command::Check { files, alone } => {
            let spec = if alone {
                let own = read(&files)?;
                api_spec::load(&own).map_err(|e| excerpts(&e, &own))?
            } else {
                load(&files)?
            };
            let actions = spec.own_actions().count();
            let types: usize = spec
                .own_categories()
                .map(|c| c.structs.len() + c.enums.len() + c.unions.len())
                .sum();
            println!(
                "ok: {actions} actions and {types} types in {} files",
                files.len()
            );
            Ok(())
        }
        Command::Dump { json: _, specs } => {
            let spec = load(&specs)?;
            let text = serde_json::to_string_pretty(&api_spec::dump::to_json(&spec))
                .map_err(|e| e.to_string())?;
            // A closed stdout (e.g. piped into `head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{text}");
            Ok(())
        }
        Command::Scaffold { actions, schema } => {
            let schema_text = match &schema {
                Some(p) => std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read {}: {e}", p.display()))?,
                None => api_spec::napcat::ACTIONS_JSON.to_owned(),
            };
            let text = api_spec::scaffold::scaffold(&schema_text, &actions).map_err(|e| e.0)?;
            let _ = write!(std::io::stdout(), "{text}");
            Ok(())
        }
        Command::Expand {
            category,
            specs,
            extension_trait,
        } => {
            let target = if specs.is_empty() {
                Target::Core
            } else {
                Target::ExtensionTrait(extension_trait)
            };
            let text = expand(load(&specs)?, target, category.as_deref())?;
            let _ = write!(std::io::stdout(), "{text}");
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
