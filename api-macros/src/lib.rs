//! `generate_api!`: spec files in, the typed API out.
//!
//! This crate only wires the macro up; parsing, validation and code generation live in
//! `api-spec`.
//!
//! ```ignore
//! // inside api-core: inherent methods on `Client`
//! api_macros::generate_api! { specs = ["../../api-spec/spec/account.toml"] }
//!
//! // in a user crate: an extension trait implemented for `api_core::Client`
//! api_macros::generate_api! { specs = ["spec/mine.toml"], extension_trait = MyActions }
//! ```
//!
//! Spec paths are relative to the file that invokes the macro, as with `include_str!`.
//! Every spec file is `include_str!`-ed in the expansion, so editing it rebuilds the crate.

use std::path::PathBuf;

use proc_macro::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token, bracketed};

use api_spec::codegen::{self, Options, Target};

struct Input {
    specs: Vec<LitStr>,
    extension_trait: Option<Ident>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut specs = None;
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
                "extension_trait" => extension_trait = Some(input.parse()?),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown key `{other}`; expected `specs` or `extension_trait`"),
                    ));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let specs = specs.ok_or_else(|| {
            syn::Error::new(
                input.span(),
                "missing `specs = [\"path/to/spec.toml\", ...]`",
            )
        })?;
        if specs.is_empty() {
            return Err(syn::Error::new(
                input.span(),
                "`specs` lists no file; name at least one spec file",
            ));
        }
        Ok(Input {
            specs,
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

fn expand(input: Input) -> Result<proc_macro2::TokenStream, syn::Error> {
    let base = base_dir();
    let mut files = Vec::new();
    let mut tracked = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for lit in &input.specs {
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
    let spec = api_spec::load(&files).map_err(|errs| {
        let mut all: Option<syn::Error> = None;
        for e in errs.0 {
            let span = input
                .specs
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
    let target = match input.extension_trait {
        Some(name) => Target::ExtensionTrait(name.to_string()),
        None => Target::Core,
    };
    Ok(codegen::generate(
        &spec,
        &Options {
            target,
            track_files: tracked,
        },
    ))
}

/// Generates the typed API from spec files. See the crate docs for the syntax.
#[proc_macro]
pub fn generate_api(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as Input);
    expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
