//! What the HTML board's panel shows when a sticky is clicked: the
//! element's facts, fields, description, and the elements it is linked to.
//!
//! The links are found from the model's references in both directions
//! (an event knows the commands that emit it and the policies it
//! triggers), through indexes built once, so that the whole table is linear
//! in the size of the model.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::diagram::scene::{Scene, Sticky};
use crate::model::{CommandId, Element, EventId, Field, Model, PolicyId, ReadModelId};

/// Reverse references: who points at an element.
struct Index {
    emitted_by: HashMap<EventId, Vec<CommandId>>,
    triggers: HashMap<EventId, Vec<PolicyId>>,
    feeds: HashMap<EventId, Vec<ReadModelId>>,
    issued_by_policy: HashMap<CommandId, Vec<PolicyId>>,
    issues: HashMap<crate::model::ActorId, Vec<CommandId>>,
}

impl Index {
    fn new(model: &Model) -> Index {
        let mut index = Index {
            emitted_by: HashMap::new(),
            triggers: HashMap::new(),
            feeds: HashMap::new(),
            issued_by_policy: HashMap::new(),
            issues: HashMap::new(),
        };
        for (i, command) in model.commands.iter().enumerate() {
            let id = CommandId(i as u32);
            for event in &command.emits {
                index.emitted_by.entry(event.value).or_default().push(id);
            }
            for actor in &command.actors {
                index.issues.entry(actor.value).or_default().push(id);
            }
        }
        for (i, policy) in model.policies.iter().enumerate() {
            let id = PolicyId(i as u32);
            for event in &policy.on {
                index.triggers.entry(event.value).or_default().push(id);
            }
            if let Some(then) = &policy.then {
                index.issued_by_policy.entry(then.value).or_default().push(id);
            }
        }
        for (i, read_model) in model.read_models.iter().enumerate() {
            for event in &read_model.from {
                index.feeds.entry(event.value).or_default().push(ReadModelId(i as u32));
            }
        }
        index
    }
}

/// The details of every element on the scene, keyed by `data-element`.
pub fn table(model: &Model, scene: &Scene) -> Value {
    let index = Index::new(model);
    let mut table = Map::new();
    for node in &scene.nodes {
        if table.contains_key(&node.key) {
            continue;
        }
        let entry = match node.element {
            Some(element) => details(model, &index, element),
            None => json!({
                "kind": node.sticky.as_str(),
                "name": if node.sticky == Sticky::Hotspot { "Hot spot" } else { node.title.as_str() },
                "description": node.title,
                "links": scene
                    .links
                    .iter()
                    .filter(|l| scene.nodes[l.from].key == node.key)
                    .map(|l| link("about", &scene.nodes[l.to].key))
                    .collect::<Vec<_>>(),
            }),
        };
        table.insert(node.key.clone(), entry);
    }
    Value::Object(table)
}

fn link(relation: &str, key: &str) -> Value {
    json!({ "relation": relation, "element": key })
}

fn fields(fields: &[Field]) -> Value {
    fields
        .iter()
        .map(|f| {
            json!({
                "name": f.name.value,
                "type": f.ty.value.to_string(),
                "pii": f.pii,
                "description": f.description,
            })
        })
        .collect()
}

fn details(model: &Model, index: &Index, element: Element) -> Value {
    let name = |e: Element| model.qualified_name(e);
    let mut facts: Vec<(&str, String)> = Vec::new();
    let mut links: Vec<Value> = Vec::new();
    let mut field_list = Value::Array(Vec::new());
    let description = match element {
        Element::Actor(id) => {
            let actor = &model[id];
            facts.push(("kind", actor.kind.as_str().into()));
            facts.push(("role", actor.role.clone()));
            for &c in index.issues.get(&id).into_iter().flatten() {
                links.push(link("issues", &name(Element::Command(c))));
            }
            actor.description.clone()
        }
        Element::Context(id) => {
            let context = &model[id];
            if let Some(team) = &context.team {
                facts.push(("team", team.clone()));
            }
            for relationship in &model.relationships {
                let (up, down) = (relationship.upstream.value, relationship.downstream.value);
                let kind = relationship.kind.value.as_str();
                if up == id {
                    links.push(link(&format!("upstream of ({kind})"), &name(Element::Context(down))));
                } else if down == id {
                    links.push(link(&format!("downstream of ({kind})"), &name(Element::Context(up))));
                }
            }
            context.description.clone()
        }
        Element::Aggregate(id) => {
            let aggregate = &model[id];
            facts.push(("id", aggregate.id_type.to_string()));
            field_list = fields(&aggregate.fields);
            links.extend(aggregate.commands.iter().map(|&c| link("handles", &name(Element::Command(c)))));
            links.extend(aggregate.events.iter().map(|&e| link("records", &name(Element::Event(e)))));
            aggregate.description.clone()
        }
        Element::Command(id) => {
            let command = &model[id];
            if command.creates {
                facts.push(("creates", "a new aggregate".into()));
            }
            if let Some(schedule) = &command.schedule {
                facts.push(("schedule", schedule.value.clone()));
            }
            if !command.errors.is_empty() {
                let errors: Vec<&str> = command.errors.iter().map(|e| e.value.as_str()).collect();
                facts.push(("errors", errors.join(", ")));
            }
            field_list = fields(&command.fields);
            links.extend(command.actors.iter().map(|a| link("issued by", &name(Element::Actor(a.value)))));
            for &p in index.issued_by_policy.get(&id).into_iter().flatten() {
                links.push(link("issued by", &name(Element::Policy(p))));
            }
            links.push(link("handled by", &name(Element::Aggregate(command.aggregate))));
            links.extend(command.emits.iter().map(|e| link("emits", &name(Element::Event(e.value)))));
            command.description.clone()
        }
        Element::Event(id) => {
            let event = &model[id];
            facts.push(("visibility", if event.public { "public" } else { "private" }.into()));
            facts.push(("version", event.version.to_string()));
            field_list = fields(&event.fields);
            for &c in index.emitted_by.get(&id).into_iter().flatten() {
                links.push(link("emitted by", &name(Element::Command(c))));
            }
            links.push(link("of", &name(Element::Aggregate(event.aggregate))));
            for &p in index.triggers.get(&id).into_iter().flatten() {
                links.push(link("triggers", &name(Element::Policy(p))));
            }
            for &r in index.feeds.get(&id).into_iter().flatten() {
                links.push(link("feeds", &name(Element::ReadModel(r))));
            }
            event.description.clone()
        }
        Element::Policy(id) => {
            let policy = &model[id];
            if let Some(key) = &policy.key {
                facts.push(("key", key.value.clone()));
            }
            links.extend(policy.on.iter().map(|e| link("on", &name(Element::Event(e.value)))));
            if let Some(then) = &policy.then {
                links.push(link("then", &name(Element::Command(then.value))));
            }
            policy.description.clone()
        }
        Element::ReadModel(id) => {
            let read_model = &model[id];
            if let Some(key) = &read_model.key {
                facts.push(("key", key.value.clone()));
            }
            field_list = fields(&read_model.fields);
            links.extend(read_model.from.iter().map(|e| link("from", &name(Element::Event(e.value)))));
            read_model.description.clone()
        }
    };
    let context = model.element_context(element).map(|c| model[c].name.value.clone());
    json!({
        "kind": kind_name(element, model),
        "name": model.element_name(element),
        "context": context,
        "description": description,
        "facts": facts.into_iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "fields": field_list,
        "links": links,
    })
}

fn kind_name(element: Element, model: &Model) -> &'static str {
    match element {
        Element::Actor(id) if model[id].kind == crate::model::ActorKind::External => Sticky::External.as_str(),
        Element::Actor(_) => Sticky::Actor.as_str(),
        Element::Context(_) => "bounded context",
        Element::Aggregate(_) => Sticky::Aggregate.as_str(),
        Element::Command(_) => Sticky::Command.as_str(),
        Element::Event(_) => Sticky::Event.as_str(),
        Element::Policy(_) => Sticky::Policy.as_str(),
        Element::ReadModel(_) => Sticky::ReadModel.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagram::{Kind, fixture, scene};

    #[test]
    fn links_run_both_ways() {
        let model = fixture::payments();
        let table = table(&model, &scene(&model, Kind::Board, &[]));
        let completed = &table["Transactions.PaymentCompleted"];
        let links: Vec<String> = completed["links"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| format!("{} {}", l["relation"].as_str().unwrap_or(""), l["element"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(
            links,
            [
                "emitted by Transactions.CompletePayment",
                "of Transactions.Payment",
                "triggers Billing.BillCompletedPayment",
                "feeds Billing.MerchantBalance"
            ]
        );
        assert_eq!(table["Transactions.hotspot-1"]["kind"], "hot spot");
        assert_eq!(table["Clock"]["facts"][0], json!(["kind", "timer"]));
    }
}
