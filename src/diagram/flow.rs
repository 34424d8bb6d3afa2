//! The flow: the causal graph across contexts. Actors issue commands,
//! commands emit events, events trigger policies that issue further
//! commands, and feed read models; each context is a frame, and the arrows
//! that cross from one context to another stand out. An actor appears in
//! each context it acts in.

use super::focus::Focus;
use super::scene::{Arrangement, LinkKind, Node, Scene};
use super::timeline;
use std::collections::HashMap;

use crate::model::{ActorId, ActorKind, ContextId, Element, Model};

pub fn scene(model: &Model, focus: &Focus) -> Scene {
    let mut scene = Scene::new(format!("{} · flow", model.system.value), Arrangement::Layered);
    let shown = |context: ContextId| focus.shows(context);

    for (i, context) in model.contexts.iter().enumerate() {
        if !shown(ContextId(i as u32)) {
            continue;
        }
        let cluster = Some(scene.add_cluster(context));
        // An actor stands in every context it issues commands in, next to
        // them, rather than once far away from most of them.
        let mut actor_node: HashMap<ActorId, usize> = HashMap::new();
        let commands = context.aggregates.iter().flat_map(|&a| model[a].commands.iter().copied());
        for command in commands.clone() {
            for actor in &model[command].actors {
                if let std::collections::hash_map::Entry::Vacant(entry) = actor_node.entry(actor.value) {
                    let mut node = Node::of(model, Element::Actor(actor.value), cluster);
                    if model[actor.value].kind != ActorKind::Person {
                        node = node.with_line(model[actor.value].kind.as_str());
                    }
                    entry.insert(scene.add(node));
                }
            }
        }
        for &aggregate in &context.aggregates {
            for &command in &model[aggregate].commands {
                let node = scene.add(Node::of(model, Element::Command(command), cluster));
                for actor in &model[command].actors {
                    if let Some(&actor) = actor_node.get(&actor.value) {
                        scene.link(actor, node, LinkKind::Issues);
                    }
                }
            }
            for &event in &model[aggregate].events {
                let mut node = Node::of(model, Element::Event(event), cluster);
                if model[event].public {
                    node = node.with_line("public");
                }
                scene.add(node);
            }
        }
        for command in commands {
            for event in &model[command].emits {
                if let (Some(a), Some(b)) =
                    (scene.first(Element::Command(command)), scene.first(Element::Event(event.value)))
                {
                    scene.link(a, b, LinkKind::Emits);
                }
            }
        }
        for &policy in &context.policies {
            scene.add(Node::of(model, Element::Policy(policy), cluster));
        }
        for &read_model in &context.read_models {
            scene.add(Node::of(model, Element::ReadModel(read_model), cluster));
        }
    }

    scene.link_reactions(model);
    scene.add_order(timeline::flow_order(model));
    scene.fill_legend();
    scene
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagram::fixture;

    #[test]
    fn the_causal_graph_with_cross_context_arrows_marked() {
        let model = fixture::payments();
        let scene = scene(&model, &Focus::new(&model, &[]));
        assert_eq!(scene.clusters.len(), 3);
        // Five actors (each acts in one context), seven commands, eight
        // events, a policy, two read models.
        assert_eq!(scene.nodes.len(), 5 + 7 + 8 + 1 + 2);
        let cross: Vec<(&str, &str)> = scene
            .links
            .iter()
            .filter(|l| l.cross_context)
            .map(|l| (scene.nodes[l.from].key.as_str(), scene.nodes[l.to].key.as_str()))
            .collect();
        assert_eq!(
            cross,
            [
                ("Transactions.PaymentCompleted", "Billing.BillCompletedPayment"),
                ("Customer.CustomerAccepted", "Transactions.AcceptedMerchants"),
                ("Transactions.PaymentCompleted", "Billing.MerchantBalance"),
            ]
        );
    }
}
