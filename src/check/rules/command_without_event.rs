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

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::Model;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for command in &model.commands {
        // Only a missing or empty list: when references were written but did
        // not resolve, the list is empty too, and `unknown-reference` has
        // already said so at each of them.
        if !command.emits.is_empty() || model.unresolved_within(command.emits_span) {
            continue;
        }
        let aggregate = &model[command.aggregate];
        let label = if command.emits_span == command.name.span {
            Label::new(command.name.span, "this command has no `emits`")
        } else {
            Label::new(command.emits_span, "no event listed here")
        };
        let help = match aggregate.events.first() {
            Some(&event) => format!(
                "list the events `{}` emits when it succeeds, such as `emits: [{}]`",
                command.name.value, model[event].name.value
            ),
            None => format!(
                "declare the event `{}` causes under `{}`'s `events` and list it in `emits`",
                command.name.value, aggregate.name.value
            ),
        };
        out.push(
            Diagnostic::new(
                Code::CommandWithoutEvent,
                format!("command `{}` emits no event", command.name.value),
                label,
            )
            .with_help(help),
        );
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
                help: Some(
                    "list the events `CompletePayment` emits when it succeeds, such as `emits: [PaymentInitiated]`"
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
    fn an_unknown_event_is_not_reported_twice() {
        let yaml = payments_with("emits: [PaymentCompleted] }", "emits: [PaymentComplete] }");
        assert!(seen(&yaml, Code::CommandWithoutEvent).is_empty());
        assert_eq!(seen(&yaml, Code::UnknownReference).len(), 1);
    }
}
