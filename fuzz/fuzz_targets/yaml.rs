//! Fuzzes the YAML reader and the whole check behind it: no input may make
//! them panic, hang or overflow; and a file read without error prints
//! (`squall fmt`) to YAML that reads back to the same tree and prints the
//! same again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use squall::diagnostics::LintLevels;
use squall::pipeline::{self, Source};
use squall::syntax::{Syntax, yaml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let source = Source { name: "fuzz.yaml".into(), text: text.to_string(), syntax: Syntax::Yaml };
    let checked = pipeline::check(&source, &LintLevels::default());
    for d in &checked.diagnostics {
        assert!(d.label.span.end() <= text.len(), "a label past the end of the file: {d:?}");
    }
    let parsed = yaml::parse(text);
    let Some(file) = parsed.file else { return };
    if !parsed.diagnostics.is_empty() {
        return;
    }
    let printed = yaml::print(&file);
    let reread = yaml::parse(&printed);
    assert!(reread.diagnostics.is_empty(), "the printed YAML has errors: {:?}\n{printed}", reread.diagnostics);
    let reread = reread.file.expect("printed YAML is a model");
    assert!(reread == file, "the printed YAML reads back differently:\n{printed}");
    assert_eq!(yaml::print(&reread), printed, "printing is not idempotent");
});
