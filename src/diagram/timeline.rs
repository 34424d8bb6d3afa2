//! The order things happen in, as far as the model tells: the steps of its
//! flows, and the order an aggregate's commands are written in (the ones
//! that create it first), which is the order of its life.
//!
//! These are hints, not arrows: the board uses them to put later things to
//! the right, and the layout lets the arrows win where they disagree.

use crate::model::{Element, Model, Step};

fn element(step: Step) -> Element {
    match step {
        Step::Command(id) => Element::Command(id),
        Step::Event(id) => Element::Event(id),
        Step::Policy(id) => Element::Policy(id),
    }
}

/// `(a, b)`: `a` happens before `b`, according to the flows.
pub fn flow_order(model: &Model) -> Vec<(Element, Element)> {
    let mut order = Vec::new();
    for flow in &model.flows {
        for pair in flow.steps.windows(2) {
            order.push((element(pair[0].value), element(pair[1].value)));
        }
    }
    order
}

/// `(a, b)`: the events of one command of an aggregate happen before the
/// aggregate's next command.
pub fn lifecycle_order(model: &Model) -> Vec<(Element, Element)> {
    let mut order = Vec::new();
    for aggregate in &model.aggregates {
        let mut commands = aggregate.commands.clone();
        commands.sort_by_key(|&c| !model[c].creates);
        for pair in commands.windows(2) {
            for event in &model[pair[0]].emits {
                order.push((Element::Event(event.value), Element::Command(pair[1])));
            }
        }
    }
    order
}
