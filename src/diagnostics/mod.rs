//! Diagnostics are data: every problem Squall finds in a model is a
//! [`Diagnostic`] with a stable [`Code`], a label on the exact place, related
//! labels where another place is involved, and a help that says the fix.
//!
//! Stages collect diagnostics into a list; nothing is printed until the end,
//! when they are sorted by place, their lint levels applied, and rendered for
//! people (`render`) or machines (`json`).

mod code;
pub mod json;
mod levels;
pub mod render;
pub mod suggest;

pub use code::{Code, Severity, UnknownCode};
pub use levels::{Level, LintLevels};

use crate::syntax::span::Span;

/// A place in the file with a short message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Label { span, message: message.into() }
    }
}

/// One problem in a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One sentence: what is wrong.
    pub message: String,
    /// The exact offending key or value.
    pub label: Label,
    /// Other places involved (the first declaration of a duplicate, …).
    pub related: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at the rule's default severity.
    pub fn new(code: Code, message: impl Into<String>, label: Label) -> Self {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            label,
            related: Vec::new(),
            help: None,
        }
    }

    pub fn with_related(mut self, label: Label) -> Self {
        self.related.push(label);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Sorts diagnostics by place, then by code, so output is stable and reads
/// top to bottom like the file.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.label.span.offset, a.label.span.len, a.code, &a.message).cmp(&(
            b.label.span.offset,
            b.label.span.len,
            b.code,
            &b.message,
        ))
    });
}
