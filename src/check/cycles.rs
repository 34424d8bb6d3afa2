//! Cycles in a directed graph, for the rules that warn about them
//! (`policy-cycle`, `upstream-cycle`): each strongly connected component
//! that holds a cycle is reported once, as one shortest cycle through a
//! chosen node, so that the message can list it step by step.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;

use petgraph::algo::TarjanScc;
use petgraph::visit::{IntoNeighbors, IntoNodeIdentifiers, NodeIndexable};

/// One cycle per strongly connected component that has one. `start` picks
/// the node each cycle is listed from (`None` skips the component); the
/// cycle is the nodes in order from it, without repeating it at the end.
pub fn cycles<G>(graph: G, start: impl Fn(&[G::NodeId]) -> Option<G::NodeId>) -> Vec<Vec<G::NodeId>>
where
    G: IntoNodeIdentifiers + IntoNeighbors + NodeIndexable,
    G::NodeId: Eq + Hash,
{
    let mut found = Vec::new();
    // Each component is looked at where Tarjan's algorithm finds it, rather
    // than collected into a list of its own first: in a model nearly every
    // element is a component by itself.
    TarjanScc::new().run(graph, |component| {
        let cyclic = component.len() > 1 || component.iter().any(|&n| graph.neighbors(n).any(|m| m == n));
        if !cyclic {
            return;
        }
        let Some(first) = start(component) else { return };
        let members: HashSet<G::NodeId> = component.iter().copied().collect();
        if let Some(cycle) = shortest_cycle(graph, first, &members) {
            found.push(cycle);
        }
    });
    found
}

/// A shortest cycle through `start` that stays within `members`
/// (breadth-first, in the graph's neighbour order, so it is deterministic).
fn shortest_cycle<G>(graph: G, start: G::NodeId, members: &HashSet<G::NodeId>) -> Option<Vec<G::NodeId>>
where
    G: IntoNeighbors,
    G::NodeId: Eq + Hash,
{
    let mut parent: HashMap<G::NodeId, G::NodeId> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.neighbors(node) {
            if next == start {
                let mut cycle = vec![node];
                let mut at = node;
                while let Some(&previous) = parent.get(&at) {
                    cycle.push(previous);
                    at = previous;
                }
                cycle.reverse();
                return Some(cycle);
            }
            if members.contains(&next) && !parent.contains_key(&next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use petgraph::graph::DiGraph;

    #[test]
    fn one_shortest_cycle_per_component() {
        // a → b → c → a, a → c (shortcut), d → d, e → a (not in a cycle)
        let mut graph = DiGraph::<&str, ()>::new();
        let [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map(|n| graph.add_node(n));
        for (from, to) in [(a, b), (b, c), (c, a), (a, c), (d, d), (e, a)] {
            graph.add_edge(from, to, ());
        }
        let mut found: Vec<Vec<&str>> = cycles(&graph, |component| component.iter().min().copied())
            .into_iter()
            .map(|cycle| cycle.into_iter().map(|n| graph[n]).collect())
            .collect();
        found.sort();
        assert_eq!(found, vec![vec!["a", "c"], vec!["d"]]);
    }

    #[test]
    fn no_cycle_no_report() {
        let mut graph = DiGraph::<(), ()>::new();
        let [a, b] = [(), ()].map(|n| graph.add_node(n));
        graph.add_edge(a, b, ());
        assert!(cycles(&graph, |component| component.first().copied()).is_empty());
    }
}
