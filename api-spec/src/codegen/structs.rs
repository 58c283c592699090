//! Code for `[[struct]]` types: the struct, its `Deserialize` (unlisted keys kept in `extra`),
//! file collection and, for `input` structs, a builder.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::shared::{
    argument, collect_files_impl, doc_attrs, ident, is_lenient, rust_type, seconds_attr,
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
        let fname = ident(&f.rust_name);
        let ty = rust_type(&f.ty);
        let doc = doc_attrs(&f.doc);
        let wire = &f.wire_name;
        let with = seconds_attr(&f.ty);
        let serde_attr = if s.transparent {
            with.map(|w| quote!(#[serde(#w)]))
        } else if matches!(f.ty, TypeRef::Option(_)) {
            Some(quote!(#[serde(rename = #wire, skip_serializing_if = "::std::option::Option::is_none", #with)]))
        } else {
            Some(quote!(#[serde(rename = #wire, #with)]))
        };
        quote! {
            #doc
            #serde_attr
            pub #fname: #ty,
        }
    });
    if s.transparent {
        return quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, ::api_core::__private::serde::Serialize, ::api_core::__private::serde::Deserialize)]
            #[serde(crate = "::api_core::__private::serde", transparent)]
            pub struct #name {
                #(#fields)*
            }
            #files
            #builder
        };
    }
    let deserialize = struct_deserialize(s);
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, ::api_core::__private::serde::Serialize)]
        #[serde(crate = "::api_core::__private::serde")]
        pub struct #name {
            #(#fields)*
            /// Fields the server sent that the spec does not list, kept as they arrived.
            #[serde(flatten)]
            pub extra: ::api_core::__private::serde_json::Map<::std::string::String, ::api_core::__private::serde_json::Value>,
        }

        #deserialize
        #files
        #builder
    }
}

/// `new` with the required fields and a setter per optional field, for structs callers build.
fn input_builder(s: &StructDef) -> TokenStream {
    let name = ident(&s.name);
    let required: Vec<&Field> = s
        .fields
        .iter()
        .filter(|f| !matches!(f.ty, TypeRef::Option(_)))
        .collect();
    let args = required.iter().map(|f| {
        let n = ident(&f.rust_name);
        let (ty, _) = argument(&f.ty, &n);
        quote!(#n: #ty)
    });
    let inits = s.fields.iter().map(|f| {
        let n = ident(&f.rust_name);
        if matches!(f.ty, TypeRef::Option(_)) {
            quote!(#n: ::std::option::Option::None)
        } else {
            let (_, conv) = argument(&f.ty, &n);
            quote!(#n: #conv)
        }
    });
    let extra =
        (!s.transparent).then(|| quote!(extra: ::api_core::__private::serde_json::Map::new(),));
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
    quote! {
        impl #name {
            /// Builds the value from its required fields; optional ones are left unset.
            #[allow(clippy::too_many_arguments)]
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits,)* #extra }
            }
            #(#setters)*
        }
    }
}

/// A `Deserialize` that fills listed fields straight from the map and puts unlisted keys in
/// `extra`, without the buffering `#[serde(flatten)]` does on the way in.
fn struct_deserialize(s: &StructDef) -> TokenStream {
    let name = ident(&s.name);
    let expecting = format!("struct {}", s.name);
    let key_arms = s.fields.iter().enumerate().map(|(i, f)| {
        let wire = &f.wire_name;
        let aliases = &f.aliases;
        quote!(#wire #(| #aliases)* => ::api_core::__private::Key::Known(#i),)
    });
    let vars: Vec<Ident> = (0..s.fields.len())
        .map(|i| format_ident!("__f{i}"))
        .collect();
    let decls = s.fields.iter().zip(&vars).map(|(f, v)| {
        let ty = rust_type(&f.ty);
        quote!(let mut #v: ::std::option::Option<#ty> = ::std::option::Option::None;)
    });
    let arms = s.fields.iter().zip(&vars).enumerate().map(|(i, (f, v))| {
        let wire = &f.wire_name;
        let ty = rust_type(&f.ty);
        let value = if is_lenient(&f.ty) {
            quote!(map.next_value_seed(::api_core::__private::LenientSeed::<#ty>(::std::marker::PhantomData))?)
        } else {
            quote!(map.next_value::<#ty>()?)
        };
        quote! {
            ::api_core::__private::Key::Known(#i) => {
                if #v.is_some() {
                    return ::std::result::Result::Err(<A::Error as ::api_core::__private::serde::de::Error>::duplicate_field(#wire));
                }
                #v = ::std::option::Option::Some(#value);
            }
        }
    });
    let inits = s.fields.iter().zip(&vars).map(|(f, v)| {
        let fname = ident(&f.rust_name);
        let wire = &f.wire_name;
        if matches!(f.ty, TypeRef::Option(_)) {
            quote!(#fname: #v.flatten())
        } else {
            quote! {
                #fname: #v.ok_or_else(|| <A::Error as ::api_core::__private::serde::de::Error>::missing_field(#wire))?
            }
        }
    });
    quote! {
        impl<'de> ::api_core::__private::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::api_core::__private::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                /// Matches a key against the listed wire names without allocating for them.
                struct KeySeed;
                impl<'de> ::api_core::__private::serde::de::DeserializeSeed<'de> for KeySeed {
                    type Value = ::api_core::__private::Key;
                    fn deserialize<K: ::api_core::__private::serde::Deserializer<'de>>(self, d: K) -> ::std::result::Result<Self::Value, K::Error> {
                        d.deserialize_str(self)
                    }
                }
                impl<'de> ::api_core::__private::serde::de::Visitor<'de> for KeySeed {
                    type Value = ::api_core::__private::Key;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a field name")
                    }
                    fn visit_str<E: ::api_core::__private::serde::de::Error>(self, v: &str) -> ::std::result::Result<Self::Value, E> {
                        ::std::result::Result::Ok(match v {
                            #(#key_arms)*
                            other => ::api_core::__private::Key::Unknown(::std::string::String::from(other)),
                        })
                    }
                }
                struct Visitor;
                impl<'de> ::api_core::__private::serde::de::Visitor<'de> for Visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_map<A: ::api_core::__private::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<#name, A::Error> {
                        #(#decls)*
                        let mut extra = ::api_core::__private::serde_json::Map::new();
                        while let ::std::option::Option::Some(key) = map.next_key_seed(KeySeed)? {
                            match key {
                                #(#arms)*
                                ::api_core::__private::Key::Known(_) => {
                                    map.next_value::<::api_core::__private::serde::de::IgnoredAny>()?;
                                }
                                ::api_core::__private::Key::Unknown(k) => {
                                    extra.insert(k, map.next_value()?);
                                }
                            }
                        }
                        ::std::result::Result::Ok(#name { #(#inits,)* extra })
                    }
                }
                d.deserialize_map(Visitor)
            }
        }
    }
}
