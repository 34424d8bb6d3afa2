//! # unused-relationship (warning)
//!
//! Checks that every declared relationship carries at least one consumed
//! event: a policy or read model of the downstream context consumes an event
//! of the upstream context (of either context from the other, for a
//! partnership or shared kernel).
//!
//! ## Why
//!
//! The context map should show the dependencies that exist. A relationship
//! no event crosses tells the teams they depend on each other when the model
//! says they do not, and it keeps the diagrams busy with arrows that carry
//! nothing.
//!
//! ## Example
//!
//! ```yaml
//! relationships:
//!   - kind: upstream-downstream
//!     upstream: Customer
//!     downstream: Billing        # Billing consumes no event of Customer
//! ```
//!
//! ## Fix
//!
//! Consume the upstream's events where the dependency is real (a policy
//! `on` or a read model `from` in the downstream context), or remove the
//! relationship.

use std::collections::HashSet;

use crate::check::usage::{Usage, consumptions};
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::Model;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let usage = Usage::new(model);
    let mut carries = vec![false; model.relationships.len()];
    // Pairs (upstream, downstream) with events consumed but no relationship
    // that allows it: `undeclared-dependency`.
    let mut undeclared = HashSet::new();
    for consumption in consumptions(model) {
        let upstream = model[consumption.event.value].context;
        if upstream == consumption.context {
            continue;
        }
        let allowing = usage.relationships_allowing(upstream, consumption.context);
        if allowing.is_empty() {
            undeclared.insert((upstream, consumption.context));
        }
        for &i in allowing {
            carries[i] = true;
        }
    }
    for (relationship, _) in model.relationships.iter().zip(&carries).filter(|(_, carries)| !**carries) {
        let (u, d) = (relationship.upstream.value, relationship.downstream.value);
        // A context related to itself is `relationship-role-conflict`; a
        // relationship the wrong way round, against events that do flow, is
        // `undeclared-dependency`, which points at it.
        if u == d || undeclared.contains(&(d, u)) {
            continue;
        }
        let (u, d) = (&model[u].name.value, &model[d].name.value);
        let (message, help) = if relationship.kind.is_symmetric() {
            (
                format!("no event crosses the `{}` between `{u}` and `{d}`", relationship.kind.value.as_str()),
                format!(
                    "consume an event of one context in the other, or remove the relationship between `{u}` and `{d}`"
                ),
            )
        } else {
            (
                format!("no event of `{u}` is consumed in `{d}`, though `{u}` is declared upstream of `{d}`"),
                format!(
                    "consume an event of `{u}` in a policy (`on`) or read model (`from`) of `{d}`, or remove the relationship"
                ),
            )
        };
        out.push(
            Diagnostic::new(Code::UnusedRelationship, message, Label::new(relationship.kind.span, "carries no event"))
                .with_help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn a_relationship_the_wrong_way_round_is_only_an_undeclared_dependency() {
        let yaml = payments_with(
            "    upstream: Transactions\n    downstream: Billing\n",
            "    upstream: Billing\n    downstream: Transactions\n",
        );
        assert!(seen(&yaml, Code::UnusedRelationship).is_empty());
        let found = seen(&yaml, Code::UndeclaredDependency);
        assert_eq!(found.len(), 1);
        assert!(found[0].related.contains(&"Billing".to_string()), "{:?}", found[0].related);
        assert_eq!(
            found[0].help.as_deref(),
            Some(
                "turn the relationship round so that `Transactions` is upstream of `Billing`; if events flow both ways, make the two contexts partners instead"
            )
        );
    }

    #[test]
    fn a_relationship_no_event_crosses() {
        let yaml = payments_with("\nflows:", "  - { kind: partnership, between: [Customer, Billing] }\n\nflows:");
        assert_eq!(
            seen(&yaml, Code::UnusedRelationship),
            [Seen {
                message: "no event crosses the `partnership` between `Customer` and `Billing`".into(),
                at: "partnership".into(),
                related: vec![],
                help: Some("consume an event of one context in the other, or remove the relationship between `Customer` and `Billing`".into()),
            }]
        );
        let yaml = payments_with("from: [Customer.CustomerAccepted]", "from: [PaymentCompleted]");
        assert_eq!(
            seen(&yaml, Code::UnusedRelationship).into_iter().map(|s| (s.message, s.at)).collect::<Vec<_>>(),
            [(
                "no event of `Customer` is consumed in `Transactions`, though `Customer` is declared upstream of `Transactions`".to_string(),
                "customer-supplier".to_string()
            )]
        );
        assert!(seen(PAYMENTS, Code::UnusedRelationship).is_empty());
    }
}
