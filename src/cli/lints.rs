//! Lint levels on the command line: `-A CODE`, `-W CODE`, `-D CODE` and
//! `-D warnings`, as in clippy.
//!
//! Flags apply in the order written, a later one winning over an earlier one
//! for the same code (`-D warnings -W warnings` leaves warnings as they
//! are). `-D warnings` raises every warning still shown to an error; an
//! allowed warning is not shown, so it stays allowed whatever the order. The
//! command line wins over `lints:` in the model.
//!
//! Codes are checked: an unknown one is a usage error with the closest code,
//! and an error cannot be allowed or lowered to a warning (`-D` on an error
//! is accepted: it already is one).

use clap::{ArgMatches, Args};

use crate::diagnostics::{Code, Level, LintLevels, suggest};

/// The group name that stands for every warning.
const WARNINGS: &str = "warnings";

#[derive(Args, Debug, Default)]
pub struct LintArgs {
    /// Allow (hide) a warning: `-A event-tense`; `-A warnings` hides them all
    #[arg(short = 'A', long = "allow", value_name = "CODE", help_heading = "Lint levels")]
    allow: Vec<String>,

    /// Keep a warning a warning (undoes an earlier or in-model level)
    #[arg(short = 'W', long = "warn", value_name = "CODE", help_heading = "Lint levels")]
    warn: Vec<String>,

    /// Deny a warning (make it an error): `-D unused-event`; `-D warnings` denies them all
    #[arg(short = 'D', long = "deny", value_name = "CODE", help_heading = "Lint levels")]
    deny: Vec<String>,
}

impl LintArgs {
    /// The levels the flags ask for, in the order they were written.
    /// `Err` is a usage error's message.
    pub fn levels(&self, matches: &ArgMatches) -> Result<LintLevels, String> {
        let mut flags: Vec<(usize, Level, &str)> = Vec::new();
        for (id, level, values) in
            [("allow", Level::Allow, &self.allow), ("warn", Level::Warn, &self.warn), ("deny", Level::Deny, &self.deny)]
        {
            let indices: Vec<usize> = matches.indices_of(id).map(Iterator::collect).unwrap_or_default();
            for (i, value) in values.iter().enumerate() {
                // Without indices (arguments built by hand) keep each flag's own
                // order, allow before warn before deny.
                let index = indices.get(i).copied().unwrap_or(usize::MAX);
                flags.push((index, level, value.as_str()));
            }
        }
        flags.sort_by_key(|(index, _, _)| *index);
        resolve(flags.into_iter().map(|(_, level, value)| (level, value)))
    }
}

/// Applies flags in order.
fn resolve<'a>(flags: impl IntoIterator<Item = (Level, &'a str)>) -> Result<LintLevels, String> {
    let mut by_code: Vec<Option<Level>> = vec![None; Code::ALL.len()];
    let mut deny_warnings = false;
    for (level, value) in flags {
        if value == WARNINGS {
            deny_warnings = level == Level::Deny;
            if level != Level::Deny {
                for (slot, code) in by_code.iter_mut().zip(Code::ALL) {
                    if code.is_lint() {
                        *slot = Some(level);
                    }
                }
            }
            continue;
        }
        let code: Code = value.parse().map_err(|_| unknown_code(value))?;
        if !code.is_lint() {
            match level {
                Level::Allow => {
                    return Err(format!("`{code}` is an error, and errors cannot be allowed; only warnings can"));
                }
                Level::Warn => {
                    return Err(format!(
                        "`{code}` is an error, and errors cannot be lowered to warnings; only warnings can"
                    ));
                }
                Level::Deny => continue,
            }
        }
        if let Some(position) = Code::ALL.iter().position(|c| *c == code) {
            by_code[position] = Some(level);
        }
    }
    let mut levels = LintLevels::default();
    for (slot, code) in by_code.iter().zip(Code::ALL) {
        if let Some(level) = slot {
            levels.set(*code, *level);
        }
    }
    if deny_warnings {
        levels.deny_warnings();
    }
    Ok(levels)
}

fn unknown_code(value: &str) -> String {
    let bare = value.strip_prefix("squall::").unwrap_or(value);
    let names = Code::ALL.iter().map(|c| c.as_str()).chain([WARNINGS]);
    let mut message = format!("`{value}` is not a rule of squall");
    match suggest::did_you_mean(bare, names) {
        Some(help) => message.push_str(&format!("; {help}")),
        None => message.push_str(" (`squall explain --list` lists them)"),
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::{Diagnostic, Label, Severity};
    use crate::syntax::span::Span;

    fn apply(flags: &[(Level, &str)], code: Code) -> Option<Severity> {
        let levels = resolve(flags.iter().copied()).expect("valid flags");
        let warning = Diagnostic::new(code, "m", Label::new(Span::new(0, 1), "here"));
        levels.apply(vec![warning]).first().map(|d| d.severity)
    }

    #[test]
    fn later_flags_win() {
        use Level::*;
        assert_eq!(apply(&[(Allow, "event-tense"), (Warn, "event-tense")], Code::EventTense), Some(Severity::Warning));
        assert_eq!(apply(&[(Deny, "event-tense"), (Allow, "event-tense")], Code::EventTense), None);
        assert_eq!(apply(&[(Deny, "warnings"), (Warn, "warnings")], Code::EventTense), Some(Severity::Warning));
        assert_eq!(apply(&[(Allow, "warnings"), (Warn, "event-tense")], Code::EventTense), Some(Severity::Warning));
        assert_eq!(apply(&[(Allow, "warnings")], Code::UnusedEvent), None);
    }

    #[test]
    fn deny_warnings_raises_what_is_shown_and_leaves_allowed_ones_hidden() {
        use Level::*;
        assert_eq!(apply(&[(Deny, "warnings")], Code::OrphanEvent), Some(Severity::Error));
        assert_eq!(apply(&[(Allow, "orphan-event"), (Deny, "warnings")], Code::OrphanEvent), None);
        assert_eq!(apply(&[(Deny, "warnings"), (Allow, "orphan-event")], Code::OrphanEvent), None);
        assert_eq!(apply(&[(Deny, "squall::orphan-event")], Code::OrphanEvent), Some(Severity::Error));
    }

    #[test]
    fn codes_are_checked() {
        let err = resolve([(Level::Allow, "event-tence")]).unwrap_err();
        assert!(err.contains("did you mean `event-tense`?"), "{err}");
        let err = resolve([(Level::Deny, "warning")]).unwrap_err();
        assert!(err.contains("did you mean `warnings`?"), "{err}");
        let err = resolve([(Level::Allow, "syntax")]).unwrap_err();
        assert!(err.contains("errors cannot be allowed"), "{err}");
        assert!(resolve([(Level::Warn, "broken-flow")]).is_err());
        assert!(resolve([(Level::Deny, "broken-flow")]).is_ok());
        assert!(resolve([(Level::Allow, "zzzz")]).unwrap_err().contains("explain --list"));
    }
}
