//! The model: what a file means, independent of the syntax it was written in.
//!
//! Every reference is resolved to a typed id, every type is parsed, and the
//! elements sit in flat arenas (one `Vec` per kind) indexed by those ids.
//! Around them, [`ModelGraph`] holds the causal graph (actor issues command,
//! command emits event, event triggers policy, policy then command, event
//! feeds read model, context upstream of context) as a petgraph graph behind
//! an index, for the checks, the generator and the diagrams.
//!
//! The model keeps the spans of names and references, so that checks can
//! point into the file. A model built from a file with errors is still a
//! model (unresolved references are left out) so that every check can run
//! and every problem be reported at once; generators refuse such models.

pub(crate) mod build;
pub mod graph;
mod lookup;
pub mod names;
pub mod types;

pub use build::{Builder, build};
pub use graph::{Edge, ModelGraph, Node};
pub use lookup::{Case, NameKind, Names};
pub use types::Type;

use crate::syntax::span::{Span, Spanned};

/// A name with its span.
pub type Name = Spanned<String>;

macro_rules! ids {
    ($($(#[$doc:meta])* $id:ident => $field:ident: $element:ident;)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
            pub struct $id(pub u32);

            impl $id {
                pub fn index(self) -> usize {
                    self.0 as usize
                }
            }

            impl std::ops::Index<$id> for Model {
                type Output = $element;
                fn index(&self, id: $id) -> &$element {
                    &self.$field[id.index()]
                }
            }
        )*
    };
}

ids! {
    /// An actor.
    ActorId => actors: Actor;
    /// A bounded context.
    ContextId => contexts: Context;
    /// An aggregate.
    AggregateId => aggregates: Aggregate;
    /// A command.
    CommandId => commands: Command;
    /// A domain event.
    EventId => events: Event;
    /// A policy.
    PolicyId => policies: Policy;
    /// A read model.
    ReadModelId => read_models: ReadModel;
    /// A service of a context.
    ServiceId => services: Service;
}

/// A checked, resolved model.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub system: Name,
    pub description: Option<String>,
    /// Lint levels written in the model (`lints:`), with the span of each
    /// entry.
    pub lints: Vec<(Spanned<crate::diagnostics::Code>, crate::diagnostics::Level)>,
    pub actors: Vec<Actor>,
    pub contexts: Vec<Context>,
    pub aggregates: Vec<Aggregate>,
    pub commands: Vec<Command>,
    pub events: Vec<Event>,
    pub policies: Vec<Policy>,
    pub read_models: Vec<ReadModel>,
    pub services: Vec<Service>,
    pub relationships: Vec<Relationship>,
    pub flows: Vec<Flow>,
    /// Hot spots of the system and of every context.
    pub hotspots: Vec<Hotspot>,
    pub graph: ModelGraph,
    /// The spans of references that did not resolve (reported as
    /// `unknown-reference` or `ambiguous-reference`). The model leaves such
    /// references out; checks ask [`Model::unresolved_within`] so as to stay
    /// quiet where that hole would otherwise look like a problem of its own
    /// (a command whose only `emits` is unknown does not "emit no event").
    pub unresolved: std::collections::BTreeSet<Span>,
    /// Commands with an `actor`/`actors` reference that did not resolve.
    /// Rules about who issues what stay quiet about them: a command whose
    /// only actor is misspelt is not "issued by nobody", nor is the actor
    /// meant "unused".
    pub unresolved_actors: std::collections::BTreeSet<CommandId>,
    /// Contexts with a service whose `owns` names something that did not
    /// resolve. `service-ownership` does not call an element of such a
    /// context "owned by no service": the misspelt entry most likely meant
    /// it, and the misspelling is already reported.
    pub unresolved_owns: std::collections::BTreeSet<ContextId>,
    /// The name index behind [`Model::find_context`], [`Model::lookup`] and
    /// the other look-ups (see `lookup.rs`).
    pub names: Names,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActorKind {
    Person,
    Timer,
    External,
    System,
}

impl ActorKind {
    pub const ALL: [ActorKind; 4] = [ActorKind::Person, ActorKind::Timer, ActorKind::External, ActorKind::System];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Person => "person",
            ActorKind::Timer => "timer",
            ActorKind::External => "external",
            ActorKind::System => "system",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Actor {
    pub name: Name,
    pub kind: ActorKind,
    pub description: Option<String>,
    /// The authorization role that stands for the actor in tokens (default:
    /// the name in kebab-case).
    pub role: String,
}

#[derive(Clone, Debug)]
pub struct Context {
    pub name: Name,
    pub team: Option<String>,
    pub description: Option<String>,
    pub aggregates: Vec<AggregateId>,
    pub policies: Vec<PolicyId>,
    pub read_models: Vec<ReadModelId>,
    /// The services as declared; empty when the context declares none (it is
    /// then one service that owns everything, see [`Model::services_of`]).
    pub services: Vec<ServiceId>,
}

/// A field of an aggregate's state, a command, an event or a read model.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: Name,
    /// The type; `Type::Unknown` only where `invalid-type` was reported.
    pub ty: Spanned<Type>,
    pub pii: bool,
    pub description: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Aggregate {
    pub name: Name,
    pub context: ContextId,
    pub description: Option<String>,
    /// The type of its identity (default `uuid`).
    pub id_type: Type,
    pub fields: Vec<Field>,
    pub commands: Vec<CommandId>,
    pub events: Vec<EventId>,
}

#[derive(Clone, Debug)]
pub struct Command {
    pub name: Name,
    pub aggregate: AggregateId,
    pub context: ContextId,
    pub description: Option<String>,
    pub actors: Vec<Spanned<ActorId>>,
    pub fields: Vec<Field>,
    /// The events it may emit, first one first (the scaffold emits it).
    pub emits: Vec<Spanned<EventId>>,
    /// The span of `emits` (or of the command's name when it is missing).
    pub emits_span: Span,
    pub creates: bool,
    /// Domain errors it may return.
    pub errors: Vec<Name>,
    /// A 5-field cron expression, as written.
    pub schedule: Option<Spanned<String>>,
}

#[derive(Clone, Debug)]
pub struct Event {
    pub name: Name,
    pub aggregate: AggregateId,
    pub context: ContextId,
    pub description: Option<String>,
    pub public: bool,
    /// Schema version (default 1).
    pub version: u32,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub name: Name,
    pub context: ContextId,
    pub description: Option<String>,
    pub on: Vec<Spanned<EventId>>,
    /// `None` only when the reference did not resolve (already reported).
    pub then: Option<Spanned<CommandId>>,
    pub key: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct ReadModel {
    pub name: Name,
    pub context: ContextId,
    pub description: Option<String>,
    pub from: Vec<Spanned<EventId>>,
    pub key: Option<Name>,
    pub fields: Vec<Field>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKind {
    Api,
    Worker,
    Projector,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 3] = [ServiceKind::Api, ServiceKind::Worker, ServiceKind::Projector];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Api => "api",
            ServiceKind::Worker => "worker",
            ServiceKind::Projector => "projector",
        }
    }
}

/// Something a service owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owned {
    Aggregate(AggregateId),
    Policy(PolicyId),
    ReadModel(ReadModelId),
}

#[derive(Clone, Debug)]
pub struct Service {
    /// kebab-case.
    pub name: Name,
    pub context: ContextId,
    pub kind: ServiceKind,
    pub description: Option<String>,
    pub owns: Vec<Spanned<Owned>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RelationshipKind {
    UpstreamDownstream,
    CustomerSupplier,
    Partnership,
    SharedKernel,
}

impl RelationshipKind {
    pub const ALL: [RelationshipKind; 4] = [
        RelationshipKind::UpstreamDownstream,
        RelationshipKind::CustomerSupplier,
        RelationshipKind::Partnership,
        RelationshipKind::SharedKernel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RelationshipKind::UpstreamDownstream => "upstream-downstream",
            RelationshipKind::CustomerSupplier => "customer-supplier",
            RelationshipKind::Partnership => "partnership",
            RelationshipKind::SharedKernel => "shared-kernel",
        }
    }

    /// Partnership and shared kernel relate two contexts as equals
    /// (`between`); the others have an upstream and a downstream.
    pub fn is_symmetric(self) -> bool {
        matches!(self, RelationshipKind::Partnership | RelationshipKind::SharedKernel)
    }
}

/// A role a context plays in a relationship, in context-mapping notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Open host service (upstream).
    Ohs,
    /// Published language (upstream).
    Pl,
    /// Anticorruption layer (downstream).
    Acl,
    /// Conformist (downstream).
    Cf,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Ohs, Role::Pl, Role::Acl, Role::Cf];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ohs => "OHS",
            Role::Pl => "PL",
            Role::Acl => "ACL",
            Role::Cf => "CF",
        }
    }

    pub fn is_upstream(self) -> bool {
        matches!(self, Role::Ohs | Role::Pl)
    }
}

#[derive(Clone, Debug)]
pub struct Relationship {
    pub kind: Spanned<RelationshipKind>,
    /// The upstream context, or the first of `between`.
    pub upstream: Spanned<ContextId>,
    /// The downstream context, or the second of `between`.
    pub downstream: Spanned<ContextId>,
    pub upstream_roles: Vec<Spanned<Role>>,
    pub downstream_roles: Vec<Spanned<Role>>,
    pub description: Option<String>,
    /// The whole relationship in the file.
    pub span: Span,
}

impl Relationship {
    /// The `(upstream, downstream)` pairs of contexts along which this
    /// relationship lets events be consumed: its own direction, and for a
    /// partnership or shared kernel the other way round too.
    pub fn directions(&self) -> impl Iterator<Item = (ContextId, ContextId)> {
        let (u, d) = (self.upstream.value, self.downstream.value);
        let back = (self.kind.is_symmetric() && u != d).then_some((d, u));
        std::iter::once((u, d)).chain(back)
    }
}

/// A step of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Command(CommandId),
    Event(EventId),
    Policy(PolicyId),
}

#[derive(Clone, Debug)]
pub struct Flow {
    pub name: Name,
    pub description: Option<String>,
    /// Resolved steps; a step that did not resolve is left out (reported).
    pub steps: Vec<Spanned<Step>>,
}

/// An element a hot spot can be about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Element {
    Actor(ActorId),
    Context(ContextId),
    Aggregate(AggregateId),
    Command(CommandId),
    Event(EventId),
    Policy(PolicyId),
    ReadModel(ReadModelId),
}

#[derive(Clone, Debug)]
pub struct Hotspot {
    pub text: Spanned<String>,
    /// The context it was written in; `None` for the system's own.
    pub context: Option<ContextId>,
    pub on: Option<Spanned<Element>>,
    pub span: Span,
}

impl Model {
    /// Whether a reference that did not resolve lies within `span`.
    pub fn unresolved_within(&self, span: Span) -> bool {
        self.unresolved.range(Span::new(span.offset, 0)..).next().is_some_and(|hole| hole.end() <= span.end())
    }

    /// The services of a context: its declared ones, or `None` when it
    /// declares none and is deployed as one service owning everything.
    pub fn declared_services(&self, context: ContextId) -> Option<&[ServiceId]> {
        let services = &self[context].services;
        (!services.is_empty()).then_some(services.as_slice())
    }

    /// The name of any element, for messages.
    pub fn element_name(&self, element: Element) -> &str {
        match element {
            Element::Actor(id) => &self[id].name,
            Element::Context(id) => &self[id].name,
            Element::Aggregate(id) => &self[id].name,
            Element::Command(id) => &self[id].name,
            Element::Event(id) => &self[id].name,
            Element::Policy(id) => &self[id].name,
            Element::ReadModel(id) => &self[id].name,
        }
    }

    /// The context an element lives in (`None` for actors).
    pub fn element_context(&self, element: Element) -> Option<ContextId> {
        match element {
            Element::Actor(_) => None,
            Element::Context(id) => Some(id),
            Element::Aggregate(id) => Some(self[id].context),
            Element::Command(id) => Some(self[id].context),
            Element::Event(id) => Some(self[id].context),
            Element::Policy(id) => Some(self[id].context),
            Element::ReadModel(id) => Some(self[id].context),
        }
    }

    /// `Context.Name` for context-scoped elements, the bare name for actors
    /// and contexts.
    pub fn qualified_name(&self, element: Element) -> String {
        match self.element_context(element) {
            Some(ctx) if !matches!(element, Element::Context(_)) => {
                format!("{}.{}", self[ctx].name.value, self.element_name(element))
            }
            _ => self.element_name(element).to_string(),
        }
    }
}
