//! Code for `[[enum]]` types: the enum, its wire values and labels, lenient parsing from text,
//! and its serde impls.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::shared::{doc_attrs, ident};
use crate::model::*;

pub(super) fn enum_def(e: &EnumDef) -> TokenStream {
    let name = ident(&e.name);
    let name_str = &e.name;
    let doc = doc_attrs(&e.doc);
    let text = e.is_text();
    let vars: Vec<Ident> = e.variants.iter().map(|v| ident(&v.name)).collect();
    let wires: Vec<TokenStream> = e
        .variants
        .iter()
        .map(|v| match &v.wire {
            WireValue::Int(i) => {
                let i = proc_macro2::Literal::i64_unsuffixed(*i);
                quote!(#i)
            }
            WireValue::Str(s) => quote!(#s),
        })
        .collect();
    let labels: Vec<&str> = e.variants.iter().map(|v| v.label.as_str()).collect();
    let names: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
    let var_docs = e.variants.iter().map(|v| {
        let text = format!(" {}（线上值 `{}`）", v.label, v.wire);
        quote!(#[doc = #text])
    });
    let texts_of = |v: &Variant| {
        let mut all: Vec<String> = Vec::new();
        for t in [v.name.clone(), v.label.clone(), v.wire.to_string()]
            .into_iter()
            .chain(v.aliases.iter().cloned())
        {
            if !all.contains(&t) {
                all.push(t);
            }
        }
        all
    };
    let exact_arms = e.variants.iter().map(|v| {
        let var = ident(&v.name);
        let all = texts_of(v);
        quote!(#(#all)|* => ::std::option::Option::Some(#name::#var),)
    });
    let texts = e.variants.iter().map(|v| {
        let all = texts_of(v);
        quote!(&[#(#all),*])
    });
    let (wire_ty, other_ty) = if text {
        (quote!(&str), quote!(::std::string::String))
    } else {
        (quote!(i64), quote!(i64))
    };
    let copy = (!(text && e.open)).then(|| quote!(Copy,));
    let pick = if copy.is_some() {
        quote!(Self::ALL[i])
    } else {
        quote!(Self::ALL[i].clone())
    };
    let other_variant = e.open.then(|| {
        quote! {
            /// A value the spec does not list, kept as it arrived and sent back unchanged.
            Other(#other_ty),
        }
    });
    let other_wire = e.open.then(|| {
        if text {
            quote!(#name::Other(v) => v.as_str(),)
        } else {
            quote!(#name::Other(v) => *v,)
        }
    });
    let other_label = e.open.then(|| quote!(#name::Other(_) => "（未列出的值）",));
    let is_known = e.open.then(|| {
        quote! {
            /// Whether this is a value the spec lists (not [`Self::Other`]).
            pub fn is_known(&self) -> bool {
                !::std::matches!(self, #name::Other(_))
            }
        }
    });
    let display = if e.open {
        quote! {
            match self {
                #name::Other(v) => ::std::write!(f, "{}", v),
                _ => f.write_str(self.label()),
            }
        }
    } else {
        quote!(f.write_str(self.label()))
    };
    let all_list = quote!(&[#(#name::#vars),*]);
    let from_wire = if text {
        quote! {
            /// The variant for a wire text (exactly as sent; see [`Self::from_text`] for the lenient match).
            pub fn from_wire(value: &str) -> ::std::option::Option<Self> {
                match value { #(#wires => ::std::option::Option::Some(#name::#vars),)* _ => ::std::option::Option::None }
            }
        }
    } else {
        quote! {
            /// The variant for a wire integer.
            pub fn from_wire(value: i64) -> ::std::option::Option<Self> {
                match value { #(#wires => ::std::option::Option::Some(#name::#vars),)* _ => ::std::option::Option::None }
            }
        }
    };
    let serialize = if text {
        quote!(s.serialize_str(self.wire()))
    } else {
        quote!(s.serialize_i64(self.wire()))
    };
    let (from_int, fallback) = match (text, e.open) {
        (false, false) => (
            quote!(Self::from_wire),
            quote!(::api_core::runtime::EnumFallback::None),
        ),
        (false, true) => (
            quote!(Self::from_wire),
            quote!(::api_core::runtime::EnumFallback::Int(#name::Other)),
        ),
        (true, false) => (
            quote!(|v: i64| Self::from_text(&v.to_string())),
            quote!(::api_core::runtime::EnumFallback::None),
        ),
        (true, true) => (
            quote!(|v: i64| Self::from_text(&v.to_string())),
            quote!(::api_core::runtime::EnumFallback::Text(#name::Other)),
        ),
    };
    quote! {
        #doc
        #[derive(Debug, Clone, #copy PartialEq, Eq, Hash)]
        pub enum #name {
            #( #var_docs #vars, )*
            #other_variant
        }

        impl #name {
            /// Every variant the spec lists, in spec order.
            pub const ALL: &'static [#name] = #all_list;

            /// The value sent on the wire.
            pub fn wire(&self) -> #wire_ty {
                match self { #(#name::#vars => #wires,)* #other_wire }
            }

            /// The display label.
            pub fn label(&self) -> &'static str {
                match self { #(#name::#vars => #labels,)* #other_label }
            }

            #is_known

            #from_wire

            /// The variant for a text: its Rust name, label, wire value or a server alias
            /// (ASCII case ignored, surrounding spaces trimmed).
            pub fn from_text(text: &str) -> ::std::option::Option<Self> {
                match text {
                    #(#exact_arms)*
                    _ => ::api_core::runtime::position_ignoring_case(&[#(#texts),*], text).map(|i| #pick),
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                #display
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::string::String;
            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::from_text(text).ok_or_else(|| ::api_core::runtime::not_a_variant(text, #name_str, &[#(#names),*]))
            }
        }

        impl ::api_core::runtime::serde::Serialize for #name {
            fn serialize<S: ::api_core::runtime::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                #serialize
            }
        }

        impl<'de> ::api_core::runtime::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::api_core::runtime::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                ::api_core::runtime::deserialize_enum(d, #name_str, #from_int, Self::from_text, #fallback)
            }
        }
    }
}
