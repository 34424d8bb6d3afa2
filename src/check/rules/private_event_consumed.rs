//! # private-event-consumed (error)
//!
//! Checks that a policy (`on`) or read model (`from`) of one context
//! consumes only `public` events of other contexts. Within its own context,
//! anything may consume any event.
//!
//! ## Why
//!
//! A context's private events are its own business: it may rename them,
//! split them or change their fields whenever its model changes. Its public
//! events are its published contract, versioned and kept stable for the
//! contexts downstream. A consumer of a private event breaks whenever its
//! owner refactors, and the owner cannot know, because nothing says the
//! event is used outside.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Customer:
//!     aggregates:
//!       Merchant:
//!         events:
//!           MerchantRegistered: {}       # private
//!   Billing:
//!     read_models:
//!       Merchants:
//!         from: [Customer.MerchantRegistered]
//! ```
//!
//! ## Fix
//!
//! Mark the event `public: true` in its context (making it part of that
//! context's contract), or consume a public event instead.

use crate::check::usage::consumptions;
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Element, Model};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for consumption in consumptions(model) {
        let event = &model[consumption.event.value];
        if event.public || event.context == consumption.context {
            continue;
        }
        let owner = &model[event.context].name.value;
        out.push(
            Diagnostic::new(
                Code::PrivateEventConsumed,
                format!(
                    "{} `{}` of context `{}` consumes `{}`, a private event of context `{owner}`",
                    consumption.consumer.kind(),
                    consumption.consumer.name(model),
                    model[consumption.context].name.value,
                    model.qualified_name(Element::Event(consumption.event.value)),
                ),
                Label::new(consumption.event.span, format!("private to `{owner}`")),
            )
            .with_related(Label::new(event.name.span, "declared here, not public"))
            .with_help(format!(
                "make `{}` public in `{owner}` to publish it, or consume a public event of `{owner}`",
                event.name.value
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn a_private_event_consumed_by_another_context() {
        let yaml = payments_with("from: [Customer.CustomerAccepted]", "from: [Customer.CustomerRejected]");
        assert_eq!(
            seen(&yaml, Code::PrivateEventConsumed),
            [Seen {
                message: "read model `AcceptedMerchants` of context `Transactions` consumes `Customer.CustomerRejected`, a private event of context `Customer`".into(),
                at: "Customer.CustomerRejected".into(),
                related: vec!["CustomerRejected".into()],
                help: Some("make `CustomerRejected` public in `Customer` to publish it, or consume a public event of `Customer`".into()),
            }]
        );
        // Within its own context, a private event may be consumed: the
        // example's `MerchantBalance` reads the private `InvoiceLineAdded`.
        assert!(seen(PAYMENTS, Code::PrivateEventConsumed).is_empty());
    }
}
