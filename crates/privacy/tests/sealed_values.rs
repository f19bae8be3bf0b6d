//! Code outside the privacy crate cannot turn a sealed value into plaintext, print it or
//! serialise it: each of these programs must fail to compile.

#[test]
fn sealed_values_stay_sealed_outside_the_privacy_crate() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
