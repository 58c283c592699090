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
        "[[action]]\nname = \"a\"\nsummary = \"Does a.\"\nsection = \"S\"\ndoc = \"d\"\nexample = \"e\"\nreturns = \"()\"\n{extra}"
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
                    "t.toml:14:9: `reply` does not decode as `{returns}`"
                )),
            "{returns} {reply}: {got:?}"
        );
    }
}

/// Every action has a one-line English `summary`; each way of getting it wrong is named at
/// its place (a missing one at the action's name) with what to write.
#[test]
fn the_summary_is_one_sentence_of_english() {
    let with_summary = |line: &str| errors(&action("").replace("summary = \"Does a.\"", line));
    let cases = [
        (
            "",
            "t.toml:7:8: action `a` has no `summary`; add one line of English saying what it does after its `name`, e.g. `summary = \"Sends a private message.\"` (it starts the method's rustdoc)",
        ),
        (
            "summary = \" \"",
            "t.toml:8:11: `summary` is empty; write one line of English saying what the action does",
        ),
        (
            "summary = \"TODO: say what `a` does.\"",
            "t.toml:8:11: `summary` is still a placeholder; replace it with one line of English",
        ),
        (
            "summary = \"\"\"Does a.\nThen b.\"\"\"",
            "t.toml:8:11: `summary` has 2 lines; keep it to one sentence on one line and put the rest in `doc`",
        ),
        (
            "summary = \"Does a（甲）.\"",
            "t.toml:8:11: `summary` is English (the Chinese text goes in `doc`), but it holds `（`",
        ),
        (
            "summary = \"does a.\"",
            "t.toml:8:11: `summary` is one sentence: begin it with a capital letter and end it with a full stop",
        ),
        (
            "summary = \"Does a\"",
            "t.toml:8:11: `summary` is one sentence: begin it with a capital letter",
        ),
    ];
    for (line, want) in cases {
        let got = with_summary(line);
        assert!(
            got.len() == 1 && got[0].starts_with(want),
            "{line:?}: want {want:?}, got {got:?}"
        );
    }
    assert_eq!(
        with_summary("summary = \"  Does a.  \""),
        Vec::<String>::new()
    );
}

/// A field or parameter whose name says it is a QQ number, a group or a message id has that
/// id's type, or says why not.
#[test]
fn an_id_by_name_has_its_ids_type() {
    let param = |p: &str| errors(&action(&format!("params = [{p}]")));
    let cases = [
        (
            r#"{ name = "user_id", type = "i64", doc = "" }"#,
            "t.toml:13:38: `user_id` names a QQ number, so its type is `qq`",
        ),
        (
            r#"{ name = "target", wire = "groupId", type = "string?", doc = "" }"#,
            "t.toml:13:55: `target` names a group number, so its type is `group`",
        ),
        (
            r#"{ name = "message_id", type = "string", doc = "" }"#,
            "t.toml:13:41: `message_id` names a message id, so its type is `msg` or `long_msg` or `any_msg` or `forward`",
        ),
        (
            r#"{ name = "operator_id", type = "qq", untyped_id = "why", doc = "" }"#,
            "`untyped_id` explains a plain type, but `operator_id` is typed `qq`: drop it",
        ),
    ];
    for (p, want) in cases {
        let got = param(p);
        assert!(
            got.iter().any(|e| e.contains(want)),
            "want {want:?} in {got:?}"
        );
    }
    assert_eq!(
        param(
            r#"{ name = "user_id", type = "string", untyped_id = "`all` or a number", doc = "" }"#
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        param(r#"{ name = "message_id", type = "msg?", doc = "" }"#),
        Vec::<String>::new()
    );
    let field = |f: &str| {
        errors(&format!(
            "[[struct]]\nname = \"S\"\ndoc = \"d\"\nfields = [{f}]\n"
        ))
    };
    let got = field(r#"{ name = "group_id", type = "i64", doc = "" }"#);
    assert!(
        got.iter()
            .any(|e| e.contains("`group_id` names a group number")),
        "{got:?}"
    );
}

#[test]
fn each_mistake_is_named_with_its_place() {
    let cases = [
        (action("params = [{ name = \"x\", type = \"strng\", doc = \"\" }]"), "t.toml:13:32: unknown type `strng`"),
        (action("params = [{ name = \"x\", type = \"i64?\", default = 1, doc = \"\" }]"), "t.toml:13:50: a default is NapCat's value for a parameter left out unless set"),
        (action("params = [{ name = \"x\", type = \"bool\", default = 1, doc = \"\" }]"), "t.toml:13:50: default `1` does not fit"),
        (action("params = [{ name = \"x\", type = \"i32\", default = 9999999999, doc = \"\" }]"), "out of range for `i32`"),
        (action("params = [{ name = \"timeout\", type = \"i64\", doc = \"\" }]"), "is a method of every call builder"),
        (action("params = [{ name = \"x\", type = \"file\", doc = \"\" }]\ntimeout_secs = 0"), "`timeout_secs` must be at least 1"),
        (action("colour = 1"), "unknown field `colour`"),
        (action("packets = \"()\""), "t.toml:13:11: `packets` names what each packet carries"),
        (action("packets = \"Nope\""), "t.toml:13:11: unknown type `Nope`"),
        (action("packets = \"i64\"\n[action.napcat]\nstream_action = false"), "t.toml:13:11: an action with `packets` is a stream action"),
        (action("reply = 'null'"), "t.toml:13:9: `reply` moved into the action's `napcat` table (what NapCat does, for the simulator and the conformance tests): write `reply = …` under `[action.napcat]`"),
        (action("schema_checked = false"), "t.toml:13:18: `schema_checked` moved into the action's `napcat` table"),
        (action("stream_action = true"), "t.toml:13:17: `stream_action` moved into the action's `napcat` table"),
        (action("json_reason = \"x\""), "t.toml:13:15: `json_reason` moved into the action's `napcat` table"),
        (action("napcat_example_differs = \"x\""), "t.toml:13:26: `napcat_example_differs` moved into the action's `napcat` table (what NapCat does, for the simulator and the conformance tests): write `example_differs = …`"),
        (action("params = [{ name = \"x\", type = \"i64\", doc = \"\", differs = \"y\" }]"), "t.toml:13:59: `differs` moved into the parameter's `napcat` table"),
        (action("[action.napcat]\nreplly = 'null'"), "unknown field `replly`"),
        (action("[action.napcat]\nexample_differs = \" \""), "`example_differs` is empty"),
        (action("returns = \"json\"").replace("returns = \"()\"\n", ""), "add `json_reason` to its `napcat` table"),
        (action("").replace("\"()\"", "\"i64\""), "t.toml:12:11: add `reply` to the action's `napcat` table"),
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
