//! Who uses what: the look-ups several rules share (who consumes an event,
//! who emits it, which policies issue a command, which relationships let one
//! context consume another's events).
//!
//! Each index is one pass over the model's arenas, built on first use and
//! kept for the rest of the rule, so that a rule asking "who consumes this
//! event?" for every event stays linear in the size of the model.

use std::cell::OnceCell;
use std::collections::HashMap;

use crate::model::{CommandId, ContextId, EventId, Model, PolicyId, ReadModelId};
use crate::syntax::span::Spanned;

/// An element that reacts to events: a policy (`on`) or a read model
/// (`from`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Consumer {
    Policy(PolicyId),
    ReadModel(ReadModelId),
}

impl Consumer {
    /// The consumer's name, for messages.
    pub fn name(self, model: &Model) -> &str {
        match self {
            Consumer::Policy(id) => &model[id].name,
            Consumer::ReadModel(id) => &model[id].name,
        }
    }

    /// "policy" or "read model", for messages.
    pub fn kind(self) -> &'static str {
        match self {
            Consumer::Policy(_) => "policy",
            Consumer::ReadModel(_) => "read model",
        }
    }
}

/// One reference from a consumer to an event it consumes: a policy's `on`
/// entry or a read model's `from` entry.
#[derive(Clone, Copy, Debug)]
pub struct Consumption<'m> {
    pub consumer: Consumer,
    /// The consumer's context.
    pub context: ContextId,
    /// The reference as written, with its span.
    pub event: &'m Spanned<EventId>,
}

/// Every consumption in the model: policies first, then read models, each in
/// the order of the file.
pub fn consumptions(model: &Model) -> impl Iterator<Item = Consumption<'_>> {
    let by_policies = model.policies.iter().enumerate().flat_map(|(i, policy)| {
        policy.on.iter().map(move |event| Consumption {
            consumer: Consumer::Policy(PolicyId(i as u32)),
            context: policy.context,
            event,
        })
    });
    let by_read_models = model.read_models.iter().enumerate().flat_map(|(i, read_model)| {
        read_model.from.iter().map(move |event| Consumption {
            consumer: Consumer::ReadModel(ReadModelId(i as u32)),
            context: read_model.context,
            event,
        })
    });
    by_policies.chain(by_read_models)
}

/// Lazily built indexes over one model.
pub struct Usage<'m> {
    model: &'m Model,
    consumers: OnceCell<Vec<Vec<Consumer>>>,
    emitters: OnceCell<Vec<Vec<CommandId>>>,
    issuing_policies: OnceCell<Vec<Vec<PolicyId>>>,
    allowances: OnceCell<HashMap<(ContextId, ContextId), Vec<usize>>>,
}

impl<'m> Usage<'m> {
    pub fn new(model: &'m Model) -> Self {
        Usage {
            model,
            consumers: OnceCell::new(),
            emitters: OnceCell::new(),
            issuing_policies: OnceCell::new(),
            allowances: OnceCell::new(),
        }
    }

    /// The policies and read models that consume `event`, each once, in
    /// file order.
    pub fn consumers(&self, event: EventId) -> &[Consumer] {
        let index = self.consumers.get_or_init(|| {
            let mut index = vec![Vec::new(); self.model.events.len()];
            for consumption in consumptions(self.model) {
                // A consumer that names the event twice is one consumer.
                if let Some(list) = index.get_mut(consumption.event.value.index())
                    && list.last() != Some(&consumption.consumer)
                {
                    list.push(consumption.consumer);
                }
            }
            index
        });
        index.get(event.index()).map_or(&[], Vec::as_slice)
    }

    /// The commands that list `event` in their `emits`, in file order.
    pub fn emitters(&self, event: EventId) -> &[CommandId] {
        let index = self.emitters.get_or_init(|| {
            let mut index = vec![Vec::new(); self.model.events.len()];
            for (i, command) in self.model.commands.iter().enumerate() {
                for emitted in &command.emits {
                    let command = CommandId(i as u32);
                    if let Some(list) = index.get_mut(emitted.value.index())
                        && list.last() != Some(&command)
                    {
                        list.push(command);
                    }
                }
            }
            index
        });
        index.get(event.index()).map_or(&[], Vec::as_slice)
    }

    /// The policies whose `then` is `command`, in file order.
    pub fn issuing_policies(&self, command: CommandId) -> &[PolicyId] {
        let index = self.issuing_policies.get_or_init(|| {
            let mut index = vec![Vec::new(); self.model.commands.len()];
            for (i, policy) in self.model.policies.iter().enumerate() {
                if let Some(list) = policy.then.as_ref().and_then(|then| index.get_mut(then.value.index())) {
                    list.push(PolicyId(i as u32));
                }
            }
            index
        });
        index.get(command.index()).map_or(&[], Vec::as_slice)
    }

    /// The relationships (indexes into `model.relationships`) that let
    /// `downstream` consume events of `upstream`, in file order.
    pub fn relationships_allowing(&self, upstream: ContextId, downstream: ContextId) -> &[usize] {
        let index = self.allowances.get_or_init(|| {
            let mut index: HashMap<(ContextId, ContextId), Vec<usize>> = HashMap::new();
            for (i, relationship) in self.model.relationships.iter().enumerate() {
                for pair in relationship.directions() {
                    index.entry(pair).or_default().push(i);
                }
            }
            index
        });
        index.get(&(upstream, downstream)).map_or(&[], Vec::as_slice)
    }
}
