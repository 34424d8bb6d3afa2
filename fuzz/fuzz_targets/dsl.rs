//! Fuzzes the DSL parser: no input may make it panic, hang or overflow; and
//! a file it reads without error prints (`squall fmt`) to text that reads
//! back to the same tree and prints the same again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use squall::syntax::dsl;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    let parsed = dsl::parse(source);
    let Some(file) = parsed.file else { return };
    let printed = dsl::print(&file);
    if !parsed.diagnostics.is_empty() {
        return;
    }
    let reread = dsl::parse(&printed);
    assert!(reread.diagnostics.is_empty(), "the printed text has errors: {:?}\n{printed}", reread.diagnostics);
    let reread = reread.file.expect("the DSL always gives a tree");
    assert!(reread == file, "the printed text reads back differently:\n{printed}");
    assert_eq!(dsl::print(&reread), printed, "printing is not idempotent");
});
