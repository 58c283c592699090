//! `generate_api!`: spec files in, the typed API out.
//!
//! This crate only wires the macro up; parsing, validation and code generation live in
//! `api-spec`.
//!
//! ```ignore
//! // inside api-core: inherent methods on `Client`, from the spec files built into api-spec
//! api_macros::generate_api! { builtin = true }
//!
//! // in a user crate: an extension trait implemented for `api_core::Client`
//! api_macros::generate_api! { specs = ["spec/mine.toml"], extension_trait = MyActions }
//! ```
//!
//! `generate_examples!` (same syntax) writes each action's spec example as a runnable function,
//! for the tour and the tests.
//!
//! Spec paths are relative to the file that invokes the macro, as with `include_str!`.
//! Every such file is `include_str!`-ed in the expansion, so editing it rebuilds the crate.
//! The built-in files are the ones `api-spec` embedded when it was built (its build script
//! is the one place that lists them); editing one rebuilds `api-spec`, this crate and the
//! crate that invokes the macro.

use std::path::PathBuf;

use proc_macro::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitBool, LitStr, Token, bracketed};

use api_spec::codegen::{self, Options, Target};

struct Input {
    specs: Vec<LitStr>,
    builtin: bool,
    extension_trait: Option<Ident>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut specs = None;
        let mut builtin = None;
        let mut extension_trait = None;
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "specs" => {
                    let content;
                    bracketed!(content in input);
                    let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                    specs = Some(list.into_iter().collect::<Vec<_>>());
                }
                "builtin" => builtin = Some(input.parse::<LitBool>()?),
                "extension_trait" => extension_trait = Some(input.parse()?),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown key `{other}`; expected `specs`, `builtin` or `extension_trait`"
                        ),
                    ));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        if let Some(b) = &builtin {
            if !b.value {
                return Err(syn::Error::new(
                    b.span(),
                    "`builtin = false` is the default; leave it out and name spec files with `specs`",
                ));
            }
            if specs.is_some() || extension_trait.is_some() {
                return Err(syn::Error::new(
                    b.span(),
                    "`builtin = true` generates the built-in spec on `Client` itself; an extension names its own files with `specs` and `extension_trait` (it builds on the built-in spec already)",
                ));
            }
        }
        let builtin = builtin.is_some();
        if specs.is_none() && !builtin {
            return Err(syn::Error::new(
                input.span(),
                "missing `specs = [\"path/to/spec.toml\", ...]` (or `builtin = true` for the built-in spec)",
            ));
        }
        let specs = specs.unwrap_or_default();
        if specs.is_empty() && !builtin {
            return Err(syn::Error::new(
                input.span(),
                "`specs` lists no file; name at least one spec file",
            ));
        }
        Ok(Input {
            specs,
            builtin,
            extension_trait,
        })
    }
}

/// The directory that relative spec paths are resolved against: the invoking file's
/// directory, as for `include_str!`, or the crate root when the compiler cannot say.
fn base_dir() -> PathBuf {
    let dir = proc_macro::Span::call_site()
        .local_file()
        .and_then(|f| f.parent().map(PathBuf::from))
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from))
        .unwrap_or_default();
    // The compiler may name the file relative to its working directory; `include_str!`
    // in the expansion needs a path that does not depend on that.
    match std::env::current_dir() {
        Ok(cwd) if dir.is_relative() => cwd.join(dir),
        _ => dir,
    }
}

/// The spec files of `input`, loaded and validated, and what the expansion needs: the
/// options (target, files to track).
fn load(input: Input) -> Result<(api_spec::Spec, Options), syn::Error> {
    let base = base_dir();
    let mut files = Vec::new();
    let mut tracked = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let specs = &input.specs;
    for lit in specs {
        let path = base.join(lit.value());
        match api_spec::load::read_file(&path, &lit.value()) {
            Ok(file) => {
                tracked.push(path.to_string_lossy().into_owned());
                files.push(file);
            }
            Err(e) => push(syn::Error::new(lit.span(), e.to_string())),
        }
    }
    if let Some(e) = errors {
        return Err(e);
    }
    // The built-in spec is generated for `Client` itself. An extension spec builds on it: it
    // may name its types (`Sex` ...), and its names must not clash with it; only the
    // extension's own items are generated.
    let (builtin, builtin_count) = match (input.builtin, &input.extension_trait) {
        (true, _) => (api_spec::load::builtin_files(), 0),
        (false, Some(_)) => {
            let files = api_spec::load::builtin_files();
            let count = files.len();
            (files, count)
        }
        (false, None) => (Vec::new(), 0),
    };
    let all: Vec<(String, String)> = builtin.into_iter().chain(files).collect();
    let mut spec = api_spec::load(&all).map_err(|errs| {
        let mut all: Option<syn::Error> = None;
        for e in errs.0 {
            let span = specs
                .iter()
                .find(|l| l.value() == e.file)
                .map_or_else(proc_macro2::Span::call_site, |l| l.span());
            let err = syn::Error::new(span, e.to_string());
            match &mut all {
                Some(a) => a.combine(err),
                None => all = Some(err),
            }
        }
        all.expect("a failed load reports at least one error")
    })?;
    spec.mark_external(builtin_count);
    let target = match input.extension_trait {
        Some(name) => Target::ExtensionTrait(name.to_string()),
        None => Target::Core,
    };
    let options = Options {
        target,
        track_files: tracked,
    };
    Ok((spec, options))
}

/// Generates the typed API from spec files. See the crate docs for the syntax.
#[proc_macro]
pub fn generate_api(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as Input);
    load(input)
        .map(|(spec, options)| codegen::generate(&spec, &options))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Generates a module `examples`: each action's spec example as a runnable function
/// (`examples::EXAMPLES`, in spec order), for the tour and the tests. Same syntax as
/// [`generate_api!`], without `extension_trait`.
#[proc_macro]
pub fn generate_examples(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as Input);
    load(input)
        .map(|(spec, options)| codegen::generate_examples(&spec, &options))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `#[derive(Commands)]` on an enum of bot commands: parsing with a prefix, aliases, typed
/// arguments and a help text (see `api_bot::commands`). The expansion is
/// `api_spec::commands`.
#[proc_macro_derive(Commands, attributes(commands, command))]
pub fn derive_commands(input: TokenStream) -> TokenStream {
    api_spec::commands::derive(input.into()).into()
}
