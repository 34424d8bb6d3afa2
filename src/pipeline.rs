//! One model file through the front half of the pipeline: parse, build,
//! check, apply lint levels, sort.

use crate::diagnostics::{self, Diagnostic, LintLevels, Severity};
use crate::model::{self, Model};
use crate::syntax::{self, Syntax, ast};

/// A model file as read from disk or standard input.
#[derive(Clone, Debug)]
pub struct Source {
    /// The name diagnostics show (`models/payments.yaml`, `<stdin>`).
    pub name: String,
    pub text: String,
    pub syntax: Syntax,
}

/// Everything known about one file after checking it.
#[derive(Debug)]
pub struct Checked {
    pub file: Option<ast::File>,
    pub model: Option<Model>,
    /// Sorted by place, with lint levels applied.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

/// Parses, builds and checks a model. `levels` are the command line's lint
/// levels; they override those written in the model.
pub fn check(source: &Source, levels: &LintLevels) -> Checked {
    let parsed = syntax::parse(&source.text, source.syntax);
    let mut found = parsed.diagnostics;
    let Some(file) = parsed.file else {
        diagnostics::sort(&mut found);
        return Checked { file: None, model: None, diagnostics: found };
    };
    let (model, built) = model::build(&file);
    found.extend(built);
    found.extend(crate::check::check(&model));

    let mut in_model = LintLevels::default();
    for (code, level) in &model.lints {
        in_model.set(code.value, *level);
    }
    let mut found = in_model.overridden_by(levels).apply(found);
    diagnostics::sort(&mut found);
    Checked { file: Some(file), model: Some(model), diagnostics: found }
}
