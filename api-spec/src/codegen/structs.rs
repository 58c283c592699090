//! Code for `[[struct]]` types: the struct, its `Deserialize` (unlisted keys kept in `extra`),
//! file collection and, for `input` structs, a builder.

use proc_macro2::TokenStream;
use quote::quote;

use super::record::{Slot, record_impl, slot};
use super::shared::{
    argument, collect_files_impl, default_from_new, doc_attrs, ident, init_from_argument,
    many_arguments, pub_field, serialize_attr, serialize_with_attr,
};
use crate::model::*;
use crate::types::TypeRef;

pub(super) fn struct_def(spec: &Spec, s: &StructDef) -> TokenStream {
    let name = ident(&s.name);
    let files = collect_files_impl(
        spec,
        &name,
        s.fields.iter().map(|f| (&f.ty, &f.rust_name, &f.wire_name)),
    );
    let builder = s.input.then(|| input_builder(s));
    let doc = doc_attrs(&s.doc);
    let fields = s.fields.iter().map(|f| {
        let serde_attr = if s.transparent {
            serialize_with_attr(&f.ty).map(|w| quote!(#[serde(#w)]))
        } else {
            serialize_attr(&f.rust_name, &f.wire_name, &f.ty)
        };
        pub_field(&f.doc, serde_attr, &f.rust_name, &f.ty)
    });
    if s.transparent {
        return quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, ::api_core::runtime::serde::Serialize, ::api_core::runtime::serde::Deserialize)]
            #[serde(crate = "::api_core::runtime::serde", transparent)]
            pub struct #name {
                #(#fields)*
            }
            #files
            #builder
        };
    }
    let record = struct_record(s);
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, ::api_core::runtime::serde::Serialize)]
        #[serde(crate = "::api_core::runtime::serde")]
        pub struct #name {
            #(#fields)*
            /// Fields the server sent that the spec does not list, kept as they arrived.
            #[serde(flatten)]
            pub extra: ::api_core::runtime::serde_json::Map<::std::string::String, ::api_core::runtime::serde_json::Value>,
        }
        #record
        #files
        #builder
    }
}

/// How the struct is read: a slot per field (its wire name and aliases), unlisted keys kept in
/// `extra`.
fn struct_record(s: &StructDef) -> TokenStream {
    let name = ident(&s.name);
    let slots: Vec<Slot> = s
        .fields
        .iter()
        .map(|f| Slot {
            wire: &f.wire_name,
            aliases: &f.aliases,
            ty: &f.ty,
        })
        .collect();
    let inits = s.fields.iter().enumerate().map(|(i, f)| {
        let fname = ident(&f.rust_name);
        let slot = slot(i, slots.len());
        let wire = &f.wire_name;
        if matches!(f.ty, TypeRef::Option(_)) {
            quote!(#fname: #slot.optional())
        } else {
            quote!(#fname: #slot.required(#wire)?)
        }
    });
    record_impl(
        &name,
        true,
        &slots,
        quote!(#name { #(#inits,)* extra: unlisted }),
    )
}

/// `new` with the required fields and a setter per optional field, for structs callers build.
fn input_builder(s: &StructDef) -> TokenStream {
    let name = ident(&s.name);
    let required: Vec<&Field> = s
        .fields
        .iter()
        .filter(|f| !matches!(f.ty, TypeRef::Option(_)))
        .collect();
    let args: Vec<TokenStream> = required
        .iter()
        .map(|f| {
            let n = ident(&f.rust_name);
            let (ty, _) = argument(&f.ty, &n);
            quote!(#n: #ty)
        })
        .collect();
    let allow = many_arguments(&args);
    let inits = s.fields.iter().map(|f| {
        let n = ident(&f.rust_name);
        if matches!(f.ty, TypeRef::Option(_)) {
            quote!(#n: ::std::option::Option::None)
        } else {
            init_from_argument(&f.ty, &n)
        }
    });
    let extra = (!s.transparent).then(|| quote!(extra: ::api_core::runtime::Unlisted::new(),));
    let setters = s.fields.iter().filter_map(|f| {
        let TypeRef::Option(inner) = &f.ty else {
            return None;
        };
        let n = ident(&f.rust_name);
        let (arg, conv) = argument(inner, &n);
        let doc = doc_attrs(&format!("设置 `{}`：{}", f.rust_name, f.doc));
        Some(quote! {
            #doc
            pub fn #n(mut self, #n: #arg) -> Self {
                self.#n = ::std::option::Option::Some(#conv);
                self
            }
        })
    });
    let default_impl = required.is_empty().then(|| default_from_new(&name));
    quote! {
        #default_impl
        impl #name {
            /// Builds the value from its required fields; optional ones are left unset.
            #allow
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits,)* #extra }
            }
            #(#setters)*
        }
    }
}
