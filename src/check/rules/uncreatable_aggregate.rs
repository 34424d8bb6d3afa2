//! # uncreatable-aggregate (warning)
//!
//! Checks that every aggregate has a command that creates it
//! (`creates: true`).
//!
//! ## Why
//!
//! Every other command acts on an aggregate that already exists, found by
//! its id. Without a command that starts one, no aggregate of the type can
//! ever exist, and none of its commands can ever succeed.
//!
//! ## Example
//!
//! ```yaml
//! aggregates:
//!   Invoice:
//!     commands:
//!       SendInvoice: { actor: Clock, schedule: "0 0 1 * *", emits: [InvoiceSent] }
//!       # nothing creates an Invoice
//! ```
//!
//! ## Fix
//!
//! Mark the command that starts the aggregate's life with `creates: true`,
//! adding that command if it is missing.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::Model;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for aggregate in &model.aggregates {
        if aggregate.commands.iter().any(|&command| model[command].creates) {
            continue;
        }
        let help = match aggregate.commands.first() {
            Some(&first) => format!(
                "mark the command that starts a new `{}` with `creates` (such as `{}`), or add one",
                aggregate.name.value, model[first].name.value
            ),
            None => format!("add a command that starts a new `{}`, marked with `creates`", aggregate.name.value),
        };
        out.push(
            Diagnostic::new(
                Code::UncreatableAggregate,
                format!("aggregate `{}` has no command that creates it", aggregate.name.value),
                Label::new(aggregate.name.span, "nothing creates this aggregate"),
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
    fn an_aggregate_nothing_creates() {
        let yaml = payments_with("            actor: Buyer\n            creates: true\n", "            actor: Buyer\n");
        assert_eq!(
            seen(&yaml, Code::UncreatableAggregate),
            [Seen {
                message: "aggregate `Payment` has no command that creates it".into(),
                at: "Payment".into(),
                related: vec![],
                help: Some("mark the command that starts a new `Payment` with `creates` (such as `InitiatePayment`), or add one".into()),
            }]
        );
        assert!(seen(PAYMENTS, Code::UncreatableAggregate).is_empty());
    }
}
