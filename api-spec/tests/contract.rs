//! The generated code names `api_core` only through `api_core::runtime`, the contract between
//! the generator and the runtime (`api-core/src/runtime/mod.rs`): for the built-in spec as
//! `api-core` expands it, and for each fixture as an extension crate does.

use std::path::Path;

use api_spec::codegen::{self, Options, Target};
use proc_macro2::{TokenStream, TokenTree};

/// Every path of `api_core` in `tokens` that does not go through `runtime`, as written: in
/// paths, and in the string literals that hold paths (serde's attributes). Doc texts are
/// prose and examples for users, so they are not read.
fn outside_runtime(tokens: TokenStream) -> Vec<String> {
    let mut found = Vec::new();
    walk(tokens, &mut found);
    found
}

fn walk(tokens: TokenStream, found: &mut Vec<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(g) => walk(g.stream(), found),
            TokenTree::Ident(id) if id == "api_core" => {
                let colons = trees[i + 1..]
                    .iter()
                    .take(2)
                    .all(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ':'));
                let next = trees.get(i + 3).map(|t| t.to_string()).unwrap_or_default();
                if colons && next != "runtime" {
                    found.push(format!("api_core::{next}"));
                }
            }
            TokenTree::Literal(lit) => {
                let is_doc = i >= 2
                    && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == '=')
                    && matches!(&trees[i - 2], TokenTree::Ident(d) if d == "doc");
                let text = lit.to_string();
                if !is_doc {
                    found.extend(
                        text.match_indices("api_core::")
                            .filter(|(at, _)| {
                                !text[at + "api_core::".len()..].starts_with("runtime::")
                            })
                            .map(|(at, _)| text[at..].trim_end_matches('"').to_owned()),
                    );
                }
            }
            _ => {}
        }
    }
}

#[test]
fn the_builtin_expansion_names_api_core_only_through_its_runtime() {
    let spec = api_spec::load_builtin().unwrap();
    let tokens = codegen::generate(&spec, &Options::new(Target::Core));
    assert!(tokens.to_string().contains("api_core :: runtime :: Call"));
    assert_eq!(outside_runtime(tokens), Vec::<String>::new());
}

#[test]
fn extension_expansions_name_api_core_only_through_its_runtime() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut files = api_spec::load::builtin_files();
        let builtin = files.len();
        files.push((name.clone(), text));
        let mut spec = api_spec::load(&files).unwrap();
        spec.mark_external(builtin);
        let tokens = codegen::generate(
            &spec,
            &Options::new(Target::ExtensionTrait("Fixture".into())),
        );
        assert_eq!(outside_runtime(tokens), Vec::<String>::new(), "{name}");
    }
}

#[test]
fn a_path_around_the_runtime_is_found() {
    let tokens: TokenStream = r#"
        /// Docs may say `api_core::Client`.
        fn f(c: ::api_core::Client) -> ::api_core::runtime::Error {}
        #[serde(with = "::api_core::seconds")]
        struct S;
    "#
    .parse()
    .unwrap();
    assert_eq!(
        outside_runtime(tokens),
        ["api_core::Client", "api_core::seconds"]
    );
}
