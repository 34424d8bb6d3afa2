//! The context map: bounded contexts as boxes, relationships as arrows from
//! upstream to downstream, labelled in context-mapping notation, with the
//! events that cross each one.

use std::collections::{BTreeMap, BTreeSet};

use super::focus::Focus;
use super::scene::{Arrangement, Link, LinkKind, Node, Scene, Sticky};
use crate::model::{ContextId, Element, EventId, Model, Relationship, RelationshipKind};

pub fn scene(model: &Model, focus: &Focus) -> Scene {
    let mut scene = Scene::new(format!("{} · context map", model.system.value), Arrangement::Layered);
    let mut node_of: Vec<Option<usize>> = vec![None; model.contexts.len()];
    for (i, context) in model.contexts.iter().enumerate() {
        let id = ContextId(i as u32);
        if !focus.shows(id) {
            continue;
        }
        let events: usize = context.aggregates.iter().map(|&a| model[a].events.len()).sum();
        let mut lines = Vec::new();
        if let Some(team) = &context.team {
            lines.push(team.clone());
        }
        lines.push(format!("{} · {}", count(context.aggregates.len(), "aggregate"), count(events, "event")));
        if let Some(description) = &context.description {
            lines.push(description.clone());
        }
        node_of[i] = Some(scene.add(Node {
            key: context.name.value.clone(),
            sticky: Sticky::Context,
            title: context.name.value.clone(),
            lines,
            cluster: None,
            beside: None,
            element: Some(Element::Context(id)),
        }));
    }

    let crossing = events_crossing(model);
    for relationship in &model.relationships {
        let (up, down) = (relationship.upstream.value, relationship.downstream.value);
        let (Some(Some(from)), Some(Some(to))) = (node_of.get(up.index()), node_of.get(down.index())) else {
            continue;
        };
        if from == to {
            continue;
        }
        let symmetric = relationship.kind.is_symmetric();
        let mut events: Vec<String> = Vec::new();
        let name = |e: &EventId, qualified: bool| {
            if qualified { model.qualified_name(Element::Event(*e)) } else { model[*e].name.value.clone() }
        };
        events.extend(crossing.get(&(up, down)).into_iter().flatten().map(|e| name(e, symmetric)));
        if symmetric {
            events.extend(crossing.get(&(down, up)).into_iter().flatten().map(|e| name(e, true)));
        }
        scene.links.push(Link {
            from: *from,
            to: *to,
            kind: LinkKind::Relationship,
            label: label(relationship),
            events,
            cross_context: true,
            undirected: symmetric,
        });
    }
    scene
}

/// "1 aggregate", "3 events".
fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// The relationship in the notation of context mapping: its kind, then the
/// upstream (U) and downstream (D) ends with their roles.
pub fn label(relationship: &Relationship) -> Vec<String> {
    let kind = match relationship.kind.value {
        RelationshipKind::UpstreamDownstream => "Upstream/Downstream",
        RelationshipKind::CustomerSupplier => "Customer/Supplier",
        RelationshipKind::Partnership => "Partnership",
        RelationshipKind::SharedKernel => "Shared Kernel",
    };
    if relationship.kind.is_symmetric() {
        return vec![kind.to_string()];
    }
    let end = |letter: &str, roles: &[crate::syntax::span::Spanned<crate::model::Role>]| {
        if roles.is_empty() {
            letter.to_string()
        } else {
            let roles: Vec<&str> = roles.iter().map(|r| r.value.as_str()).collect();
            format!("{letter} [{}]", roles.join(", "))
        }
    };
    vec![
        kind.to_string(),
        format!("{} → {}", end("U", &relationship.upstream_roles), end("D", &relationship.downstream_roles)),
    ]
}

/// Per (producing context, consuming context): the events the second
/// consumes from the first, through its policies and read models.
fn events_crossing(model: &Model) -> BTreeMap<(ContextId, ContextId), BTreeSet<EventId>> {
    let mut crossing: BTreeMap<(ContextId, ContextId), BTreeSet<EventId>> = BTreeMap::new();
    let consumed = model
        .policies
        .iter()
        .flat_map(|p| p.on.iter().map(move |e| (p.context, e.value)))
        .chain(model.read_models.iter().flat_map(|r| r.from.iter().map(move |e| (r.context, e.value))));
    for (consumer, event) in consumed {
        let producer = model[event].context;
        if producer != consumer {
            crossing.entry((producer, consumer)).or_default().insert(event);
        }
    }
    crossing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagram::fixture;

    #[test]
    fn contexts_relationships_and_crossing_events() {
        let model = fixture::payments();
        let scene = scene(&model, &Focus::new(&model, &[]));
        let titles: Vec<&str> = scene.nodes.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles, ["Customer", "Transactions", "Billing"]);
        assert_eq!(scene.nodes[0].lines, ["Team Blue", "1 aggregate · 3 events"]);
        assert_eq!(scene.links.len(), 2);
        assert_eq!(scene.links[0].label, ["Customer/Supplier", "U [PL] → D"]);
        assert_eq!(scene.links[0].events, ["CustomerAccepted"]);
        assert_eq!(scene.links[1].label, ["Upstream/Downstream", "U → D [ACL]"]);
        assert_eq!(scene.links[1].events, ["PaymentCompleted"]);
    }

    #[test]
    fn focus_leaves_out_the_rest() {
        let model = fixture::payments();
        let scene = scene(&model, &Focus::new(&model, &[ContextId(0)]));
        assert_eq!(scene.nodes.len(), 2);
        assert_eq!(scene.links.len(), 1);
    }
}
