//! Helpers for the rules' tests: check a YAML snippet through the whole
//! front half of the pipeline and look at what one rule reported, as text.

use crate::diagnostics::{Code, Diagnostic, LintLevels};
use crate::pipeline::{self, Source};
use crate::syntax::Syntax;

/// The format's own example, which checks with no error and no warning.
pub const PAYMENTS: &str = include_str!("../syntax/yaml/testdata/payments.yaml");

/// A diagnostic as the tests compare it: the message, the text under the
/// label, the texts under the related labels and the help.
#[derive(Debug, PartialEq, Eq)]
pub struct Seen {
    pub message: String,
    pub at: String,
    pub related: Vec<String>,
    pub help: Option<String>,
}

/// Every diagnostic of a model, in order of place.
pub fn check(yaml: &str) -> Vec<Diagnostic> {
    let source = Source { name: "test.yaml".into(), text: yaml.into(), syntax: Syntax::Yaml };
    pipeline::check(&source, &LintLevels::default()).diagnostics
}

/// What `code` reported for a model.
pub fn seen(yaml: &str, code: Code) -> Vec<Seen> {
    let slice = |span: crate::syntax::span::Span| yaml.get(span.offset..span.end()).unwrap_or("<outside>").to_string();
    check(yaml)
        .into_iter()
        .filter(|d| d.code == code)
        .map(|d| Seen {
            message: d.message,
            at: slice(d.label.span),
            related: d.related.iter().map(|label| slice(label.span)).collect(),
            help: d.help,
        })
        .collect()
}

/// The messages `code` reported for a model.
pub fn messages(yaml: &str, code: Code) -> Vec<String> {
    seen(yaml, code).into_iter().map(|seen| seen.message).collect()
}

/// The payments example with `from` replaced by `to` (which must occur).
pub fn payments_with(from: &str, to: &str) -> String {
    assert!(PAYMENTS.contains(from), "the payments example has no `{from}`");
    PAYMENTS.replacen(from, to, 1)
}

#[test]
fn the_payments_example_is_clean() {
    let found = check(PAYMENTS);
    assert!(found.is_empty(), "{found:#?}");
}
