//! What is generated once per spec rather than per item: the `ACTIONS` table and
//! `action_by_name`; and, for `generate_examples!`, the runnable `examples`.

use proc_macro2::TokenStream;
use quote::quote;

use super::actions::request_ident;
use crate::model::*;

/// `ACTIONS`: an `ActionInfo` per action, written with the runtime's constructors, which
/// leave out what is usual (a wire name equal to the Rust name, no aliases, no default).
pub(super) fn action_table(spec: &Spec) -> TokenStream {
    let entries = spec.own_actions().map(|(c, a)| {
        let rust_name = &a.rust_name;
        let category = &c.name;
        let section = &a.section;
        let summary = &a.summary;
        let doc_line = a.doc_line();
        let returns = a.returns.to_string();
        let params = a.params.iter().map(|p| param_info(spec, p));
        let wire = (a.wire_name != a.rust_name).then(|| {
            let w = &a.wire_name;
            quote!(.wire(#w))
        });
        let aliases = (!a.aliases.is_empty()).then(|| {
            let aliases = &a.aliases;
            quote!(.aliases(&[#(#aliases),*]))
        });
        let packets = a.packets.as_ref().map(|p| {
            let p = p.to_string();
            quote!(.packets(#p))
        });
        let paced = a.paced.then(|| quote!(.paced()));
        quote! {
            ::api_core::runtime::ActionInfo::new(#rust_name, #category, #section, #summary, #doc_line, #returns, &[#(#params),*])
                #wire #aliases #packets #paced
        }
    });
    quote! {
        /// Every action generated from the spec, for introspection (Rust name, wire name, parameters).
        pub static ACTIONS: &[::api_core::runtime::ActionInfo] = &[#(#entries),*];
    }
}

/// A parameter's `ParamInfo`.
fn param_info(spec: &Spec, p: &Param) -> TokenStream {
    let keys = spec.param_keys(p);
    let ty = p.ty.to_string();
    let first = keys.first().map(String::as_str);
    let named = (first != Some(&p.rust_name) || first != Some(&p.wire_name)).then(|| {
        let (rust, wire) = (&p.rust_name, &p.wire_name);
        quote!(.named(#rust, #wire))
    });
    let required = (p.presence == Presence::Required).then(|| quote!(.required()));
    let default = match &p.presence {
        Presence::Default(v) => {
            let json = v.to_json(spec).to_string();
            Some(quote!(.default_json(#json)))
        }
        _ => None,
    };
    let aliases = (!p.aliases.is_empty()).then(|| {
        let aliases = &p.aliases;
        quote!(.aliases(&[#(#aliases),*]))
    });
    quote! {
        ::api_core::runtime::ParamInfo::new(&[#(#keys),*], #ty) #named #required #default #aliases
    }
}

pub(super) fn action_by_name(spec: &Spec) -> TokenStream {
    let arms: Vec<TokenStream> = spec.own_actions().map(|(_, a)| {
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
            #(#names)|* => ::std::option::Option::Some(&::api_core::runtime::#erased::<requests::#req>::NEW),
        }
    }).collect();
    let body = if arms.is_empty() {
        quote!(let _ = name; ::std::option::Option::None)
    } else {
        quote! {
            match name {
                #(#arms)*
                _ => ::std::option::Option::None,
            }
        }
    };
    quote! {
        /// An action of this spec by Rust name, wire name or wire alias, to call or decode without naming its
        /// types; `None` for a name this spec does not have.
        pub fn action_by_name(name: &str) -> ::std::option::Option<&'static dyn ::api_core::runtime::DynAction> {
            #body
        }
    }
}

/// Each action's spec example as a call that can be run (the tour and the end-to-end tests
/// run them), in spec order. The same text is each method's doctest, and like it, the
/// examples name `api_core` as its users do, not through the runtime.
pub(super) fn examples(spec: &Spec) -> TokenStream {
    let entries = spec.own_actions().map(|(_, a)| {
        let name = &a.rust_name;
        // The loader checked that the example parses as Rust statements.
        let body: TokenStream = a.example.parse().unwrap_or_default();
        quote! {
            (#name, |api: Client| -> ApiFuture<()> {
                ::std::boxed::Box::pin(async move {
                    #body
                    ::std::result::Result::Ok(())
                })
            })
        }
    });
    quote! {
        /// The spec's example for each action, runnable: `(Rust name, example)`, in spec order.
        pub mod examples {
            // As each method's doctest has them: `use api_core::{*, types::*}`.
            #[allow(unused_imports)]
            use ::api_core::*;
            #[allow(unused_imports)]
            use ::api_core::types::*;
            #[allow(unused_imports)]
            use ::std::time::Duration;

            /// A runnable example: it calls the action on the client it is given.
            pub type Example = fn(Client) -> ApiFuture<()>;

            /// Every action's example, in spec order.
            #[allow(unused_variables)]
            pub static EXAMPLES: &[(&str, Example)] = &[#(#entries),*];
        }
    }
}
