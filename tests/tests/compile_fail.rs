//! Bad spec files fail the build with `file:line:col` and an actionable message; ids of
//! different kinds cannot be swapped.

#[test]
fn bad_specs_fail_to_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
