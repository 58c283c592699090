//! `#[derive(Commands)]` mistakes fail to compile with the error at the attribute or item at
//! fault.

#[test]
fn commands_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
