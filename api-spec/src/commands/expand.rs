//! The code a `#[derive(Commands)]` enum gets: the `api_bot::commands::Commands`
//! implementation (names, usage, parsing of each variant's arguments) and the extractor, so
//! that a handler can take the enum as an argument.

use proc_macro2::TokenStream;
use quote::quote;

use crate::commands::read::{CommandSet, Fields, Param};

/// The implementation for `set`.
pub fn expand(set: &CommandSet) -> TokenStream {
    let ident = &set.ident;
    let prefix = &set.prefix;
    let infos = set.commands.iter().map(|c| {
        let (name, aliases, about) = (&c.name, &c.aliases, &c.about);
        let params = params(&c.fields).iter().map(|p| {
            let ty = &p.ty;
            let label = p.name.as_ref().map(|n| n.to_string()).unwrap_or_default();
            quote!(::api_bot::commands::Param::of::<#ty>(#label))
        });
        quote! {
            ::api_bot::commands::CommandInfo {
                name: #name,
                aliases: &[#(#aliases),*],
                about: #about,
                params: ::std::vec![#(#params),*],
            }
        }
    });
    let arms = set.commands.iter().enumerate().map(|(i, c)| {
        let variant = &c.variant;
        let build = match &c.fields {
            Fields::Unit => quote!(#ident::#variant),
            Fields::Tuple(params) => {
                let args = params.iter().enumerate().map(|(n, p)| take(p, n));
                quote!(#ident::#variant(#(#args),*))
            }
            Fields::Named(params) => {
                let args = params.iter().enumerate().map(|(n, p)| {
                    let field = p.name.as_ref().expect("named fields have names");
                    let value = take(p, n);
                    quote!(#field: #value)
                });
                quote!(#ident::#variant { #(#args),* })
            }
        };
        quote!(#i => ::std::result::Result::Ok(#build),)
    });
    quote! {
        impl ::api_bot::commands::Commands for #ident {
            fn prefix() -> &'static str {
                #prefix
            }

            fn commands() -> ::std::vec::Vec<::api_bot::commands::CommandInfo> {
                ::std::vec![#(#infos),*]
            }

            fn from_args(
                index: usize,
                args: &mut ::api_bot::commands::Args,
            ) -> ::std::result::Result<Self, ::api_bot::commands::ArgError> {
                match index {
                    #(#arms)*
                    _ => ::std::unreachable!("the command index comes from `commands()`"),
                }
            }
        }

        impl ::api_bot::extract::FromCtx for #ident {
            fn from_ctx(
                ctx: &::api_bot::context::Ctx,
            ) -> ::std::result::Result<Self, ::api_bot::extract::Rejection> {
                ::api_bot::commands::extract::<Self>(ctx)
            }
        }
    }
}

fn params(fields: &Fields) -> &[Param] {
    match fields {
        Fields::Unit => &[],
        Fields::Tuple(p) | Fields::Named(p) => p,
    }
}

/// Reads argument `n` (of type `p.ty`) from the message.
fn take(p: &Param, n: usize) -> TokenStream {
    let ty = &p.ty;
    quote!(args.take::<#ty>(#n)?)
}
