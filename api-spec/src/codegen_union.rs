//! Code for `[[union]]` types: tagged (`{type, data}` or fields beside the tag), untagged
//! (`"all"` or a number) and keyed (either-or parameters), each with its own `Serialize` and
//! `Deserialize`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::codegen::{doc_attrs, ident, is_lenient, rust_type};
use crate::model::*;
use crate::types::TypeRef;

const SERDE: &str = "::api_core::__private::serde";

/// The union's enum, its serde impls and, when a variant can hold files, `CollectFiles`.
pub fn union_def(spec: &Spec, u: &UnionDef) -> TokenStream {
    let name = ident(&u.name);
    let doc = doc_attrs(&u.doc);
    let variants = u.variants.iter().map(|v| {
        let var = ident(&v.name);
        let text = match (&u.kind, &v.wire) {
            (UnionKind::Tagged { tag, .. }, Some(w)) => format!("{}（`{tag}` 为 `{w}`）", v.doc),
            (UnionKind::Keyed, Some(w)) => format!("{}（发送 `{w}`）", v.doc),
            (UnionKind::Untagged { .. }, Some(w)) => format!("{}（线上为文本 `{w}`）", v.doc),
            _ => v.doc.clone(),
        };
        let vdoc = doc_attrs(text.trim_start_matches('（').trim());
        match &v.ty {
            Some(t) => {
                let t = rust_type(t);
                quote!(#vdoc #var(#t),)
            }
            None => quote!(#vdoc #var,),
        }
    });
    let catch_all = match &u.kind {
        UnionKind::Tagged { closed: true, .. } => None,
        UnionKind::Tagged { .. } => Some(quote! {
            /// A tag the spec does not list: the whole object, kept as it arrived and sent
            /// back unchanged.
            Unknown(::api_core::__private::serde_json::Value),
        }),
        UnionKind::Untagged { open: true } => Some(quote! {
            /// A value that fits no listed variant, kept as it arrived and sent back unchanged.
            Other(::api_core::__private::serde_json::Value),
        }),
        _ => None,
    };
    let (serialize, deserialize, extra) = match &u.kind {
        UnionKind::Tagged {
            tag,
            content,
            closed,
        } => tagged(spec, u, tag, content.as_deref(), *closed),
        UnionKind::Untagged { open } => untagged(u, *open),
        UnionKind::Keyed => keyed(u),
    };
    let serde: syn::Path = syn::parse_str(SERDE).expect("a path");
    let files = files_impl(spec, u);
    let deserialize_impl = quote! {
        impl<'de> #serde::Deserialize<'de> for #name {
            fn deserialize<D: #serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                #deserialize
            }
        }
    };
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name {
            #(#variants)*
            #catch_all
        }

        #extra

        impl #serde::Serialize for #name {
            fn serialize<S: #serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                #serialize
            }
        }

        #deserialize_impl

        #files
    }
}

/// Decodes `value` (a `serde_json::Value` expression) as `ty`, leniently for scalars; an
/// expression of type `Result<T, serde_json::Error>`.
fn decode_value(ty: &TypeRef, value: TokenStream) -> TokenStream {
    let t = rust_type(ty);
    if is_lenient(ty) {
        quote! {
            ::api_core::__private::serde::de::DeserializeSeed::deserialize(::api_core::__private::LenientSeed::<#t>(::std::marker::PhantomData), #value)
        }
    } else {
        quote!(<#t as ::api_core::__private::serde::Deserialize>::deserialize(#value))
    }
}

fn tagged(
    spec: &Spec,
    u: &UnionDef,
    tag: &str,
    content: Option<&str>,
    closed: bool,
) -> (TokenStream, TokenStream, TokenStream) {
    let name = ident(&u.name);
    let ser_arms = u.variants.iter().map(|v| {
        let var = ident(&v.name);
        let w = v.wire.clone().unwrap_or_default();
        match (content, &v.ty) {
            (Some(key), Some(_)) => quote! {
                #name::#var(v) => {
                    let mut m = s.serialize_map(::std::option::Option::Some(2))?;
                    m.serialize_entry(#tag, #w)?;
                    m.serialize_entry(#key, v)?;
                    m.end()
                }
            },
            (Some(key), None) => quote! {
                #name::#var => {
                    let mut m = s.serialize_map(::std::option::Option::Some(2))?;
                    m.serialize_entry(#tag, #w)?;
                    m.serialize_entry(#key, &::api_core::__private::serde_json::Map::new())?;
                    m.end()
                }
            },
            (None, Some(_)) => quote! {
                #name::#var(v) => ::api_core::__private::serialize_with_tag(v, #tag, #w, s)
            },
            (None, None) => quote! {
                #name::#var => {
                    let mut m = s.serialize_map(::std::option::Option::Some(1))?;
                    m.serialize_entry(#tag, #w)?;
                    m.end()
                }
            },
        }
    });
    let unknown_ser = (!closed).then(
        || quote!(#name::Unknown(v) => ::api_core::__private::serde::Serialize::serialize(v, s),),
    );
    let serialize = quote! {
        use ::api_core::__private::serde::ser::SerializeMap;
        match self {
            #(#ser_arms,)*
            #unknown_ser
        }
    };
    let de_arms = u.variants.iter().map(|v| {
        let var = ident(&v.name);
        let w = v.wire.clone().unwrap_or_default();
        match (&v.ty, content) {
            (None, _) => quote!(#w => ::std::result::Result::Ok(#name::#var),),
            (Some(ty), Some(key)) => {
                let decode = decode_value(ty, quote!(inner));
                quote! {
                    #w => {
                        let inner = value
                            .as_object_mut()
                            .and_then(|m| m.remove(#key))
                            .unwrap_or(::api_core::__private::serde_json::Value::Null);
                        #decode.map(#name::#var).map_err(<D::Error as ::api_core::__private::serde::de::Error>::custom)
                    }
                }
            }
            (Some(ty), None) => {
                // The tag is the union's, not the variant's: it goes back on when sent, so it
                // stays out of the variant's `extra` unless the variant lists it as a field.
                let lists_tag = ty
                    .named()
                    .and_then(|n| spec.find_struct(n))
                    .is_some_and(|s| s.fields.iter().any(|f| f.wire_name == tag));
                let strip = (!lists_tag).then(|| {
                    quote! {
                        if let ::std::option::Option::Some(m) = value.as_object_mut() {
                            m.remove(#tag);
                        }
                    }
                });
                let decode = decode_value(ty, quote!(value));
                quote! {
                    #w => {
                        #strip
                        #decode.map(#name::#var).map_err(<D::Error as ::api_core::__private::serde::de::Error>::custom)
                    }
                }
            }
        }
    });
    let expecting = format!("a `{}` (an object with its tag `{tag}`)", u.name);
    let fail = quote!(<D::Error as ::api_core::__private::serde::de::Error>::custom);
    let (no_tag, other_tag) = if closed {
        let listed = u
            .variants
            .iter()
            .filter_map(|v| v.wire.as_deref())
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let missing = format!("expected {expecting}");
        let unlisted = format!("`{tag}` is not one of {listed}");
        (
            quote!(return ::std::result::Result::Err(#fail(#missing));),
            quote!(::std::result::Result::Err(#fail(#unlisted))),
        )
    } else {
        (
            quote!(return ::std::result::Result::Ok(#name::Unknown(value));),
            quote!(::std::result::Result::Ok(#name::Unknown(value))),
        )
    };
    let deserialize = quote! {
        let mut value = <::api_core::__private::serde_json::Value as ::api_core::__private::serde::Deserialize>::deserialize(d)?;
        let tag = match value.get(#tag) {
            ::std::option::Option::Some(::api_core::__private::serde_json::Value::String(t)) => t.clone(),
            ::std::option::Option::Some(_) | ::std::option::Option::None if value.is_object() => {
                #no_tag
            }
            _ => return ::std::result::Result::Err(#fail(::std::concat!("expected ", #expecting))),
        };
        match tag.as_str() {
            #(#de_arms)*
            _ => #other_tag,
        }
    };
    let tags = u.variants.iter().map(|v| {
        let var = ident(&v.name);
        let w = v.wire.clone().unwrap_or_default();
        if v.ty.is_some() {
            quote!(#name::#var(_) => #w,)
        } else {
            quote!(#name::#var => #w,)
        }
    });
    let (tag_doc, unknown_tag) = if closed {
        (" The tag as on the wire.", None)
    } else {
        (
            " The tag as on the wire (for [`Self::Unknown`], the tag that arrived, or `\"\"`).",
            Some(quote!(#name::Unknown(v) => v.get(#tag).and_then(|t| t.as_str()).unwrap_or(""),)),
        )
    };
    let extra = quote! {
        impl #name {
            #[doc = #tag_doc]
            pub fn tag(&self) -> &str {
                match self {
                    #(#tags)*
                    #unknown_tag
                }
            }
        }
    };
    (serialize, deserialize, extra)
}

fn untagged(u: &UnionDef, open: bool) -> (TokenStream, TokenStream, TokenStream) {
    let name = ident(&u.name);
    let ser_arms = u.variants.iter().map(|v| {
        let var = ident(&v.name);
        match (&v.ty, &v.wire) {
            (Some(_), _) => {
                quote!(#name::#var(v) => ::api_core::__private::serde::Serialize::serialize(v, s),)
            }
            (None, lit) => {
                let lit = lit.clone().unwrap_or_default();
                quote!(#name::#var => s.serialize_str(#lit),)
            }
        }
    });
    let other_ser = open.then(
        || quote!(#name::Other(v) => ::api_core::__private::serde::Serialize::serialize(v, s),),
    );
    let tries = u.variants.iter().map(|v| {
        let var = ident(&v.name);
        match (&v.ty, &v.wire) {
            (Some(ty), _) => {
                let decode = decode_value(ty, quote!(&value));
                quote! {
                    if let ::std::result::Result::Ok(v) = #decode {
                        return ::std::result::Result::Ok(#name::#var(v));
                    }
                }
            }
            (None, lit) => {
                let lit = lit.clone().unwrap_or_default();
                quote! {
                    if value.as_str() == ::std::option::Option::Some(#lit) {
                        return ::std::result::Result::Ok(#name::#var);
                    }
                }
            }
        }
    });
    let names: Vec<&str> = u.variants.iter().map(|v| v.name.as_str()).collect();
    let fail = if open {
        quote!(::std::result::Result::Ok(#name::Other(value)))
    } else {
        let msg = format!("fits no variant of `{}` ({})", u.name, names.join(", "));
        quote!(::std::result::Result::Err(
            <D::Error as ::api_core::__private::serde::de::Error>::custom(
                ::std::format!("{}: {}", #msg, value)
            )
        ))
    };
    let serialize = quote! {
        match self {
            #(#ser_arms)*
            #other_ser
        }
    };
    let deserialize = quote! {
        let value = <::api_core::__private::serde_json::Value as ::api_core::__private::serde::Deserialize>::deserialize(d)?;
        #(#tries)*
        #fail
    };
    (serialize, deserialize, quote!())
}

fn keyed(u: &UnionDef) -> (TokenStream, TokenStream, TokenStream) {
    let name = ident(&u.name);
    let ser_arms = u.variants.iter().map(|v| {
        let var = ident(&v.name);
        let key = v.wire.clone().unwrap_or_default();
        quote! {
            #name::#var(v) => {
                let mut m = s.serialize_map(::std::option::Option::Some(1))?;
                m.serialize_entry(#key, v)?;
                m.end()
            }
        }
    });
    let tries = u.variants.iter().map(|v| {
        let var = ident(&v.name);
        let key = v.wire.clone().unwrap_or_default();
        let ty = v.ty.clone().unwrap_or(TypeRef::Unit);
        let decode = decode_value(&ty, quote!(inner));
        quote! {
            if let ::std::option::Option::Some(inner) = map.remove(#key) {
                return #decode.map(#name::#var).map_err(<D::Error as ::api_core::__private::serde::de::Error>::custom);
            }
        }
    });
    let keys: Vec<String> = u.variants.iter().filter_map(|v| v.wire.clone()).collect();
    let msg = format!("expected one of the keys {}", keys.join(", "));
    let serialize = quote! {
        use ::api_core::__private::serde::ser::SerializeMap;
        match self {
            #(#ser_arms,)*
        }
    };
    let deserialize = quote! {
        let mut map = <::api_core::__private::serde_json::Map<::std::string::String, ::api_core::__private::serde_json::Value> as ::api_core::__private::serde::Deserialize>::deserialize(d)?;
        #(#tries)*
        ::std::result::Result::Err(<D::Error as ::api_core::__private::serde::de::Error>::custom(#msg))
    };
    (serialize, deserialize, quote!())
}

fn files_impl(spec: &Spec, u: &UnionDef) -> Option<TokenStream> {
    let name = ident(&u.name);
    let arms: Vec<TokenStream> = u
        .variants
        .iter()
        .filter(|v| v.ty.as_ref().is_some_and(|t| spec.contains_file(t)))
        .map(|v| {
            let var = ident(&v.name);
            let seg = match (&u.kind, &v.wire) {
                (UnionKind::Tagged { content: Some(c), .. }, _) => format!(".{c}"),
                (UnionKind::Keyed, Some(k)) => format!(".{k}"),
                _ => String::new(),
            };
            quote! {
                #name::#var(v) => ::api_core::__private::CollectFiles::collect_files(v, &::std::format!("{}{}", path, #seg), out),
            }
        })
        .collect();
    if arms.is_empty() {
        return None;
    }
    Some(quote! {
        impl ::api_core::__private::CollectFiles for #name {
            fn collect_files<'a>(&'a mut self, path: &str, out: &mut ::std::vec::Vec<(::std::string::String, &'a mut ::api_core::Uploadable)>) {
                #[allow(unreachable_patterns)]
                match self {
                    #(#arms)*
                    _ => {}
                }
            }
        }
    })
}
