//! The spec against NapCat's own schemas (`api-spec/napcat/actions.json`): every wire name
//! and alias is one NapCat registers, every parameter key is one of NapCat's, required-ness
//! agrees unless the spec declares why it differs, and both the spec's reply examples and
//! NapCat's `return_example`s decode with the generated decoders.

use std::collections::BTreeMap;

use api_core::RawReply;
use api_spec::{Presence, Spec};
use serde_json::{Value, json};

fn napcat() -> BTreeMap<String, Value> {
    let text = api_spec::napcat::ACTIONS_JSON;
    let list: Vec<Value> = serde_json::from_str(text).expect("NapCat's action list is JSON");
    list.into_iter()
        .map(|a| (a["action"].as_str().unwrap_or_default().to_owned(), a))
        .collect()
}

fn spec() -> Spec {
    api_spec::load_builtin().expect("the shipped spec loads")
}

fn napcat_params(action: &Value) -> BTreeMap<String, bool> {
    action["params"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["required"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

#[test]
fn every_wire_name_and_alias_is_napcats() {
    let napcat = napcat();
    let mut missing = Vec::new();
    for (_, a) in spec().actions() {
        for name in std::iter::once(&a.wire_name).chain(&a.aliases) {
            if !napcat.contains_key(name) {
                missing.push(format!("{} ({name})", a.rust_name));
            }
        }
    }
    assert!(missing.is_empty(), "not NapCat actions: {missing:?}");
}

/// NapCat's `OneBotAction` puts what the handler returns into `data`: a handler that ends in
/// `return null` answers `"data": null`, one that returns nothing leaves `data` out. The
/// spec's reply says which, so the simulator answers the same way.
#[test]
fn a_null_reply_is_exactly_where_napcats_handler_returns_null() {
    let napcat = napcat();
    let mut problems = Vec::new();
    for (_, a) in spec().actions() {
        let handler_returns = napcat[&a.wire_name]["ts_handle_return"].as_str();
        let reply_is_null = a.napcat.reply.as_ref().is_some_and(Value::is_null);
        match handler_returns {
            Some("null") if !reply_is_null => problems.push(format!(
                "{}: NapCat's handler returns null, so the reply must be `null`",
                a.wire_name
            )),
            Some("void") if a.napcat.reply.is_some() => problems.push(format!(
                "{}: NapCat's handler returns nothing, so the reply has no `data`",
                a.wire_name
            )),
            Some("null" | "void") => {}
            _ if reply_is_null => problems.push(format!(
                "{}: a `null` reply, but NapCat's handler returns {handler_returns:?}",
                a.wire_name
            )),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_parameter_key_is_napcats_and_required_ness_agrees() {
    let napcat = napcat();
    let spec = spec();
    let mut problems = Vec::new();
    for (_, a) in spec.actions() {
        let theirs = napcat_params(&napcat[&a.wire_name]);
        for p in &a.params {
            let keys = spec.param_keys(p);
            for key in keys.iter().chain(&p.aliases) {
                if !theirs.contains_key(key) {
                    problems.push(format!(
                        "{}: `{key}` is not a NapCat parameter",
                        a.rust_name
                    ));
                }
            }
            let ours = p.presence == Presence::Required;
            let either_or = spec.keyed_union(&p.ty).is_some();
            let agrees = if either_or {
                // Each member is optional in NapCat; exactly one is required here.
                keys.iter().all(|k| theirs.get(k) == Some(&false))
            } else {
                theirs.get(&p.wire_name) == Some(&ours)
            };
            if !agrees && p.napcat.differs.is_none() {
                problems.push(format!(
                    "{}: `{}` is {} here and {} in NapCat; match it or say why with `napcat = {{ differs = \"…\" }}`",
                    a.rust_name,
                    p.rust_name,
                    if ours { "required" } else { "optional" },
                    if ours { "optional" } else { "required" },
                ));
            }
        }
        for (key, required) in &theirs {
            let covered = a
                .params
                .iter()
                .any(|p| spec.param_keys(p).contains(key) || p.aliases.contains(key));
            if *required && !covered {
                problems.push(format!("{}: NapCat requires `{key}`", a.rust_name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A parameter with a `default` is left out unless set, so NapCat's own default applies: the
/// spec's `default` is documentation of NapCat's, and must be the one NapCat's schema gives
/// (compared as text, since NapCat takes most numbers as a number or a string).
#[test]
fn every_documented_default_is_napcats() {
    let napcat = napcat();
    let spec = spec();
    let mut problems = Vec::new();
    let mut compared = 0;
    for (_, a) in spec.actions() {
        for p in &a.params {
            let Presence::Default(ours) = &p.presence else {
                continue;
            };
            let theirs = napcat[&a.wire_name]["params"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|q| q["name"] == p.wire_name.as_str())
                .map(|q| &q["default"]);
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            match theirs {
                Some(Value::Null) | None => {}
                Some(theirs) => {
                    compared += 1;
                    if text(theirs) != text(&ours.to_json(&spec)) {
                        problems.push(format!(
                            "{}: `{}` documents default {} but NapCat's is {theirs}",
                            a.rust_name,
                            p.rust_name,
                            ours.to_json(&spec)
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared >= 30, "only {compared} defaults compared");
}

/// Decodes `data` as the action's reply would be, with the generated decoder.
fn decode(rust_name: &str, data: &Value) -> Result<Value, api_core::Error> {
    let action = api_core::action_by_name(rust_name).expect("a generated action");
    let envelope =
        json!({"status": "ok", "retcode": 0, "data": data, "message": "", "wording": ""});
    action.decode(&RawReply::new(Some(200), envelope.to_string()))
}

#[test]
fn every_reply_example_decodes_into_the_return_type() {
    for (_, a) in spec().actions() {
        if let Some(reply) = &a.napcat.reply {
            decode(&a.rust_name, reply)
                .unwrap_or_else(|e| panic!("{}: the spec's reply example: {e}", a.rust_name));
        }
    }
}

#[test]
fn napcats_return_examples_decode_into_the_return_type() {
    let napcat = napcat();
    for (_, a) in spec().actions() {
        let example = &napcat[&a.wire_name]["return_example"];
        if example.is_null() {
            assert!(
                a.napcat.example_differs.is_none(),
                "{}: `example_differs` is set, but NapCat gives no return example",
                a.rust_name
            );
            continue;
        }
        // The spec says where NapCat's example contradicts its code (`example_differs`).
        if let Some(why) = &a.napcat.example_differs {
            assert!(
                decode(&a.rust_name, example).is_err(),
                "{}: NapCat's example now decodes; drop `example_differs` ({why})",
                a.rust_name
            );
            continue;
        }
        decode(&a.rust_name, example)
            .unwrap_or_else(|e| panic!("{}: NapCat's return_example: {e}", a.rust_name));
    }
}

#[test]
fn a_reply_example_that_does_not_fit_is_caught() {
    // The decoders are strict where the spec is: a wrong shape is a Decode error, so the two
    // tests above can fail.
    let err = decode("get_login_info", &json!({"user_id": [], "nickname": "x"})).unwrap_err();
    assert!(matches!(err, api_core::Error::Decode { .. }), "{err:?}");
}

/// Every one of NapCat's wire names is reached by the spec, as a wire name or an alias.
#[test]
fn coverage_of_napcats_wire_names() {
    let napcat = napcat();
    let spec = spec();
    let reached: std::collections::BTreeSet<&str> = spec
        .actions()
        .flat_map(|(_, a)| std::iter::once(&a.wire_name).chain(&a.aliases))
        .map(String::as_str)
        .collect();
    let missing: Vec<&str> = napcat
        .keys()
        .map(String::as_str)
        .filter(|n| !reached.contains(n))
        .collect();
    println!(
        "{} of {} NapCat wire names covered",
        napcat.len() - missing.len(),
        napcat.len()
    );
    assert!(
        missing.is_empty(),
        "not in the spec: {}",
        missing.join(", ")
    );
    assert_eq!(napcat.len(), 177, "NapCat's action list changed size");
}
