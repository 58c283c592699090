//! Each action's English summary leads what is generated for it: the method's rustdoc and
//! its request struct's (then a blank line, then the Chinese doc), and its docs section and
//! index row.

use std::collections::HashMap;

use api_spec::codegen::{self, Options, Target};

/// The `#[doc]` lines of every function and struct in the generated code, by name, each line
/// as it is written (with its leading space).
fn doc_lines(items: &[syn::Item], out: &mut HashMap<String, Vec<String>>) {
    for item in items {
        match item {
            syn::Item::Mod(m) => doc_lines(m.content.as_ref().map_or(&[][..], |c| &c.1), out),
            syn::Item::Struct(s) => {
                out.insert(s.ident.to_string(), docs(&s.attrs));
            }
            syn::Item::Impl(i) => {
                for f in &i.items {
                    if let syn::ImplItem::Fn(f) = f {
                        out.insert(f.sig.ident.to_string(), docs(&f.attrs));
                    }
                }
            }
            _ => {}
        }
    }
}

fn docs(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }),
                ..
            }) => Some(s.value()),
            _ => None,
        })
        .collect()
}

#[test]
fn each_method_and_request_doc_starts_with_the_english_summary() {
    let spec = api_spec::load_builtin().unwrap();
    let tokens = codegen::generate(&spec, &Options::new(Target::Core));
    let file = syn::parse2::<syn::File>(tokens).unwrap();
    let mut found = HashMap::new();
    doc_lines(&file.items, &mut found);
    let mut checked = 0;
    for (_, a) in spec.actions() {
        assert!(!a.summary.is_empty(), "{}", a.rust_name);
        let request = format!("{}Request", api_spec::names::camel(&a.rust_name));
        for item in [&a.rust_name, &request] {
            let lines = found
                .get(item)
                .unwrap_or_else(|| panic!("no `{item}` generated"));
            assert_eq!(lines[0], format!(" {}", a.summary), "{item}");
            assert!(lines[1].trim().is_empty(), "{item}: {lines:?}");
            assert!(lines[2].starts_with(' '), "{item}: {lines:?}");
        }
        let method = &found[&a.rust_name];
        assert_eq!(method[2], format!(" {}", a.doc_line()), "{}", a.rust_name);
        checked += 1;
    }
    assert!(checked > 170, "{checked}");
    let send = &found["send_private_msg"];
    assert_eq!(send[0], " Sends a private message.");
    assert!(send[1].trim().is_empty(), "{send:?}");
    assert!(send[2].starts_with(" 发送私聊消息。"), "{send:?}");
}

#[test]
fn each_docs_section_and_index_row_shows_the_summary_and_the_doc_line() {
    let spec = api_spec::load_builtin().unwrap();
    let pages = api_spec::docs::render(&spec);
    let page = |path: &str| &pages.iter().find(|p| p.path == path).unwrap().text;
    let index = page("api/index.md");
    assert!(index.contains("| 方法 | NapCat 动作名 | 分类 | 分组 | Summary | 功能 |"));
    for (c, a) in spec.actions() {
        let text = page(&format!("api/{}.md", c.name));
        assert!(
            text.contains(&format!(
                "### {}\n\n{}\n\n- **功能**: {}",
                a.rust_name,
                a.summary,
                a.doc_line()
            )),
            "{}",
            a.rust_name
        );
        let row = format!(
            "| [`{}`]({}.md#{}) | `{}` | {} | {} | {} | ",
            a.rust_name, c.name, a.rust_name, a.wire_name, c.title, a.section, a.summary
        );
        assert!(index.contains(&row), "{row}");
    }
}
