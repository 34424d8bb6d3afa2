//! Lowering: every element of the surface tree into the arenas of the model,
//! with defaults filled in and values read, but references still empty.
//!
//! Ids are handed out in the order of the file, so that arenas, diagnostics
//! and every emitter list elements the way the user wrote them.

use super::{Builder, CommandReferences, PolicyReferences, one_of, sub_span};
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

impl Builder {
    /// Lowers what the file holds besides the contexts handed over before
    /// (see [`Builder::context`]).
    pub(super) fn lower(&mut self, file: ast::File) {
        for entry in file.contexts {
            self.lower_context(entry);
        }
        self.model.system = file.system.unwrap_or_default();
        self.model.description = text(file.description);
        self.lints(&file.lints);
        for entry in file.actors {
            self.actor(entry);
        }
        // The system's own hot spots come before those of the contexts,
        // lowered already.
        let in_contexts = std::mem::take(&mut self.model.hotspots);
        let in_contexts_on = std::mem::take(&mut self.sources.hotspots);
        for hotspot in file.hotspots {
            self.hotspot(hotspot, None);
        }
        self.model.hotspots.extend(in_contexts);
        self.sources.hotspots.extend(in_contexts_on);
        for entry in file.flows {
            self.model.flows.push(Flow {
                name: entry.name,
                description: text(entry.body.description),
                steps: Vec::new(),
            });
            self.sources.flows.push(entry.body.steps);
        }
        self.sources.relationships = file.relationships;
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

    fn actor(&mut self, entry: ast::Entry<ast::Actor>) {
        let body = entry.body;
        let kind = body
            .kind
            .as_ref()
            .and_then(|kind| self.choice(kind, "an actor kind", &ActorKind::ALL, ActorKind::as_str))
            .unwrap_or(ActorKind::Person);
        let role = body.role.map_or_else(|| kebab_case(&entry.name.value), |role| role.value);
        self.model.actors.push(Actor { name: entry.name, kind, description: text(body.description), role });
    }

    pub(super) fn lower_context(&mut self, entry: ast::Entry<ast::Context>) {
        let id = ContextId(self.model.contexts.len() as u32);
        let body = entry.body;
        self.model.contexts.push(Context {
            name: entry.name,
            team: text(body.team),
            description: text(body.description),
            aggregates: Vec::new(),
            policies: Vec::new(),
            read_models: Vec::new(),
            services: Vec::new(),
        });
        for aggregate in body.aggregates {
            let aggregate = self.aggregate(id, aggregate);
            self.model.contexts[id.index()].aggregates.push(aggregate);
        }
        for policy in body.policies {
            let policy_id = PolicyId(self.model.policies.len() as u32);
            let written = policy.body;
            self.model.policies.push(Policy {
                name: policy.name,
                context: id,
                description: text(written.description),
                on: Vec::new(),
                then: None,
                key: written.key,
            });
            let on = self.sources.packed.pack(written.on);
            self.sources.policies.push(PolicyReferences { on, then: written.then });
            self.model.contexts[id.index()].policies.push(policy_id);
        }
        for read_model in body.read_models {
            let read_model_id = ReadModelId(self.model.read_models.len() as u32);
            let written = read_model.body;
            let fields = self.fields(written.fields);
            self.model.read_models.push(ReadModel {
                name: read_model.name,
                context: id,
                description: text(written.description),
                from: Vec::new(),
                key: written.key,
                fields,
            });
            let from = self.sources.packed.pack(written.from);
            self.sources.read_models.push(from);
            self.model.contexts[id.index()].read_models.push(read_model_id);
        }
        for service in body.services {
            let service_id = ServiceId(self.model.services.len() as u32);
            let written = service.body;
            // A missing kind is reported by the reader; an API is what a
            // service with commands most often is, and the model must hold
            // some kind to go on checking.
            let kind = written
                .kind
                .as_ref()
                .and_then(|kind| self.choice(kind, "a service kind", &ServiceKind::ALL, ServiceKind::as_str))
                .unwrap_or(ServiceKind::Api);
            self.model.services.push(Service {
                name: service.name,
                context: id,
                kind,
                description: text(written.description),
                owns: Vec::new(),
            });
            self.sources.services.push(written.owns);
            self.model.contexts[id.index()].services.push(service_id);
        }
        for hotspot in body.hotspots {
            self.hotspot(hotspot, Some(id));
        }
    }

    fn aggregate(&mut self, context: ContextId, entry: ast::Entry<ast::Aggregate>) -> AggregateId {
        let id = AggregateId(self.model.aggregates.len() as u32);
        let body = entry.body;
        let id_type = body.id.as_ref().map_or(Type::Uuid, |written| self.id_type(written));
        let fields = self.fields(body.fields);
        self.model.aggregates.push(Aggregate {
            name: entry.name,
            context,
            description: text(body.description),
            id_type,
            fields,
            commands: Vec::new(),
            events: Vec::new(),
        });
        for command in body.commands {
            let command_id = self.command(context, id, command);
            self.model.aggregates[id.index()].commands.push(command_id);
        }
        for event in body.events {
            let event_id = EventId(self.model.events.len() as u32);
            let written = event.body;
            let fields = self.fields(written.fields);
            self.model.events.push(Event {
                name: event.name,
                aggregate: id,
                context,
                description: text(written.description),
                public: written.public.is_some_and(|p| p.value),
                version: written.version.map_or(1, |v| v.value),
                fields,
            });
            self.model.aggregates[id.index()].events.push(event_id);
        }
        id
    }

    fn command(&mut self, context: ContextId, aggregate: AggregateId, entry: ast::Entry<ast::Command>) -> CommandId {
        let id = CommandId(self.model.commands.len() as u32);
        let body = entry.body;
        let fields = self.fields(body.fields);
        self.model.commands.push(Command {
            emits_span: body.emits.as_ref().map_or(entry.name.span, |emits| emits.span),
            name: entry.name,
            aggregate,
            context,
            description: text(body.description),
            actors: Vec::new(),
            fields,
            emits: Vec::new(),
            creates: body.creates.is_some_and(|c| c.value),
            errors: body.errors.map(|errors| errors.value).unwrap_or_default(),
            schedule: body.schedule,
        });
        let actors = self.sources.packed.pack(body.actors);
        let emits = self.sources.packed.pack(body.emits);
        self.sources.commands.push(CommandReferences { actors, emits });
        id
    }

    fn hotspot(&mut self, hotspot: ast::Hotspot, context: Option<ContextId>) {
        self.model.hotspots.push(Hotspot { text: hotspot.text, context, on: None, span: hotspot.span });
        self.sources.hotspots.push(hotspot.on);
    }

    fn fields(&mut self, fields: Vec<ast::Entry<ast::Field>>) -> Vec<Field> {
        // A new list of exactly their number: collected in place, the
        // fields would keep the surface list's buffer, sized for its larger
        // entries, and a large model would spread over that much more memory.
        let mut lowered = Vec::with_capacity(fields.len());
        for entry in fields {
            lowered.push(Field {
                ty: Spanned::new(self.field_type(&entry.body.ty), entry.body.ty.span),
                name: entry.name,
                pii: entry.body.pii.is_some_and(|p| p.value),
                description: text(entry.body.description),
            });
        }
        lowered
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

fn text(text: Option<ast::Text>) -> Option<String> {
    text.map(|t| t.value)
}
