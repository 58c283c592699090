//! An action's `napcat` table: what NapCat does with the action, for the simulator and the
//! conformance tests (its reply example, whether it checks params, whether it marks replies
//! as a stream action's, why it returns `json`, where its own example is wrong). A key
//! written on the action itself, where it was before the table existed, is reported with
//! where it went.

use crate::error::SourceFile;
use crate::load::checker::Checker;
use crate::load::raw::RawAction;
use crate::model::NapcatFacts;
use crate::types::{Scalar, TypeRef};

impl Checker {
    /// Checks the action's `napcat` table against its return type and packets, and builds it.
    pub(super) fn napcat_facts(
        &mut self,
        src: &SourceFile,
        raw: &RawAction,
        returns: &TypeRef,
    ) -> NapcatFacts {
        self.report_moved_keys(src, raw);
        self.check_json_reason(src, raw, returns);
        self.check_example_differs(src, raw);
        self.check_stream_action(src, raw);
        let n = &raw.napcat;
        let trimmed =
            |t: &Option<toml::Spanned<String>>| t.as_ref().map(|r| r.get_ref().trim().to_owned());
        NapcatFacts {
            reply: self.reply(src, raw, returns),
            schema_checked: n.schema_checked.unwrap_or(true),
            stream_action: raw.packets.is_some()
                || n.stream_action.as_ref().is_some_and(|f| *f.get_ref()),
            json_reason: trimmed(&n.json_reason),
            example_differs: trimmed(&n.example_differs),
        }
    }

    /// Each key of the `napcat` table written on the action itself, reported with where it
    /// goes now.
    fn report_moved_keys(&mut self, src: &SourceFile, raw: &RawAction) {
        let moved = [
            (&raw.moved_reply, "reply", "reply"),
            (
                &raw.moved_schema_checked,
                "schema_checked",
                "schema_checked",
            ),
            (&raw.moved_stream_action, "stream_action", "stream_action"),
            (&raw.moved_json_reason, "json_reason", "json_reason"),
            (
                &raw.moved_example_differs,
                "napcat_example_differs",
                "example_differs",
            ),
        ];
        for (given, old, new) in moved {
            if let Some(value) = given {
                self.err(
                    src,
                    value.span(),
                    format!("`{old}` moved into the action's `napcat` table (what NapCat does, for the simulator and the conformance tests): write `{new} = …` under `[action.napcat]` after the action's own keys, or `napcat = {{ {new} = … }}`"),
                );
            }
        }
    }

    /// `json_reason` is given exactly when the action returns `json` (or a list or option of
    /// it), and says something.
    fn check_json_reason(&mut self, src: &SourceFile, raw: &RawAction, returns: &TypeRef) {
        let returns_json = matches!(returns, TypeRef::Scalar(Scalar::Json))
            || matches!(returns, TypeRef::List(t) | TypeRef::Option(t) if **t == TypeRef::Scalar(Scalar::Json));
        match (&raw.napcat.json_reason, returns_json) {
            (None, true) if raw.moved_json_reason.is_none() => self.err(
                src,
                raw.returns.span(),
                "the action returns `json`; add `json_reason` to its `napcat` table saying why it has no typed shape (e.g. NapCat declares `any` and gives no example), or name a type",
            ),
            (Some(r), false) => self.err(
                src,
                r.span(),
                "`json_reason` explains a `json` return; this action returns a typed shape, so remove it",
            ),
            (Some(r), true) if r.get_ref().trim().is_empty() => {
                self.err(src, r.span(), "`json_reason` is empty; say why the return is `json`")
            }
            _ => {}
        }
    }

    /// `example_differs`, when given, says something.
    fn check_example_differs(&mut self, src: &SourceFile, raw: &RawAction) {
        if let Some(d) = &raw.napcat.example_differs
            && d.get_ref().trim().is_empty()
        {
            self.err(
                src,
                d.span(),
                "`example_differs` is empty; say what NapCat's code sends instead, and which file shows it",
            );
        }
    }

    /// An action with `packets` is a stream action: no `stream_action = false` beside it.
    fn check_stream_action(&mut self, src: &SourceFile, raw: &RawAction) {
        if let (Some(p), Some(flag)) = (&raw.packets, &raw.napcat.stream_action)
            && !*flag.get_ref()
        {
            self.err(
                src,
                p.span(),
                "an action with `packets` is a stream action; remove `stream_action = false` from its `napcat` table",
            );
        }
    }

    /// The reply example as JSON; required unless the action returns `()`. Whether it
    /// decodes as `returns` is checked once every type is known ([`Checker::check_whole`]).
    fn reply(
        &mut self,
        src: &SourceFile,
        raw: &RawAction,
        returns: &TypeRef,
    ) -> Option<serde_json::Value> {
        match &raw.napcat.reply {
            Some(text) => {
                match serde_json::from_str::<serde_json::Value>(text.get_ref()) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        self.err(
                        src,
                        text.span(),
                        format!("`reply` is not JSON ({e}); write the reply's `data` as NapCat sends it"),
                    );
                        None
                    }
                }
            }
            None if *returns != TypeRef::Unit && raw.moved_reply.is_none() => {
                self.err(
                    src,
                    raw.returns.span(),
                    format!("add `reply` to the action's `napcat` table: a JSON example of the reply's `data` (type `{returns}`), as NapCat sends it; the simulator answers with it and the tests decode it"),
                );
                None
            }
            None => None,
        }
    }
}
