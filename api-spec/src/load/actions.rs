//! `[[action]]` tables, checked in named steps: the names (Rust, wire, aliases), the section,
//! the English summary (see `summary`), the doc and example, the return type and call options, the stream packets, the parameters,
//! and what NapCat does with the action (its `napcat` table, see `napcat`).

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use crate::error::SourceFile;
use crate::load::checker::Checker;
use crate::load::raw::{RawAction, RawParam};
use crate::model::{Action, Param};
use crate::names;
use crate::types::{Scalar, TypeRef};

impl Checker {
    /// Checks one action, step by step, and builds it.
    pub(super) fn action(
        &mut self,
        src: &SourceFile,
        raw: &RawAction,
        sections: &[String],
    ) -> Action {
        let (rust_name, wire_name) = self.action_names(src, raw);
        self.check_section(src, raw, sections);
        let summary = self.summary(src, raw);
        self.check_doc_and_example(src, raw);
        let returns = self.type_ref(src, &raw.returns, false);
        self.check_call_options(src, raw, &returns);
        let packets = self.packets(src, raw);
        let params = self.params(src, &raw.params);
        let napcat = self.napcat_facts(src, raw, &returns);
        Action {
            rust_name,
            wire_name,
            section: raw.section.get_ref().clone(),
            summary,
            doc: raw.doc.get_ref().trim().to_owned(),
            example: raw.example.get_ref().trim().to_owned(),
            params,
            returns,
            timeout_secs: raw.timeout_secs.as_ref().map(|t| *t.get_ref()),
            failure_flag: raw.failure_flag.as_ref().map(|f| f.get_ref().clone()),
            paced: raw.paced,
            aliases: raw.aliases.iter().map(|a| a.get_ref().clone()).collect(),
            packets,
            napcat,
        }
    }

    /// The Rust name (a snake_case identifier, not a method of `Client`, unique) and the wire
    /// name; the wire name and each alias are claimed for this action.
    fn action_names(&mut self, src: &SourceFile, raw: &RawAction) -> (String, String) {
        let rust_name = raw.name.get_ref().clone();
        let wire = raw.wire.clone().unwrap_or_else(|| raw.name.clone());
        let wire_name = wire.get_ref().clone();
        if self.check_snake(src, &raw.name, "action") {
            if names::RESERVED_ACTION_NAMES.contains(&rust_name.as_str()) {
                self.err(
                    src,
                    raw.name.span(),
                    format!("`{rust_name}` is a method of `Client` itself; choose another name and keep the wire name with `wire = \"{wire_name}\"`"),
                );
            }
            if let Some(prev) = self
                .action_names
                .insert(rust_name.clone(), src.name.clone())
            {
                self.err(
                    src,
                    raw.name.span(),
                    format!("action `{rust_name}` is already declared (in {prev}); Rust names must be unique"),
                );
            }
        }
        self.claim_wire_name(src, &wire, "wire action");
        for alias in &raw.aliases {
            self.claim_wire_name(src, alias, "alias");
        }
        (rust_name, wire_name)
    }

    /// A wire name or alias is usable as an action name and not taken by another action.
    fn claim_wire_name(&mut self, src: &SourceFile, name: &Spanned<String>, what: &str) {
        let wire_name = name.get_ref();
        if wire_name.trim().is_empty() || wire_name.contains(['/', '?', '#', ' ']) {
            self.err(
                src,
                name.span(),
                format!("{what} `{wire_name}` is not a usable action name"),
            );
        } else if let Some(prev) = self.wire_names.insert(wire_name.clone(), src.name.clone()) {
            self.err(
                src,
                name.span(),
                format!("{what} `{wire_name}` is already a wire name or alias of another action (in {prev}); one action per wire name"),
            );
        }
    }

    /// The action's section is one the file lists.
    fn check_section(&mut self, src: &SourceFile, raw: &RawAction, sections: &[String]) {
        if !sections.contains(raw.section.get_ref()) {
            self.err(
                src,
                raw.section.span(),
                format!(
                    "section `{}` is not in this file's `sections` ({})",
                    raw.section.get_ref(),
                    sections.join(", ")
                ),
            );
        }
    }

    /// `doc` and `example` are not empty, and the example is Rust statements (it is compiled
    /// as a doctest and run by the tour).
    fn check_doc_and_example(&mut self, src: &SourceFile, raw: &RawAction) {
        for (text, what) in [(&raw.doc, "doc"), (&raw.example, "example")] {
            if text.get_ref().trim().is_empty() {
                self.err(
                    src,
                    text.span(),
                    format!("`{what}` is empty; write at least one line"),
                );
            }
        }
        if let Err(e) = syn::parse_str::<syn::Block>(&format!("{{\n{}\n}}", raw.example.get_ref()))
        {
            self.err(
                src,
                raw.example.span(),
                format!("`example` is not Rust statements ({e}); it is compiled as a doctest and run by the tour"),
            );
        }
    }

    /// `timeout_secs` is at least 1, and `failure_flag` is set only on an action whose data
    /// is an object.
    fn check_call_options(&mut self, src: &SourceFile, raw: &RawAction, returns: &TypeRef) {
        if let Some(t) = &raw.timeout_secs
            && *t.get_ref() == 0
        {
            self.err(src, t.span(), "`timeout_secs` must be at least 1");
        }
        if let Some(flag) = &raw.failure_flag
            && !matches!(
                returns,
                TypeRef::Unit | TypeRef::Named(_) | TypeRef::Scalar(Scalar::Json)
            )
        {
            self.err(
                src,
                flag.span(),
                "`failure_flag` applies to actions whose data is an object (returns `()`, `json` or a struct)",
            );
        }
    }

    /// The type of a stream action's packets: something a packet carries.
    fn packets(&mut self, src: &SourceFile, raw: &RawAction) -> Option<TypeRef> {
        let packets = raw.packets.as_ref().map(|p| self.type_ref(src, p, false));
        if packets == Some(TypeRef::Unit) {
            self.err(
                src,
                raw.packets.as_ref().map_or(0..0, |p| p.span()),
                "`packets` names what each packet carries; `()` carries nothing",
            );
        }
        packets
    }

    /// Each parameter, then what they share: no name twice, no wire key twice (an either-or
    /// parameter's keys and every alias count).
    fn params(&mut self, src: &SourceFile, raw: &[RawParam]) -> Vec<Param> {
        let mut params: Vec<Param> = Vec::new();
        let mut keys: HashMap<String, String> = HashMap::new();
        for p in raw {
            let param = self.param(src, p);
            if params.iter().any(|x| x.rust_name == param.rust_name) {
                self.err(
                    src,
                    p.name.span(),
                    format!("parameter `{}` is declared twice", param.rust_name),
                );
            }
            for (key, span) in self.wire_keys(p, &param) {
                if let Some(other) = keys.insert(key.clone(), param.rust_name.clone()) {
                    self.err(
                        src,
                        span,
                        format!(
                            "wire key `{key}` is used by two parameters (`{other}` and `{}`)",
                            param.rust_name
                        ),
                    );
                }
            }
            params.push(param);
        }
        params
    }

    /// Every wire key a parameter may send, with where it is written: its wire name (or each
    /// key of its either-or union), then its aliases.
    fn wire_keys(&self, raw: &RawParam, param: &Param) -> Vec<(String, Range<usize>)> {
        let mut own: Vec<(String, Range<usize>)> = Vec::new();
        match self.keyed_members(&param.ty) {
            Some(members) => own.extend(members.into_iter().map(|m| (m, raw.ty.span()))),
            None => own.push((
                param.wire_name.clone(),
                raw.wire.as_ref().map_or(raw.name.span(), |w| w.span()),
            )),
        }
        own.extend(raw.aliases.iter().map(|a| (a.get_ref().clone(), a.span())));
        own
    }
}
