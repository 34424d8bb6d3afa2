//! `--context`: the contexts a diagram is about.
//!
//! A focused diagram shows the named contexts and their direct neighbours:
//! the contexts related to them by a relationship, and those whose events
//! they consume or that consume theirs. Neighbours are found once, from the
//! relationships and the consumers of every event, so focusing is linear in
//! the size of the model.

use crate::model::{ContextId, Model};

/// Which contexts are shown.
#[derive(Clone, Debug)]
pub struct Focus {
    shown: Vec<bool>,
}

impl Focus {
    /// Every context when `named` is empty; else the named ones and their
    /// direct neighbours.
    pub fn new(model: &Model, named: &[ContextId]) -> Focus {
        let count = model.contexts.len();
        if named.is_empty() {
            return Focus { shown: vec![true; count] };
        }
        let mut named_flags = vec![false; count];
        for id in named {
            if let Some(flag) = named_flags.get_mut(id.index()) {
                *flag = true;
            }
        }
        let mut shown = named_flags.clone();
        let mut meet = |a: ContextId, b: ContextId| {
            let (a, b) = (a.index(), b.index());
            if a >= count || b >= count {
                return;
            }
            if named_flags[a] {
                shown[b] = true;
            }
            if named_flags[b] {
                shown[a] = true;
            }
        };
        for relationship in &model.relationships {
            meet(relationship.upstream.value, relationship.downstream.value);
        }
        for policy in &model.policies {
            for event in &policy.on {
                meet(model[event.value].context, policy.context);
            }
        }
        for read_model in &model.read_models {
            for event in &read_model.from {
                meet(model[event.value].context, read_model.context);
            }
        }
        Focus { shown }
    }

    pub fn shows(&self, context: ContextId) -> bool {
        self.shown.get(context.index()).copied().unwrap_or(false)
    }

    /// Whether every context is shown.
    pub fn is_everything(&self) -> bool {
        self.shown.iter().all(|s| *s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagram::fixture;

    #[test]
    fn neighbours_come_through_relationships_and_consumed_events() {
        let model = fixture::payments();
        let [customer, transactions, billing] = [0, 1, 2].map(ContextId);
        let focus = Focus::new(&model, &[customer]);
        assert!(focus.shows(customer) && focus.shows(transactions));
        assert!(!focus.shows(billing));
        let focus = Focus::new(&model, &[billing]);
        assert!(focus.shows(transactions) && !focus.shows(customer));
        assert!(Focus::new(&model, &[]).is_everything());
    }
}
