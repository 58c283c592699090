//! The client method of each action (inherent on `Client` inside `api-core`, or in an
//! extension trait) and its documentation.

use proc_macro2::TokenStream;
use quote::quote;

use super::actions::{call_ident, param_doc, request_ident};
use super::options::Target;
use super::shared::{doc_attrs, ident, many_arguments, positional_args};
use crate::model::*;

/// The method's documentation: what it does (the English summary, then the Chinese doc), its
/// parameters, what it returns and, inside `api-core`, its example as a doctest.
fn method_doc(a: &Action, with_example: bool) -> TokenStream {
    let mut text = format!(
        "{}\n\n{}\n\nNapCat 动作名：`{}`。",
        a.summary, a.doc, a.wire_name
    );
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
            "\n\n# 示例\n\n```no_run\n# use api_core::{{*, types::*}}; use std::time::Duration;\n# async fn example(api: Client) -> Result<(), Error> {{\n{}\n# Ok(()) }}\n```",
            a.example
        ));
    }
    doc_attrs(&text)
}

/// The method in an extension trait.
pub(super) fn method_signature(a: &Action) -> TokenStream {
    let name = ident(&a.rust_name);
    let call = call_ident(a);
    let args = positional_args(a);
    let doc = method_doc(a, false);
    let allow = many_arguments(&args);
    quote! {
        #doc
        #allow
        fn #name(&self, #(#args),*) -> requests::#call
    }
}

/// The method: a call of the action's request, built from the required arguments.
pub(super) fn client_method(a: &Action, target: &Target) -> TokenStream {
    let name = ident(&a.rust_name);
    let req = request_ident(a);
    let call = call_ident(a);
    let args = positional_args(a);
    let arg_names = a.required_params().map(|p| ident(&p.rust_name));
    // An extension trait's methods are documented on the trait.
    let (vis, doc) = match target {
        Target::Core => (Some(quote!(pub)), Some(method_doc(a, true))),
        Target::ExtensionTrait(_) => (None, None),
    };
    let allow = many_arguments(&args);
    quote! {
        #doc
        #allow
        #vis fn #name(&self, #(#args),*) -> requests::#call {
            requests::#call::new(self.clone(), requests::#req::new(#(#arg_names),*))
        }
    }
}
