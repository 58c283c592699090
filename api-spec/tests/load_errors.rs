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

#[test]
fn each_mistake_is_named_with_its_place() {
    let cases = [
        (action("params = [{ name = \"x\", type = \"strng\", doc = \"\" }]"), "t.toml:12:32: unknown type `strng`"),
        (action("params = [{ name = \"x\", type = \"i64?\", default = 1, doc = \"\" }]"), "t.toml:12:50: a parameter with a default is not optional"),
        (action("params = [{ name = \"x\", type = \"bool\", default = 1, doc = \"\" }]"), "t.toml:12:50: default `1` does not fit"),
        (action("params = [{ name = \"x\", type = \"i32\", default = 9999999999, doc = \"\" }]"), "out of range for `i32`"),
        (action("params = [{ name = \"timeout\", type = \"i64\", doc = \"\" }]"), "is a method of every call builder"),
        (action("params = [{ name = \"x\", type = \"file\", doc = \"\" }]\ntimeout_secs = 0"), "`timeout_secs` must be at least 1"),
        (action("colour = 1"), "unknown field `colour`"),
        (action("packets = \"()\""), "t.toml:12:11: `packets` names what each packet carries"),
        (action("packets = \"Nope\""), "t.toml:12:11: unknown type `Nope`"),
        (action("packets = \"i64\"\nstream_action = false"), "an action with `packets` is a stream action"),
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
