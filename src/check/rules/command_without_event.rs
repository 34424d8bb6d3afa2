//! # command-without-event (error)
//!
//! Checks that every command lists at least one event in `emits`.
//!
//! ## Why
//!
//! In an event-sourced service the events are the only record of what
//! happened: a command that emits nothing changes nothing, leaves no trace
//! in the aggregate's stream, and nothing downstream can react to it. On an
//! event-storming board every blue sticky is followed by the orange one it
//! causes.
//!
//! ## Example
//!
//! ```yaml
//! commands:
//!   CancelPayment:
//!     actor: Buyer        # no `emits`
//! ```
//!
//! ## Fix
//!
//! Add the events the command emits when it succeeds, such as
//! `emits: [PaymentCancelled]`, and declare them under the aggregate's
//! `events`. A command that should fail can still return domain `errors`.

use crate::check::grammar;
use crate::check::usage::Usage;
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Command, Model, names};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let usage = Usage::new(model);
    for command in &model.commands {
        // Only a missing or empty list: when references were written but did
        // not resolve, the list is empty too, and `unknown-reference` has
        // already said so at each of them.
        if !command.emits.is_empty() || model.unresolved_within(command.emits_span) {
            continue;
        }
        let label = if command.emits_span == command.name.span {
            Label::new(command.name.span, "this command has no `emits`")
        } else {
            Label::new(command.emits_span, "no event listed here")
        };
        out.push(
            Diagnostic::new(
                Code::CommandWithoutEvent,
                format!("command `{}` emits no event", command.name.value),
                label,
            )
            .with_help(help(model, &usage, command)),
        );
    }
}

/// Names the event the command most likely emits: the one its name implies
/// (`CancelOrder` → `OrderCancelled`) when the aggregate declares it, else
/// an event of the aggregate that no command emits yet, else the implied
/// name as a new event. Another command's event is never the suggestion.
fn help(model: &Model, usage: &Usage<'_>, command: &Command) -> String {
    let aggregate = &model[command.aggregate];
    let implied = grammar::event_name_for(&names::words(&command.name.value));
    let declared = |name: &str| aggregate.events.iter().find(|&&event| model[event].name.value == name).copied();
    let existing = implied
        .as_deref()
        .and_then(declared)
        .or_else(|| aggregate.events.iter().find(|&&event| usage.emitters(event).is_empty()).copied());
    match (existing, implied) {
        (Some(event), _) => format!(
            "list the events `{}` emits when it succeeds in its `emits`, such as `{}`",
            command.name.value, model[event].name.value
        ),
        (None, Some(implied)) => format!(
            "declare the event `{}` causes, such as `{implied}`, among the events of `{}`, and list it in the command's `emits`",
            command.name.value, aggregate.name.value
        ),
        (None, None) => format!(
            "declare the event `{}` causes among the events of `{}`, and list it in the command's `emits`",
            command.name.value, aggregate.name.value
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn missing_or_empty_emits() {
        let yaml = payments_with(
            "CompletePayment: { actor: PaymentProvider, emits: [PaymentCompleted] }",
            "CompletePayment: { actor: PaymentProvider }",
        );
        assert_eq!(
            seen(&yaml, Code::CommandWithoutEvent),
            [Seen {
                message: "command `CompletePayment` emits no event".into(),
                at: "CompletePayment".into(),
                related: vec![],
                // The event its name implies, declared and emitted by no one.
                help: Some(
                    "list the events `CompletePayment` emits when it succeeds in its `emits`, such as `PaymentCompleted`"
                        .into()
                ),
            }]
        );
        let yaml = payments_with("emits: [PaymentCompleted] }", "emits: [] }");
        let found = seen(&yaml, Code::CommandWithoutEvent);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].at, "[]");
        assert!(seen(PAYMENTS, Code::CommandWithoutEvent).is_empty());
    }

    #[test]
    fn the_help_never_suggests_another_commands_event() {
        // `RefundPayment` implies `PaymentRefunded`, which is not declared;
        // every event of `Payment` is emitted by another command.
        let yaml = payments_with(
            "          FailPayment:     {",
            "          RefundPayment: { actor: Buyer }\n          FailPayment:     {",
        );
        assert_eq!(
            seen(&yaml, Code::CommandWithoutEvent)[0].help.as_deref(),
            Some(
                "declare the event `RefundPayment` causes, such as `PaymentRefunded`, among the events of `Payment`, and list it in the command's `emits`"
            )
        );
        // An event nobody emits yet is the likely one.
        let yaml = payments_with(
            "          FailPayment:     {",
            "          ReviewPayment: { actor: Buyer }\n          FailPayment:     {",
        )
        .replacen("          PaymentFailed:", "          PaymentDisputed: {}\n          PaymentFailed:", 1);
        assert_eq!(
            seen(&yaml, Code::CommandWithoutEvent)[0].help.as_deref(),
            Some("list the events `ReviewPayment` emits when it succeeds in its `emits`, such as `PaymentDisputed`")
        );
    }

    #[test]
    fn a_misspelt_emits_is_only_a_syntax_error() {
        let yaml = payments_with(
            "CompletePayment: { actor: PaymentProvider, emits: [PaymentCompleted] }",
            "CompletePayment: { actor: PaymentProvider, emit: [PaymentCompleted] }",
        );
        assert!(seen(&yaml, Code::CommandWithoutEvent).is_empty());
        assert!(seen(&yaml, Code::OrphanEvent).is_empty());
        assert_eq!(seen(&yaml, Code::Syntax).len(), 1);
    }

    #[test]
    fn an_unknown_event_is_not_reported_twice() {
        let yaml = payments_with("emits: [PaymentCompleted] }", "emits: [PaymentComplete] }");
        assert!(seen(&yaml, Code::CommandWithoutEvent).is_empty());
        assert_eq!(seen(&yaml, Code::UnknownReference).len(), 1);
    }
}
