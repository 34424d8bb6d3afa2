//! The causal graph of a model, as petgraph behind an index from element to
//! node, in the manner of prost-build's `MessageGraph`.
//!
//! Edges run in the direction things happen: an actor issues a command, a
//! command emits an event, an event triggers a policy, a policy then issues a
//! command, an event feeds a read model (which projects from it), and an
//! upstream context is upstream of its downstream.
//!
//! `UpstreamOf` edges come only from the directed relationships
//! (upstream-downstream and customer-supplier). A partnership or a shared
//! kernel relates two contexts as equals: an edge each way would read as a
//! cycle of upstreams, so they have none; [`super::Relationship::allows`]
//! is how a check asks whether a relationship lets one context consume the
//! other's events.
//!
//! Every element has its node, even one with no edge, and a reference
//! repeated in one list (`from: [A, A]`) adds one edge.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use super::{ActorId, AggregateId, CommandId, ContextId, EventId, PolicyId, ReadModelId};

/// A node: one element of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Actor(ActorId),
    Context(ContextId),
    Aggregate(AggregateId),
    Command(CommandId),
    Event(EventId),
    Policy(PolicyId),
    ReadModel(ReadModelId),
}

/// How two elements are related.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Edge {
    /// actor → command
    Issues,
    /// command → event
    Emits,
    /// event → policy
    Triggers,
    /// policy → command
    Then,
    /// event → read model: the read model projects from the event.
    ProjectsFrom,
    /// context → context
    UpstreamOf,
}

#[derive(Clone, Debug, Default)]
pub struct ModelGraph {
    pub graph: DiGraph<Node, Edge>,
    pub index: HashMap<Node, NodeIndex>,
}

impl ModelGraph {
    /// The node of an element, adding it on first use.
    pub fn node(&mut self, node: Node) -> NodeIndex {
        *self.index.entry(node).or_insert_with(|| self.graph.add_node(node))
    }

    /// Adds an edge once (a repeated reference adds no second edge).
    pub fn connect(&mut self, from: Node, to: Node, edge: Edge) {
        let (a, b) = (self.node(from), self.node(to));
        if !self.graph.edges_connecting(a, b).any(|e| *e.weight() == edge) {
            self.graph.add_edge(a, b, edge);
        }
    }

    /// The elements `node` leads to by edges of kind `edge`, in insertion
    /// order.
    pub fn successors(&self, node: Node, edge: Edge) -> impl Iterator<Item = Node> + '_ {
        self.neighbours(node, edge, petgraph::Direction::Outgoing)
    }

    /// The elements that lead to `node` by edges of kind `edge`, in insertion
    /// order.
    pub fn predecessors(&self, node: Node, edge: Edge) -> impl Iterator<Item = Node> + '_ {
        self.neighbours(node, edge, petgraph::Direction::Incoming)
    }

    fn neighbours(&self, node: Node, edge: Edge, direction: petgraph::Direction) -> impl Iterator<Item = Node> + '_ {
        use petgraph::visit::EdgeRef;
        let edges = self.index.get(&node).map(|&ix| self.graph.edges_directed(ix, direction));
        let mut found: Vec<(petgraph::graph::EdgeIndex, Node)> = edges
            .into_iter()
            .flatten()
            .filter(move |e| *e.weight() == edge)
            .map(move |e| {
                let other = if direction == petgraph::Direction::Outgoing { e.target() } else { e.source() };
                (e.id(), self.graph[other])
            })
            .collect();
        // petgraph walks adjacency lists newest first; the model's order is
        // the order of the file.
        found.sort_by_key(|(id, _)| *id);
        found.into_iter().map(|(_, n)| n)
    }
}
