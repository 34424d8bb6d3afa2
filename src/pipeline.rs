//! One model file through the front half of the pipeline: parse, build,
//! check, apply lint levels, sort.

use crate::diagnostics::{self, Code, Diagnostic, Label, LintLevels, Severity};
use crate::model::{self, Model};
use crate::syntax::span::Span;
use crate::syntax::{self, Syntax};

/// Past this many, the problems the model and its rules find in a file with
/// syntax errors are counted, not shown. The tree read from such a file is
/// the parser's best guess at what was meant, and a guess at a badly broken
/// file (thousands of unclosed blocks, each read as one more element) can
/// break rules thousands of times over.
pub const MAX_FOLLOW_ON: usize = 100;

/// A model file as read from disk or standard input.
#[derive(Clone, Debug)]
pub struct Source {
    /// The name diagnostics show (`models/payments.yaml`, `<stdin>`).
    pub name: String,
    pub text: String,
    pub syntax: Syntax,
}

/// Everything known about one file after checking it. (The surface tree is
/// not kept: once the model is built, nothing needs it.)
#[derive(Debug)]
pub struct Checked {
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
    // YAML hands each context to the model as soon as it is read (see
    // `model::Builder`); the DSL reads the whole file first.
    let mut builder = model::Builder::default();
    let parsed = match source.syntax {
        Syntax::Yaml => syntax::yaml::parse_streamed(&source.text, &mut |context| builder.context(context)),
        Syntax::Dsl => syntax::parse(&source.text, source.syntax),
    };
    let mut found = parsed.diagnostics;
    let Some(file) = parsed.file else {
        diagnostics::sort(&mut found);
        return Checked { model: None, diagnostics: found };
    };
    let (model, mut follow_on) = builder.finish(file);
    follow_on.extend(crate::check::check(&model));

    let mut in_model = LintLevels::default();
    for (code, level) in &model.lints {
        in_model.set(code.value, *level);
    }
    let levels = in_model.overridden_by(levels);
    let mut follow_on = levels.apply(follow_on);
    if found.iter().any(|d| d.severity == Severity::Error) {
        cap_follow_on(&mut follow_on, source.text.len());
    }
    let mut found = levels.apply(found);
    found.extend(follow_on);
    diagnostics::sort(&mut found);
    Checked { model: Some(model), diagnostics: found }
}

/// Keeps the first [`MAX_FOLLOW_ON`] diagnostics by place and replaces the
/// rest with one that says how many were left out, at the end of the file.
fn cap_follow_on(follow_on: &mut Vec<Diagnostic>, end: usize) {
    if follow_on.len() <= MAX_FOLLOW_ON {
        return;
    }
    diagnostics::sort(follow_on);
    let dropped = follow_on.len() - MAX_FOLLOW_ON;
    follow_on.truncate(MAX_FOLLOW_ON);
    follow_on.push(
        Diagnostic::new(
            Code::Syntax,
            format!("{dropped} more problems not shown"),
            Label::new(Span::new(end, 0), "stopped reporting here"),
        )
        .with_help("they may follow from the syntax errors: fix those and run again"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: String, syntax: Syntax) -> Vec<Diagnostic> {
        check(&Source { name: "test".into(), text, syntax }, &LintLevels::default()).diagnostics
    }

    #[test]
    fn problems_that_follow_syntax_errors_are_capped() {
        // Each unclosed block is read as one more command `X` of the
        // aggregate: thousands of duplicates and commands with no event.
        let text = format!("system S\ncontext C {{\n  aggregate A {{\n{}", "command X { ".repeat(5_000));
        let found = run(text.clone(), Syntax::Dsl);
        let syntax = found.iter().filter(|d| d.code == Code::Syntax).count();
        assert!(found.len() <= syntax + MAX_FOLLOW_ON, "{} diagnostics", found.len());
        assert_eq!(found.len() - syntax, MAX_FOLLOW_ON);
        let note = found.iter().find(|d| d.message.ends_with("more problems not shown")).expect("a final note");
        assert_eq!(note.label.span, Span::new(text.len(), 0));
        let dropped: usize = note.message.split(' ').next().and_then(|n| n.parse().ok()).expect("a count");
        // Every command but the first is a duplicate, and none emits.
        assert_eq!(dropped + MAX_FOLLOW_ON, 4_999 + 5_000 + 2);
    }

    #[test]
    fn yaml_read_context_by_context_builds_the_model_of_the_whole_file() {
        // The system's hot spots written after the contexts still come first.
        let hotspots = "hotspots:\n  - { text: Who owns refunds?, on: Payments }\n";
        let payments = include_str!("syntax/yaml/testdata/payments.yaml");
        for text in [payments.to_string(), format!("{payments}{hotspots}")] {
            let checked = check(
                &Source { name: "test".into(), text: text.clone(), syntax: Syntax::Yaml },
                &LintLevels::default(),
            );
            let whole = syntax::parse(&text, Syntax::Yaml).file.expect("a model");
            let (built, _) = model::build(whole);
            let streamed = checked.model.expect("a model");
            assert_eq!(crate::export::json::to_string(&streamed), crate::export::json::to_string(&built));
        }
        let text = format!("{payments}{hotspots}");
        let model = check(&Source { name: "test".into(), text, syntax: Syntax::Yaml }, &LintLevels::default())
            .model
            .expect("a model");
        assert_eq!(model.hotspots[0].text.value, "Who owns refunds?");
        assert!(model.hotspots[1..].iter().all(|h| h.context.is_some()));
    }

    #[test]
    fn a_model_without_syntax_errors_is_reported_in_full() {
        let actors: String = (0..150).map(|i| format!("  Actor{i}: {{}}\n")).collect();
        let found = run(format!("system: S\nactors:\n{actors}"), Syntax::Yaml);
        assert_eq!(found.iter().filter(|d| d.code == Code::UnusedActor).count(), 150);
        assert!(found.iter().all(|d| !d.message.contains("not shown")));
    }
}
