//! The cost of building the generated API.

use std::path::Path;

use api_bench::build_cost;

pub(crate) fn build_cost() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    println!("\n### 4. Build cost of the macro\n");
    println!(
        "| spec | actions | expansion (parse + validate + generate), median of 20 | `cargo build` of a crate running the macro (debug, deps built), median of 3 |"
    );
    println!("| --- | --- | --- | --- |");
    for (name, text, n) in [
        // An extension crate's spec is read together with the built-in one, so the rows are
        // synthetic specs with names of their own; `api-core` itself is measured below.
        ("synthetic-1", build_cost::synthetic_spec(1), 1),
        ("synthetic-50", build_cost::synthetic_spec(50), 50),
        ("synthetic-200", build_cost::synthetic_spec(200), 200),
    ] {
        let e = build_cost::expansion_time(&text, 20);
        let b = build_cost::crate_build_time(&workspace, name, &text, 3);
        println!(
            "| {name} | {n} | {:.2} ms | {:.2} s |",
            e.as_secs_f64() * 1e3,
            b.as_secs_f64()
        );
    }
    let builtin = api_spec::load_builtin().expect("the shipped spec loads");
    let actions = builtin.actions().count();
    let (expansion, size) = build_cost::builtin_expansion(20);
    println!(
        "\nThe built-in spec ({actions} actions): expansion inside `api-core`, median of 20: {:.2} ms; generated code: {:.0} KiB of token text, {} lines formatted",
        expansion.as_secs_f64() * 1e3,
        size as f64 / 1024.0,
        build_cost::builtin_lines()
    );
    let r = build_cost::core_rebuild_time(&workspace, 3);
    println!(
        "`cargo build -p api-core` (debug) after editing one doc line of the spec, median of 3: {:.2} s",
        r.as_secs_f64()
    );
    let c = build_cost::core_clean_build_time(&workspace, 3);
    println!(
        "`cargo build -p api-core` (debug) after `cargo clean -p api-core` (dependencies built), median of 3: {:.2} s",
        c.as_secs_f64()
    );
}
