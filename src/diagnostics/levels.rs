//! Lint levels, as in clippy: `-A CODE`, `-W CODE`, `-D CODE`, `-D warnings`
//! on the command line, and `lints: { code: allow|warn|deny }` in the model.
//!
//! The command line wins over the model, and a later flag over an earlier
//! one. Errors cannot be allowed or lowered: only warnings have levels.

use std::collections::BTreeMap;

use super::{Code, Diagnostic, Severity};

/// What to do with a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }
}

/// The lint levels in force for one run.
#[derive(Clone, Debug, Default)]
pub struct LintLevels {
    by_code: BTreeMap<Code, Level>,
    /// `-D warnings`: every warning still shown becomes an error.
    deny_warnings: bool,
}

impl LintLevels {
    pub fn set(&mut self, code: Code, level: Level) {
        self.by_code.insert(code, level);
    }

    pub fn deny_warnings(&mut self) {
        self.deny_warnings = true;
    }

    /// Lays `over` on top of `self`: its levels win.
    pub fn overridden_by(mut self, over: &LintLevels) -> LintLevels {
        self.by_code.extend(over.by_code.iter().map(|(c, l)| (*c, *l)));
        self.deny_warnings |= over.deny_warnings;
        self
    }

    /// Applies the levels: drops allowed warnings and raises denied ones to
    /// errors. Errors pass through untouched.
    pub fn apply(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diagnostics
            .into_iter()
            .filter_map(|mut d| {
                if !d.code.is_lint() {
                    return Some(d);
                }
                match self.by_code.get(&d.code).copied() {
                    Some(Level::Allow) => return None,
                    Some(Level::Deny) => d.severity = Severity::Error,
                    Some(Level::Warn) | None => {}
                }
                if self.deny_warnings {
                    d.severity = Severity::Error;
                }
                Some(d)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Label;
    use crate::syntax::span::Span;

    fn warning(code: Code) -> Diagnostic {
        Diagnostic::new(code, "m", Label::new(Span::new(0, 1), "here"))
    }

    #[test]
    fn allow_drops_deny_raises_and_errors_stay() {
        let mut levels = LintLevels::default();
        levels.set(Code::EventTense, Level::Allow);
        levels.set(Code::UnusedEvent, Level::Deny);
        levels.set(Code::Syntax, Level::Allow);
        let out = levels.apply(vec![
            warning(Code::EventTense),
            warning(Code::UnusedEvent),
            warning(Code::Syntax),
            warning(Code::OrphanEvent),
        ]);
        let got: Vec<_> = out.iter().map(|d| (d.code, d.severity)).collect();
        assert_eq!(
            got,
            [
                (Code::UnusedEvent, Severity::Error),
                (Code::Syntax, Severity::Error),
                (Code::OrphanEvent, Severity::Warning),
            ]
        );
    }

    #[test]
    fn command_line_overrides_model_and_deny_warnings_raises_all() {
        let mut model = LintLevels::default();
        model.set(Code::EventTense, Level::Allow);
        let mut cli = LintLevels::default();
        cli.set(Code::EventTense, Level::Warn);
        cli.deny_warnings();
        let out = model.overridden_by(&cli).apply(vec![warning(Code::EventTense)]);
        assert_eq!(out[0].severity, Severity::Error);
    }
}
