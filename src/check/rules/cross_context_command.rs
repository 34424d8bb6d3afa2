//! # cross-context-command (error)
//!
//! Checks that a policy's `then` names a command of the policy's own
//! context.
//!
//! ## Why
//!
//! Bounded contexts talk through events, never by commanding each other. A
//! context that sends commands to another must know that other's model and
//! wait on its availability: the two can no longer change or be deployed
//! apart. With events, the upstream context publishes what happened, and the
//! downstream context decides, in its own policy, what to do about it.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Billing:
//!     policies:
//!       RefundFailedPayment:
//!         on: Transactions.PaymentFailed
//!         then: Transactions.RefundPayment   # a command of another context
//! ```
//!
//! ## Fix
//!
//! Move the policy into the context that owns the command (it reacts to the
//! event there), or have the policy issue a command of its own context.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Element, Model};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for policy in &model.policies {
        let Some(then) = &policy.then else { continue };
        let command = &model[then.value];
        if command.context == policy.context {
            continue;
        }
        let (own, other) = (&model[policy.context].name.value, &model[command.context].name.value);
        out.push(
            Diagnostic::new(
                Code::CrossContextCommand,
                format!(
                    "policy `{}` of context `{own}` issues `{}`, a command of context `{other}`",
                    policy.name.value,
                    model.qualified_name(Element::Command(then.value)),
                ),
                Label::new(then.span, format!("a command of `{other}`")),
            )
            .with_related(Label::new(command.name.span, format!("declared in `{other}`")))
            .with_help(format!(
                "move policy `{}` into `{other}`, which reacts to the event and issues its own command, or issue a command of `{own}`",
                policy.name.value
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn a_policy_commanding_another_context() {
        let yaml = payments_with("then: AddInvoiceLine                 #", "then: Transactions.InitiatePayment    #");
        assert_eq!(
            seen(&yaml, Code::CrossContextCommand),
            [Seen {
                message: "policy `BillCompletedPayment` of context `Billing` issues `Transactions.InitiatePayment`, a command of context `Transactions`".into(),
                at: "Transactions.InitiatePayment".into(),
                related: vec!["InitiatePayment".into()],
                help: Some("move policy `BillCompletedPayment` into `Transactions`, which reacts to the event and issues its own command, or issue a command of `Billing`".into()),
            }]
        );
        assert!(seen(PAYMENTS, Code::CrossContextCommand).is_empty());
    }
}
