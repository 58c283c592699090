//! Code for `[[action]]` entries: the `*Request` struct (the wire params), its `Action` impl,
//! the `*Call` builder and the client method.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::Target;
use super::shared::{
    argument, doc_attrs, ident, is_keyed, is_lenient, positional_args, rust_type, seconds_attr,
};
use crate::model::*;
use crate::names::camel;
use crate::types::{Scalar, TypeRef};

pub(super) fn request_ident(a: &Action) -> Ident {
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

pub(super) fn action_items(spec: &Spec, a: &Action) -> TokenStream {
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

pub(super) fn method_signature(a: &Action) -> TokenStream {
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

pub(super) fn client_method(a: &Action, target: &Target) -> TokenStream {
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
