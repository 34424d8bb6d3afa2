//! # policy-cycle (warning)
//!
//! Checks that the causal graph of events, policies and commands (an event
//! triggers a policy, the policy issues a command, the command emits an
//! event) has no cycle. Each cycle is reported once, at one of its policies,
//! and listed step by step.
//!
//! ## Why
//!
//! In a cycle, every event eventually causes itself again: once started, the
//! services keep reacting to their own events for ever, each round writing
//! more events to the store. Sometimes a loop is meant (a retry that a
//! command stops by emitting a different event), but it is worth a second
//! look, and the stop condition lives outside the model.
//!
//! ## Example
//!
//! ```yaml
//! policies:
//!   ReorderWhenShipped:
//!     on: OrderShipped
//!     then: PlaceOrder        # emits OrderPlaced
//!   ShipWhenPlaced:
//!     on: OrderPlaced
//!     then: ShipOrder         # emits OrderShipped
//! ```
//!
//! ## Fix
//!
//! Break the cycle: have one of the policies react to another event, or have
//! one of the commands emit an event no policy of the cycle reacts to. If
//! the loop is intended and stops by itself, allow the lint
//! (`lints: { policy-cycle: allow }`).

use petgraph::visit::EdgeFiltered;

use crate::check::cycles::cycles;
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Edge, Element, Model, Node};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let graph = &model.graph.graph;
    let causal =
        EdgeFiltered::from_fn(graph, |edge| matches!(edge.weight(), Edge::Triggers | Edge::Then | Edge::Emits));
    // Every such cycle passes through a policy (only policies lead from an
    // event to a command); list it from the first policy of the file.
    let found = cycles(&causal, |component| {
        component.iter().copied().filter(|&node| matches!(graph[node], Node::Policy(_))).min_by_key(|&node| graph[node])
    });
    for cycle in found {
        let Some(Node::Policy(policy_id)) = cycle.first().map(|&node| graph[node]) else { continue };
        let policy = &model[policy_id];
        let names: Vec<String> = cycle
            .iter()
            .chain(cycle.first())
            .filter_map(|&node| element(graph[node]))
            .map(|element| {
                // Elements of other contexts are named with their context.
                if model.element_context(element) == Some(policy.context) {
                    format!("`{}`", model.element_name(element))
                } else {
                    format!("`{}`", model.qualified_name(element))
                }
            })
            .collect();
        out.push(
            Diagnostic::new(
                Code::PolicyCycle,
                format!("policy `{}` is part of a cycle: {}", policy.name.value, names.join(" → ")),
                Label::new(policy.name.span, "this policy ends up triggering itself"),
            )
            .with_help(
                "break the cycle: have a policy react to another event, or a command emit an event no policy of the cycle reacts to; if the loop is meant to stop by itself, allow `policy-cycle` in the model's `lints`",
            ),
        );
    }
}

/// The model element behind a node of the causal graph.
fn element(node: Node) -> Option<Element> {
    match node {
        Node::Command(id) => Some(Element::Command(id)),
        Node::Event(id) => Some(Element::Event(id)),
        Node::Policy(id) => Some(Element::Policy(id)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn a_cycle_is_reported_once_and_listed() {
        let yaml = payments_with(
            "    read_models:\n      AcceptedMerchants:",
            "    policies:\n      CompleteInitiated:\n        on: PaymentInitiated\n        then: CompletePayment\n      InitiateAgain:\n        on: PaymentCompleted\n        then: InitiatePayment\n    read_models:\n      AcceptedMerchants:",
        );
        assert_eq!(
            seen(&yaml, Code::PolicyCycle),
            [Seen {
                message: "policy `CompleteInitiated` is part of a cycle: `CompleteInitiated` → `CompletePayment` → `PaymentCompleted` → `InitiateAgain` → `InitiatePayment` → `PaymentInitiated` → `CompleteInitiated`".into(),
                at: "CompleteInitiated".into(),
                related: vec![],
                help: Some("break the cycle: have a policy react to another event, or a command emit an event no policy of the cycle reacts to; if the loop is meant to stop by itself, allow `policy-cycle` in the model's `lints`".into()),
            }]
        );
        assert!(seen(PAYMENTS, Code::PolicyCycle).is_empty());
    }
}
