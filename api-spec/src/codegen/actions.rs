//! Code for `[[action]]` entries in `requests`: the `*Request` struct (the wire params) with
//! its constructor, setters, `Record` and `Action` impls, and the `*Call` name with the same
//! setters forwarding to the request's.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::record::{Slot, record_impl, slot};
use super::shared::{
    argument, default_from_new, doc_attrs, ident, init_from_argument, is_duration, is_keyed,
    many_arguments, positional_args, pub_field, rust_type, serialize_attr,
};
use crate::model::*;
use crate::names::camel;
use crate::types::TypeRef;

pub(super) fn request_ident(a: &Action) -> Ident {
    format_ident!("{}Request", camel(&a.rust_name))
}

pub(super) fn call_ident(a: &Action) -> Ident {
    format_ident!("{}Call", camel(&a.rust_name))
}

pub(super) fn param_doc(p: &Param) -> String {
    let mut text = format!("{}（`{}`", p.doc, p.ty);
    if p.wire_name != p.rust_name {
        text.push_str(&format!("，线上字段 `{}`", p.wire_name));
    }
    if let Presence::Default(v) = &p.presence {
        let shown = match v {
            DefaultValue::Str(s) => format!("{s:?}"),
            DefaultValue::Bool(b) | DefaultValue::Flag(b) => b.to_string(),
            DefaultValue::Int(i) => i.to_string(),
            DefaultValue::Float(f) => f.to_string(),
            DefaultValue::Variant { enum_name, variant } => format!("{enum_name}::{variant}"),
        };
        text.push_str(&format!("，不设则不发送，NapCat 默认 `{shown}`"));
    }
    text.push('）');
    text
}

/// The setter of an optional parameter on the request, and its one-line forward on the call.
fn setters(p: &Param, req: &Ident) -> (TokenStream, TokenStream) {
    let name = ident(&p.rust_name);
    let inner = match &p.ty {
        TypeRef::Option(t) => t.as_ref(),
        t => t,
    };
    let (arg_ty, conv) = argument(inner, &name);
    let value = if p.presence != Presence::Required {
        quote!(::std::option::Option::Some(#conv))
    } else {
        conv
    };
    let doc = doc_attrs(&format!("设置 `{}`：{}", p.rust_name, param_doc(p)));
    let forward_doc = format!(" 见 [`{req}::{name}`]。");
    (
        quote! {
            #doc
            pub fn #name(mut self, #name: #arg_ty) -> Self {
                self.#name = #value;
                self
            }
        },
        quote! {
            #[doc = #forward_doc]
            pub fn #name(self, #name: #arg_ty) -> Self {
                self.map_request(|r| r.#name(#name))
            }
        },
    )
}
/// Everything generated for one action in `requests`: its request and its call.
pub(super) fn action_items(spec: &Spec, a: &Action) -> TokenStream {
    let req = request_ident(a);
    let (request_setters, call_setters): (Vec<_>, Vec<_>) =
        a.optional_params().map(|p| setters(p, &req)).unzip();
    let request = request_struct(spec, a);
    let constructor = request_new(a);
    let record = request_record(spec, a);
    let action = action_impl(spec, a);
    let call = call_type(a);
    let call_name = call_ident(a);
    let call_setters = (!call_setters.is_empty()).then(|| {
        quote! {
            impl #call_name { #(#call_setters)* }
        }
    });
    quote! {
        #request
        impl #req {
            #constructor
            #(#request_setters)*
        }
        #record
        #action
        #call
        #call_setters
    }
}

/// The `*Request` struct: one field per parameter, serialized as the wire params. Its doc
/// starts, as the method's does, with the action's English summary.
fn request_struct(spec: &Spec, a: &Action) -> TokenStream {
    let req = request_ident(a);
    let doc = doc_attrs(&format!(
        "{}\n\n`{}` 的请求体（NapCat 动作名 `{}`）。\n\n{}",
        a.summary, a.rust_name, a.wire_name, a.doc
    ));
    let fields = a.params.iter().map(|p| {
        // An either-or parameter's key goes straight into the params.
        let serde_attr = if is_keyed(spec, &p.ty) {
            Some(quote!(#[serde(flatten)]))
        } else {
            serialize_attr(&p.rust_name, &p.wire_name, &p.ty)
        };
        pub_field(&param_doc(p), serde_attr, &p.rust_name, &p.ty)
    });
    let default_impl = a
        .required_params()
        .next()
        .is_none()
        .then(|| default_from_new(&req));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, ::api_core::runtime::serde::Serialize)]
        #[serde(crate = "::api_core::runtime::serde")]
        pub struct #req {
            #(#fields)*
        }
        #default_impl
    }
}

/// `new`: the required parameters, positional; the others take their defaults.
fn request_new(a: &Action) -> TokenStream {
    let args = positional_args(a);
    let inits = a.params.iter().map(|p| {
        let n = ident(&p.rust_name);
        match &p.presence {
            Presence::Required => init_from_argument(&p.ty, &n),
            _ => quote!(#n: ::std::option::Option::None),
        }
    });
    let allow = many_arguments(&args);
    quote! {
        /// Builds the request from its required parameters; optional ones are left out until set.
        #allow
        pub fn new(#(#args),*) -> Self {
            Self { #(#inits),* }
        }
    }
}

/// How the request is read from wire params (`napcat call`, `action_by_name`): a slot per
/// parameter, or per key of an either-or one; what did not come stays unset; other keys
/// skipped.
fn request_record(spec: &Spec, a: &Action) -> TokenStream {
    let req = request_ident(a);
    // Each parameter's slots: its own, or one per key of an either-or union.
    let mut slots = Vec::new();
    let mut firsts = Vec::new();
    for p in &a.params {
        firsts.push(slots.len());
        match spec.keyed_union(&p.ty) {
            Some(u) => slots.extend(u.variants.iter().map(|v| Slot {
                wire: v.wire.as_deref().unwrap_or_default(),
                aliases: &[],
                ty: v.ty.as_ref().unwrap_or(&TypeRef::Unit),
            })),
            None => slots.push(Slot {
                wire: &p.wire_name,
                aliases: &p.aliases,
                ty: &p.ty,
            }),
        }
    }
    let count = slots.len();
    let inits = a.params.iter().zip(firsts).map(|(p, first)| {
        let n = ident(&p.rust_name);
        let value = match spec.keyed_union(&p.ty) {
            Some(u) => {
                let union = ident(&u.name);
                let variants = u.variants.iter().enumerate().map(|(i, v)| {
                    let var = ident(&v.name);
                    let slot = slot(first + i, count);
                    quote!(#slot.value().map(types::#union::#var))
                });
                let keys: Vec<&str> = u
                    .variants
                    .iter()
                    .filter_map(|v| v.wire.as_deref())
                    .collect();
                let expected = format!("expected one of the keys {}", keys.join(", "));
                let one = quote!(::api_core::runtime::one_of([#(#variants),*], #expected));
                match p.presence {
                    Presence::Required => quote!(#one?),
                    _ => quote!(#one.ok()),
                }
            }
            None => {
                let slot = slot(first, count);
                let wire = &p.wire_name;
                match &p.presence {
                    Presence::Required => quote!(#slot.required(#wire)?),
                    _ => quote!(#slot.optional()),
                }
            }
        };
        quote!(#n: #value)
    });
    record_impl(&req, false, &slots, quote!(#req { #(#inits),* }))
}

/// `Action` (and `StreamAction`): the wire name, the result, the checks before sending and the
/// files to read; what the trait defaults to is left out.
fn action_impl(spec: &Spec, a: &Action) -> TokenStream {
    let req = request_ident(a);
    let wire = &a.wire_name;
    let rust_name = &a.rust_name;
    let output = rust_type(&a.returns);
    let timeout = a.timeout_secs.map(|s| {
        quote! {
            const TIMEOUT: ::std::option::Option<::std::time::Duration> =
                ::std::option::Option::Some(::std::time::Duration::from_secs(#s));
        }
    });
    let failure_flag = a.failure_flag.as_ref().map(|f| {
        quote!(const FAILURE_FLAG: ::std::option::Option<&'static str> = ::std::option::Option::Some(#f);)
    });
    let discards = (a.returns == TypeRef::Unit).then(|| {
        quote!(
            const DISCARDS_DATA: bool = true;
        )
    });
    let paced = a.paced.then(|| {
        quote!(
            const PACED: bool = true;
        )
    });
    let validate = validate_fn(a);
    let uploads = uploads_fn(spec, a);
    let stream = a.packets.as_ref().map(|packet| {
        // A union tagged beside its fields decodes fastest through its own `FromStr`.
        let fast = packet
            .named()
            .and_then(|n| spec.find_union(n))
            .filter(|u| matches!(u.kind, UnionKind::Tagged { content: None, .. }))
            .map(|_| {
                let t = rust_type(packet);
                quote! {
                    fn decode_packet(data: &str) -> ::std::result::Result<#t, ::api_core::runtime::serde_json::Error> {
                        <#t as ::std::str::FromStr>::from_str(data)
                    }
                }
            });
        let packet = rust_type(packet);
        quote! {
            impl ::api_core::runtime::StreamAction for #req {
                type Packet = #packet;
                #fast
            }
        }
    });
    quote! {
        impl ::api_core::runtime::Action for #req {
            type Output = #output;
            const WIRE_NAME: &'static str = #wire;
            const RUST_NAME: &'static str = #rust_name;
            #timeout
            #failure_flag
            #discards
            #paced
            #validate
            #uploads
        }
        #stream
    }
}

/// `Action::validate`: non-empty parameters and whole seconds; none when nothing is checked.
fn validate_fn(a: &Action) -> Option<TokenStream> {
    let reject = |param: &str, reason: &str| {
        quote! {
            return ::std::result::Result::Err(::api_core::runtime::Error::invalid_argument(Self::WIRE_NAME, #param, #reason));
        }
    };
    let blanks = a.params.iter().filter(|p| p.non_empty).map(|p| {
        let n = ident(&p.rust_name);
        let reject = reject(&p.rust_name, "must not be empty");
        if p.presence != Presence::Required {
            quote! {
                if self.#n.as_ref().is_some_and(::api_core::runtime::Blank::is_blank) { #reject }
            }
        } else {
            quote! {
                if ::api_core::runtime::Blank::is_blank(&self.#n) { #reject }
            }
        }
    });
    let fractions = a.params.iter().filter(|p| is_duration(&p.ty)).map(|p| {
        let n = ident(&p.rust_name);
        let reject = reject(
            &p.rust_name,
            "must be whole seconds (the server takes seconds)",
        );
        quote! {
            if ::api_core::runtime::WholeSeconds::has_fraction(&self.#n) { #reject }
        }
    });
    let checks: Vec<TokenStream> = blanks.chain(fractions).collect();
    (!checks.is_empty()).then(|| {
        quote! {
            fn validate(&self) -> ::std::result::Result<(), ::api_core::runtime::Error> {
                #(#checks)*
                ::std::result::Result::Ok(())
            }
        }
    })
}

/// `Action::uploads`: the parameters that may hold files; none when none can.
fn uploads_fn(spec: &Spec, a: &Action) -> Option<TokenStream> {
    let uploads: Vec<_> = a
        .params
        .iter()
        .filter(|p| spec.contains_file(&p.ty))
        .map(|p| {
            let n = ident(&p.rust_name);
            let pname = &p.rust_name;
            quote!(::api_core::runtime::CollectFiles::collect_files(&mut self.#n, #pname, &mut out);)
        })
        .collect();
    (!uploads.is_empty()).then(|| {
        quote! {
            const HAS_UPLOADS: bool = true;

            fn uploads(&mut self) -> ::std::vec::Vec<(::std::string::String, &mut ::api_core::runtime::Uploadable)> {
                let mut out = ::std::vec::Vec::new();
                #(#uploads)*
                out
            }
        }
    })
}

/// `*Call`: the name of the action's `Call` (the `requests` module's `Call`, which is
/// `api_core::runtime::Call` inside `api-core` and its wrapper in an extension crate).
fn call_type(a: &Action) -> TokenStream {
    let req = request_ident(a);
    let call = call_ident(a);
    let doc = doc_attrs(&format!(
        "一次待发送的 `{}` 调用（见 [`{req}`]）：可用链式方法设置可选参数与超时，然后 `.await`。",
        a.rust_name
    ));
    let kind = a
        .packets
        .as_ref()
        .map(|_| quote!(, ::api_core::runtime::Streamed));
    quote! {
        #doc
        pub type #call = Call<#req #kind>;
    }
}
