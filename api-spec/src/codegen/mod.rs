//! Turns a validated [`Spec`] into Rust tokens: request structs, call builders, client
//! methods, response types and the action table.
//!
//! The generated code names the runtime only through `::api_core::...`, so it compiles in
//! `api-core` itself (which declares `extern crate self as api_core`) and in user crates.

mod actions;
mod enums;
mod methods;
mod options;
mod record;
mod shared;
mod structs;
mod tables;
mod unions;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::model::*;

pub use options::{Options, Target};
pub use record::MAX_TUPLE;
pub use shared::rust_type;

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
        .map(|a| methods::client_method(a, &options.target))
        .collect();
    // Types of the spec this one builds on (the built-in one) are named through `types::`.
    let builtin_types = spec.categories.iter().any(|c| c.external).then(|| {
        quote!(
            pub use ::api_core::runtime::types::*;
        )
    });
    // Each action's call is a `requests::Call`: the runtime's inside `api-core`; in an extension
    // crate a wrapper of it, so that the setters of that crate's actions can be added to it.
    let call = match &options.target {
        Target::Core => quote!(
            pub use ::api_core::runtime::Call;
        ),
        Target::ExtensionTrait(_) => quote!(::api_core::runtime::extension_call!();),
    };
    let client_impl = match &options.target {
        Target::Core => quote! {
            impl ::api_core::runtime::Client { #(#methods)* }
        },
        Target::ExtensionTrait(name) => {
            let name = Ident::new(name, Span::call_site());
            let sigs = own_actions.iter().map(|a| methods::method_signature(a));
            quote! {
                /// Actions added from a spec file; bring this trait into scope to call them on a client.
                pub trait #name {
                    #( #sigs; )*
                }
                impl #name for ::api_core::runtime::Client { #(#methods)* }
            }
        }
    };
    let table = tables::action_table(spec);
    let by_name = tables::action_by_name(spec);
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

        /// One `*Request` (the exact wire params) per action, and its `*Call` (the awaitable builder).
        pub mod requests {
            #[allow(unused_imports)]
            use super::types;
            #call
            #(#actions)*
        }

        #client_impl
        #table
        #by_name
    }
}

/// Generates a module `examples` with each action's spec example as a function that runs it
/// on a client (`EXAMPLES`, in spec order), for the tour and the tests; the same texts are the
/// methods' doctests.
pub fn generate_examples(spec: &Spec, options: &Options) -> TokenStream {
    let tracked = &options.track_files;
    let examples = tables::examples(spec);
    quote! {
        #( const _: &str = include_str!(#tracked); )*
        #examples
    }
}
