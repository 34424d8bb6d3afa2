//! # foreign-event (error)
//!
//! Checks that a command emits only events of its own aggregate.
//!
//! ## Why
//!
//! An aggregate is a consistency boundary: a command is handled by one
//! aggregate, which decides what happened and records it in its own event
//! stream. An event of another aggregate in `emits` would be written to a
//! stream that aggregate never decided on, so replaying that aggregate
//! would give a state it never agreed to. When one aggregate's change must
//! cause another's, a policy reacts to the first event and sends a command
//! to the second.
//!
//! ## Example
//!
//! ```yaml
//! aggregates:
//!   Payment:
//!     commands:
//!       CompletePayment:
//!         emits: [InvoiceLineAdded]   # an event of Invoice
//! ```
//!
//! ## Fix
//!
//! Declare the event under the command's own aggregate, or emit an event of
//! the aggregate and let a policy turn it into a command of the other one.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Element, Model};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for command in &model.commands {
        let own = &model[command.aggregate];
        for reference in &command.emits {
            let event = &model[reference.value];
            if event.aggregate == command.aggregate {
                continue;
            }
            let other = &model[event.aggregate];
            out.push(
                Diagnostic::new(
                    Code::ForeignEvent,
                    format!(
                        "command `{}` of aggregate `{}` emits `{}`, an event of aggregate `{}`",
                        command.name.value,
                        own.name.value,
                        model.qualified_name(Element::Event(reference.value)),
                        other.name.value
                    ),
                    Label::new(reference.span, format!("`{}` belongs to `{}`", event.name.value, other.name.value)),
                )
                .with_related(Label::new(event.name.span, format!("declared under `{}`", other.name.value)))
                .with_help(format!(
                    "emit an event of `{}` (declare one among its events), and let a policy react to it with a command of `{}`",
                    own.name.value, other.name.value
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn an_event_of_another_aggregate() {
        let yaml = payments_with("emits: [PaymentCompleted] }", "emits: [Billing.InvoiceLineAdded] }");
        assert_eq!(
            seen(&yaml, Code::ForeignEvent),
            [Seen {
                message: "command `CompletePayment` of aggregate `Payment` emits `Billing.InvoiceLineAdded`, an event of aggregate `Invoice`".into(),
                at: "Billing.InvoiceLineAdded".into(),
                related: vec!["InvoiceLineAdded".into()],
                help: Some("emit an event of `Payment` (declare one among its events), and let a policy react to it with a command of `Invoice`".into()),
            }]
        );
        assert!(seen(PAYMENTS, Code::ForeignEvent).is_empty());
    }
}
