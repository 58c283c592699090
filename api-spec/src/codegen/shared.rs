//! Helpers every part of the generator uses: idents, doc attributes, the Rust type of a spec
//! type, the argument a method takes for it.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::model::*;
use crate::types::{Scalar, TypeRef};

pub(crate) fn doc_attrs(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| format!(" {l}"));
    quote! { #( #[doc = #lines] )* }
}

pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The Rust type for a spec type.
pub fn rust_type(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Unit => quote!(()),
        TypeRef::Scalar(s) => match s {
            Scalar::String => quote!(::std::string::String),
            Scalar::Bool | Scalar::Flag => quote!(bool),
            Scalar::I32 => quote!(i32),
            Scalar::I64 => quote!(i64),
            Scalar::Qq => quote!(::api_core::runtime::UserId),
            Scalar::Group => quote!(::api_core::runtime::GroupId),
            Scalar::Msg => quote!(::api_core::runtime::MessageId),
            Scalar::LongMsg => quote!(::api_core::runtime::LongMessageId),
            Scalar::AnyMsg => quote!(::api_core::runtime::AnyMessageId),
            Scalar::Forward => quote!(::api_core::runtime::ForwardId),
            Scalar::Duration => quote!(::std::time::Duration),
            Scalar::U32 => quote!(u32),
            Scalar::U64 => quote!(u64),
            Scalar::F64 => quote!(f64),
            Scalar::Json => quote!(::api_core::runtime::serde_json::Value),
            Scalar::File => quote!(::api_core::runtime::Uploadable),
            Scalar::Message => quote!(::api_core::runtime::Message),
            Scalar::Base64 => quote!(::api_core::runtime::Base64),
            Scalar::Header => quote!(::api_core::runtime::Header),
        },
        TypeRef::Option(t) => {
            let t = rust_type(t);
            quote!(::std::option::Option<#t>)
        }
        TypeRef::List(t) => {
            let t = rust_type(t);
            quote!(::std::vec::Vec<#t>)
        }
        TypeRef::Named(n) => {
            let n = ident(n);
            quote!(types::#n)
        }
    }
}

/// The argument type a method or setter takes for a value of `ty`, and how to turn it into `ty`.
pub(crate) fn argument(ty: &TypeRef, name: &Ident) -> (TokenStream, TokenStream) {
    match ty {
        TypeRef::Scalar(
            Scalar::String
            | Scalar::I64
            | Scalar::File
            | Scalar::Message
            | Scalar::Base64
            | Scalar::LongMsg
            | Scalar::AnyMsg
            | Scalar::Forward,
        ) => {
            let t = rust_type(ty);
            (quote!(impl ::std::convert::Into<#t>), quote!(#name.into()))
        }
        _ => (rust_type(ty), quote!(#name)),
    }
}

/// A field set from the argument of the same name (see [`argument`]): `name`, or
/// `name: name.into()`.
pub(crate) fn init_from_argument(ty: &TypeRef, name: &Ident) -> TokenStream {
    let (_, conv) = argument(ty, name);
    if *name == conv.to_string() {
        quote!(#name)
    } else {
        quote!(#name: #conv)
    }
}

/// The module whose `serialize`/`serialize_option` write a scalar that does not travel as
/// its Rust type: a duration as whole seconds, a flag as `1`/`0`.
fn wire_form(s: Scalar) -> Option<&'static str> {
    match s {
        Scalar::Duration => Some("seconds"),
        Scalar::Flag => Some("flag"),
        _ => None,
    }
}

/// `serialize_with` for a value that does not travel as its Rust type (see [`wire_form`]).
pub(crate) fn serialize_with_attr(ty: &TypeRef) -> Option<TokenStream> {
    let (scalar, function) = match ty {
        TypeRef::Scalar(s) => (*s, "serialize"),
        TypeRef::Option(t) => match **t {
            TypeRef::Scalar(s) => (s, "serialize_option"),
            _ => return None,
        },
        _ => return None,
    };
    let path = format!("::api_core::runtime::{}::{function}", wire_form(scalar)?);
    Some(quote!(serialize_with = #path))
}

/// Whether `ty` is a duration, required or optional (checked for fractions before sending).
pub(crate) fn is_duration(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Scalar(s) => *s == Scalar::Duration,
        TypeRef::Option(t) => is_duration(t),
        _ => false,
    }
}

/// A public field of a generated struct: its doc, its `#[serde(..)]` and its type.
pub(crate) fn pub_field(
    doc: &str,
    serde_attr: Option<TokenStream>,
    name: &str,
    ty: &TypeRef,
) -> TokenStream {
    let doc = doc_attrs(doc);
    let name = ident(name);
    let ty = rust_type(ty);
    quote! {
        #doc
        #serde_attr
        pub #name: #ty,
    }
}

/// The `#[serde(..)]` a field or parameter is serialized with: its wire name when it differs,
/// `None` left out, a duration as whole seconds, a flag as `1`/`0`; nothing when none applies.
pub(crate) fn serialize_attr(rust: &str, wire: &str, ty: &TypeRef) -> Option<TokenStream> {
    let mut parts = Vec::new();
    if rust != wire {
        parts.push(quote!(rename = #wire));
    }
    if matches!(ty, TypeRef::Option(_)) {
        parts.push(quote!(
            skip_serializing_if = "::std::option::Option::is_none"
        ));
    }
    parts.extend(serialize_with_attr(ty));
    (!parts.is_empty()).then(|| quote!(#[serde(#(#parts),*)]))
}

/// Scalars decoded leniently (numbers as text, numeric text as numbers).
pub(crate) fn is_lenient(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Scalar(s) => !matches!(
            s,
            Scalar::Json | Scalar::File | Scalar::Message | Scalar::Base64
        ),
        TypeRef::Option(t) => is_lenient(t),
        _ => false,
    }
}

/// `#[allow(clippy::too_many_arguments)]` for a function with these arguments (and `self`),
/// when clippy would ask for it.
pub(crate) fn many_arguments(args: &[TokenStream]) -> Option<TokenStream> {
    (args.len() >= 7).then(|| quote!(#[allow(clippy::too_many_arguments)]))
}

/// `Default` as `new()`, for a type whose `new` takes no argument.
pub(crate) fn default_from_new(name: &Ident) -> TokenStream {
    quote! {
        impl ::std::default::Default for #name {
            fn default() -> Self { Self::new() }
        }
    }
}

/// The positional arguments of an action's method and its request's `new`.
pub(crate) fn positional_args(a: &Action) -> Vec<TokenStream> {
    a.required_params()
        .map(|p| {
            let n = ident(&p.rust_name);
            let (ty, _) = argument(&p.ty, &n);
            quote!(#n: #ty)
        })
        .collect()
}

/// `CollectFiles` for a type whose listed parts (type, Rust name, wire name) may hold files;
/// nothing when none can.
pub(crate) fn collect_files_impl<'a>(
    spec: &Spec,
    name: &Ident,
    parts: impl Iterator<Item = (&'a TypeRef, &'a String, &'a String)>,
) -> Option<TokenStream> {
    let visits: Vec<TokenStream> = parts
        .filter(|(ty, _, _)| spec.contains_file(ty))
        .map(|(_, rust, wire)| {
            let f = ident(rust);
            let seg = format!(".{wire}");
            quote! {
                ::api_core::runtime::CollectFiles::collect_files(&mut self.#f, &::std::format!("{}{}", path, #seg), out);
            }
        })
        .collect();
    if visits.is_empty() {
        return None;
    }
    Some(quote! {
        impl ::api_core::runtime::CollectFiles for #name {
            fn collect_files<'a>(&'a mut self, path: &str, out: &mut ::std::vec::Vec<(::std::string::String, &'a mut ::api_core::runtime::Uploadable)>) {
                #(#visits)*
            }
        }
    })
}

/// Whether a parameter's type is an either-or union (`T` or `T?`), whose key goes straight
/// into the request.
pub(crate) fn is_keyed(spec: &Spec, ty: &TypeRef) -> bool {
    spec.keyed_union(ty).is_some()
}
