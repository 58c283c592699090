//! Code for `[[union]]` types: tagged (`{type, data}` or fields beside the tag) and keyed
//! (either-or parameters), each with its own `Serialize` and `Deserialize`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::shared::{doc_attrs, ident, is_lenient, rust_type};
use crate::model::*;
use crate::types::TypeRef;

const SERDE: &str = "::api_core::runtime::serde";

/// The union's enum, its serde impls and, when a variant can hold files, `CollectFiles`.
pub(super) fn union_def(spec: &Spec, u: &UnionDef) -> TokenStream {
    let name = ident(&u.name);
    let doc = doc_attrs(&u.doc);
    let variants = u.variants.iter().map(|v| {
        let var = ident(&v.name);
        let text = match (&u.kind, &v.wire) {
            (UnionKind::Tagged { tag, .. }, Some(w)) => format!("{}（`{tag}` 为 `{w}`）", v.doc),
            (UnionKind::Keyed, Some(w)) => format!("{}（发送 `{w}`）", v.doc),
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
        UnionKind::Tagged { open: false, .. } => None,
        UnionKind::Tagged { .. } => Some(quote! {
            /// A tag the spec does not list: the whole object, kept as it arrived and sent
            /// back unchanged.
            Unknown(::api_core::runtime::serde_json::Value),
        }),
        UnionKind::Keyed => None,
    };
    let (serialize, deserialize, extra) = match &u.kind {
        UnionKind::Tagged { tag, content, open } => {
            tagged(spec, u, tag, content.as_deref(), !*open)
        }
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
    // A keyed union of ids and numbers is a plain value: copied, compared and hashed (a chat
    // as a map key).
    let plain = matches!(u.kind, UnionKind::Keyed)
        && u.variants
            .iter()
            .all(|v| v.ty.as_ref().is_some_and(is_plain_value));
    let plain_derives = plain.then(|| quote!(Copy, Eq, Hash,));
    quote! {
        #doc
        #[derive(Debug, Clone, #plain_derives PartialEq)]
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

/// Whether `ty` is `Copy`, `Eq` and `Hash`: an id, a whole number or a yes/no.
fn is_plain_value(ty: &TypeRef) -> bool {
    use crate::types::Scalar::*;
    matches!(
        ty,
        TypeRef::Scalar(Bool | Flag | I32 | I64 | U32 | U64 | Qq | Group | Msg)
    )
}

/// Decodes `value` (a `serde_json::Value` expression) as `ty`, leniently for scalars; an
/// expression of type `Result<T, serde_json::Error>`.
fn decode_value(ty: &TypeRef, value: TokenStream) -> TokenStream {
    let t = rust_type(ty);
    if is_lenient(ty) {
        quote!(<#t as ::api_core::runtime::Lenient>::lenient(#value))
    } else {
        quote!(<#t as ::api_core::runtime::serde::Deserialize>::deserialize(#value))
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
                    m.serialize_entry(#key, &::api_core::runtime::serde_json::Map::new())?;
                    m.end()
                }
            },
            (None, Some(_)) => quote! {
                #name::#var(v) => ::api_core::runtime::serialize_with_tag(v, #tag, #w, s)
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
        || quote!(#name::Unknown(v) => ::api_core::runtime::serde::Serialize::serialize(v, s),),
    );
    // A variant written as a map of its own (not through its struct's fields) needs the trait.
    let writes_map = content.is_some() || u.variants.iter().any(|v| v.ty.is_none());
    let use_map = writes_map.then(|| {
        quote!(
            use ::api_core::runtime::serde::ser::SerializeMap;
        )
    });
    let serialize = quote! {
        #use_map
        match self {
            #(#ser_arms,)*
            #unknown_ser
        }
    };
    let expecting = format!("a `{}` (an object with its tag `{tag}`)", u.name);
    let (deserialize, (from_slice, from_str)) = match content {
        Some(key) => (
            content_deserialize(u, tag, key, closed, &expecting),
            (quote!(), quote!()),
        ),
        None => (
            beside_deserialize(spec, u, tag, closed, &expecting),
            beside_from_slice(spec, u, tag),
        ),
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
            #from_slice

            #[doc = #tag_doc]
            pub fn tag(&self) -> &str {
                match self {
                    #(#tags)*
                    #unknown_tag
                }
            }
        }

        #from_str
    };
    (serialize, deserialize, extra)
}

/// The tag of a union variant whose type does not list it goes back on when sent, so it stays
/// out of the variant's `extra`.
fn lists_tag(spec: &Spec, ty: &TypeRef, tag: &str) -> bool {
    ty.named()
        .and_then(|n| spec.find_struct(n))
        .is_some_and(|s| s.fields.iter().any(|f| f.wire_name == tag))
}

/// Reads the next map value as `ty`, leniently for scalars.
fn next_value(ty: &TypeRef) -> TokenStream {
    let t = rust_type(ty);
    if is_lenient(ty) {
        quote!(map.next_value_seed(::api_core::runtime::LenientSeed::<#t>(::std::marker::PhantomData))?)
    } else {
        quote!(map.next_value::<#t>()?)
    }
}

/// `Deserialize` for a `{tag, content}` union (a message segment): read as a map, the content
/// decoded straight into the variant when the tag came first (as NapCat sends it), kept as a
/// `Value` only when it came before the tag or the tag is not listed.
fn content_deserialize(
    u: &UnionDef,
    tag: &str,
    key: &str,
    closed: bool,
    expecting: &str,
) -> TokenStream {
    let name = ident(&u.name);
    let fail = quote!(<A::Error as ::api_core::runtime::serde::de::Error>::custom);
    let wires: Vec<String> = u
        .variants
        .iter()
        .map(|v| v.wire.clone().unwrap_or_default())
        .collect();
    let direct_arms = u.variants.iter().enumerate().map(|(i, v)| {
        let var = ident(&v.name);
        let i = Literal::usize_unsuffixed(i);
        let listed =
            quote!(::std::option::Option::Some(::std::result::Result::Ok(#i)) if decoded.is_none());
        match &v.ty {
            None => quote! {
                #listed => {
                    map.next_value::<::api_core::runtime::serde::de::IgnoredAny>()?;
                    decoded = ::std::option::Option::Some(#name::#var);
                }
            },
            Some(ty) => {
                let next = next_value(ty);
                quote!(#listed => decoded = ::std::option::Option::Some(#name::#var(#next)),)
            }
        }
    });
    let late_arms = u.variants.iter().enumerate().map(|(i, v)| {
        let var = ident(&v.name);
        let i = Literal::usize_unsuffixed(i);
        match &v.ty {
            None => quote!(::std::result::Result::Ok(#i) => ::std::result::Result::Ok(#name::#var),),
            Some(ty) => {
                let decode = decode_value(ty, quote!(content));
                quote! {
                    ::std::result::Result::Ok(#i) => {
                        let content = rest.shift_remove(#key).unwrap_or(::api_core::runtime::serde_json::Value::Null);
                        #decode.map(#name::#var).map_err(#fail)
                    }
                }
            }
        }
    });
    let (no_tag, other_tag) = if closed {
        let missing = format!("expected {expecting}");
        let unlisted = format!("`{tag}` is not one of {}", listed_tags(u));
        (
            quote!(::std::result::Result::Err(#fail(#missing))),
            quote!(::std::result::Result::Err(#fail(#unlisted))),
        )
    } else {
        (
            quote!(::std::result::Result::Ok(#name::Unknown(Value::Object(rest)))),
            quote! {{
                let text = match tag {
                    ::std::result::Result::Ok(i) => ::std::string::String::from(TAGS.get(i).copied().unwrap_or_default()),
                    ::std::result::Result::Err(text) => text,
                };
                rest.shift_insert(tag_at.min(rest.len()), ::std::string::String::from(#tag), Value::String(text));
                ::std::result::Result::Ok(#name::Unknown(Value::Object(rest)))
            }},
        )
    };
    // An open union keeps an unlisted tag where it came, as a `Value`.
    let (value, tag_at, mark_tag_at) = if closed {
        (None, None, None)
    } else {
        (
            Some(quote!(
                use ::api_core::runtime::serde_json::Value;
            )),
            Some(quote!(let mut tag_at = 0usize;)),
            Some(quote!(tag_at = rest.len();)),
        )
    };
    quote! {
        /// The listed tags, in the order of the variants.
        const TAGS: &[&str] = &[#(#wires),*];
        struct __Visitor;
        impl<'de> ::api_core::runtime::serde::de::Visitor<'de> for __Visitor {
            type Value = #name;
            fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(#expecting)
            }
            fn visit_map<A: ::api_core::runtime::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<#name, A::Error> {
                use ::api_core::runtime::{TagValue, UnionKey};
                #value
                // The listed tag's index, or the text of one the union does not list.
                let mut tag: ::std::option::Option<::std::result::Result<usize, ::std::string::String>> = ::std::option::Option::None;
                #tag_at
                let mut decoded: ::std::option::Option<#name> = ::std::option::Option::None;
                // Every entry not decoded straight away, in the order it came.
                let mut rest = ::api_core::runtime::serde_json::Map::new();
                while let ::std::option::Option::Some(k) = map.next_key_seed(::api_core::runtime::UnionKeySeed { tag: #tag, content: #key })? {
                    match k {
                        UnionKey::Tag => {
                            #mark_tag_at
                            match map.next_value_seed(::api_core::runtime::TagSeed { tags: TAGS })? {
                                TagValue::Listed(i) => tag = ::std::option::Option::Some(::std::result::Result::Ok(i)),
                                TagValue::Other(text) => tag = ::std::option::Option::Some(::std::result::Result::Err(text)),
                                TagValue::NotText(v) => {
                                    rest.insert(::std::string::String::from(#tag), v);
                                }
                            }
                        }
                        UnionKey::Content => match tag {
                            #(#direct_arms)*
                            _ => {
                                rest.insert(::std::string::String::from(#key), map.next_value()?);
                            }
                        },
                        UnionKey::Other(k) => {
                            rest.insert(k, map.next_value()?);
                        }
                    }
                }
                let ::std::option::Option::Some(tag) = tag else {
                    return #no_tag;
                };
                if let ::std::option::Option::Some(v) = decoded {
                    return ::std::result::Result::Ok(v);
                }
                match tag {
                    #(#late_arms)*
                    _ => #other_tag,
                }
            }
        }
        d.deserialize_map(__Visitor)
    }
}

/// The listed tags, for an error message.
fn listed_tags(u: &UnionDef) -> String {
    u.variants
        .iter()
        .filter_map(|v| v.wire.as_deref())
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Deserialize` for a union whose tag sits beside the variant's fields (an event): the object
/// is read into a `Value` first, since the tag may come last. [`beside_from_slice`] is the
/// fast path from JSON text.
fn beside_deserialize(
    spec: &Spec,
    u: &UnionDef,
    tag: &str,
    closed: bool,
    expecting: &str,
) -> TokenStream {
    let name = ident(&u.name);
    let fail = quote!(<D::Error as ::api_core::runtime::serde::de::Error>::custom);
    let de_arms = u.variants.iter().map(|v| {
        let var = ident(&v.name);
        let w = v.wire.clone().unwrap_or_default();
        match &v.ty {
            None => quote!(#w => ::std::result::Result::Ok(#name::#var),),
            Some(ty) => {
                let strip = (!lists_tag(spec, ty, tag)).then(|| {
                    quote! {
                        if let ::std::option::Option::Some(m) = value.as_object_mut() {
                            m.shift_remove(#tag);
                        }
                    }
                });
                let decode = decode_value(ty, quote!(value));
                quote! {
                    #w => {
                        #strip
                        #decode.map(#name::#var).map_err(#fail)
                    }
                }
            }
        }
    });
    let (no_tag, other_tag) = if closed {
        let missing = format!("expected {expecting}");
        let unlisted = format!("`{tag}` is not one of {}", listed_tags(u));
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
    quote! {
        let mut value = <::api_core::runtime::serde_json::Value as ::api_core::runtime::serde::Deserialize>::deserialize(d)?;
        let tag = match value.get(#tag) {
            ::std::option::Option::Some(::api_core::runtime::serde_json::Value::String(t)) => t.clone(),
            ::std::option::Option::Some(_) | ::std::option::Option::None if value.is_object() => {
                #no_tag
            }
            _ => return ::std::result::Result::Err(#fail(::std::concat!("expected ", #expecting))),
        };
        match tag.as_str() {
            #(#de_arms)*
            _ => #other_tag,
        }
    }
}

/// `from_slice` for a union whose tag sits beside the variant's fields: the tag is found in
/// the text without parsing it, and a struct variant (or a nested union of this kind) decodes
/// straight from the text. The tags of the enclosing unions end up in the struct's `extra`
/// on the way and are taken out again, as the `Value` path never puts them there.
fn beside_from_slice(spec: &Spec, u: &UnionDef, tag: &str) -> (TokenStream, TokenStream) {
    let name = ident(&u.name);
    // Each variant decoded straight from the text: its tag and how.
    let arms: Vec<(String, TokenStream)> = u
        .variants
        .iter()
        .filter_map(|v| {
            let var = ident(&v.name);
            let w = v.wire.clone().unwrap_or_default();
            let ty = v.ty.as_ref()?;
            let t = rust_type(ty);
            let named = ty.named();
            let nested = named
                .and_then(|n| spec.find_union(n))
                .is_some_and(|n| matches!(n.kind, UnionKind::Tagged { content: None, .. }));
            let plain_struct = named
                .and_then(|n| spec.find_struct(n))
                .is_some_and(|s| !s.transparent);
            if nested {
                Some((
                    w,
                    quote! {{
                        let mut strip = strip.to_vec();
                        strip.push(#tag);
                        return #t::__decode_stripping(json, &strip).map(#name::#var);
                    }},
                ))
            } else if plain_struct {
                let own = (!lists_tag(spec, ty, tag)).then(|| quote!(v.extra.shift_remove(#tag);));
                Some((
                    w,
                    quote! {{
                        let mut v = json.decode::<#t>()?;
                        if !v.extra.is_empty() {
                            for key in strip {
                                v.extra.shift_remove(*key);
                            }
                            #own
                        }
                        return ::std::result::Result::Ok(#name::#var(v));
                    }},
                ))
            } else {
                None
            }
        })
        .collect();
    let find = quote!(::api_core::runtime::find_tag(json.bytes(), #tag));
    let scan = match arms.as_slice() {
        [] => None,
        [(w, body)] => Some(quote! {
            if ::std::matches!(#find, ::api_core::runtime::TagScan::Found(tag) if tag.as_ref() == #w) #body
        }),
        _ => {
            let (tags, bodies): (Vec<_>, Vec<_>) = arms.into_iter().unzip();
            Some(quote! {
                if let ::api_core::runtime::TagScan::Found(tag) = #find {
                    match tag.as_ref() {
                        #(#tags => #bodies)*
                        _ => {}
                    }
                }
            })
        }
    };
    let doc = format!(
        " Decodes from JSON bytes, as `serde_json::from_slice` does, but faster: `{tag}` is \
         found in the text and the variant decoded straight from it, without building the \
         whole object as a `serde_json::Value` first. For text, `str::parse` (`FromStr`) does \
         the same."
    );
    let impls = quote! {
        impl ::std::str::FromStr for #name {
            type Err = ::api_core::runtime::serde_json::Error;
            /// Decodes from JSON text; see [`Self::from_slice`].
            fn from_str(json: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::__decode_stripping(::api_core::runtime::JsonText::Str(json), &[])
            }
        }
    };
    let methods = quote! {
        #[doc = #doc]
        pub fn from_slice(json: &[u8]) -> ::std::result::Result<Self, ::api_core::runtime::serde_json::Error> {
            Self::__decode_stripping(::api_core::runtime::JsonText::from_bytes(json), &[])
        }

        /// [`Self::from_slice`] for a union nested in another: `strip` are the enclosing
        /// unions' tags.
        #[doc(hidden)]
        pub fn __decode_stripping(json: ::api_core::runtime::JsonText<'_>, strip: &[&'static str]) -> ::std::result::Result<Self, ::api_core::runtime::serde_json::Error> {
            #scan
            let mut value = json.decode::<::api_core::runtime::serde_json::Value>()?;
            if let ::std::option::Option::Some(m) = value.as_object_mut() {
                for key in strip {
                    m.shift_remove(*key);
                }
            }
            <Self as ::api_core::runtime::serde::Deserialize>::deserialize(value)
        }
    };
    (methods, impls)
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
                return #decode.map(#name::#var).map_err(<D::Error as ::api_core::runtime::serde::de::Error>::custom);
            }
        }
    });
    let keys: Vec<String> = u.variants.iter().filter_map(|v| v.wire.clone()).collect();
    let msg = format!("expected one of the keys {}", keys.join(", "));
    let serialize = quote! {
        use ::api_core::runtime::serde::ser::SerializeMap;
        match self {
            #(#ser_arms,)*
        }
    };
    let deserialize = quote! {
        let mut map = <::api_core::runtime::serde_json::Map<::std::string::String, ::api_core::runtime::serde_json::Value> as ::api_core::runtime::serde::Deserialize>::deserialize(d)?;
        #(#tries)*
        ::std::result::Result::Err(<D::Error as ::api_core::runtime::serde::de::Error>::custom(#msg))
    };
    (serialize, deserialize, quote!())
}

fn files_impl(spec: &Spec, u: &UnionDef) -> Option<TokenStream> {
    let name = ident(&u.name);
    // Each variant that may hold files: its pattern and how its files are visited.
    let arms: Vec<(TokenStream, TokenStream)> = u
        .variants
        .iter()
        .filter(|v| v.ty.as_ref().is_some_and(|t| spec.contains_file(t)))
        .map(|v| {
            let var = ident(&v.name);
            let seg = match (&u.kind, &v.wire) {
                (
                    UnionKind::Tagged {
                        content: Some(c), ..
                    },
                    _,
                ) => format!(".{c}"),
                (UnionKind::Keyed, Some(k)) => format!(".{k}"),
                _ => String::new(),
            };
            (
                quote!(#name::#var(v)),
                quote!(::api_core::runtime::CollectFiles::collect_files(
                    v,
                    &::std::format!("{}{}", path, #seg),
                    out
                )),
            )
        })
        .collect();
    // The variants that hold no file, if any (a catch-all holds raw JSON).
    let has_catch_all = match &u.kind {
        UnionKind::Tagged { open, .. } => *open,
        UnionKind::Keyed => false,
    };
    let others = has_catch_all || arms.len() < u.variants.len();
    let body = match arms.as_slice() {
        [] => return None,
        [(pattern, visit)] if others => quote!(if let #pattern = self { #visit }),
        _ => {
            let (patterns, visits): (Vec<_>, Vec<_>) = arms.into_iter().unzip();
            let rest = others.then(|| quote!(_ => {}));
            quote! {
                match self {
                    #(#patterns => #visits,)*
                    #rest
                }
            }
        }
    };
    Some(quote! {
        impl ::api_core::runtime::CollectFiles for #name {
            fn collect_files<'a>(&'a mut self, path: &str, out: &mut ::std::vec::Vec<(::std::string::String, &'a mut ::api_core::runtime::Uploadable)>) {
                #body
            }
        }
    })
}
