//! # uncorrelated-policy (error)
//!
//! Checks that a policy can find the aggregate its command acts on. For
//! each event in `on`, the aggregate's id must come from one of:
//!
//! - the policy's `key`: a field of the event, of the aggregate's `id` type;
//! - without `key`, the event itself, when it is an event of the same
//!   aggregate type that `then` acts on (the policy acts on that same
//!   aggregate);
//! - without `key`, a field of the event named `<aggregate>_id` (such as
//!   `invoice_id` for `Invoice`), of the aggregate's `id` type;
//! - without `key`, nothing at all when `then` creates an aggregate: its id
//!   is derived from the event's own id.
//!
//! With a `key`, the key must be a field of every event in `on`, also when
//! `then` creates (the key is then the id to create the aggregate with).
//!
//! ## Why
//!
//! A policy turns an event into a command, and a command on an existing
//! aggregate is addressed to one aggregate by its id. If the event does not
//! carry that id, the generated policy has no way to know which aggregate
//! to load: it cannot be written, only guessed.
//!
//! ## Example
//!
//! ```yaml
//! policies:
//!   CloseInvoiceOnRefund:
//!     on: Transactions.PaymentRefunded   # carries `payment_id`, not `invoice_id`
//!     then: CloseInvoice                 # acts on an existing Invoice
//! ```
//!
//! ## Fix
//!
//! Add the aggregate's id to the event (`invoice_id: uuid`), or name the
//! field that holds it with `key`.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Model, Type, names};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for policy in &model.policies {
        let Some(then) = &policy.then else { continue };
        let command = &model[then.value];
        let aggregate = &model[command.aggregate];
        let id_field = format!("{}_id", names::snake_case(&aggregate.name.value));
        for reference in &policy.on {
            let event = &model[reference.value];
            let field_named = |name: &str| event.fields.iter().find(|field| field.name.value == name);
            // Which field must hold the id, and whether it is required.
            let (wanted, required) = match &policy.key {
                Some(key) => (key.value.as_str(), true),
                None if command.creates || event.aggregate == command.aggregate => continue,
                None => (id_field.as_str(), false),
            };
            match field_named(wanted) {
                Some(field) if field.ty.value == aggregate.id_type || field.ty.value == Type::Unknown => {}
                Some(field) => {
                    let mut diagnostic = Diagnostic::new(
                        Code::UncorrelatedPolicy,
                        format!(
                            "policy `{}` finds the `{}` to act on by `{}` of event `{}`, which is `{}`, not `{}`",
                            policy.name.value,
                            aggregate.name.value,
                            wanted,
                            event.name.value,
                            field.ty.value,
                            aggregate.id_type
                        ),
                        Label::new(
                            policy.key.as_ref().map_or(reference.span, |key| key.span),
                            format!("`{wanted}` cannot hold the id of `{}`", aggregate.name.value),
                        ),
                    )
                    .with_related(Label::new(field.ty.span, format!("`{wanted}` is `{}` here", field.ty.value)))
                    .with_help(format!(
                        "give `{wanted}` of `{}` the type `{}`, the id type of `{}`",
                        event.name.value, aggregate.id_type, aggregate.name.value
                    ));
                    if policy.key.is_some() {
                        diagnostic = diagnostic.with_related(Label::new(reference.span, "for this event"));
                    }
                    out.push(diagnostic);
                }
                None => {
                    let candidates: Vec<String> = event
                        .fields
                        .iter()
                        .filter(|field| field.ty.value == aggregate.id_type)
                        .map(|field| format!("`{}`", field.name.value))
                        .collect();
                    let (message, label, help) = if required {
                        (
                            format!(
                                "policy `{}` is keyed by `{}`, but event `{}` has no such field",
                                policy.name.value, wanted, event.name.value
                            ),
                            format!("`{}` has no field `{wanted}`", event.name.value),
                            format!(
                                "add `{wanted}: {}` to `{}`, or name a field it has in `key`",
                                aggregate.id_type, event.name.value
                            ),
                        )
                    } else {
                        (
                            format!(
                                "policy `{}` cannot tell which `{}` command `{}` acts on: event `{}` carries no `{}` id",
                                policy.name.value,
                                aggregate.name.value,
                                command.name.value,
                                event.name.value,
                                aggregate.name.value
                            ),
                            format!("`{}` has no field `{id_field}`", event.name.value),
                            format!(
                                "add `{id_field}: {}` to `{}`, or name the field that holds the id in the policy's `key`",
                                aggregate.id_type, event.name.value
                            ),
                        )
                    };
                    let help = match candidates.as_slice() {
                        [] => help,
                        some => format!("{help} (such as {})", some.join(" or ")),
                    };
                    let mut diagnostic =
                        Diagnostic::new(Code::UncorrelatedPolicy, message, Label::new(reference.span, label))
                            .with_help(help);
                    diagnostic = match &policy.key {
                        Some(key) => diagnostic.with_related(Label::new(key.span, "the key is named here")),
                        None => diagnostic.with_related(Label::new(
                            then.span,
                            format!("`{}` acts on an existing `{}`", command.name.value, aggregate.name.value),
                        )),
                    };
                    out.push(diagnostic);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    /// The payments example, with the policy acting on an existing invoice.
    fn acting_on_an_existing_invoice(policy: &str) -> String {
        payments_with(
            "        on: Transactions.PaymentCompleted\n        then: AddInvoiceLine                 # creates: so no key is needed\n",
            policy,
        )
        .replacen("AddInvoiceLine:\n            creates: true\n", "AddInvoiceLine:\n", 1)
        .replacen("SendMonthlyInvoice:\n            actor: Clock\n", "SendMonthlyInvoice:\n            actor: Clock\n            creates: true\n", 1)
    }

    #[test]
    fn an_event_without_the_aggregate_id() {
        let yaml =
            acting_on_an_existing_invoice("        on: Transactions.PaymentCompleted\n        then: AddInvoiceLine\n");
        assert_eq!(
            seen(&yaml, Code::UncorrelatedPolicy),
            [Seen {
                message: "policy `BillCompletedPayment` cannot tell which `Invoice` command `AddInvoiceLine` acts on: event `PaymentCompleted` carries no `Invoice` id".into(),
                at: "Transactions.PaymentCompleted".into(),
                related: vec!["AddInvoiceLine".into()],
                help: Some("add `invoice_id: uuid` to `PaymentCompleted`, or name the field that holds the id in the policy's `key` (such as `merchant_id`)".into()),
            }]
        );
    }

    #[test]
    fn a_key_that_is_not_a_field_or_not_an_id() {
        let yaml = acting_on_an_existing_invoice(
            "        on: Transactions.PaymentCompleted\n        then: AddInvoiceLine\n        key: invoice\n",
        );
        let found = seen(&yaml, Code::UncorrelatedPolicy);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "policy `BillCompletedPayment` is keyed by `invoice`, but event `PaymentCompleted` has no such field"
        );
        assert_eq!(
            (found[0].at.as_str(), found[0].related.as_slice()),
            ("Transactions.PaymentCompleted", &["invoice".to_string()][..])
        );

        let yaml = acting_on_an_existing_invoice(
            "        on: Transactions.PaymentCompleted\n        then: AddInvoiceLine\n        key: amount\n",
        );
        let found = seen(&yaml, Code::UncorrelatedPolicy);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "policy `BillCompletedPayment` finds the `Invoice` to act on by `amount` of event `PaymentCompleted`, which is `decimal`, not `uuid`"
        );
        assert_eq!(found[0].at, "amount");
        assert_eq!(
            found[0].help.as_deref(),
            Some("give `amount` of `PaymentCompleted` the type `uuid`, the id type of `Invoice`")
        );
    }

    #[test]
    fn ways_to_find_the_aggregate() {
        // A key of the id type.
        let yaml = acting_on_an_existing_invoice(
            "        on: Transactions.PaymentCompleted\n        then: AddInvoiceLine\n        key: merchant_id\n",
        );
        assert!(seen(&yaml, Code::UncorrelatedPolicy).is_empty());
        // A field named after the aggregate.
        let yaml =
            acting_on_an_existing_invoice("        on: Transactions.PaymentCompleted\n        then: AddInvoiceLine\n")
                .replacen(
                    "merchant_id: uuid, amount: decimal } }",
                    "invoice_id: uuid, merchant_id: uuid, amount: decimal } }",
                    1,
                );
        assert!(seen(&yaml, Code::UncorrelatedPolicy).is_empty());
        // An event of the same aggregate type.
        let yaml = acting_on_an_existing_invoice("        on: InvoiceLineAdded\n        then: SendMonthlyInvoice\n");
        assert!(seen(&yaml, Code::UncorrelatedPolicy).is_empty());
        // A command that creates.
        assert!(seen(PAYMENTS, Code::UncorrelatedPolicy).is_empty());
    }
}
