//! Lowering: every element of the surface tree into the arenas of the model,
//! with defaults filled in and values read, but references still empty.
//!
//! Ids are handed out in the order of the file, so that arenas, diagnostics
//! and every emitter list elements the way the user wrote them.

use super::{Builder, one_of, sub_span};
use crate::diagnostics::{Code, Diagnostic, Label, Level, suggest};
use crate::model::names::kebab_case;
use crate::model::types::SCALARS;
use crate::model::{
    Actor, ActorKind, Aggregate, AggregateId, Command, CommandId, Context, ContextId, Event, EventId, Field, Flow,
    Hotspot, Policy, PolicyId, ReadModel, ReadModelId, Service, ServiceId, ServiceKind, Type,
};
use crate::syntax::ast;
use crate::syntax::span::Spanned;

/// The types an aggregate's identity may have: they are what every event
/// store and URL path can hold as a key.
const ID_TYPES: [Type; 3] = [Type::Uuid, Type::String, Type::Int];

/// The longest type text a message quotes whole (`list<decimal?>?` is 15).
const QUOTED_TYPE_MAX: usize = 60;

impl<'a> Builder<'a> {
    pub(super) fn lower(&mut self, file: &'a ast::File) {
        self.model.system = file.system.clone().unwrap_or_default();
        self.model.description = text(&file.description);
        self.lints(&file.lints);
        for entry in &file.actors {
            self.actor(entry);
        }
        for hotspot in &file.hotspots {
            self.hotspot(hotspot, None);
        }
        for entry in &file.contexts {
            self.context(entry);
        }
        for entry in &file.flows {
            self.model.flows.push(Flow {
                name: entry.name.clone(),
                description: text(&entry.body.description),
                steps: Vec::new(),
            });
            self.sources.flows.push(&entry.body);
        }
    }

    /// `lints: { code: level }`. Only warnings have levels: an error may be
    /// denied (it already is) but not allowed or lowered.
    fn lints(&mut self, lints: &[ast::Entry<ast::Text>]) {
        for entry in lints {
            let Ok(code) = entry.name.value.parse::<Code>() else {
                let help = suggest::did_you_mean(&entry.name.value, Code::ALL.iter().map(|c| c.as_str()))
                    .unwrap_or_else(|| "`squall explain` lists the rules; a lint is one of the warnings".to_string());
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::Syntax,
                        format!("`{}` is not a rule of squall", entry.name.value),
                        Label::new(entry.name.span, "unknown rule"),
                    )
                    .with_help(help),
                );
                continue;
            };
            let Some(level) = Level::parse(&entry.body.value) else {
                self.choice(&entry.body, "a lint level", &["allow", "warn", "deny"], |s| s);
                continue;
            };
            if !code.is_lint() && level != Level::Deny {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::Syntax,
                        format!("`{code}` is an error and cannot be set to `{}`", entry.body.value),
                        Label::new(entry.body.span, "errors cannot be allowed"),
                    )
                    .with_related(Label::new(entry.name.span, "this rule is an error"))
                    .with_help("remove this entry: only warnings have lint levels; fix what the error reports"),
                );
                continue;
            }
            self.model.lints.push((Spanned::new(code, entry.name.span), level));
        }
    }

    fn actor(&mut self, entry: &ast::Entry<ast::Actor>) {
        let body = &entry.body;
        let kind = body
            .kind
            .as_ref()
            .and_then(|kind| self.choice(kind, "an actor kind", &ActorKind::ALL, ActorKind::as_str))
            .unwrap_or(ActorKind::Person);
        self.model.actors.push(Actor {
            name: entry.name.clone(),
            kind,
            description: text(&body.description),
            role: body.role.as_ref().map_or_else(|| kebab_case(&entry.name.value), |role| role.value.clone()),
        });
    }

    fn context(&mut self, entry: &'a ast::Entry<ast::Context>) {
        let id = ContextId(self.model.contexts.len() as u32);
        let body = &entry.body;
        self.model.contexts.push(Context {
            name: entry.name.clone(),
            team: text(&body.team),
            description: text(&body.description),
            aggregates: Vec::new(),
            policies: Vec::new(),
            read_models: Vec::new(),
            services: Vec::new(),
        });
        for aggregate in &body.aggregates {
            let aggregate = self.aggregate(id, aggregate);
            self.model.contexts[id.index()].aggregates.push(aggregate);
        }
        for policy in &body.policies {
            let policy_id = PolicyId(self.model.policies.len() as u32);
            self.model.policies.push(Policy {
                name: policy.name.clone(),
                context: id,
                description: text(&policy.body.description),
                on: Vec::new(),
                then: None,
                key: policy.body.key.clone(),
            });
            self.sources.policies.push(&policy.body);
            self.model.contexts[id.index()].policies.push(policy_id);
        }
        for read_model in &body.read_models {
            let read_model_id = ReadModelId(self.model.read_models.len() as u32);
            let fields = self.fields(&read_model.body.fields);
            self.model.read_models.push(ReadModel {
                name: read_model.name.clone(),
                context: id,
                description: text(&read_model.body.description),
                from: Vec::new(),
                key: read_model.body.key.clone(),
                fields,
            });
            self.sources.read_models.push(&read_model.body);
            self.model.contexts[id.index()].read_models.push(read_model_id);
        }
        for service in &body.services {
            let service_id = ServiceId(self.model.services.len() as u32);
            // A missing kind is reported by the reader; an API is what a
            // service with commands most often is, and the model must hold
            // some kind to go on checking.
            let kind = service
                .body
                .kind
                .as_ref()
                .and_then(|kind| self.choice(kind, "a service kind", &ServiceKind::ALL, ServiceKind::as_str))
                .unwrap_or(ServiceKind::Api);
            self.model.services.push(Service {
                name: service.name.clone(),
                context: id,
                kind,
                description: text(&service.body.description),
                owns: Vec::new(),
            });
            self.sources.services.push(&service.body);
            self.model.contexts[id.index()].services.push(service_id);
        }
        for hotspot in &body.hotspots {
            self.hotspot(hotspot, Some(id));
        }
    }

    fn aggregate(&mut self, context: ContextId, entry: &'a ast::Entry<ast::Aggregate>) -> AggregateId {
        let id = AggregateId(self.model.aggregates.len() as u32);
        let body = &entry.body;
        let id_type = body.id.as_ref().map_or(Type::Uuid, |written| self.id_type(written));
        let fields = self.fields(&body.fields);
        self.model.aggregates.push(Aggregate {
            name: entry.name.clone(),
            context,
            description: text(&body.description),
            id_type,
            fields,
            commands: Vec::new(),
            events: Vec::new(),
        });
        for command in &body.commands {
            let command_id = self.command(context, id, command);
            self.model.aggregates[id.index()].commands.push(command_id);
        }
        for event in &body.events {
            let event_id = EventId(self.model.events.len() as u32);
            let fields = self.fields(&event.body.fields);
            self.model.events.push(Event {
                name: event.name.clone(),
                aggregate: id,
                context,
                description: text(&event.body.description),
                public: event.body.public.as_ref().is_some_and(|p| p.value),
                version: event.body.version.as_ref().map_or(1, |v| v.value),
                fields,
            });
            self.model.aggregates[id.index()].events.push(event_id);
        }
        id
    }

    fn command(
        &mut self,
        context: ContextId,
        aggregate: AggregateId,
        entry: &'a ast::Entry<ast::Command>,
    ) -> CommandId {
        let id = CommandId(self.model.commands.len() as u32);
        let body = &entry.body;
        let fields = self.fields(&body.fields);
        self.model.commands.push(Command {
            name: entry.name.clone(),
            aggregate,
            context,
            description: text(&body.description),
            actors: Vec::new(),
            fields,
            emits: Vec::new(),
            emits_span: body.emits.as_ref().map_or(entry.name.span, |emits| emits.span),
            creates: body.creates.as_ref().is_some_and(|c| c.value),
            errors: body.errors.as_ref().map(|errors| errors.value.clone()).unwrap_or_default(),
            schedule: body.schedule.clone(),
        });
        self.sources.commands.push(body);
        id
    }

    fn hotspot(&mut self, hotspot: &'a ast::Hotspot, context: Option<ContextId>) {
        self.model.hotspots.push(Hotspot { text: hotspot.text.clone(), context, on: None, span: hotspot.span });
        self.sources.hotspots.push(hotspot);
    }

    fn fields(&mut self, fields: &[ast::Entry<ast::Field>]) -> Vec<Field> {
        fields
            .iter()
            .map(|entry| Field {
                name: entry.name.clone(),
                ty: Spanned::new(self.field_type(&entry.body.ty), entry.body.ty.span),
                pii: entry.body.pii.as_ref().is_some_and(|p| p.value),
                description: text(&entry.body.description),
            })
            .collect()
    }

    /// A field's type; `Type::Unknown` (and `invalid-type`) when it does not
    /// parse, so that the field is still there for the other checks.
    fn field_type(&mut self, written: &ast::Text) -> Type {
        match Type::parse(&written.value) {
            Ok(ty) => ty,
            Err(error) => {
                let mut span = sub_span(written, error.start, error.end);
                if span.len == 0 {
                    span = written.span;
                }
                let help = match &error.suggestion {
                    Some(suggestion) => {
                        let fixed = written
                            .value
                            .get(..error.start)
                            .zip(written.value.get(error.end..))
                            .map(|(before, after)| format!("{before}{suggestion}{after}"))
                            .filter(|fixed| fixed.len() <= QUOTED_TYPE_MAX)
                            .unwrap_or_else(|| suggestion.clone());
                        format!("did you mean `{fixed}`?")
                    }
                    None => types_help(),
                };
                // When the whole text is the problem, the parser's message
                // would only say the same thing twice.
                let whole = written.value.trim();
                let message = if whole.len() > QUOTED_TYPE_MAX {
                    // The label shows where; a message is one line, not a
                    // copy of whatever the file holds.
                    format!("this field type does not parse: {}", error.message)
                } else if written.value.get(error.start..error.end).is_some_and(|part| part == whole) {
                    format!("`{whole}` is not a field type")
                } else {
                    format!("`{}` is not a field type: {}", written.value, error.message)
                };
                self.diagnostics.push(
                    Diagnostic::new(Code::InvalidType, message, Label::new(span, "invalid type")).with_help(help),
                );
                Type::Unknown
            }
        }
    }

    /// An aggregate's `id`: a field type, and one that can be a key.
    fn id_type(&mut self, written: &ast::Text) -> Type {
        let ty = self.field_type(written);
        if ty == Type::Unknown || ID_TYPES.contains(&ty) {
            return ty;
        }
        let names: Vec<String> = ID_TYPES.iter().map(Type::to_string).collect();
        self.diagnostics.push(
            Diagnostic::new(
                Code::InvalidType,
                format!("`{ty}` cannot be the type of an aggregate's id"),
                Label::new(written.span, "not an id type"),
            )
            .with_help(format!("an aggregate's id is {} (the default is `uuid`)", one_of(&names))),
        );
        Type::Unknown
    }
}

/// The help for a type that is not one: every type there is.
fn types_help() -> String {
    let scalars: Vec<String> = SCALARS.iter().map(|s| format!("`{s}`")).collect();
    format!("a field type is one of {}, or `list<T>`; `T?` makes any of them optional", scalars.join(", "))
}

fn text(text: &Option<ast::Text>) -> Option<String> {
    text.as_ref().map(|t| t.value.clone())
}
