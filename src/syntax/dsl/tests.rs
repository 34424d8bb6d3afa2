//! Tests of the DSL as a whole: the spec's example, the round trip through
//! the printer, errors and their recovery, hostile inputs.

use super::{parse, print};

const PAYMENTS: &str = include_str!("testdata/payments.squall");

#[test]
fn scratch() {
    let parsed = parse(PAYMENTS);
    for d in &parsed.diagnostics { eprintln!("{d:?}"); }
    let file = parsed.file.unwrap();
    let printed = print(&file);
    eprintln!("{printed}");
    assert_eq!(printed, PAYMENTS);
}
