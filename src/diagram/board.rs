//! The event-storming board: a swimlane per context, time from left to
//! right.
//!
//! As on a wall, an actor's small sticky sits on each command it issues,
//! the aggregate's sticky stands between a command and the events it
//! emits (once per command, as a workshop would put it), policies and read
//! models follow the events they react to, and a hot spot sits on what it
//! is about. Time comes from the arrows, then from the flows, then from the
//! order an aggregate's commands are written in.

use super::focus::Focus;
use super::scene::{Arrangement, LinkKind, Node, Scene, Sticky};
use super::timeline;
use crate::model::{ActorId, ActorKind, CommandId, ContextId, Element, EventId, Model};

pub fn scene(model: &Model, focus: &Focus) -> Scene {
    let mut scene = Scene::new(format!("{} · event-storming board", model.system.value), Arrangement::Lanes);

    let mut cluster_of: Vec<Option<usize>> = vec![None; model.contexts.len()];
    for (i, context) in model.contexts.iter().enumerate() {
        if focus.shows(ContextId(i as u32)) {
            cluster_of[i] = Some(scene.add_cluster(context));
        }
    }

    let mut actor_shown = vec![false; model.actors.len()];
    for (i, context) in model.contexts.iter().enumerate() {
        let Some(cluster) = cluster_of[i] else { continue };
        for &aggregate in &context.aggregates {
            let event = |scene: &mut Scene, id: EventId| -> usize {
                if let Some(node) = scene.first(Element::Event(id)) {
                    return node;
                }
                let mut node = Node::of(model, Element::Event(id), Some(cluster));
                if model[id].public {
                    node = node.with_line("public");
                }
                scene.add(node)
            };
            for &command in &model[aggregate].commands {
                let command_node = scene.add(command_sticky(model, command, cluster));
                for actor in &model[command].actors {
                    if let Some(flag) = actor_shown.get_mut(actor.value.index()) {
                        *flag = true;
                    }
                    let mut node = actor_sticky(model, actor.value, Some(cluster));
                    node.beside = Some(command_node);
                    let actor_node = scene.add(node);
                    scene.link(actor_node, command_node, LinkKind::Issues);
                }
                let aggregate_node = scene.add(Node::of(model, Element::Aggregate(aggregate), Some(cluster)));
                scene.link(command_node, aggregate_node, LinkKind::Handles);
                for emitted in &model[command].emits {
                    let event_node = event(&mut scene, emitted.value);
                    scene.link(aggregate_node, event_node, LinkKind::Emits);
                }
            }
            // An aggregate with no command, and events no command emits, are
            // still on the board.
            let standalone = model[aggregate]
                .commands
                .is_empty()
                .then(|| scene.add(Node::of(model, Element::Aggregate(aggregate), Some(cluster))));
            for &id in &model[aggregate].events {
                if scene.first(Element::Event(id)).is_none() {
                    let node = event(&mut scene, id);
                    if let Some(aggregate_node) = standalone {
                        scene.link(aggregate_node, node, LinkKind::Emits);
                    }
                }
            }
        }
        for &policy in &context.policies {
            scene.add(Node::of(model, Element::Policy(policy), Some(cluster)));
        }
        for &read_model in &context.read_models {
            scene.add(Node::of(model, Element::ReadModel(read_model), Some(cluster)));
        }
    }

    scene.link_reactions(model);

    // Actors that issue nothing shown, when the whole model is shown: above
    // the lanes, so that every element of the model is on the board.
    if focus.is_everything() {
        for (i, shown) in actor_shown.iter().enumerate() {
            if !shown {
                scene.add(actor_sticky(model, ActorId(i as u32), None));
            }
        }
    }
    add_hotspots(model, focus, &cluster_of, &mut scene);

    scene.add_order(timeline::flow_order(model));
    scene.add_order(timeline::lifecycle_order(model));
    scene.fill_legend();
    scene
}

fn command_sticky(model: &Model, command: CommandId, cluster: usize) -> Node {
    let mut node = Node::of(model, Element::Command(command), Some(cluster));
    if let Some(schedule) = &model[command].schedule {
        node = node.with_line(format!("cron {}", schedule.value));
    }
    node
}

fn actor_sticky(model: &Model, actor: ActorId, cluster: Option<usize>) -> Node {
    let node = Node::of(model, Element::Actor(actor), cluster);
    match model[actor].kind {
        ActorKind::Timer => node.with_line("timer"),
        ActorKind::System => node.with_line("system"),
        ActorKind::Person | ActorKind::External => node,
    }
}

/// Hot spots sit on the sticky they are about; those about a whole context,
/// or about nothing in particular, stand at the start of their lane, and
/// the system's own above the lanes.
fn add_hotspots(model: &Model, focus: &Focus, cluster_of: &[Option<usize>], scene: &mut Scene) {
    for (i, hotspot) in model.hotspots.iter().enumerate() {
        let about = hotspot
            .on
            .as_ref()
            .filter(|on| !matches!(on.value, Element::Context(_)))
            .and_then(|on| scene.first(on.value))
            // A hot spot on an actor sits on the command the actor is on.
            .map(|node| scene.nodes[node].beside.unwrap_or(node));
        let lane = hotspot
            .on
            .as_ref()
            .and_then(|on| model.element_context(on.value))
            .or(hotspot.context)
            .and_then(|c| cluster_of.get(c.index()).copied().flatten());
        let cluster = about.map_or(lane, |node| scene.nodes[node].cluster);
        if about.is_none() && lane.is_none() && !focus.is_everything() {
            continue;
        }
        let key = match hotspot.context {
            Some(context) => format!("{}.hotspot-{}", model[context].name.value, i + 1),
            None => format!("hotspot-{}", i + 1),
        };
        let node = scene.add(Node {
            key,
            sticky: Sticky::Hotspot,
            title: hotspot.text.value.clone(),
            lines: Vec::new(),
            cluster,
            beside: about,
            element: None,
        });
        if let Some(about) = about {
            scene.link(node, about, LinkKind::About);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagram::fixture;

    #[test]
    fn every_element_is_on_the_board_in_its_lane() {
        let model = fixture::payments();
        let scene = scene(&model, &Focus::new(&model, &[]));
        let lanes: Vec<&str> = scene.clusters.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(lanes, ["Customer", "Transactions", "Billing"]);
        for key in
            ["Customer.RegisterMerchant", "Billing.MonthlyInvoiceSent", "Transactions.AcceptedMerchants", "Clock"]
        {
            assert!(scene.nodes.iter().any(|n| n.key == key), "{key} is missing");
        }
        // Actors sit on their commands, one copy per command.
        let providers: Vec<_> = scene.nodes.iter().filter(|n| n.key == "PaymentProvider").collect();
        assert_eq!(providers.len(), 2);
        assert!(providers.iter().all(|n| n.beside.is_some() && n.cluster == Some(1)));
        let hotspot = scene.nodes.iter().find(|n| n.sticky == Sticky::Hotspot).map(|n| (n.key.as_str(), n.cluster));
        assert_eq!(hotspot, Some(("Transactions.hotspot-1", Some(1))));
    }

    #[test]
    fn hot_spots_sit_on_what_they_are_about() {
        let model = fixture::awkward();
        let scene = scene(&model, &Focus::new(&model, &[]));
        let hotspot = scene.nodes.iter().position(|n| n.key == "Left.hotspot-1").map(|i| &scene.nodes[i]);
        let about = hotspot.and_then(|h| h.beside).map(|b| scene.nodes[b].key.as_str());
        assert_eq!(about, Some("Left.ThingHappened"));
        assert!(scene.nodes.iter().any(|n| n.key == "hotspot-2" && n.cluster.is_none()));
    }
}
