//! Turns a validated [`Spec`] into Rust tokens: request structs, call builders, client
//! methods, response types and the action table.
//!
//! The generated code names the runtime only through `::api_core::...`, so it compiles in
//! `api-core` itself (which declares `extern crate self as api_core`) and in user crates.

mod actions;
mod enums;
mod shared;
mod structs;
mod tables;
mod unions;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::model::*;

pub use shared::rust_type;

/// Where the generated methods go.
#[derive(Debug, Clone)]
pub enum Target {
    /// Inherent methods on `api_core::Client` (only inside `api-core`).
    Core,
    /// A public extension trait with this name, implemented for `api_core::Client`.
    ExtensionTrait(String),
}

/// Options for [`generate`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the methods go.
    pub target: Target,
    /// Files to `include_str!` so that editing a spec rebuilds the crate.
    pub track_files: Vec<String>,
}

/// Generates the whole API for `spec`: a `types` module (structs, enums, unions), a
/// `requests` module (`*Request` and `*Call` for each action), the client methods (inherent
/// or in an extension trait), `ACTIONS` and `action_by_name`.
pub fn generate(spec: &Spec, options: &Options) -> TokenStream {
    let own: Vec<&Category> = spec.own_categories().collect();
    let own_actions: Vec<&Action> = own.iter().flat_map(|c| c.actions.iter()).collect();
    let enums = own.iter().flat_map(|c| c.enums.iter()).map(enums::enum_def);
    let structs = own
        .iter()
        .flat_map(|c| c.structs.iter())
        .map(|s| structs::struct_def(spec, s));
    let unions = own
        .iter()
        .flat_map(|c| c.unions.iter())
        .map(|u| unions::union_def(spec, u));
    let actions = own_actions.iter().map(|a| actions::action_items(spec, a));
    let methods: Vec<_> = own_actions
        .iter()
        .map(|a| actions::client_method(a, &options.target))
        .collect();
    // Types of the spec this one builds on (the built-in one) are named through `types::`.
    let builtin_types = spec.categories.iter().any(|c| c.external).then(|| {
        quote!(
            pub use ::api_core::types::*;
        )
    });
    let client_impl = match &options.target {
        Target::Core => quote! {
            impl ::api_core::Client { #(#methods)* }
        },
        Target::ExtensionTrait(name) => {
            let name = Ident::new(name, Span::call_site());
            let sigs = own_actions.iter().map(|a| actions::method_signature(a));
            quote! {
                /// Actions added from a spec file; bring this trait into scope to call them on a client.
                pub trait #name {
                    #( #sigs; )*
                }
                impl #name for ::api_core::Client { #(#methods)* }
            }
        }
    };
    let table = tables::action_table(spec);
    let by_name = tables::action_by_name(spec);
    let examples = matches!(options.target, Target::Core).then(|| tables::examples(spec));
    let tracked = &options.track_files;
    quote! {
        #( const _: &str = include_str!(#tracked); )*

        /// The named types of the spec: what actions take and return.
        pub mod types {
            #[allow(unused_imports)]
            use super::types;
            #builtin_types
            #(#enums)*
            #(#structs)*
            #(#unions)*
        }

        /// One `*Request` (the exact wire params) and one `*Call` (the awaitable builder) per action.
        pub mod requests {
            #[allow(unused_imports)]
            use super::types;
            #(#actions)*
        }

        #client_impl
        #table
        #by_name
        #examples
    }
}
