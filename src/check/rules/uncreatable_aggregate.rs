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
                "mark the command that starts a `{}` with `creates: true` (such as `{}`), or add one",
                aggregate.name.value, model[first].name.value
            ),
            None => format!("add a command with `creates: true` that starts a `{}`", aggregate.name.value),
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
