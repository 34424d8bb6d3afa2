//! Names in a built model: finding elements by name, and walking every
//! name the model declares (for the checks of names).
//!
//! The format's scoping rules (see "Names and references" in the format)
//! live here once, as hash maps filled in one pass over the arenas, so that
//! every look-up is constant time and no stage scans all elements:
//!
//! - contexts among contexts and actors among actors;
//! - within a context, aggregates, commands, events, policies and read
//!   models share one namespace;
//! - services within their context, flows among flows.
//!
//! Duplicates stay in the arenas (the `duplicate-name` check points at both
//! declarations); every look-up finds the first one declared.

use std::collections::HashMap;

use super::{ActorId, ContextId, Element, Field, Model, Name, ServiceId, names};
use crate::syntax::span::Span;

/// The name index of a model; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Names {
    contexts: HashMap<String, ContextId>,
    actors: HashMap<String, ActorId>,
    /// One namespace per context, indexed by [`ContextId`].
    scopes: Vec<HashMap<String, Element>>,
    /// For each name, the element so named in each context that has one (the
    /// first declared there), in context order: how a bare name in a
    /// top-level flow is found, and how "did you mean `Other.Name`?" is.
    everywhere: HashMap<String, Vec<Element>>,
    /// Services, one map per context.
    services: Vec<HashMap<String, ServiceId>>,
    /// Flows, by index in [`Model::flows`].
    flows: HashMap<String, usize>,
    /// Every second declaration of a name in a context's namespace, with the
    /// first: found while indexing, so that `duplicate-name` need not look
    /// every name up again.
    redeclared: Vec<(Element, Element)>,
}

impl Names {
    /// Indexes the arenas of a model.
    fn of(model: &Model) -> Names {
        // Sized up front: a map that grows moves every entry it holds.
        let scopes: Vec<HashMap<String, Element>> = (0..model.contexts.len())
            .map(|c| HashMap::with_capacity(model.elements_of(ContextId(c as u32)).count()))
            .collect();
        let declared = scopes.iter().map(HashMap::capacity).sum();
        let mut names = Names {
            scopes,
            everywhere: HashMap::with_capacity(declared),
            services: vec![HashMap::new(); model.contexts.len()],
            ..Names::default()
        };
        for (i, actor) in model.actors.iter().enumerate() {
            names.actors.entry(actor.name.value.clone()).or_insert(ActorId(i as u32));
        }
        for (i, context) in model.contexts.iter().enumerate() {
            let id = ContextId(i as u32);
            names.contexts.entry(context.name.value.clone()).or_insert(id);
            for element in model.elements_of(id) {
                names.declare(model, id, element);
            }
            for &service in &context.services {
                names.services[i].entry(model[service].name.value.clone()).or_insert(service);
            }
        }
        for (i, flow) in model.flows.iter().enumerate() {
            names.flows.entry(flow.name.value.clone()).or_insert(i);
        }
        names
    }

    fn declare(&mut self, model: &Model, context: ContextId, element: Element) {
        let name = model.element_name(element);
        if let Some(&first) = self.scopes[context.index()].get(name) {
            self.redeclared.push((element, first));
            return;
        }
        self.scopes[context.index()].insert(name.to_string(), element);
        match self.everywhere.get_mut(name) {
            Some(elements) => elements.push(element),
            None => {
                self.everywhere.insert(name.to_string(), vec![element]);
            }
        }
    }
}

impl Element {
    /// What kind of element this is, with its article, for messages: "an
    /// event", "a read model".
    pub fn noun(self) -> &'static str {
        match self {
            Element::Actor(_) => "an actor",
            Element::Context(_) => "a context",
            Element::Aggregate(_) => "an aggregate",
            Element::Command(_) => "a command",
            Element::Event(_) => "an event",
            Element::Policy(_) => "a policy",
            Element::ReadModel(_) => "a read model",
        }
    }
}

impl Model {
    /// Rebuilds the name index from the arenas. [`crate::model::build`]
    /// calls it; code that assembles or edits a model by hand calls it before
    /// looking names up.
    pub fn index_names(&mut self) {
        self.names = Names::of(self);
    }

    /// The context of that name (the first declared, if there are several).
    pub fn find_context(&self, name: &str) -> Option<ContextId> {
        self.names.contexts.get(name).copied()
    }

    /// The actor of that name (the first declared, if there are several).
    pub fn find_actor(&self, name: &str) -> Option<ActorId> {
        self.names.actors.get(name).copied()
    }

    /// The aggregate, command, event, policy or read model of that name in a
    /// context (they share one namespace; the first declared wins).
    pub fn lookup(&self, context: ContextId, name: &str) -> Option<Element> {
        self.names.scopes.get(context.index())?.get(name).copied()
    }

    /// Every context's element of that name (the first declared in each), in
    /// the order of the contexts.
    pub fn lookup_everywhere(&self, name: &str) -> &[Element] {
        self.names.everywhere.get(name).map_or(&[], Vec::as_slice)
    }

    /// A service of a context by name.
    pub fn find_service(&self, context: ContextId, name: &str) -> Option<ServiceId> {
        self.names.services.get(context.index())?.get(name).copied()
    }

    /// The index in [`Model::flows`] of the flow of that name (the first
    /// declared, if there are several).
    pub fn find_flow(&self, name: &str) -> Option<usize> {
        self.names.flows.get(name).copied()
    }

    /// An element by a reference as users write it outside any context (on
    /// the command line, in a top-level flow): `Context.Name`, or a bare name
    /// that is an actor, a context, or an element of exactly one context.
    pub fn find_element(&self, reference: &str) -> Option<Element> {
        if let Some((context, name)) = reference.split_once('.') {
            return self.lookup(self.find_context(context)?, name);
        }
        if let Some(actor) = self.find_actor(reference) {
            return Some(Element::Actor(actor));
        }
        if let Some(context) = self.find_context(reference) {
            return Some(Element::Context(context));
        }
        match self.lookup_everywhere(reference) {
            [only] => Some(*only),
            _ => None,
        }
    }

    /// The aggregates, commands, events, policies and read models of a
    /// context, in the order of the file: each aggregate followed by its
    /// commands and events, then the policies, then the read models.
    pub fn elements_of(&self, context: ContextId) -> impl Iterator<Item = Element> + '_ {
        let ctx = &self[context];
        let aggregates = ctx.aggregates.iter().flat_map(move |&a| {
            let agg = &self[a];
            std::iter::once(Element::Aggregate(a))
                .chain(agg.commands.iter().map(|&c| Element::Command(c)))
                .chain(agg.events.iter().map(|&e| Element::Event(e)))
        });
        aggregates
            .chain(ctx.policies.iter().map(|&p| Element::Policy(p)))
            .chain(ctx.read_models.iter().map(|&r| Element::ReadModel(r)))
    }

    /// Every aggregate, command, event, policy and read model declared under
    /// a name its context's namespace already holds, with the element first
    /// declared under it: `(again, first)`, in the order of the file.
    pub fn redeclared_elements(&self) -> &[(Element, Element)] {
        &self.names.redeclared
    }

    /// Whether an element is a second declaration of its name: references
    /// by that name find the first one, so this one can be named by nothing.
    /// Rules about how an element is used skip such elements, which only
    /// `duplicate-name` reports.
    pub fn is_redeclared(&self, element: Element) -> bool {
        match element {
            Element::Actor(id) => self.find_actor(&self[id].name) != Some(id),
            Element::Context(id) => self.find_context(&self[id].name) != Some(id),
            _ => match self.element_context(element) {
                Some(context) => self.lookup(context, self.element_name(element)) != Some(element),
                None => false,
            },
        }
    }

    /// Where an element's name is declared.
    pub fn element_span(&self, element: Element) -> Span {
        match element {
            Element::Actor(id) => self[id].name.span,
            Element::Context(id) => self[id].name.span,
            Element::Aggregate(id) => self[id].name.span,
            Element::Command(id) => self[id].name.span,
            Element::Event(id) => self[id].name.span,
            Element::Policy(id) => self[id].name.span,
            Element::ReadModel(id) => self[id].name.span,
        }
    }
}

/// The case a name is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Case {
    /// `OrderPlaced`: elements, actors, contexts, flows and errors.
    Pascal,
    /// `merchant_id`: fields.
    Snake,
    /// `billing-api`: services.
    Kebab,
}

impl Case {
    pub fn as_str(self) -> &'static str {
        match self {
            Case::Pascal => "PascalCase",
            Case::Snake => "snake_case",
            Case::Kebab => "kebab-case",
        }
    }

    /// Whether `name` follows this case's pattern.
    pub fn matches(self, name: &str) -> bool {
        match self {
            Case::Pascal => names::is_pascal_case(name),
            Case::Snake => names::is_snake_case(name),
            Case::Kebab => names::is_kebab_case(name),
        }
    }

    /// `name` rewritten in this case (which may still not match, for a name
    /// that starts with a digit or holds other characters).
    pub fn convert(self, name: &str) -> String {
        match self {
            Case::Pascal => names::pascal_case(name),
            Case::Snake => names::snake_case(name),
            Case::Kebab => names::kebab_case(name),
        }
    }
}

/// What a declared name names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameKind {
    Context,
    Actor,
    Aggregate,
    Command,
    Event,
    Policy,
    ReadModel,
    Flow,
    /// A domain error of a command.
    Error,
    /// A field of an aggregate's state, a command, an event or a read model.
    Field,
    Service,
}

impl NameKind {
    /// "read model", "domain error".
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Context => "context",
            NameKind::Actor => "actor",
            NameKind::Aggregate => "aggregate",
            NameKind::Command => "command",
            NameKind::Event => "event",
            NameKind::Policy => "policy",
            NameKind::ReadModel => "read model",
            NameKind::Flow => "flow",
            NameKind::Error => "domain error",
            NameKind::Field => "field",
            NameKind::Service => "service",
        }
    }

    /// The case names of this kind are written in.
    pub fn case(self) -> Case {
        match self {
            NameKind::Field => Case::Snake,
            NameKind::Service => Case::Kebab,
            _ => Case::Pascal,
        }
    }
}

impl Model {
    /// Every name the model declares, with what it names, in the order of
    /// the arenas: the one walk behind the checks of names' case and of
    /// reserved names.
    pub fn declared_names(&self) -> impl Iterator<Item = (NameKind, &Name)> + '_ {
        fn fields(kind: &[Field]) -> impl Iterator<Item = (NameKind, &Name)> {
            kind.iter().map(|f| (NameKind::Field, &f.name))
        }
        let contexts = self.contexts.iter().map(|c| (NameKind::Context, &c.name));
        let actors = self.actors.iter().map(|a| (NameKind::Actor, &a.name));
        let aggregates = self
            .aggregates
            .iter()
            .flat_map(|a| std::iter::once((NameKind::Aggregate, &a.name)).chain(fields(&a.fields)));
        let commands = self.commands.iter().flat_map(|c| {
            std::iter::once((NameKind::Command, &c.name))
                .chain(fields(&c.fields))
                .chain(c.errors.iter().map(|e| (NameKind::Error, e)))
        });
        let events =
            self.events.iter().flat_map(|e| std::iter::once((NameKind::Event, &e.name)).chain(fields(&e.fields)));
        let policies = self.policies.iter().map(|p| (NameKind::Policy, &p.name));
        let read_models = self
            .read_models
            .iter()
            .flat_map(|r| std::iter::once((NameKind::ReadModel, &r.name)).chain(fields(&r.fields)));
        let services = self.services.iter().map(|s| (NameKind::Service, &s.name));
        let flows = self.flows.iter().map(|f| (NameKind::Flow, &f.name));
        contexts
            .chain(actors)
            .chain(aggregates)
            .chain(commands)
            .chain(events)
            .chain(policies)
            .chain(read_models)
            .chain(services)
            .chain(flows)
    }
}
