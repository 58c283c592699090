//! What is generated once per spec rather than per item: the `ACTIONS` table, `action_by_name`
//! and the runnable `examples`.

use proc_macro2::TokenStream;
use quote::quote;

use super::actions::request_ident;
use crate::model::*;

pub(super) fn action_table(spec: &Spec) -> TokenStream {
    let entries = spec.own_actions().map(|(c, a)| {
        let rust_name = &a.rust_name;
        let wire = &a.wire_name;
        let category = &c.name;
        let section = &a.section;
        let summary = a.summary();
        let returns = a.returns.to_string();
        let params = a.params.iter().map(|p| {
            let rn = &p.rust_name;
            let wn = &p.wire_name;
            let ty = p.ty.to_string();
            let required = p.presence == Presence::Required;
            let default = match &p.presence {
                Presence::Default(v) => {
                    let json = v.to_json(spec).to_string();
                    quote!(::std::option::Option::Some(#json))
                }
                _ => quote!(::std::option::Option::None),
            };
            let aliases = &p.aliases;
            let keys = spec.param_keys(p);
            quote! {
                ::api_core::ParamInfo { rust_name: #rn, wire_name: #wn, ty: #ty, required: #required, default_json: #default, aliases: &[#(#aliases),*], keys: &[#(#keys),*] }
            }
        });
        let aliases = &a.aliases;
        let packets = match &a.packets {
            Some(p) => {
                let p = p.to_string();
                quote!(::std::option::Option::Some(#p))
            }
            None => quote!(::std::option::Option::None),
        };
        quote! {
            ::api_core::ActionInfo {
                packets: #packets,
                rust_name: #rust_name,
                wire_name: #wire,
                aliases: &[#(#aliases),*],
                category: #category,
                section: #section,
                summary: #summary,
                returns: #returns,
                params: &[#(#params),*],
            }
        }
    });
    quote! {
        /// Every action generated from the spec, for introspection (Rust name, wire name, parameters).
        pub static ACTIONS: &[::api_core::ActionInfo] = &[#(#entries),*];
    }
}

pub(super) fn action_by_name(spec: &Spec) -> TokenStream {
    let arms = spec.own_actions().map(|(_, a)| {
        let req = request_ident(a);
        let erased = match a.packets {
            Some(_) => quote!(ErasedStream),
            None => quote!(Erased),
        };
        let rust_name = &a.rust_name;
        let wire = &a.wire_name;
        let mut names = vec![rust_name.clone()];
        for n in std::iter::once(wire).chain(&a.aliases) {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        quote! {
            #(#names)|* => ::std::option::Option::Some(&::api_core::#erased::<requests::#req>::NEW),
        }
    });
    quote! {
        /// An action of this spec by Rust name, wire name or wire alias, to call or decode without naming its
        /// types; `None` for a name this spec does not have.
        pub fn action_by_name(name: &str) -> ::std::option::Option<&'static dyn ::api_core::DynAction> {
            match name {
                #(#arms)*
                _ => ::std::option::Option::None,
            }
        }
    }
}

/// Each action's spec example as a call that can be run (the tour and the end-to-end tests
/// run them), in spec order. The same text is each method's doctest.
pub(super) fn examples(spec: &Spec) -> TokenStream {
    let entries = spec.own_actions().map(|(_, a)| {
        let name = &a.rust_name;
        // The loader checked that the example parses as Rust statements.
        let body: TokenStream = a.example.parse().unwrap_or_default();
        quote! {
            (#name, |api: ::api_core::Client| -> ::api_core::ApiFuture<()> {
                ::std::boxed::Box::pin(async move {
                    #body
                    ::std::result::Result::Ok(())
                })
            })
        }
    });
    quote! {
        /// The spec's example for each action, runnable: `(Rust name, example)`, in spec order.
        #[doc(hidden)]
        pub mod examples {
            // As each method's doctest has them: `use api_core::{*, types::*}`.
            #[allow(unused_imports)]
            use ::api_core::*;
            #[allow(unused_imports)]
            use ::std::time::Duration;
            #[allow(unused_imports)]
            use super::types::*;

            /// A runnable example: it calls the action on the client it is given.
            pub type Example = fn(Client) -> ::api_core::ApiFuture<()>;

            /// Every action's example, in spec order.
            #[allow(unused_variables)]
            pub static EXAMPLES: &[(&str, Example)] = &[#(#entries),*];
        }
    }
}
