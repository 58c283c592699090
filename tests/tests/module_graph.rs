//! The workspace's module graph: no import circle in any crate, and no item imported through
//! a crate root's re-exports instead of the module that defines it.
//!
//! Each `.rs` file under a crate's `src/` is a module. A file uses another when it names it by a
//! `crate::`, `super::` or `self::` path (in `use` trees or inline); the longest prefix of the
//! path that is a module file is the one used. Test code (`#[cfg(test)] mod … { … }` blocks and
//! files named `tests.rs`) may use anything and is left out. Arrows into the crate root are not
//! counted: it declares the modules and holds the generated API (`types`, `requests`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One crate's modules: module path (`["transport", "ws", "core"]`) to file.
type Modules = BTreeMap<Vec<String>, PathBuf>;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

fn crates() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(workspace_root())
        .expect("the workspace directory can be read")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").is_file() && p.join("src").is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn modules(src: &Path) -> Modules {
    fn walk(dir: &Path, prefix: &[String], out: &mut Modules) {
        for entry in std::fs::read_dir(dir).expect("a source directory can be read") {
            let path = entry.expect("a directory entry").path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                walk(&path, &[prefix, &[name]].concat(), out);
            } else if path.extension().is_some_and(|e| e == "rs") && name != "tests" {
                let module = match name.as_str() {
                    "mod" => prefix.to_vec(),
                    "lib" | "main" if prefix.is_empty() => vec![],
                    _ => [prefix, &[name]].concat(),
                };
                out.insert(module, path);
            }
        }
    }
    let mut out = Modules::new();
    walk(src, &[], &mut out);
    out
}

/// The source without comments, string and char literals, and test modules.
fn code_of(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
        } else if let Some(raw) = raw_string_len(rest) {
            out.push_str("\"\"");
            i += raw;
        } else if let Some(len) = char_literal_len(rest) {
            out.push_str("' '");
            i += len;
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() && rest.as_bytes()[j] != b'"' {
                j += if rest.as_bytes()[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += (j + 1).min(rest.len());
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    drop_test_modules(&out)
}

/// A char literal (`'x'`, `'\''`, `'\u{7f}'`) at the start of `s`: its length. A lifetime
/// (`'a`) is none.
fn char_literal_len(s: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    if chars.next()?.1 != '\'' {
        return None;
    }
    let (_, first) = chars.next()?;
    if first == '\\' {
        // An escape: up to the next quote after the escaped character.
        let after = &s[2..];
        let skip = after.chars().next()?.len_utf8();
        return after[skip..].find('\'').map(|end| 2 + skip + end + 1);
    }
    let (at, second) = chars.next()?;
    (second == '\'').then_some(at + 1)
}

/// `r"…"`, `r#"…"#` at the start of `s`: its length.
fn raw_string_len(s: &str) -> Option<usize> {
    let after_r = s.strip_prefix('r')?;
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    let body = after_r[hashes..].strip_prefix('"')?;
    let close = format!("\"{}", "#".repeat(hashes));
    let end = body.find(&close)?;
    Some(1 + hashes + 1 + end + close.len())
}

fn drop_test_modules(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let head_end = after.find(['{', ';']).unwrap_or(after.len());
        let head = after["#[cfg(test)]".len()..head_end].trim_start();
        let is_mod = head.starts_with("mod ") || head.contains(" mod ");
        if !is_mod || !after[head_end..].starts_with('{') {
            out.push_str("#[cfg(test)]");
            rest = &after["#[cfg(test)]".len()..];
            continue;
        }
        let mut depth = 0;
        let mut end = after.len();
        for (k, c) in after[head_end..].char_indices() {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            if depth == 0 {
                end = head_end + k + 1;
                break;
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every path written in `code`, as segments, with `use` trees expanded (`a::{b, c::d}` gives
/// `a::b` and `a::c::d`); one that starts with a plain name gets `self` in front.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let tokens = tokenize(code);
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        let starts = t.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && tokens.get(i + 1).is_some_and(|n| n == "::")
            && (i == 0 || tokens[i - 1] != "::");
        if starts {
            let (tree, next) = path_tree(&tokens, i);
            // A path from a name of its own (`quick::run`) is read from this module, as
            // `self::quick::run`; only those naming a child module count.
            let relative = !matches!(t, "crate" | "super" | "self");
            out.extend(tree.into_iter().map(|p| {
                if relative {
                    [&["self".to_owned()], &p[..]].concat()
                } else {
                    p
                }
            }));
            i = next;
        } else {
            i += 1;
        }
    }
    out
}

fn tokenize(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// The paths of the (possibly braced) path starting at `tokens[i]`, and where it ends.
fn path_tree(tokens: &[String], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                let mut out = Vec::new();
                i += 1;
                loop {
                    match tokens.get(i).map(String::as_str) {
                        Some("}") | None => return (with_prefix(&prefix, out), i + 1),
                        Some(",") => i += 1,
                        _ => {
                            let (inner, next) = path_tree(tokens, i);
                            out.extend(inner);
                            i = next;
                            while tokens.get(i).is_some_and(|t| t != "," && t != "}") {
                                i += 1;
                            }
                        }
                    }
                }
            }
            Some(t) if t.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                prefix.push(t.to_owned());
                i += 1;
                if tokens.get(i).is_some_and(|t| t == "::") {
                    i += 1;
                } else {
                    return (vec![prefix], i);
                }
            }
            _ => return (vec![prefix], i),
        }
    }
}

fn with_prefix(prefix: &[String], paths: Vec<Vec<String>>) -> Vec<Vec<String>> {
    paths.into_iter().map(|p| [prefix, &p].concat()).collect()
}

/// The module a path from `from` names (the longest prefix that is a module file); `None`
/// for the crate root, the file itself, or nothing the crate has.
fn target(modules: &Modules, from: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("self" | "super") => {
            // `self` of `foo.rs` and of `foo/mod.rs` alike is `foo`.
            base = from.to_vec();
            while let Some(seg) = rest.first() {
                match seg.as_str() {
                    "self" => rest = &rest[1..],
                    "super" => {
                        base.pop();
                        rest = &rest[1..];
                    }
                    _ => break,
                }
            }
        }
        _ => return None,
    }
    // The longest prefix that is a module, never shorter than where the path starts: `self::X`
    // names this module or a child, `super::X` the parent or one of its children.
    let full: Vec<String> = [&base[..], rest].concat();
    (base.len().max(1)..=full.len())
        .rev()
        .map(|n| full[..n].to_vec())
        .find(|m| modules.contains_key(m) && m.as_slice() != from)
}

/// Strongly connected components of more than one module (Tarjan).
fn circles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Vec<String>) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        for w in s.graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

struct Findings {
    circles: Vec<String>,
    root_imports: Vec<String>,
}

/// The names the crate root re-exports (`pub use a::b::C;` gives `C`).
fn root_reexports(modules: &Modules) -> BTreeSet<String> {
    let Some(root) = modules.get(&Vec::new()) else {
        return BTreeSet::new();
    };
    let code = code_of(&std::fs::read_to_string(root).expect("the crate root can be read"));
    let tokens = tokenize(&code);
    let mut names = BTreeSet::new();
    for (i, pair) in tokens.windows(2).enumerate() {
        if pair[0] == "pub" && pair[1] == "use" {
            let (tree, end) = path_tree(&tokens, i + 2);
            names.extend(tree.into_iter().filter_map(|p| p.last().cloned()));
            // Renamed ones (`c::C as Thing`) are re-exported under their new name.
            let statement = &tokens[i..end.min(tokens.len())];
            names.extend(
                statement
                    .windows(2)
                    .filter(|w| w[0] == "as")
                    .map(|w| w[1].clone()),
            );
        }
    }
    names
}

fn examine(crate_dir: &Path) -> Findings {
    let modules = modules(&crate_dir.join("src"));
    let reexports = root_reexports(&modules);
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut root_imports = Vec::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).expect("a source file can be read");
        let edges = graph.entry(module.clone()).or_default();
        for path in paths(&code_of(&text)) {
            if !module.is_empty()
                && path.first().is_some_and(|s| s == "crate")
                && path.get(1).is_some_and(|s| reexports.contains(s))
            {
                root_imports.push(format!("{}: {}", file.display(), path.join("::")));
            }
            if let Some(to) = target(&modules, module, &path)
                && !to.is_empty()
            {
                edges.insert(to);
            }
        }
    }
    let circles = circles(&graph)
        .into_iter()
        .map(|c| {
            c.iter()
                .map(|m| modules[m].display().to_string())
                .collect::<Vec<_>>()
                .join(" <-> ")
        })
        .collect();
    Findings {
        circles,
        root_imports,
    }
}

#[test]
fn no_crate_has_an_import_circle_or_imports_through_its_root() {
    let mut circles = Vec::new();
    let mut root_imports = Vec::new();
    let crates = crates();
    assert!(
        crates.len() >= 6,
        "found the workspace's crates: {crates:?}"
    );
    let root = format!("{}/", workspace_root().display());
    for dir in crates {
        let findings = examine(&dir);
        circles.extend(findings.circles.iter().map(|c| c.replace(&root, "")));
        root_imports.extend(findings.root_imports.iter().map(|i| i.replace(&root, "")));
    }
    assert!(
        circles.is_empty(),
        "import circles (move the shared item down to a module both can use):\n{circles:#?}"
    );
    assert!(
        root_imports.is_empty(),
        "items imported through the crate root's re-exports (import them from the module \
         that defines them):\n{root_imports:#?}"
    );
}

#[test]
fn the_check_sees_a_circle_and_a_root_import() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("b")).unwrap();
    std::fs::write(
        src.join("lib.rs"),
        "mod a;\nmod b;\npub use b::{D, c::C as Thing};\npub use b::Other;\npub struct Root;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("a.rs"),
        "// crate::b::c is only a comment\nuse crate::b::D;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("b/mod.rs"),
        "mod c;\npub struct D;\nfn g() -> c::C { c::C }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("b/c.rs"),
        "pub struct C;\nfn f() -> super::super::a::X { todo!() }\nuse crate::Thing;\nuse crate::Root;\n\
         #[cfg(test)]\nmod tests { use crate::Other; }\n",
    )
    .unwrap();
    let findings = examine(dir.path());
    assert_eq!(findings.circles.len(), 1, "{:?}", findings.circles);
    for file in ["a.rs", "b/mod.rs", "b/c.rs"] {
        assert!(findings.circles[0].contains(file), "{:?}", findings.circles);
    }
    assert_eq!(
        findings.root_imports.len(),
        1,
        "{:?}",
        findings.root_imports
    );
    assert!(findings.root_imports[0].ends_with("crate::Thing"));
}
