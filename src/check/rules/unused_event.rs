//! # unused-event (warning)
//!
//! Checks that every public event (`public: true`) is consumed by some
//! policy (`on`) or read model (`from`), or appears on a flow.
//!
//! ## Why
//!
//! Publishing an event makes it part of the context's contract: its schema
//! must stay readable by every consumer, and changing it is a breaking
//! change. A public event that nothing consumes is a contract kept for
//! nobody; it should stay private until some context needs it.
//!
//! ## Example
//!
//! ```yaml
//! events:
//!   PaymentFailed:
//!     public: true       # no policy, read model or flow uses it
//! ```
//!
//! ## Fix
//!
//! Consume the event where it is needed (a policy `on` it, a read model
//! `from` it), show it on a flow, or make it private (remove
//! `public: true`).

use std::collections::HashSet;

use crate::check::usage::Usage;
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{EventId, Model, Step};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let usage = Usage::new(model);
    let on_flows: HashSet<EventId> = model
        .flows
        .iter()
        .flat_map(|flow| &flow.steps)
        .filter_map(|step| match step.value {
            Step::Event(id) => Some(id),
            _ => None,
        })
        .collect();
    for (i, event) in model.events.iter().enumerate() {
        let id = EventId(i as u32);
        if !event.public || !usage.consumers(id).is_empty() || on_flows.contains(&id) {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::UnusedEvent,
                format!("public event `{}` is consumed by no policy or read model and is on no flow", event.name.value),
                Label::new(event.name.span, "published, but used nowhere"),
            )
            .with_help(format!(
                "consume `{}` in a policy (`on`) or read model (`from`), show it on a flow, or make it private",
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
    fn a_public_event_nobody_uses() {
        let yaml = payments_with("PaymentFailed:    { fields", "PaymentFailed:    { public: true, fields");
        assert_eq!(
            seen(&yaml, Code::UnusedEvent),
            [Seen {
                message: "public event `PaymentFailed` is consumed by no policy or read model and is on no flow".into(),
                at: "PaymentFailed".into(),
                related: vec![],
                help: Some("consume `PaymentFailed` in a policy (`on`) or read model (`from`), show it on a flow, or make it private".into()),
            }]
        );
    }

    #[test]
    fn a_flow_or_a_consumer_is_a_use() {
        // On a flow only.
        let yaml = payments_with("PaymentInitiated: { fields", "PaymentInitiated: { public: true, fields");
        assert!(seen(&yaml, Code::UnusedEvent).is_empty());
        // Consumed only (CustomerAccepted is on no flow).
        assert!(seen(PAYMENTS, Code::UnusedEvent).is_empty());
    }
}
