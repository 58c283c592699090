//! Property-based fuzzing: every action's reply decoder and the spec parser take arbitrary
//! input without panicking. CI runs a bounded smoke run; for a long run:
//!
//! ```text
//! PROPTEST_CASES=200000 cargo test --release -p api-tests --test fuzz
//! ```
//!
//! A failure is saved under `tests/proptest-regressions/` and replayed first on every later
//! run: commit that file with the fix.

use api_core::RawReply;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const ACCOUNT_SPEC: &str = include_str!("../../api-spec/spec/account.toml");

/// Keys NapCat's replies use, so random objects often look like real ones.
const KEYS: &[&str] = &[
    "user_id",
    "nickname",
    "remark",
    "sex",
    "level",
    "age",
    "categoryId",
    "categoryName",
    "categoryMbCount",
    "buddyList",
    "online",
    "good",
    "stat",
    "status",
    "ext_status",
    "peerUin",
    "lastestMsg",
    "chatType",
    "msgTime",
    "valid",
    "message",
    "urls",
    "qqLevel",
    "uid",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z0-9男女]{0,8}".prop_map(Value::from),
        prop::sample::select(vec![
            "male",
            "female",
            "unknown",
            "1",
            "-1",
            "99999999999999999999",
            "true"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..8).prop_map(
                |kv| {
                    Value::Object(
                        kv.into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>(),
                    )
                }
            ),
        ]
    })
}

fn decode_with_every_action(reply: &RawReply) {
    for info in api_core::ACTIONS {
        let action =
            api_core::action_by_name(info.rust_name).expect("every listed action has a handle");
        // Any result is fine; a panic fails the property.
        let _ = action.decode(reply);
    }
}

proptest! {
    #[test]
    fn decoders_take_any_bytes(
        body in prop::collection::vec(any::<u8>(), 0..256),
        status in prop_oneof![Just(None), Just(Some(200u16)), Just(Some(403)), (100u16..600).prop_map(Some)],
    ) {
        decode_with_every_action(&RawReply::new(status, body));
    }

    #[test]
    fn decoders_take_any_envelope(
        data in arb_json(),
        status in prop::sample::select(vec!["ok", "failed", "async", "other"]),
        retcode in prop_oneof![Just(0i64), Just(1), Just(200), Just(1403), any::<i64>()],
        with_data in any::<bool>(),
    ) {
        let mut env = json!({"status": status, "retcode": retcode, "message": "m", "wording": "m", "echo": 1});
        if with_data {
            env["data"] = data;
        }
        decode_with_every_action(&RawReply::new(Some(200), env.to_string()));
    }

    #[test]
    fn spec_parser_takes_any_text(text in "(?s).{0,300}") {
        let _ = api_spec::load(&[("fuzz.toml".to_owned(), text)]);
    }

    #[test]
    fn spec_parser_takes_mutated_specs(
        at in 0usize..ACCOUNT_SPEC.len(),
        cut in 0usize..40,
        insert in "[ -~\n中]{0,12}",
    ) {
        let mut text = ACCOUNT_SPEC.to_owned();
        let start = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let end = (start + cut..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
        text.replace_range(start..end, &insert);
        if let Err(errors) = api_spec::load(&[("account.toml".to_owned(), text)]) {
            for e in errors.0 {
                prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
                prop_assert!(!e.message.is_empty());
            }
        }
    }
}

/// JSON whose strings and keys are full of what a tag scan can trip on.
fn arb_tricky_json() -> impl Strategy<Value = Value> {
    const PIECES: &[&str] = &[
        "post_type",
        "\"",
        "\\",
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "a",
        "é",
    ];
    let text =
        || prop::collection::vec(prop::sample::select(PIECES), 0..6).prop_map(|p| p.concat());
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 16, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn tag_scan_agrees_with_a_full_parse(
        entries in prop::collection::vec(
            (prop::sample::select(vec!["post_type", "post_typ", "\"post_type", "a", "\\"]), arb_tricky_json()),
            0..6,
        ),
        pretty in any::<bool>(),
    ) {
        use api_core::runtime::{TagScan, find_tag};
        let object: Map<String, Value> =
            entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let text = if pretty {
            serde_json::to_string_pretty(&object).unwrap()
        } else {
            serde_json::to_string(&object).unwrap()
        };
        let expected = match object.get("post_type") {
            Some(Value::String(s)) => TagScan::Found(s.as_str().into()),
            _ => TagScan::Absent,
        };
        prop_assert_eq!(find_tag(text.as_bytes(), "post_type"), expected, "{}", text);
    }

    #[test]
    fn tag_scan_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        let _ = api_core::runtime::find_tag(&bytes, "post_type");
    }
}
