//! # undeclared-dependency (error)
//!
//! Checks that when a policy or read model of context D consumes an event of
//! context U, the `relationships` declare it: U upstream of D
//! (`upstream-downstream` or `customer-supplier`), or a `partnership` or
//! `shared-kernel` between them. One diagnostic is reported per pair of
//! contexts, at the first consuming reference, with the others as related
//! places.
//!
//! ## Why
//!
//! The context map is where teams agree on who depends on whom: an upstream
//! team knows whom its public events serve and must not break them, and a
//! downstream team knows whose changes it must follow. A dependency that is
//! in the model but not on the map is one nobody agreed to, and the diagrams
//! drawn from the map would hide it.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Billing:
//!     policies:
//!       BillCompletedPayment:
//!         on: Transactions.PaymentCompleted   # no relationship says so
//!         then: AddInvoiceLine
//! relationships: []
//! ```
//!
//! ## Fix
//!
//! Declare the relationship:
//!
//! ```yaml
//! relationships:
//!   - kind: upstream-downstream
//!     upstream: Transactions
//!     downstream: Billing
//! ```

use std::collections::HashMap;

use crate::check::usage::{Usage, consumptions};
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{ContextId, Model};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let usage = Usage::new(model);
    // One diagnostic per (upstream, downstream) pair, in `found`.
    let mut by_pair: HashMap<(ContextId, ContextId), usize> = HashMap::new();
    let mut found: Vec<Diagnostic> = Vec::new();
    for consumption in consumptions(model) {
        let (upstream, downstream) = (model[consumption.event.value].context, consumption.context);
        if upstream == downstream || !usage.relationships_allowing(upstream, downstream).is_empty() {
            continue;
        }
        let (u, d) = (&model[upstream].name.value, &model[downstream].name.value);
        if let Some(&i) = by_pair.get(&(upstream, downstream)) {
            found[i].related.push(Label::new(consumption.event.span, format!("`{d}` also consumes `{u}` here")));
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            Code::UndeclaredDependency,
            format!(
                "{} `{}` of context `{d}` consumes events of context `{u}`, but no relationship declares `{u}` upstream of `{d}`",
                consumption.consumer.kind(),
                consumption.consumer.name(model),
            ),
            Label::new(consumption.event.span, format!("an event of `{u}`")),
        )
        .with_help(format!(
            "declare a relationship with `{u}` upstream of `{d}` (`upstream-downstream` or `customer-supplier`), or a partnership or shared kernel between them"
        ));
        // A relationship the other way round is the likeliest slip.
        if let Some(&reverse) = usage.relationships_allowing(downstream, upstream).first() {
            let relationship = &model.relationships[reverse];
            diagnostic.help = Some(format!(
                "turn the relationship round so that `{u}` is upstream of `{d}`; if events flow both ways, make the two contexts partners instead"
            ));
            diagnostic = diagnostic.with_related(Label::new(
                relationship.upstream.span,
                format!("this relationship declares `{d}` upstream of `{u}`, not the other way round"),
            ));
        }
        by_pair.insert((upstream, downstream), found.len());
        found.push(diagnostic);
    }
    out.extend(found);
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn one_diagnostic_per_pair_of_contexts() {
        let yaml = payments_with(
            "  - kind: upstream-downstream\n    upstream: Transactions\n    downstream: Billing\n    downstream_roles: [ACL]\n",
            "",
        );
        assert_eq!(
            seen(&yaml, Code::UndeclaredDependency),
            [Seen {
                message: "policy `BillCompletedPayment` of context `Billing` consumes events of context `Transactions`, but no relationship declares `Transactions` upstream of `Billing`".into(),
                at: "Transactions.PaymentCompleted".into(),
                related: vec!["Transactions.PaymentCompleted".into()],
                help: Some("declare a relationship with `Transactions` upstream of `Billing` (`upstream-downstream` or `customer-supplier`), or a partnership or shared kernel between them".into()),
            }]
        );
    }

    #[test]
    fn a_relationship_the_wrong_way_round() {
        let yaml = payments_with(
            "    upstream: Transactions\n    downstream: Billing\n",
            "    upstream: Billing\n    downstream: Transactions\n",
        );
        let found = seen(&yaml, Code::UndeclaredDependency);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].related, ["Billing", "Transactions.PaymentCompleted"]);
    }

    #[test]
    fn symmetric_relationships_allow_both_ways() {
        let yaml = payments_with(
            "  - kind: upstream-downstream\n    upstream: Transactions\n    downstream: Billing\n    downstream_roles: [ACL]\n",
            "  - kind: partnership\n    between: [Billing, Transactions]\n",
        );
        assert!(seen(&yaml, Code::UndeclaredDependency).is_empty());
        assert!(seen(PAYMENTS, Code::UndeclaredDependency).is_empty());
    }
}
