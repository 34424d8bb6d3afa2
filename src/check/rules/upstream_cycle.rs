//! # upstream-cycle (warning)
//!
//! Checks that contexts are not upstream of each other in a cycle (A
//! upstream of B, B upstream of C, C upstream of A), following the
//! `upstream-downstream` and `customer-supplier` relationships. Partnerships
//! and shared kernels relate equals and are not followed. Each cycle is
//! reported once, at the relationship that closes it, and listed.
//!
//! ## Why
//!
//! Upstream means "changes here flow down there": the downstream team
//! follows the upstream team's model. In a cycle, every team ends up
//! following itself: no context can change its public events without
//! breaking one that it, in turn, depends on, and the contexts can only be
//! released together. Teams that depend on each other both ways are
//! partners, and the map should say so.
//!
//! ## Example
//!
//! ```yaml
//! relationships:
//!   - { kind: upstream-downstream, upstream: Customer, downstream: Billing }
//!   - { kind: upstream-downstream, upstream: Billing, downstream: Customer }
//! ```
//!
//! ## Fix
//!
//! Decide which way the dependency really runs and remove the relationship
//! that goes against it (and the consumption that needed it), or declare
//! the contexts partners (`kind: partnership`, `between: [A, B]`).

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::check::cycles::cycles;
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{ContextId, Model};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    // The graph is built from the relationships rather than read from the
    // model's graph so that only the asymmetric kinds count, and each edge
    // remembers the first relationship that made it.
    let mut graph: DiGraph<ContextId, ()> = DiGraph::new();
    let mut nodes: HashMap<ContextId, NodeIndex> = HashMap::new();
    let mut by_edge: HashMap<(ContextId, ContextId), usize> = HashMap::new();
    for (i, relationship) in model.relationships.iter().enumerate() {
        let (u, d) = (relationship.upstream.value, relationship.downstream.value);
        // A context related to itself is `relationship-role-conflict`.
        if relationship.kind.is_symmetric() || u == d || by_edge.contains_key(&(u, d)) {
            continue;
        }
        by_edge.insert((u, d), i);
        let mut node = |context| *nodes.entry(context).or_insert_with(|| graph.add_node(context));
        let (a, b) = (node(u), node(d));
        graph.add_edge(a, b, ());
    }
    let found = cycles(&graph, |component| component.iter().copied().min_by_key(|&node| graph[node]));
    for cycle in found {
        let contexts: Vec<ContextId> = cycle.iter().map(|&node| graph[node]).collect();
        // The hops of the cycle, each with the relationship that makes it;
        // the last one closes the cycle.
        let hops: Vec<usize> = contexts
            .iter()
            .zip(contexts.iter().cycle().skip(1))
            .filter_map(|(&u, &d)| by_edge.get(&(u, d)).copied())
            .collect();
        let Some((&closing, others)) = hops.split_last() else { continue };
        let names: Vec<String> =
            contexts.iter().chain(contexts.first()).map(|&c| format!("`{}`", model[c].name.value)).collect();
        let closing = &model.relationships[closing];
        let mut diagnostic = Diagnostic::new(
            Code::UpstreamCycle,
            format!("contexts are upstream of each other in a cycle: {}", names.join(" → ")),
            Label::new(
                closing.downstream.span,
                format!(
                    "`{}` downstream of `{}` closes the cycle",
                    model[closing.downstream.value].name.value, model[closing.upstream.value].name.value
                ),
            ),
        )
        .with_help(
            "decide which way the dependency runs and remove the relationship against it, or make the contexts partners (a `partnership`)",
        );
        for &hop in others {
            let relationship = &model.relationships[hop];
            diagnostic = diagnostic.with_related(Label::new(
                relationship.downstream.span,
                format!(
                    "`{}` downstream of `{}`",
                    model[relationship.downstream.value].name.value, model[relationship.upstream.value].name.value
                ),
            ));
        }
        out.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn a_cycle_of_upstreams() {
        let yaml = payments_with(
            "\nflows:",
            "  - { kind: upstream-downstream, upstream: Billing, downstream: Customer }\n\nflows:",
        );
        assert_eq!(
            seen(&yaml, Code::UpstreamCycle),
            [Seen {
                message: "contexts are upstream of each other in a cycle: `Customer` → `Transactions` → `Billing` → `Customer`".into(),
                at: "Customer".into(),
                related: vec!["Transactions".into(), "Billing".into()],
                help: Some("decide which way the dependency runs and remove the relationship against it, or make the contexts partners (a `partnership`)".into()),
            }]
        );
    }

    #[test]
    fn partners_are_no_cycle() {
        let yaml = payments_with("\nflows:", "  - { kind: partnership, between: [Billing, Customer] }\n\nflows:");
        assert!(seen(&yaml, Code::UpstreamCycle).is_empty());
        assert!(seen(PAYMENTS, Code::UpstreamCycle).is_empty());
    }
}
