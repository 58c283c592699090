//! The loader reports every kind of spec mistake with `file:line:col`, never a panic.

fn errors(body: &str) -> Vec<String> {
    let text = format!(
        "category = \"t\"\ntitle = \"T\"\npermalink = \"/t/\"\noverview = \"o\"\nsections = [\"S\"]\n{body}"
    );
    match api_spec::load(&[("t.toml".to_owned(), text)]) {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

fn action(extra: &str) -> String {
    format!(
        "[[action]]\nname = \"a\"\nsection = \"S\"\ndoc = \"d\"\nexample = \"e\"\nreturns = \"()\"\n{extra}"
    )
}

#[test]
fn a_valid_spec_has_no_errors() {
    assert!(errors(&action("")).is_empty());
}

/// An action's `napcat` table reads the same written as a sub-table or inline.
#[test]
fn the_napcat_table_is_a_sub_table_or_inline() {
    let load = |body: &str| {
        let text = format!("category = \"t\"\ntitle = \"T\"\nsections = [\"S\"]\n{body}");
        api_spec::load(&[("t.toml".to_owned(), text)]).unwrap_or_else(|e| panic!("{e}"))
    };
    let params =
        "params = [{ name = \"x\", type = \"i64\", doc = \"\", napcat = { differs = \"y\" } }]";
    let table = load(&action(&format!(
        "{params}\n[action.napcat]\nreply = '{{\"a\": 1}}'\nschema_checked = false\n"
    )));
    let inline = load(&action(&format!(
        "{params}\nnapcat = {{ reply = '{{\"a\": 1}}', schema_checked = false }}\n"
    )));
    assert_eq!(table, inline);
    let a = table.actions().next().unwrap().1;
    assert_eq!(a.napcat.reply, Some(serde_json::json!({"a": 1})));
    assert!(!a.napcat.schema_checked);
    assert_eq!(a.params[0].napcat.differs.as_deref(), Some("y"));
}

/// A reply example is read by the same lenient rules as the generated decoders
/// (`api_lenient`): what they take loads, what they refuse fails at its place.
#[test]
fn reply_examples_follow_the_decoders_rules() {
    let with_reply = |returns: &str, reply: &str| {
        errors(
            &action(&format!("[action.napcat]\nreply = '{reply}'"))
                .replace("returns = \"()\"", &format!("returns = \"{returns}\"")),
        )
    };
    for (returns, reply) in [
        ("i64", "5.0"),
        ("i64", "\"12\""),
        ("string", "12"),
        ("bool", "1"),
        ("duration", "\"60\""),
        ("qq?", "null"),
    ] {
        assert_eq!(
            with_reply(returns, reply),
            Vec::<String>::new(),
            "{returns} {reply}"
        );
    }
    for (returns, reply) in [
        ("duration", "-1"),
        ("u32", "4294967296"),
        ("i64", "5.5"),
        ("bool", "2"),
        ("file", "12"),
    ] {
        let got = with_reply(returns, reply);
        assert!(
            got.len() == 1
                && got[0].starts_with(&format!(
                    "t.toml:13:9: `reply` does not decode as `{returns}`"
                )),
            "{returns} {reply}: {got:?}"
        );
    }
}

#[test]
fn each_mistake_is_named_with_its_place() {
    let cases = [
        (action("params = [{ name = \"x\", type = \"strng\", doc = \"\" }]"), "t.toml:12:32: unknown type `strng`"),
        (action("params = [{ name = \"x\", type = \"i64?\", default = 1, doc = \"\" }]"), "t.toml:12:50: a default is NapCat's value for a parameter left out unless set"),
        (action("params = [{ name = \"x\", type = \"bool\", default = 1, doc = \"\" }]"), "t.toml:12:50: default `1` does not fit"),
        (action("params = [{ name = \"x\", type = \"i32\", default = 9999999999, doc = \"\" }]"), "out of range for `i32`"),
        (action("params = [{ name = \"timeout\", type = \"i64\", doc = \"\" }]"), "is a method of every call builder"),
        (action("params = [{ name = \"x\", type = \"file\", doc = \"\" }]\ntimeout_secs = 0"), "`timeout_secs` must be at least 1"),
        (action("colour = 1"), "unknown field `colour`"),
        (action("packets = \"()\""), "t.toml:12:11: `packets` names what each packet carries"),
        (action("packets = \"Nope\""), "t.toml:12:11: unknown type `Nope`"),
        (action("packets = \"i64\"\n[action.napcat]\nstream_action = false"), "t.toml:12:11: an action with `packets` is a stream action"),
        (action("reply = 'null'"), "t.toml:12:9: `reply` moved into the action's `napcat` table (what NapCat does, for the simulator and the conformance tests): write `reply = …` under `[action.napcat]`"),
        (action("schema_checked = false"), "t.toml:12:18: `schema_checked` moved into the action's `napcat` table"),
        (action("stream_action = true"), "t.toml:12:17: `stream_action` moved into the action's `napcat` table"),
        (action("json_reason = \"x\""), "t.toml:12:15: `json_reason` moved into the action's `napcat` table"),
        (action("napcat_example_differs = \"x\""), "t.toml:12:26: `napcat_example_differs` moved into the action's `napcat` table (what NapCat does, for the simulator and the conformance tests): write `example_differs = …`"),
        (action("params = [{ name = \"x\", type = \"i64\", doc = \"\", differs = \"y\" }]"), "t.toml:12:59: `differs` moved into the parameter's `napcat` table"),
        (action("[action.napcat]\nreplly = 'null'"), "unknown field `replly`"),
        (action("[action.napcat]\nexample_differs = \" \""), "`example_differs` is empty"),
        (action("returns = \"json\"").replace("returns = \"()\"\n", ""), "add `json_reason` to its `napcat` table"),
        (action("").replace("\"()\"", "\"i64\""), "t.toml:11:11: add `reply` to the action's `napcat` table"),
        ("[[union]]\nname = \"U\"\ndoc = \"\"\ntag = \"type\"\nclosed = true\nvariants = [{ name = \"A\", tag = \"a\" }]".into(), "t.toml:10:10: `closed` is not a key: a union is closed unless it says `open = true`"),
        ("[[union]]\nname = \"U\"\ndoc = \"\"\nkeyed = true\nopen = true\nvariants = [{ name = \"A\", key = \"a\", type = \"qq\" }]".into(), "t.toml:10:8: `open` applies to tagged unions"),
        ("[[union]]\nname = \"U\"\ndoc = \"\"\ntag = \"type\"\nopen = true\nvariants = [{ name = \"Unknown\", tag = \"a\" }]".into(), "`Unknown` is generated for tags no variant lists"),
        ("[[union]]\nname = \"U\"\ndoc = \"\"\nuntagged = true\nvariants = [{ name = \"A\", type = \"qq\" }]".into(), "unknown field `untagged`"),
        (format!("{}\n{}", action(""), action("")), "action `a` is already declared"),
        ("[[struct]]\nname = \"s\"\ndoc = \"\"\nfields = []".into(), "type name `s` must be CamelCase"),
        ("[[enum]]\nname = \"E\"\ndoc = \"\"\nvariants = [{ name = \"A\", wire = 0, label = \"a\" }, { name = \"B\", wire = 0, label = \"b\" }]".into(), "wire value 0 is used twice"),
        ("[[enum]]\nname = \"E\"\ndoc = \"\"\nvariants = [{ name = \"A\", wire = 0, label = \"a\", aliases = [\"x\"] }, { name = \"B\", wire = 1, label = \"b\", aliases = [\"x\"] }]".into(), "`x` names both `A` and `B`"),
    ];
    for (body, want) in cases {
        let got = errors(&body);
        assert!(
            got.iter().any(|e| e.contains(want)),
            "want {want:?} in {got:?}"
        );
        assert!(got.iter().all(|e| e.starts_with("t.toml:")), "{got:?}");
    }
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "[[[",
        "category = 1",
        "\u{0}",
        "sections = [1, 2]",
        "[[action]]\nname = 3",
    ] {
        assert!(api_spec::load(&[("g.toml".to_owned(), text.to_owned())]).is_err());
    }
}
