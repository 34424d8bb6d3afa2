//! # orphan-event (warning)
//!
//! Checks that every event is emitted by some command (is in some command's
//! `emits`).
//!
//! ## Why
//!
//! Events are facts recorded when an aggregate handles a command. An event
//! no command emits can never be recorded: policies and read models that
//! wait for it wait for ever, and its place on the board is usually a
//! command someone forgot to write down.
//!
//! ## Example
//!
//! ```yaml
//! aggregates:
//!   Payment:
//!     commands:
//!       CompletePayment: { actor: PaymentProvider, emits: [PaymentCompleted] }
//!     events:
//!       PaymentCompleted: {}
//!       PaymentRefunded: {}        # no command emits it
//! ```
//!
//! ## Fix
//!
//! Add the event to the `emits` of the command that causes it (adding that
//! command if it is missing), or remove the event.

use crate::check::usage::Usage;
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Element, EventId, Model};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let usage = Usage::new(model);
    for (i, event) in model.events.iter().enumerate() {
        let id = EventId(i as u32);
        // A second event of the same name cannot be named in any `emits`:
        // `duplicate-name` says so, and saying it again here would not help.
        if !usage.emitters(id).is_empty() || model.is_redeclared(Element::Event(id)) {
            continue;
        }
        let aggregate = &model[event.aggregate];
        let help = if aggregate.commands.is_empty() {
            format!(
                "add the command of `{}` that causes `{}`, with the event in its `emits`, or remove the event",
                aggregate.name.value, event.name.value
            )
        } else {
            let commands: Vec<String> =
                aggregate.commands.iter().map(|&c| format!("`{}`", model[c].name.value)).collect();
            format!(
                "add `{}` to the `emits` of the command of `{}` that causes it ({}), or remove the event",
                event.name.value,
                aggregate.name.value,
                commands.join(", ")
            )
        };
        out.push(
            Diagnostic::new(
                Code::OrphanEvent,
                format!("event `{}` is emitted by no command", event.name.value),
                Label::new(event.name.span, "no command emits this event"),
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
    fn an_event_no_command_emits() {
        let yaml = payments_with(
            "          CustomerRejected: {}\n",
            "          CustomerRejected: {}\n          MerchantSuspended: {}\n",
        );
        assert_eq!(
            seen(&yaml, Code::OrphanEvent),
            [Seen {
                message: "event `MerchantSuspended` is emitted by no command".into(),
                at: "MerchantSuspended".into(),
                related: vec![],
                help: Some("add `MerchantSuspended` to the `emits` of the command of `Merchant` that causes it (`RegisterMerchant`, `CheckCustomer`), or remove the event".into()),
            }]
        );
        assert!(seen(PAYMENTS, Code::OrphanEvent).is_empty());
    }

    #[test]
    fn a_redeclared_event_is_only_a_duplicate() {
        // Twice the same event, and an event named like its aggregate.
        let yaml = payments_with(
            "          CustomerRejected: {}\n",
            "          CustomerRejected: {}\n          CustomerRejected: {}\n          Merchant: {}\n",
        );
        assert!(seen(&yaml, Code::OrphanEvent).is_empty());
        assert_eq!(seen(&yaml, Code::DuplicateName).len(), 2);
    }
}
