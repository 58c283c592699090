//! Renders the spec as Markdown pages: one per category plus an index.

use std::fmt::Write;

use crate::model::*;
use crate::types::TypeRef;

/// The command that regenerates the pages, as printed in each page and in freshness failures.
pub const REGENERATE: &str = "cargo run -p api-spec -- docs";

/// A rendered page: its path under `docs/` and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Path relative to the `docs/` directory, e.g. `api/account.md`.
    pub path: String,
    /// The Markdown text.
    pub text: String,
}

/// Renders every page: `api/<category>.md` for each category and `api/index.md` (of the
/// categories that are not external; the external ones, which they may link to, go under
/// `api/builtin/`).
pub fn render(spec: &Spec) -> Vec<Page> {
    let mut pages: Vec<Page> = spec
        .categories
        .iter()
        .map(|c| Page {
            path: if c.external {
                format!("api/builtin/{}.md", c.name)
            } else {
                format!("api/{}.md", c.name)
            },
            text: category_page(spec, c),
        })
        .collect();
    pages.push(Page {
        path: "api/index.md".into(),
        text: index_page(spec),
    });
    pages
}

fn anchor(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// A type as Markdown, linking named types to their field table (on `page`, or another page).
fn type_md(spec: &Spec, ty: &TypeRef, here: &Category) -> String {
    match ty.named() {
        Some(n) => {
            let page = spec
                .categories
                .iter()
                .find(|c| {
                    c.structs.iter().any(|s| s.name == n)
                        || c.enums.iter().any(|e| e.name == n)
                        || c.unions.iter().any(|u| u.name == n)
                })
                .filter(|c| c.name != here.name)
                .map(|c| {
                    if c.external && !here.external {
                        format!("builtin/{}.md", c.name)
                    } else {
                        format!("{}.md", c.name)
                    }
                })
                .unwrap_or_default();
            format!("[`{ty}`]({page}#{})", anchor(n))
        }
        None => format!("`{ty}`"),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn default_md(spec: &Spec, p: &Param) -> String {
    match &p.presence {
        Presence::Required => "必填".into(),
        Presence::Optional => "可选（不填则不发送）".into(),
        Presence::Default(v) => format!("可选（不填则不发送；NapCat 默认 `{}`）", v.to_json(spec)),
    }
}

fn category_page(spec: &Spec, c: &Category) -> String {
    let mut out = String::new();
    let permalink = if c.permalink.is_empty() {
        format!("/api/botapi/{}/", c.name)
    } else {
        c.permalink.clone()
    };
    let _ = writeln!(
        out,
        "---\ntitle: {}\npermalink: {permalink}\n---\n",
        c.title
    );
    let _ = writeln!(
        out,
        "<!-- 本页由 {} 生成，请勿手改。重新生成：{REGENERATE} -->\n",
        c.source
    );
    if let Some(why) = &c.testing {
        let _ = writeln!(
            out,
            "> 本页是 NapCat 的测试动作，不列入 API 索引的主表：{why}\n"
        );
    }
    if !c.overview.is_empty() {
        let _ = writeln!(out, "## 概览\n\n{}\n", c.overview);
    }
    if !c.actions.is_empty() {
        let _ = writeln!(
            out,
            "| 方法 | NapCat 动作名 | Summary | 功能 |\n| --- | --- | --- | --- |"
        );
    }
    for a in &c.actions {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | `{}` | {} | {} |",
            a.rust_name,
            a.rust_name,
            a.wire_name,
            cell(&a.summary),
            cell(a.doc_line())
        );
    }
    for section in &c.sections {
        let actions: Vec<_> = c.actions.iter().filter(|a| &a.section == section).collect();
        if actions.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n---\n\n## {section}");
        for a in actions {
            action_md(&mut out, spec, c, a);
        }
    }
    if !c.structs.is_empty() || !c.enums.is_empty() || !c.unions.is_empty() {
        let _ = writeln!(out, "\n---\n\n## 类型");
        for e in &c.enums {
            enum_md(&mut out, e);
        }
        for s in &c.structs {
            struct_md(&mut out, spec, c, s);
        }
        for u in &c.unions {
            union_md(&mut out, spec, c, u);
        }
    }
    out
}

fn enum_md(out: &mut String, e: &EnumDef) {
    let _ = writeln!(out, "\n### {}\n\n{}\n", e.name, e.doc);
    let _ = writeln!(
        out,
        "| 变体 | 线上值 | 含义 | 服务端别名 |\n| --- | --- | --- | --- |"
    );
    for v in &e.variants {
        let aliases: Vec<_> = v.aliases.iter().map(|a| format!("`{a}`")).collect();
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} | {} |",
            v.name,
            v.wire.to_json(),
            v.label,
            aliases.join("、")
        );
    }
    if e.open {
        let _ = writeln!(
            out,
            "\n开放枚举：未列出的值解码为 `Other(..)`，原样保留并原样发回。"
        );
    }
}

fn struct_md(out: &mut String, spec: &Spec, c: &Category, s: &StructDef) {
    let _ = writeln!(out, "\n### {}\n\n{}\n", s.name, s.doc);
    if let Some(base) = &s.extends {
        let _ = writeln!(
            out,
            "继承 {} 的全部字段（列在前面）。\n",
            type_md(spec, &TypeRef::Named(base.clone()), c)
        );
    }
    let _ = writeln!(
        out,
        "| 字段 | 线上字段 | 类型 | 说明 |\n| --- | --- | --- | --- |"
    );
    for f in &s.fields {
        let wire = std::iter::once(&f.wire_name)
            .chain(&f.aliases)
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(" / ");
        let _ = writeln!(
            out,
            "| `{}` | {wire} | {} | {} |",
            f.rust_name,
            type_md(spec, &f.ty, c),
            cell(&f.doc)
        );
    }
    if s.input {
        let _ = writeln!(
            out,
            "\n由调用方构造：`{}::new(..)` 接收必填字段，可选字段用同名链式方法设置。",
            s.name
        );
    }
    if s.transparent {
        let _ = writeln!(out, "\n线上直接是该字段的值（不包在对象里）。");
    } else {
        let _ = writeln!(
            out,
            "\n服务端多给的字段保存在 `extra`（`serde_json::Map`）中，不会丢失。"
        );
    }
}

fn union_md(out: &mut String, spec: &Spec, c: &Category, u: &UnionDef) {
    let _ = writeln!(out, "\n### {}\n\n{}\n", u.name, u.doc);
    let unknown = |tag: &str, open: bool| {
        if open {
            format!("未列出的 `{tag}` 解码为 `Unknown(..)`，整个对象原样保留。")
        } else {
            "只能是下列变体之一（没有 `Unknown`）。".to_owned()
        }
    };
    let (how, column) = match &u.kind {
        UnionKind::Tagged {
            tag,
            content: Some(content),
            open,
        } => (
            format!(
                "按 `{tag}` 区分，值在 `{content}` 中；{}",
                unknown(tag, *open)
            ),
            format!("`{tag}`"),
        ),
        UnionKind::Tagged {
            tag,
            content: None,
            open,
        } => (
            format!(
                "按 `{tag}` 区分，字段与 `{tag}` 并列；{}",
                unknown(tag, *open)
            ),
            format!("`{tag}`"),
        ),
        UnionKind::Keyed => (
            "二选一（多选一）参数：线上只发送所选变体的键。".to_owned(),
            "线上键".to_owned(),
        ),
    };
    let _ = writeln!(out, "{how}\n");
    let _ = writeln!(
        out,
        "| 变体 | {column} | 值 | 说明 |\n| --- | --- | --- | --- |"
    );
    for v in &u.variants {
        let wire = v
            .wire
            .as_ref()
            .map_or_else(|| "—".to_owned(), |w| format!("`{w}`"));
        let ty =
            v.ty.as_ref()
                .map_or_else(|| "—".to_owned(), |t| type_md(spec, t, c));
        let _ = writeln!(out, "| `{}` | {wire} | {ty} | {} |", v.name, cell(&v.doc));
    }
}

fn action_md(out: &mut String, spec: &Spec, c: &Category, a: &Action) {
    let _ = writeln!(out, "\n### {}\n\n{}\n", a.rust_name, a.summary);
    let mut doc = a.doc.lines();
    let _ = writeln!(out, "- **功能**: {}", doc.next().unwrap_or(""));
    let rest: Vec<_> = doc.collect();
    if !rest.is_empty() {
        let _ = writeln!(out, "\n  {}\n", rest.join("\n  "));
    }
    let _ = writeln!(out, "- **NapCat 动作名**: `{}`", a.wire_name);
    if !a.aliases.is_empty() {
        let aliases: Vec<_> = a.aliases.iter().map(|x| format!("`{x}`")).collect();
        let _ = writeln!(
            out,
            "- **NapCat 也接受**（旧名或内部名，同一处理）: {}",
            aliases.join("、")
        );
    }
    if !a.napcat.schema_checked {
        let _ = writeln!(out, "- **参数校验**: NapCat 不按参数表校验本动作，原样接收");
    }
    if a.params.is_empty() {
        let _ = writeln!(out, "- **参数**: 无");
    } else {
        let _ = writeln!(out, "- **参数**:\n");
        let _ = writeln!(
            out,
            "  | 参数 | 类型 | 默认 | 说明 |\n  | --- | --- | --- | --- |"
        );
        for p in &a.params {
            let keys = spec.param_keys(p);
            let name = if keys == [p.rust_name.clone()] {
                format!("`{}`", p.rust_name)
            } else {
                let keys: Vec<_> = keys.iter().map(|k| format!("`{k}`")).collect();
                format!("`{}`（线上 {}）", p.rust_name, keys.join(" / "))
            };
            let mut doc = cell(&p.doc);
            if p.non_empty {
                doc.push_str("；不可为空");
            }
            if !p.aliases.is_empty() {
                let aliases: Vec<_> = p.aliases.iter().map(|x| format!("`{x}`")).collect();
                doc.push_str(&format!("；NapCat 也接受键 {}", aliases.join("、")));
            }
            if let Some(why) = &p.napcat.differs {
                doc.push_str(&format!("；**与 NapCat 不同**：{}", cell(why)));
            }
            let _ = writeln!(
                out,
                "  | {name} | {} | {} | {doc} |",
                type_md(spec, &p.ty, c),
                default_md(spec, p)
            );
        }
        let _ = writeln!(out);
    }
    if let Some(p) = &a.packets {
        let _ = writeln!(
            out,
            "- **流式**: 一次调用收到多个回复：先是若干数据包（{}，`data.type` 为 `\"stream\"`），最后是结果；调用返回 `ActionStream`，用 `packet()` 逐个读取，`finish()` 取结果",
            type_md(spec, p, c)
        );
    } else if a.napcat.stream_action {
        let _ = writeln!(
            out,
            "- **流式标记**: NapCat 把本动作的回复标为 `stream: \"stream-action\"`，但每次调用只有一个回复"
        );
    }
    let _ = writeln!(out, "- **返回**: {}", type_md(spec, &a.returns, c));
    if let Some(why) = &a.napcat.json_reason {
        let _ = writeln!(out, "- **为何返回 JSON**: {why}");
    }
    if let Some(why) = &a.napcat.example_differs {
        let _ = writeln!(
            out,
            "- **NapCat 文档中的返回示例与其代码不符**: {why}；本页按代码"
        );
    }
    match &a.napcat.reply {
        Some(reply) => {
            let text = serde_json::to_string_pretty(reply).unwrap_or_default();
            let _ = writeln!(out, "- **返回示例**（`data`）：\n\n```json\n{text}\n```\n");
        }
        None => {
            let _ = writeln!(out, "- **返回示例**：成功时回复中没有 `data`");
        }
    }
    if let Some(t) = a.timeout_secs {
        let _ = writeln!(out, "- **默认超时**: {t} 秒");
    }
    if a.paced {
        let _ = writeln!(
            out,
            "- **限速**：客户端设了发送限速（`Pacing`）时，按限速排队发送"
        );
    }
    let _ = writeln!(out, "- **示例**：\n\n```rust\n{}\n```", a.example);
}

fn index_page(spec: &Spec) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "---\ntitle: API 索引\npermalink: /api/botapi/\n---\n");
    let sources: Vec<&str> = spec.own_categories().map(|c| c.source.as_str()).collect();
    let _ = writeln!(
        out,
        "<!-- 本页由 {} 生成，请勿手改。重新生成：{REGENERATE} -->\n",
        sources.join("、")
    );
    const TABLE_HEAD: &str = "| 方法 | NapCat 动作名 | 分类 | 分组 | Summary | 功能 |\n| --- | --- | --- | --- | --- | --- |";
    // The action's method, linked to its section of its category's page.
    let link =
        |c: &Category, a: &Action| format!("[`{}`]({}.md#{})", a.rust_name, c.name, a.rust_name);
    let row = |out: &mut String, c: &Category, a: &Action| {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} | {} |",
            link(c, a),
            a.wire_name,
            c.title,
            a.section,
            cell(&a.summary),
            cell(a.doc_line())
        );
    };
    let _ = writeln!(out, "{TABLE_HEAD}");
    for (c, a) in spec.own_actions().filter(|(c, _)| c.testing.is_none()) {
        row(&mut out, c, a);
    }
    let untyped: Vec<_> = spec
        .own_actions()
        .filter_map(|(c, a)| a.napcat.json_reason.as_ref().map(|why| (c, a, why)))
        .collect();
    if !untyped.is_empty() {
        let _ = writeln!(
            out,
            "\n## 返回 JSON 的动作\n\n其余动作都返回有类型的结果；下面这些返回 `serde_json::Value`，原因如下：\n\n| 方法 | NapCat 动作名 | 原因 |\n| --- | --- | --- |"
        );
        for (c, a, why) in untyped {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                link(c, a),
                a.wire_name,
                cell(why)
            );
        }
    }
    for c in spec.own_categories().filter(|c| c.testing.is_some()) {
        let _ = writeln!(
            out,
            "\n## {}\n\n{}\n\n{TABLE_HEAD}",
            c.title,
            c.testing.as_deref().unwrap_or_default()
        );
        for a in &c.actions {
            row(&mut out, c, a);
        }
    }
    let _ = writeln!(
        out,
        "\n## 类型\n\n各页参数与字段的内置类型：\n\n| 类型 | Rust 类型 | 线上形式 |\n| --- | --- | --- |"
    );
    for (name, scalar) in crate::types::Scalar::ALL {
        let (rust, wire) = scalar_doc(*scalar);
        let _ = writeln!(out, "| `{name}` | `{rust}` | {wire} |");
    }
    let _ = writeln!(
        out,
        "\n`T?` 可缺省（`Option<T>`），`[T]` 是列表（`Vec<T>`），`()` 表示没有返回数据。"
    );
    out
}

/// A built-in type's Rust type and how it travels, for the index page.
fn scalar_doc(s: crate::types::Scalar) -> (&'static str, &'static str) {
    use crate::types::Scalar;
    match s {
        Scalar::String => ("String", "文本；数字也按文本读"),
        Scalar::Bool => ("bool", "`true`/`false`；也读 `\"true\"`、`1`"),
        Scalar::Flag => ("bool", "以数字 `1`/`0` 发送；读法同 `bool`"),
        Scalar::I32 => ("i32", "数字；数字文本也读"),
        Scalar::I64 => ("i64", "数字；数字文本也读"),
        Scalar::U32 => ("u32", "数字；数字文本也读"),
        Scalar::U64 => ("u64", "数字；数字文本也读"),
        Scalar::F64 => ("f64", "数字；数字文本也读"),
        Scalar::Qq => ("UserId", "QQ 号，数字；与群号类型不同，不会传反"),
        Scalar::Group => ("GroupId", "群号，数字；与 QQ 号类型不同，不会传反"),
        Scalar::Msg => (
            "MessageId",
            "NapCat 的短消息 ID（事件与发送结果里的），数字",
        ),
        Scalar::LongMsg => ("LongMessageId", "QQ 的长消息 ID（`msgId`），文本"),
        Scalar::AnyMsg => (
            "AnyMessageId",
            "短或长消息 ID，NapCat 两种都收处；以文本发送",
        ),
        Scalar::Forward => ("ForwardId", "合并转发的 `res_id`，文本"),
        Scalar::Duration => ("std::time::Duration", "整秒数；不足一秒的部分在发送前报错"),
        Scalar::Json => ("serde_json::Value", "任意 JSON，原样保留"),
        Scalar::File => (
            "Uploadable",
            "URL、`base64://`、本地路径（发送前读入）或服务器上的文件名",
        ),
        Scalar::Message => (
            "Message",
            "消息段数组发送；数组、单个消息段或 CQ 码文本都能读",
        ),
        Scalar::Base64 => ("Base64", "字节，线上是 base64 文本"),
        Scalar::Header => ("Header", "HTTP 请求头（名与值），线上是 `名=值` 文本"),
    }
}

/// Writes every page under `docs_dir`; returns the paths written.
pub fn write(spec: &Spec, docs_dir: &std::path::Path) -> std::io::Result<Vec<String>> {
    let pages = render(spec);
    for page in &pages {
        let path = docs_dir.join(&page.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, &page.text)?;
    }
    Ok(pages.into_iter().map(|p| p.path).collect())
}

/// The pages under `docs_dir` that are missing or differ from what the spec renders.
pub fn stale_pages(spec: &Spec, docs_dir: &std::path::Path) -> Vec<String> {
    render(spec)
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(docs_dir.join(&p.path))
                .ok()
                .as_deref()
                != Some(&p.text)
        })
        .map(|p| p.path)
        .collect()
}
