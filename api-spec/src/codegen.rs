//! Turns a validated [`Spec`] into Rust tokens: request structs, call builders, client
//! methods, response types and the action table.
//!
//! The generated code names the runtime only through `::api_core::...`, so it compiles in
//! `api-core` itself (which declares `extern crate self as api_core`) and in user crates.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::model::*;
use crate::names::camel;
use crate::types::{Scalar, TypeRef};

/// Where the generated methods go.
#[derive(Debug, Clone)]
pub enum Target {
    /// Inherent methods on `api_core::Client` (only inside `api-core`).
    Core,
    /// A public extension trait with this name, implemented for `api_core::Client`.
    ExtensionTrait(String),
}

/// Options for [`generate`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the methods go.
    pub target: Target,
    /// Files to `include_str!` so that editing a spec rebuilds the crate.
    pub track_files: Vec<String>,
}

/// Generates the whole API for `spec`: a `types` module (structs, enums, unions), a
/// `requests` module (`*Request` and `*Call` for each action), the client methods (inherent
/// or in an extension trait), `ACTIONS` and `action_by_name`.
pub fn generate(spec: &Spec, options: &Options) -> TokenStream {
    let own: Vec<&Category> = spec.own_categories().collect();
    let own_actions: Vec<&Action> = own.iter().flat_map(|c| c.actions.iter()).collect();
    let enums = own.iter().flat_map(|c| c.enums.iter()).map(enum_def);
    let structs = own
        .iter()
        .flat_map(|c| c.structs.iter())
        .map(|s| struct_def(spec, s));
    let unions = own
        .iter()
        .flat_map(|c| c.unions.iter())
        .map(|u| crate::codegen_union::union_def(spec, u));
    let actions = own_actions.iter().map(|a| action_items(spec, a));
    let methods: Vec<_> = own_actions
        .iter()
        .map(|a| client_method(a, &options.target))
        .collect();
    // Types of the spec this one builds on (the built-in one) are named through `types::`.
    let builtin_types = spec.categories.iter().any(|c| c.external).then(|| {
        quote!(
            pub use ::api_core::types::*;
        )
    });
    let client_impl = match &options.target {
        Target::Core => quote! {
            impl ::api_core::Client { #(#methods)* }
        },
        Target::ExtensionTrait(name) => {
            let name = Ident::new(name, Span::call_site());
            let sigs = own_actions.iter().map(|a| method_signature(a));
            quote! {
                /// Actions added from a spec file; bring this trait into scope to call them on a client.
                pub trait #name {
                    #( #sigs; )*
                }
                impl #name for ::api_core::Client { #(#methods)* }
            }
        }
    };
    let table = action_table(spec);
    let by_name = action_by_name(spec);
    let examples = matches!(options.target, Target::Core).then(|| examples(spec));
    let tracked = &options.track_files;
    quote! {
        #( const _: &str = include_str!(#tracked); )*

        /// The named types of the spec: what actions take and return.
        pub mod types {
            #[allow(unused_imports)]
            use super::types;
            #builtin_types
            #(#enums)*
            #(#structs)*
            #(#unions)*
        }

        /// One `*Request` (the exact wire params) and one `*Call` (the awaitable builder) per action.
        pub mod requests {
            #[allow(unused_imports)]
            use super::types;
            #(#actions)*
        }

        #client_impl
        #table
        #by_name
        #examples
    }
}

/// Each action's spec example as a call that can be run (the tour and the end-to-end tests
/// run them), in spec order. The same text is each method's doctest.
fn examples(spec: &Spec) -> TokenStream {
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
            Scalar::Bool => quote!(bool),
            Scalar::I32 => quote!(i32),
            Scalar::I64 => quote!(i64),
            Scalar::Qq => quote!(::api_core::UserId),
            Scalar::Group => quote!(::api_core::GroupId),
            Scalar::Duration => quote!(::std::time::Duration),
            Scalar::U32 => quote!(u32),
            Scalar::U64 => quote!(u64),
            Scalar::F64 => quote!(f64),
            Scalar::Json => quote!(::api_core::__private::serde_json::Value),
            Scalar::File => quote!(::api_core::Uploadable),
            Scalar::Message => quote!(::api_core::Message),
            Scalar::Base64 => quote!(::api_core::Base64),
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
fn argument(ty: &TypeRef, name: &Ident) -> (TokenStream, TokenStream) {
    match ty {
        TypeRef::Scalar(Scalar::String) => (
            quote!(impl ::std::convert::Into<::std::string::String>),
            quote!(#name.into()),
        ),
        TypeRef::Scalar(Scalar::I64) => {
            (quote!(impl ::std::convert::Into<i64>), quote!(#name.into()))
        }
        TypeRef::Scalar(Scalar::File) => (
            quote!(impl ::std::convert::Into<::api_core::Uploadable>),
            quote!(#name.into()),
        ),
        TypeRef::Scalar(Scalar::Message) => (
            quote!(impl ::std::convert::Into<::api_core::Message>),
            quote!(#name.into()),
        ),
        TypeRef::Scalar(Scalar::Base64) => (
            quote!(impl ::std::convert::Into<::api_core::Base64>),
            quote!(#name.into()),
        ),
        _ => (rust_type(ty), quote!(#name)),
    }
}

/// `serialize_with` for a duration (sent as whole seconds), if `ty` is one.
fn seconds_attr(ty: &TypeRef) -> Option<TokenStream> {
    match ty {
        TypeRef::Scalar(Scalar::Duration) => Some(quote!(
            serialize_with = "::api_core::__private::seconds::serialize"
        )),
        TypeRef::Option(t) if **t == TypeRef::Scalar(Scalar::Duration) => Some(quote!(
            serialize_with = "::api_core::__private::seconds::serialize_option"
        )),
        _ => None,
    }
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

/// The positional arguments of an action's method and its request's `new`.
fn positional_args(a: &Action) -> Vec<TokenStream> {
    a.required_params()
        .map(|p| {
            let n = ident(&p.rust_name);
            let (ty, _) = argument(&p.ty, &n);
            quote!(#n: #ty)
        })
        .collect()
}

fn enum_def(e: &EnumDef) -> TokenStream {
    let name = ident(&e.name);
    let name_str = &e.name;
    let doc = doc_attrs(&e.doc);
    let text = e.is_text();
    let vars: Vec<Ident> = e.variants.iter().map(|v| ident(&v.name)).collect();
    let wires: Vec<TokenStream> = e
        .variants
        .iter()
        .map(|v| match &v.wire {
            WireValue::Int(i) => quote!(#i),
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
    let display_other = e
        .open
        .then(|| quote!(#name::Other(v) => ::std::write!(f, "{}", v),));
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
            quote!(::api_core::__private::EnumFallback::None),
        ),
        (false, true) => (
            quote!(Self::from_wire),
            quote!(::api_core::__private::EnumFallback::Int(#name::Other)),
        ),
        (true, false) => (
            quote!(|v: i64| Self::from_text(&v.to_string())),
            quote!(::api_core::__private::EnumFallback::None),
        ),
        (true, true) => (
            quote!(|v: i64| Self::from_text(&v.to_string())),
            quote!(::api_core::__private::EnumFallback::Text(#name::Other)),
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
                    _ => {
                        const TEXTS: &[&[&str]] = &[#(#texts),*];
                        let text = text.trim();
                        TEXTS
                            .iter()
                            .position(|all| all.iter().any(|t| t.eq_ignore_ascii_case(text)))
                            .map(|i| #pick)
                    }
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    #display_other
                    _ => f.write_str(self.label()),
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::string::String;
            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::from_text(text).ok_or_else(|| {
                    ::std::format!("`{}` is not a {}; expected one of: {}", text, #name_str, [#(#names),*].join(", "))
                })
            }
        }

        impl ::api_core::__private::serde::Serialize for #name {
            fn serialize<S: ::api_core::__private::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                #serialize
            }
        }

        impl<'de> ::api_core::__private::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::api_core::__private::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                ::api_core::__private::deserialize_enum(d, #name_str, #from_int, Self::from_text, #fallback)
            }
        }
    }
}

fn struct_def(spec: &Spec, s: &StructDef) -> TokenStream {
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
                ::api_core::__private::CollectFiles::collect_files(&mut self.#f, &::std::format!("{}{}", path, #seg), out);
            }
        })
        .collect();
    if visits.is_empty() {
        return None;
    }
    Some(quote! {
        impl ::api_core::__private::CollectFiles for #name {
            fn collect_files<'a>(&'a mut self, path: &str, out: &mut ::std::vec::Vec<(::std::string::String, &'a mut ::api_core::Uploadable)>) {
                #(#visits)*
            }
        }
    })
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

fn request_ident(a: &Action) -> Ident {
    format_ident!("{}Request", camel(&a.rust_name))
}

fn call_ident(a: &Action) -> Ident {
    format_ident!("{}Call", camel(&a.rust_name))
}

fn default_expr(p: &Param) -> TokenStream {
    match &p.presence {
        Presence::Required => {
            let n = ident(&p.rust_name);
            let (_, conv) = argument(&p.ty, &n);
            conv
        }
        Presence::Optional => quote!(::std::option::Option::None),
        Presence::Default(v) => match (v, &p.ty) {
            (DefaultValue::Bool(b), _) => quote!(#b),
            (DefaultValue::Int(i), TypeRef::Scalar(Scalar::Duration)) => {
                let secs = *i as u64;
                quote!(::std::time::Duration::from_secs(#secs))
            }
            (DefaultValue::Int(i), TypeRef::Scalar(Scalar::Qq)) => quote!(::api_core::UserId(#i)),
            (DefaultValue::Int(i), TypeRef::Scalar(Scalar::Group)) => {
                quote!(::api_core::GroupId(#i))
            }
            (DefaultValue::Int(i), TypeRef::Scalar(s)) => {
                let lit = match s {
                    Scalar::I32 => proc_macro2::Literal::i32_unsuffixed(*i as i32),
                    _ => proc_macro2::Literal::i64_unsuffixed(*i),
                };
                quote!(#lit)
            }
            (DefaultValue::Int(i), _) => quote!(#i),
            (DefaultValue::Float(f), _) => quote!(#f),
            (DefaultValue::Str(s), _) => quote!(::std::string::String::from(#s)),
            (DefaultValue::Variant { enum_name, variant }, _) => {
                let t = ident(enum_name);
                let v = ident(variant);
                quote!(types::#t::#v)
            }
        },
    }
}

/// The request's associated function that gives a defaulted param's default, for serde.
fn default_fn(p: &Param) -> String {
    format!("__default_{}", p.rust_name)
}

fn param_doc(p: &Param) -> String {
    let mut text = format!("{}（`{}`", p.doc, p.ty);
    if p.wire_name != p.rust_name {
        text.push_str(&format!("，线上字段 `{}`", p.wire_name));
    }
    if let Presence::Default(v) = &p.presence {
        let shown = match v {
            DefaultValue::Str(s) => format!("{s:?}"),
            DefaultValue::Bool(b) => b.to_string(),
            DefaultValue::Int(i) => i.to_string(),
            DefaultValue::Float(f) => f.to_string(),
            DefaultValue::Variant { enum_name, variant } => format!("{enum_name}::{variant}"),
        };
        text.push_str(&format!("，默认 `{shown}`"));
    }
    text.push('）');
    text
}

fn setter(p: &Param, body: impl Fn(&Ident, TokenStream) -> TokenStream) -> TokenStream {
    let name = ident(&p.rust_name);
    let inner = match &p.ty {
        TypeRef::Option(t) => t.as_ref(),
        t => t,
    };
    let (arg_ty, conv) = argument(inner, &name);
    let value = if matches!(p.presence, Presence::Optional) {
        quote!(::std::option::Option::Some(#conv))
    } else {
        conv
    };
    let doc = doc_attrs(&format!("设置 `{}`：{}", p.rust_name, param_doc(p)));
    let body = body(&name, value);
    quote! {
        #doc
        pub fn #name(mut self, #name: #arg_ty) -> Self { #body self }
    }
}

/// Whether a parameter's type is an either-or union (`T` or `T?`), whose key goes straight
/// into the request.
pub(crate) fn is_keyed(spec: &Spec, ty: &TypeRef) -> bool {
    spec.keyed_union(ty).is_some()
}

fn action_items(spec: &Spec, a: &Action) -> TokenStream {
    let req = request_ident(a);
    let call = call_ident(a);
    let wire = &a.wire_name;
    let rust_name = &a.rust_name;
    let output = rust_type(&a.returns);
    let req_doc = doc_attrs(&format!(
        "`{rust_name}` 的请求体（NapCat 动作名 `{wire}`）。\n\n{}",
        a.doc
    ));
    let fields = a.params.iter().map(|p| {
        let name = ident(&p.rust_name);
        let ty = rust_type(&p.ty);
        let wire_name = &p.wire_name;
        let doc = doc_attrs(&param_doc(p));
        let serde_attr = if is_keyed(spec, &p.ty) {
            quote!(#[serde(flatten)])
        } else {
            let mut attrs = vec![quote!(rename = #wire_name)];
            attrs.extend(p.aliases.iter().map(|a| quote!(alias = #a)));
            match &p.presence {
                Presence::Optional => attrs.push(quote!(
                    default,
                    skip_serializing_if = "::std::option::Option::is_none"
                )),
                Presence::Default(_) => {
                    let path = format!("{req}::{}", default_fn(p));
                    attrs.push(quote!(default = #path));
                }
                Presence::Required => {}
            }
            if is_lenient(&p.ty) {
                attrs.push(quote!(deserialize_with = "::api_core::__private::lenient"));
            }
            attrs.extend(seconds_attr(&p.ty));
            quote!(#[serde(#(#attrs),*)])
        };
        quote! {
            #doc
            #serde_attr
            pub #name: #ty,
        }
    });
    let default_fns = a.params.iter().filter_map(|p| {
        let Presence::Default(_) = &p.presence else {
            return None;
        };
        let f = ident(&default_fn(p));
        let ty = rust_type(&p.ty);
        let value = default_expr(p);
        Some(quote! {
            #[doc(hidden)]
            pub fn #f() -> #ty { #value }
        })
    });
    let required: Vec<_> = a.required_params().collect();
    let new_args = positional_args(a);
    let inits = a.params.iter().map(|p| {
        let n = ident(&p.rust_name);
        let v = default_expr(p);
        quote!(#n: #v)
    });
    let req_setters = a
        .optional_params()
        .map(|p| setter(p, |n, v| quote!(self.#n = #v;)));
    let call_setters = a
        .optional_params()
        .map(|p| setter(p, |n, v| quote!(self.request.#n = #v;)));
    let default_impl = required.is_empty().then(|| {
        quote! {
            impl ::std::default::Default for #req {
                fn default() -> Self { Self::new() }
            }
        }
    });
    let timeout = match a.timeout_secs {
        Some(s) => quote!(::std::option::Option::Some(::std::time::Duration::from_secs(#s))),
        None => quote!(::std::option::Option::None),
    };
    let failure_flag = match &a.failure_flag {
        Some(f) => quote!(::std::option::Option::Some(#f)),
        None => quote!(::std::option::Option::None),
    };
    let discards = a.returns == TypeRef::Unit;
    let checks = a.params.iter().filter(|p| p.non_empty).map(|p| {
        let n = ident(&p.rust_name);
        let pname = &p.rust_name;
        let reject = quote! {
            return ::std::result::Result::Err(::api_core::Error::invalid_argument(#rust_name, #pname, "must not be empty"));
        };
        if matches!(p.presence, Presence::Optional) {
            quote! {
                if self.#n.as_ref().is_some_and(::api_core::__private::Blank::is_blank) { #reject }
            }
        } else {
            quote! {
                if ::api_core::__private::Blank::is_blank(&self.#n) { #reject }
            }
        }
    });
    let seconds_checks = a.params.iter().filter(|p| seconds_attr(&p.ty).is_some()).map(|p| {
        let n = ident(&p.rust_name);
        let pname = &p.rust_name;
        quote! {
            if ::api_core::__private::WholeSeconds::has_fraction(&self.#n) {
                return ::std::result::Result::Err(::api_core::Error::invalid_argument(#rust_name, #pname, "must be whole seconds (the server takes seconds)"));
            }
        }
    });
    let checks = checks.chain(seconds_checks);
    let uploads: Vec<_> = a
        .params
        .iter()
        .filter(|p| spec.contains_file(&p.ty))
        .map(|p| {
            let n = ident(&p.rust_name);
            let pname = &p.rust_name;
            quote!(::api_core::__private::CollectFiles::collect_files(&mut self.#n, #pname, &mut out);)
        })
        .collect();
    let uploads_fn = (!uploads.is_empty()).then(|| {
        quote! {
            fn uploads(&mut self) -> ::std::vec::Vec<(::std::string::String, &mut ::api_core::Uploadable)> {
                let mut out = ::std::vec::Vec::new();
                #(#uploads)*
                out
            }
        }
    });
    let call_doc = doc_attrs(&format!(
        "一次待发送的 `{rust_name}` 调用：可用链式方法设置可选参数与超时，然后 `.await`。\n\n见 [`{req}`]。"
    ));
    // What awaiting the call gives, the `Client` method that starts it, and its future.
    let (awaited, start, future, stream_impl, call_trait) = match &a.packets {
        Some(packet) => {
            // A union tagged beside its fields decodes fastest through its own `FromStr`.
            let fast = packet
                .named()
                .and_then(|n| spec.find_union(n))
                .filter(|u| matches!(u.kind, crate::model::UnionKind::Tagged { content: None, .. }))
                .map(|_| {
                    let t = rust_type(packet);
                    quote! {
                        fn decode_packet(data: &str) -> ::std::result::Result<#t, ::api_core::__private::serde_json::Error> {
                            <#t as ::std::str::FromStr>::from_str(data)
                        }
                    }
                });
            let packet = rust_type(packet);
            (
                quote!(::api_core::ActionStream<#req>),
                quote!(into_stream),
                quote!(::api_core::ApiFuture<::api_core::ActionStream<#req>>),
                quote! {
                    impl ::api_core::StreamAction for #req {
                        type Packet = #packet;
                        #fast
                    }
                },
                quote!(StreamCall),
            )
        }
        None => (
            output.clone(),
            quote!(into_call),
            quote!(::api_core::CallFuture<#req>),
            quote!(),
            quote!(ActionCall),
        ),
    };
    quote! {
        #req_doc
        #[derive(Debug, Clone, PartialEq, ::api_core::__private::serde::Serialize, ::api_core::__private::serde::Deserialize)]
        #[serde(crate = "::api_core::__private::serde")]
        pub struct #req {
            #(#fields)*
        }

        impl #req {
            #(#default_fns)*

            /// Builds the request from its required parameters; optional ones take their defaults.
            #[allow(clippy::too_many_arguments)]
            pub fn new(#(#new_args),*) -> Self {
                Self { #(#inits),* }
            }
            #(#req_setters)*
        }

        #default_impl

        impl ::api_core::Action for #req {
            type Output = #output;
            const WIRE_NAME: &'static str = #wire;
            const RUST_NAME: &'static str = #rust_name;
            const TIMEOUT: ::std::option::Option<::std::time::Duration> = #timeout;
            const FAILURE_FLAG: ::std::option::Option<&'static str> = #failure_flag;
            const DISCARDS_DATA: bool = #discards;

            fn validate(&self) -> ::std::result::Result<(), ::api_core::Error> {
                #(#checks)*
                ::std::result::Result::Ok(())
            }

            #uploads_fn
        }

        #stream_impl

        #call_doc
        #[must_use = "a call is sent only when it is awaited"]
        #[derive(Debug, Clone)]
        pub struct #call {
            client: ::api_core::Client,
            request: #req,
            timeout: ::std::option::Option<::std::time::Duration>,
        }

        impl #call {
            /// A call of `client` that will send `request`.
            pub fn new(client: ::api_core::Client, request: #req) -> Self {
                Self { client, request, timeout: ::std::option::Option::None }
            }

            #(#call_setters)*

            /// Overrides the timeout for this call only.
            pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.timeout = ::std::option::Option::Some(timeout);
                self
            }

            /// The request as it will be sent.
            pub fn request(&self) -> &#req {
                &self.request
            }
        }

        impl ::api_core::#call_trait for #call {
            type Request = #req;
            fn request(&self) -> &#req {
                &self.request
            }
        }

        impl ::std::future::IntoFuture for #call {
            type Output = ::std::result::Result<#awaited, ::api_core::Error>;
            type IntoFuture = #future;
            fn into_future(self) -> Self::IntoFuture {
                self.client.#start(self.request, self.timeout)
            }
        }
    }
}

fn method_doc(a: &Action, with_example: bool) -> TokenStream {
    let mut text = format!("{}\n\nNapCat 动作名：`{}`。", a.doc, a.wire_name);
    if !a.params.is_empty() {
        text.push_str("\n\n# 参数\n");
        for p in &a.params {
            let how = match p.presence {
                Presence::Required => "",
                _ => "（可选，链式设置）",
            };
            text.push_str(&format!("\n- `{}`{}：{}", p.rust_name, how, param_doc(p)));
        }
    }
    match &a.packets {
        Some(p) => text.push_str(&format!(
            "\n\n# 返回\n\n流式：[`ActionStream`](::api_core::ActionStream)，先是若干 `{p}` 数据包（`packet()`），最后是结果 `{}`（`finish()`）。超时作用于每个数据包。",
            a.returns
        )),
        None => text.push_str(&format!("\n\n# 返回\n\n`{}`", a.returns)),
    }
    if let Some(t) = a.timeout_secs {
        text.push_str(&format!(
            "\n\n默认超时 {t} 秒（可用 `.timeout(..)` 覆盖）。"
        ));
    }
    if with_example {
        text.push_str(&format!(
            "\n\n# 示例\n\n```no_run\n# use api_core::{{*, types::*}};\n# use std::time::Duration;\n# async fn example(api: Client) -> Result<(), Error> {{\n{}\n# Ok(())\n# }}\n```",
            a.example
        ));
    }
    doc_attrs(&text)
}

fn method_signature(a: &Action) -> TokenStream {
    let name = ident(&a.rust_name);
    let call = call_ident(a);
    let args = positional_args(a);
    let doc = method_doc(a, false);
    quote! {
        #doc
        #[allow(clippy::too_many_arguments)]
        fn #name(&self, #(#args),*) -> requests::#call
    }
}

fn client_method(a: &Action, target: &Target) -> TokenStream {
    let name = ident(&a.rust_name);
    let req = request_ident(a);
    let call = call_ident(a);
    let args = positional_args(a);
    let arg_names = a.required_params().map(|p| ident(&p.rust_name));
    let vis = matches!(target, Target::Core).then(|| quote!(pub));
    let doc = method_doc(a, matches!(target, Target::Core));
    quote! {
        #doc
        #[allow(clippy::too_many_arguments)]
        #vis fn #name(&self, #(#args),*) -> requests::#call {
            requests::#call::new(::std::clone::Clone::clone(self), requests::#req::new(#(#arg_names),*))
        }
    }
}

fn action_table(spec: &Spec) -> TokenStream {
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

fn action_by_name(spec: &Spec) -> TokenStream {
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
