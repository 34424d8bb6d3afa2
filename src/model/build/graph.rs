//! The causal graph of a resolved model (see [`crate::model::graph`]).
//!
//! Every element gets its node, connected or not, so that diagrams and
//! checks find lone elements too. Edges are added straight to petgraph:
//! each comes from one element's own list of references, so repeats can only
//! be within that list, and a small set per list removes them. This keeps
//! the graph linear to build even when one actor issues thousands of
//! commands.

use std::collections::HashSet;

use crate::model::graph::{Edge, Node};
use crate::model::{ActorId, AggregateId, CommandId, ContextId, EventId, Model, PolicyId, ReadModelId};

pub(super) fn connect(model: &mut Model) {
    let mut edges = Edges { model_graph: std::mem::take(&mut model.graph), seen: HashSet::new() };
    let g = &mut edges;
    for i in 0..model.actors.len() {
        g.node(Node::Actor(ActorId(i as u32)));
    }
    for i in 0..model.contexts.len() {
        g.node(Node::Context(ContextId(i as u32)));
    }
    for i in 0..model.aggregates.len() {
        g.node(Node::Aggregate(AggregateId(i as u32)));
    }
    for i in 0..model.commands.len() {
        g.node(Node::Command(CommandId(i as u32)));
    }
    for i in 0..model.events.len() {
        g.node(Node::Event(EventId(i as u32)));
    }
    for i in 0..model.policies.len() {
        g.node(Node::Policy(PolicyId(i as u32)));
    }
    for i in 0..model.read_models.len() {
        g.node(Node::ReadModel(ReadModelId(i as u32)));
    }

    for (i, command) in model.commands.iter().enumerate() {
        let id = Node::Command(CommandId(i as u32));
        g.start();
        for actor in &command.actors {
            g.edge(Node::Actor(actor.value), id, Edge::Issues);
        }
        g.start();
        for event in &command.emits {
            g.edge(id, Node::Event(event.value), Edge::Emits);
        }
    }
    for (i, policy) in model.policies.iter().enumerate() {
        let id = Node::Policy(PolicyId(i as u32));
        g.start();
        for event in &policy.on {
            g.edge(Node::Event(event.value), id, Edge::Triggers);
        }
        if let Some(then) = &policy.then {
            g.edge(id, Node::Command(then.value), Edge::Then);
        }
    }
    for (i, read_model) in model.read_models.iter().enumerate() {
        let id = Node::ReadModel(ReadModelId(i as u32));
        g.start();
        for event in &read_model.from {
            g.edge(Node::Event(event.value), id, Edge::ProjectsFrom);
        }
    }
    // Only the directed kinds: partners and a shared kernel are equals, and
    // an edge each way would read as a cycle of upstreams.
    g.start();
    for relationship in model.relationships.iter().filter(|r| !r.kind.is_symmetric()) {
        g.edge(
            Node::Context(relationship.upstream.value),
            Node::Context(relationship.downstream.value),
            Edge::UpstreamOf,
        );
    }
    model.graph = edges.model_graph;
}

struct Edges {
    model_graph: crate::model::ModelGraph,
    /// The edges added since [`Edges::start`].
    seen: HashSet<(Node, Node, Edge)>,
}

impl Edges {
    fn node(&mut self, node: Node) {
        self.model_graph.node(node);
    }

    /// Starts a new list of references: repeats are looked for within it.
    fn start(&mut self) {
        self.seen.clear();
    }

    fn edge(&mut self, from: Node, to: Node, edge: Edge) {
        if self.seen.insert((from, to, edge)) {
            let (a, b) = (self.model_graph.node(from), self.model_graph.node(to));
            self.model_graph.graph.add_edge(a, b, edge);
        }
    }
}
