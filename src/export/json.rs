//! The canonical JSON of a model (`squall export --format json`).
//!
//! It says everything the model says and nothing about how the file was
//! written, so that two files that mean the same model (YAML and DSL, or two
//! layouts of one) export to the same bytes, and the same file always
//! exports to the same bytes:
//!
//! - named elements are JSON objects keyed by name, in the model's order
//!   (the order of the file); lists keep their order (`emits`, `steps`,
//!   fields); relationship roles and `lints` are sets and are sorted;
//! - every reference is written in full: `Context.Name` for anything inside
//!   a context, the bare name for actors and contexts;
//! - defaults are written out: an actor's `kind` and `role`, an aggregate's
//!   `id` type, an event's `public` and `version`, a command's `creates`, a
//!   field's `pii`; an absent optional value (`description`, `team`, `key`,
//!   `schedule`) is `null`, so every object of a kind has the same keys;
//! - types are in their canonical spelling (`list<uuid>?`);
//! - no spans, no comments.
//!
//! The shape, for a model with one of everything:
//!
//! ```json
//! {
//!   "export_version": 1,
//!   "system": "Payments",
//!   "description": null,
//!   "lints": { "event-tense": "allow" },
//!   "actors": { "Buyer": { "kind": "person", "role": "buyer", "description": null } },
//!   "contexts": {
//!     "Transactions": {
//!       "team": "Team Red",
//!       "description": null,
//!       "aggregates": {
//!         "Payment": {
//!           "description": null,
//!           "id": "uuid",
//!           "fields": { "amount": { "type": "decimal", "pii": false, "description": null } },
//!           "commands": {
//!             "InitiatePayment": {
//!               "description": null, "actors": ["Buyer"], "creates": true, "fields": {},
//!               "emits": ["Transactions.PaymentInitiated"], "errors": [], "schedule": null
//!             }
//!           },
//!           "events": {
//!             "PaymentInitiated": { "description": null, "public": true, "version": 1, "fields": {} }
//!           }
//!         }
//!       },
//!       "policies": {
//!         "Retry": { "description": null, "on": ["Transactions.PaymentInitiated"],
//!                    "then": "Transactions.InitiatePayment", "key": null }
//!       },
//!       "read_models": {
//!         "Payments": { "description": null, "from": ["Transactions.PaymentInitiated"],
//!                       "key": null, "fields": {} }
//!       },
//!       "services": { "payments-api": { "kind": "api", "description": null, "owns": ["Transactions.Payment"] } },
//!       "hotspots": [ { "text": "Timeouts?", "on": { "kind": "aggregate", "name": "Transactions.Payment" } } ]
//!     }
//!   },
//!   "relationships": [
//!     { "kind": "customer-supplier", "upstream": "Customer", "downstream": "Transactions",
//!       "upstream_roles": ["PL"], "downstream_roles": [], "description": null },
//!     { "kind": "partnership", "between": ["Billing", "Transactions"], "description": null }
//!   ],
//!   "flows": {
//!     "Pay": { "description": null,
//!              "steps": [ { "kind": "command", "name": "Transactions.InitiatePayment" } ] }
//!   },
//!   "hotspots": [ { "text": "Who owns refunds?", "on": null } ]
//! }
//! ```
//!
//! `services` holds the services a context declares (empty when it declares
//! none and is one service). The hot spots of a context are in the context;
//! those of the system at the top. `export_version` changes only when the
//! shape changes in a way a reader would notice (a renamed or removed key);
//! keys may be added without changing it.
//!
//! The model is expected to have no errors (`squall export` refuses one that
//! has); a reference that did not resolve is simply left out.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::diagnostics::Level;
use crate::model::{self, Actor, ContextId, Element, Hotspot, Model, Owned, Relationship, Role, Step, names};

/// The version of the shape.
pub const EXPORT_VERSION: u32 = 1;

/// The canonical JSON of a model, pretty-printed, ending with a newline.
pub fn to_string(model: &Model) -> String {
    let document = Document::of(model);
    // Every key is a string and every value plain data: serializing into
    // memory cannot fail.
    let mut text = serde_json::to_string_pretty(&document).expect("the export serializes to a string");
    text.push('\n');
    text
}

/// The canonical JSON of a model as a value, for tests and tools that
/// compare models.
pub fn to_value(model: &Model) -> serde_json::Value {
    serde_json::to_value(Document::of(model)).expect("the export serializes to a value")
}

/// Named elements: a JSON object keyed by name, in the model's order
/// (whatever map type serde_json is built with).
struct Named<'a, T>(Vec<(&'a str, T)>);

impl<T: Serialize> Serialize for Named<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'a, T> FromIterator<(&'a str, T)> for Named<'a, T> {
    fn from_iter<I: IntoIterator<Item = (&'a str, T)>>(iter: I) -> Self {
        Named(iter.into_iter().collect())
    }
}

#[derive(Serialize)]
struct Document<'a> {
    export_version: u32,
    system: &'a str,
    description: Option<&'a str>,
    lints: BTreeMap<&'static str, &'static str>,
    actors: Named<'a, ActorOut<'a>>,
    contexts: Named<'a, ContextOut<'a>>,
    relationships: Vec<RelationshipOut<'a>>,
    flows: Named<'a, FlowOut<'a>>,
    hotspots: Vec<HotspotOut<'a>>,
}

#[derive(Serialize)]
struct ActorOut<'a> {
    kind: &'static str,
    role: String,
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct ContextOut<'a> {
    team: Option<&'a str>,
    description: Option<&'a str>,
    aggregates: Named<'a, AggregateOut<'a>>,
    policies: Named<'a, PolicyOut<'a>>,
    read_models: Named<'a, ReadModelOut<'a>>,
    services: Named<'a, ServiceOut<'a>>,
    hotspots: Vec<HotspotOut<'a>>,
}

#[derive(Serialize)]
struct FieldOut<'a> {
    #[serde(rename = "type")]
    ty: String,
    pii: bool,
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct AggregateOut<'a> {
    description: Option<&'a str>,
    id: String,
    fields: Named<'a, FieldOut<'a>>,
    commands: Named<'a, CommandOut<'a>>,
    events: Named<'a, EventOut<'a>>,
}

#[derive(Serialize)]
struct CommandOut<'a> {
    description: Option<&'a str>,
    actors: Vec<&'a str>,
    creates: bool,
    fields: Named<'a, FieldOut<'a>>,
    emits: Vec<String>,
    errors: Vec<&'a str>,
    schedule: Option<&'a str>,
}

#[derive(Serialize)]
struct EventOut<'a> {
    description: Option<&'a str>,
    public: bool,
    version: u32,
    fields: Named<'a, FieldOut<'a>>,
}

#[derive(Serialize)]
struct PolicyOut<'a> {
    description: Option<&'a str>,
    on: Vec<String>,
    then: Option<String>,
    key: Option<&'a str>,
}

#[derive(Serialize)]
struct ReadModelOut<'a> {
    description: Option<&'a str>,
    from: Vec<String>,
    key: Option<&'a str>,
    fields: Named<'a, FieldOut<'a>>,
}

#[derive(Serialize)]
struct ServiceOut<'a> {
    kind: &'static str,
    description: Option<&'a str>,
    owns: Vec<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum RelationshipOut<'a> {
    Directed {
        kind: &'static str,
        upstream: &'a str,
        downstream: &'a str,
        upstream_roles: Vec<&'static str>,
        downstream_roles: Vec<&'static str>,
        description: Option<&'a str>,
    },
    Symmetric {
        kind: &'static str,
        between: [&'a str; 2],
        description: Option<&'a str>,
    },
}

#[derive(Serialize)]
struct FlowOut<'a> {
    description: Option<&'a str>,
    steps: Vec<ElementRef>,
}

#[derive(Serialize)]
struct HotspotOut<'a> {
    text: &'a str,
    on: Option<ElementRef>,
}

/// A reference to an element whose kind is not implied by where it stands.
#[derive(Serialize)]
struct ElementRef {
    kind: &'static str,
    name: String,
}

impl<'a> Document<'a> {
    fn of(model: &'a Model) -> Document<'a> {
        // Hot spots by context, in one pass: the model keeps them in one list.
        let mut context_hotspots: Vec<Vec<&Hotspot>> = vec![Vec::new(); model.contexts.len()];
        let mut system_hotspots = Vec::new();
        for hotspot in &model.hotspots {
            match hotspot.context.and_then(|c| context_hotspots.get_mut(c.index())) {
                Some(list) => list.push(hotspot),
                None => system_hotspots.push(hotspot),
            }
        }

        Document {
            export_version: EXPORT_VERSION,
            system: &model.system.value,
            description: model.description.as_deref(),
            lints: model.lints.iter().map(|(code, level)| (code.value.as_str(), level_name(*level))).collect(),
            actors: model.actors.iter().map(|a| (a.name.value.as_str(), actor(a))).collect(),
            contexts: model
                .contexts
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let hotspots = context_hotspots.get(i).map(Vec::as_slice).unwrap_or_default();
                    (c.name.value.as_str(), context(model, ContextId(i as u32), hotspots))
                })
                .collect(),
            relationships: model.relationships.iter().map(|r| relationship(model, r)).collect(),
            flows: model
                .flows
                .iter()
                .map(|f| {
                    let steps = f.steps.iter().map(|s| element_ref(model, step_element(s.value))).collect();
                    (f.name.value.as_str(), FlowOut { description: f.description.as_deref(), steps })
                })
                .collect(),
            hotspots: system_hotspots.into_iter().map(|h| hotspot(model, h)).collect(),
        }
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Allow => "allow",
        Level::Warn => "warn",
        Level::Deny => "deny",
    }
}

fn actor(actor: &Actor) -> ActorOut<'_> {
    // The role defaults to the name in kebab-case; the model normally holds
    // it already, this only makes the default explicit if it does not.
    let role = if actor.role.is_empty() { names::kebab_case(&actor.name) } else { actor.role.clone() };
    ActorOut { kind: actor.kind.as_str(), role, description: actor.description.as_deref() }
}

fn context<'a>(model: &'a Model, id: ContextId, hotspots: &[&'a Hotspot]) -> ContextOut<'a> {
    let c = &model[id];
    ContextOut {
        team: c.team.as_deref(),
        description: c.description.as_deref(),
        aggregates: c
            .aggregates
            .iter()
            .map(|&a| {
                let agg = &model[a];
                let out = AggregateOut {
                    description: agg.description.as_deref(),
                    id: agg.id_type.to_string(),
                    fields: fields(&agg.fields),
                    commands: agg
                        .commands
                        .iter()
                        .map(|&cmd| (model[cmd].name.value.as_str(), command(model, cmd)))
                        .collect(),
                    events: agg
                        .events
                        .iter()
                        .map(|&e| {
                            let ev = &model[e];
                            let out = EventOut {
                                description: ev.description.as_deref(),
                                public: ev.public,
                                version: ev.version,
                                fields: fields(&ev.fields),
                            };
                            (ev.name.value.as_str(), out)
                        })
                        .collect(),
                };
                (agg.name.value.as_str(), out)
            })
            .collect(),
        policies: c
            .policies
            .iter()
            .map(|&p| {
                let policy = &model[p];
                let out = PolicyOut {
                    description: policy.description.as_deref(),
                    on: policy.on.iter().map(|e| model.qualified_name(Element::Event(e.value))).collect(),
                    then: policy.then.as_ref().map(|t| model.qualified_name(Element::Command(t.value))),
                    key: policy.key.as_ref().map(|k| k.value.as_str()),
                };
                (policy.name.value.as_str(), out)
            })
            .collect(),
        read_models: c
            .read_models
            .iter()
            .map(|&r| {
                let read_model = &model[r];
                let out = ReadModelOut {
                    description: read_model.description.as_deref(),
                    from: read_model.from.iter().map(|e| model.qualified_name(Element::Event(e.value))).collect(),
                    key: read_model.key.as_ref().map(|k| k.value.as_str()),
                    fields: fields(&read_model.fields),
                };
                (read_model.name.value.as_str(), out)
            })
            .collect(),
        services: c
            .services
            .iter()
            .map(|&s| {
                let service = &model[s];
                let out = ServiceOut {
                    kind: service.kind.as_str(),
                    description: service.description.as_deref(),
                    owns: service.owns.iter().map(|o| model.qualified_name(owned_element(o.value))).collect(),
                };
                (service.name.value.as_str(), out)
            })
            .collect(),
        hotspots: hotspots.iter().map(|h| hotspot(model, h)).collect(),
    }
}

fn command(model: &Model, id: model::CommandId) -> CommandOut<'_> {
    let cmd = &model[id];
    CommandOut {
        description: cmd.description.as_deref(),
        actors: cmd.actors.iter().map(|a| model[a.value].name.value.as_str()).collect(),
        creates: cmd.creates,
        fields: fields(&cmd.fields),
        emits: cmd.emits.iter().map(|e| model.qualified_name(Element::Event(e.value))).collect(),
        errors: cmd.errors.iter().map(|e| e.value.as_str()).collect(),
        schedule: cmd.schedule.as_ref().map(|s| s.value.as_str()),
    }
}

fn fields(fields: &[model::Field]) -> Named<'_, FieldOut<'_>> {
    fields
        .iter()
        .map(|f| {
            let out = FieldOut { ty: f.ty.value.to_string(), pii: f.pii, description: f.description.as_deref() };
            (f.name.value.as_str(), out)
        })
        .collect()
}

fn relationship<'a>(model: &'a Model, r: &'a Relationship) -> RelationshipOut<'a> {
    let upstream = model[r.upstream.value].name.value.as_str();
    let downstream = model[r.downstream.value].name.value.as_str();
    let description = r.description.as_deref();
    if r.kind.is_symmetric() {
        return RelationshipOut::Symmetric { kind: r.kind.as_str(), between: [upstream, downstream], description };
    }
    RelationshipOut::Directed {
        kind: r.kind.as_str(),
        upstream,
        downstream,
        upstream_roles: roles(&r.upstream_roles),
        downstream_roles: roles(&r.downstream_roles),
        description,
    }
}

/// Roles are a set: sorted in the notation's order (OHS, PL, ACL, CF), once
/// each.
fn roles(roles: &[crate::syntax::span::Spanned<Role>]) -> Vec<&'static str> {
    let mut sorted: Vec<Role> = roles.iter().map(|r| r.value).collect();
    sorted.sort();
    sorted.dedup();
    sorted.into_iter().map(Role::as_str).collect()
}

fn hotspot<'a>(model: &Model, h: &'a Hotspot) -> HotspotOut<'a> {
    HotspotOut { text: &h.text.value, on: h.on.as_ref().map(|on| element_ref(model, on.value)) }
}

fn element_ref(model: &Model, element: Element) -> ElementRef {
    let kind = match element {
        Element::Actor(_) => "actor",
        Element::Context(_) => "context",
        Element::Aggregate(_) => "aggregate",
        Element::Command(_) => "command",
        Element::Event(_) => "event",
        Element::Policy(_) => "policy",
        Element::ReadModel(_) => "read_model",
    };
    ElementRef { kind, name: model.qualified_name(element) }
}

fn step_element(step: Step) -> Element {
    match step {
        Step::Command(id) => Element::Command(id),
        Step::Event(id) => Element::Event(id),
        Step::Policy(id) => Element::Policy(id),
    }
}

fn owned_element(owned: Owned) -> Element {
    match owned {
        Owned::Aggregate(id) => Element::Aggregate(id),
        Owned::Policy(id) => Element::Policy(id),
        Owned::ReadModel(id) => Element::ReadModel(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;
    use crate::model::{
        ActorId, ActorKind, Aggregate, AggregateId, Command, CommandId, Context, Event, EventId, Field, Flow, Policy,
        PolicyId, RelationshipKind, Type,
    };
    use crate::syntax::span::{Span, Spanned};

    fn name(s: &str) -> Spanned<String> {
        Spanned::new(s.to_string(), Span::new(0, s.len()))
    }

    fn at<T>(value: T) -> Spanned<T> {
        Spanned::new(value, Span::default())
    }

    /// Two contexts: Sales places orders, Billing bills them on a policy.
    fn model() -> Model {
        let field = |n: &str, ty: Type, pii: bool| Field { name: name(n), ty: at(ty), pii, description: None };
        Model {
            system: name("Shop"),
            lints: vec![(at(Code::EventTense), Level::Allow), (at(Code::CommandMood), Level::Deny)],
            actors: vec![Actor {
                name: name("Buyer"),
                kind: ActorKind::Person,
                description: None,
                role: String::new(),
            }],
            contexts: vec![
                Context {
                    name: name("Sales"),
                    team: Some("Blue".into()),
                    description: None,
                    aggregates: vec![AggregateId(0)],
                    policies: vec![],
                    read_models: vec![],
                    services: vec![],
                },
                Context {
                    name: name("Billing"),
                    team: None,
                    description: Some("Money in.".into()),
                    aggregates: vec![AggregateId(1)],
                    policies: vec![PolicyId(0)],
                    read_models: vec![],
                    services: vec![],
                },
            ],
            aggregates: vec![
                Aggregate {
                    name: name("Order"),
                    context: ContextId(0),
                    description: None,
                    id_type: Type::Uuid,
                    fields: vec![
                        field("email", Type::String, true),
                        field("lines", Type::List(Box::new(Type::Uuid)), false),
                    ],
                    commands: vec![CommandId(0)],
                    events: vec![EventId(0)],
                },
                Aggregate {
                    name: name("Invoice"),
                    context: ContextId(1),
                    description: None,
                    id_type: Type::Uuid,
                    fields: vec![],
                    commands: vec![CommandId(1)],
                    events: vec![EventId(1)],
                },
            ],
            commands: vec![
                Command {
                    name: name("PlaceOrder"),
                    aggregate: AggregateId(0),
                    context: ContextId(0),
                    description: None,
                    actors: vec![at(ActorId(0))],
                    fields: vec![field("note", Type::Optional(Box::new(Type::String)), false)],
                    emits: vec![at(EventId(0))],
                    emits_span: Span::default(),
                    creates: true,
                    errors: vec![name("OutOfStock")],
                    schedule: None,
                },
                Command {
                    name: name("OpenInvoice"),
                    aggregate: AggregateId(1),
                    context: ContextId(1),
                    description: None,
                    actors: vec![],
                    fields: vec![],
                    emits: vec![at(EventId(1))],
                    emits_span: Span::default(),
                    creates: true,
                    errors: vec![],
                    schedule: None,
                },
            ],
            events: vec![
                Event {
                    name: name("OrderPlaced"),
                    aggregate: AggregateId(0),
                    context: ContextId(0),
                    description: None,
                    public: true,
                    version: 1,
                    fields: vec![],
                },
                Event {
                    name: name("InvoiceOpened"),
                    aggregate: AggregateId(1),
                    context: ContextId(1),
                    description: None,
                    public: false,
                    version: 2,
                    fields: vec![],
                },
            ],
            policies: vec![Policy {
                name: name("InvoiceOrder"),
                context: ContextId(1),
                description: None,
                on: vec![at(EventId(0))],
                then: Some(at(CommandId(1))),
                key: None,
            }],
            relationships: vec![
                Relationship {
                    kind: at(RelationshipKind::CustomerSupplier),
                    upstream: at(ContextId(0)),
                    downstream: at(ContextId(1)),
                    upstream_roles: vec![at(Role::Pl), at(Role::Ohs), at(Role::Pl)],
                    downstream_roles: vec![],
                    description: None,
                    span: Span::default(),
                },
                Relationship {
                    kind: at(RelationshipKind::Partnership),
                    upstream: at(ContextId(1)),
                    downstream: at(ContextId(0)),
                    upstream_roles: vec![],
                    downstream_roles: vec![],
                    description: None,
                    span: Span::default(),
                },
            ],
            flows: vec![Flow {
                name: name("Buy"),
                description: None,
                steps: vec![
                    at(Step::Command(CommandId(0))),
                    at(Step::Event(EventId(0))),
                    at(Step::Policy(PolicyId(0))),
                ],
            }],
            hotspots: vec![
                Hotspot { text: name("Refunds?"), context: None, on: None, span: Span::default() },
                Hotspot {
                    text: name("Late payers?"),
                    context: Some(ContextId(1)),
                    on: Some(at(Element::Aggregate(AggregateId(1)))),
                    span: Span::default(),
                },
            ],
            ..Model::default()
        }
    }

    #[test]
    fn references_are_qualified_and_defaults_explicit() {
        let json = to_value(&model());
        assert_eq!(json["export_version"], 1);
        assert_eq!(
            json["actors"]["Buyer"],
            serde_json::json!({ "kind": "person", "role": "buyer", "description": null })
        );
        let order = &json["contexts"]["Sales"]["aggregates"]["Order"];
        assert_eq!(order["id"], "uuid");
        assert_eq!(order["fields"]["email"], serde_json::json!({ "type": "string", "pii": true, "description": null }));
        assert_eq!(order["fields"]["lines"]["type"], "list<uuid>");
        let place = &order["commands"]["PlaceOrder"];
        assert_eq!(place["emits"], serde_json::json!(["Sales.OrderPlaced"]));
        assert_eq!(place["fields"]["note"]["type"], "string?");
        assert_eq!(place["errors"], serde_json::json!(["OutOfStock"]));
        assert_eq!(place["schedule"], serde_json::Value::Null);
        assert_eq!(order["events"]["OrderPlaced"]["version"], 1);
        let billing = &json["contexts"]["Billing"];
        assert_eq!(billing["team"], serde_json::Value::Null);
        assert_eq!(billing["policies"]["InvoiceOrder"]["on"], serde_json::json!(["Sales.OrderPlaced"]));
        assert_eq!(billing["policies"]["InvoiceOrder"]["then"], "Billing.OpenInvoice");
        assert_eq!(
            billing["hotspots"],
            serde_json::json!([{ "text": "Late payers?", "on": { "kind": "aggregate", "name": "Billing.Invoice" } }])
        );
        assert_eq!(json["hotspots"], serde_json::json!([{ "text": "Refunds?", "on": null }]));
        assert_eq!(json["lints"], serde_json::json!({ "command-mood": "deny", "event-tense": "allow" }));
        assert_eq!(
            json["flows"]["Buy"]["steps"][2],
            serde_json::json!({ "kind": "policy", "name": "Billing.InvoiceOrder" })
        );
    }

    #[test]
    fn relationships_have_one_shape_per_kind_and_roles_are_a_set() {
        let json = to_value(&model());
        assert_eq!(
            json["relationships"][0],
            serde_json::json!({
                "kind": "customer-supplier", "upstream": "Sales", "downstream": "Billing",
                "upstream_roles": ["OHS", "PL"], "downstream_roles": [], "description": null
            })
        );
        assert_eq!(
            json["relationships"][1],
            serde_json::json!({ "kind": "partnership", "between": ["Billing", "Sales"], "description": null })
        );
    }

    #[test]
    fn the_output_is_deterministic_and_keeps_the_model_order() {
        let text = to_string(&model());
        assert_eq!(text, to_string(&model()));
        assert!(text.ends_with("}\n"));
        // Contexts in the model's order, not sorted: Sales before Billing.
        let sales = text.find("\"Sales\": {").expect("Sales");
        let billing = text.find("\"Billing\": {").expect("Billing");
        assert!(sales < billing);
        // No spans leak into the export.
        assert!(!text.contains("offset") && !text.contains("span"));
    }
}
