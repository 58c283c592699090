//! The `Record` impl of a struct or a request (`api_core::runtime::Record`): its keys, the
//! type of each slot a value is read into, and how the slots make the value. The runtime's
//! one generic visitor does the reading.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

use super::shared::{is_lenient, rust_type};
use crate::types::TypeRef;

/// The most slots a tuple holds in the runtime (`api_core::runtime::MAX_TUPLE`); a record
/// with more has them in `Split`s.
pub const MAX_TUPLE: usize = 32;

/// One slot of a record: a value read from one of its keys.
pub(super) struct Slot<'a> {
    /// The wire name, which errors name.
    pub wire: &'a str,
    /// Other keys read into the same slot.
    pub aliases: &'a [String],
    /// The type of the value.
    pub ty: &'a TypeRef,
}

/// The expression for slot `index` of a record with `count` slots: `fields.3`, or
/// `fields.0.3`, `fields.1.3` … when they are in `Split`s.
pub(super) fn slot(index: usize, count: usize) -> TokenStream {
    let mut path = quote!(fields);
    let (mut i, mut n) = (index, count);
    loop {
        let tuple = Literal::usize_unsuffixed(i % MAX_TUPLE);
        if n <= MAX_TUPLE {
            return quote!(#path.#tuple);
        }
        if i < MAX_TUPLE {
            return quote!(#path.0.#tuple);
        }
        path = quote!(#path.1);
        i -= MAX_TUPLE;
        n -= MAX_TUPLE;
    }
}

/// `impl Record for #name` and its `Deserialize`; `build` is the value made from the slots
/// (`fields.0.required("user_id")?` …) and, when `keeps_unlisted`, `unlisted`.
pub(super) fn record_impl(
    name: &Ident,
    keeps_unlisted: bool,
    slots: &[Slot],
    build: TokenStream,
) -> TokenStream {
    let expecting = format!("struct {name}");
    let wires = slots.iter().enumerate().map(|(i, s)| {
        let (wire, i) = (s.wire, Literal::usize_unsuffixed(i));
        quote!((#wire, #i))
    });
    let aliases = slots.iter().enumerate().flat_map(|(i, s)| {
        let i = Literal::usize_unsuffixed(i);
        s.aliases.iter().map(move |a| quote!((#a, #i)))
    });
    let types: Vec<TokenStream> = slots
        .iter()
        .map(|s| {
            let t = rust_type(s.ty);
            if is_lenient(s.ty) {
                quote!(::api_core::runtime::LenientField<#t>)
            } else {
                quote!(::api_core::runtime::Field<#t>)
            }
        })
        .collect();
    let fields = fields_type(&types);
    let keeps = keeps_unlisted.then(|| {
        quote!(
            const KEEPS_UNLISTED: bool = true;
        )
    });
    let unlisted = if keeps_unlisted {
        quote!(unlisted)
    } else {
        quote!(_)
    };
    let fields_param = if slots.is_empty() {
        quote!(_)
    } else {
        quote!(fields)
    };
    quote! {
        ::api_core::runtime::deserialize_record!(#name);
        impl ::api_core::runtime::Record for #name {
            const EXPECTING: &'static str = #expecting;
            const KEYS: ::api_core::runtime::Keys = &[#(#wires,)* #(#aliases),*];
            #keeps
            type Fields = #fields;
            fn build(#fields_param: Self::Fields, #unlisted: ::api_core::runtime::Unlisted) -> ::std::result::Result<Self, ::api_core::runtime::Missing> {
                ::std::result::Result::Ok(#build)
            }
        }
    }
}

/// The slots' type: a tuple, or a `Split` of the first `MAX_TUPLE` and the rest.
fn fields_type(types: &[TokenStream]) -> TokenStream {
    if types.len() > MAX_TUPLE {
        let (first, rest) = types.split_at(MAX_TUPLE);
        let rest = fields_type(rest);
        quote!(::api_core::runtime::Split<(#(#first,)*), #rest>)
    } else {
        quote!((#(#types,)*))
    }
}
