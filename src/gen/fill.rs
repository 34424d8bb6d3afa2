//! Field-filling plans of the scaffold: how the default decisions and
//! policies (the user-owned files `squall gen` creates once) fill the fields
//! of what they produce, decided here rather than in templates.
//!
//! - A command's default decision emits its first event. Each field of the
//!   event comes from the command field of the same name and a compatible
//!   type, else from the state field of that name, else, for a field named
//!   `<aggregate>_id` of the aggregate's id type, from the aggregate's id;
//!   whatever is left gets its type's default, and the code says so.
//! - The default evolve copies each event field into the state field of the
//!   same name and a compatible type.
//! - A policy's default mapping fills each command field from the event
//!   field of that name, else (`<event aggregate>_id`) from the id of the
//!   event's aggregate, else with the type's default.
//!
//! "Compatible" means the same type, or an optional of it on the receiving
//! side (`T` fills `T?`).

use crate::model::names::snake_case;
use crate::model::{AggregateId, CommandId, EventId, Field, Model, Type};

use super::rust;

/// How a value of one type becomes a value of another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversion {
    Same,
    /// `T` into `T?`.
    Some,
}

/// Whether a `source` value can fill a `target` field.
pub fn conversion(target: &Type, source: &Type) -> Option<Conversion> {
    if target == source {
        Some(Conversion::Same)
    } else if matches!(target, Type::Optional(inner) if **inner == *source) {
        Some(Conversion::Some)
    } else {
        None
    }
}

/// Where one field's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The field of the same name of the command (or, for a policy, of the
    /// event).
    Input(Conversion),
    /// The state field of the same name.
    State(Conversion),
    /// The id of the aggregate (for a policy: of the event's aggregate).
    AggregateId(IdParse, Conversion),
    /// Nothing fills it: the type's default.
    Default,
}

/// How an aggregate id (text) becomes a field value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdParse {
    Uuid,
    Int,
    Text,
}

impl IdParse {
    /// How an id of this type is read, if it can be.
    pub fn of(ty: &Type) -> Option<IdParse> {
        match ty {
            Type::Uuid => Some(IdParse::Uuid),
            Type::Int => Some(IdParse::Int),
            Type::String => Some(IdParse::Text),
            _ => None,
        }
    }

    /// The expression turning `id` (an `&AggregateId`) into the value.
    fn expression(self, id: &str) -> String {
        match self {
            IdParse::Uuid => format!("::squall_runtime::uuid::Uuid::parse_str({id}.as_str()).unwrap_or_default()"),
            IdParse::Int => format!("{id}.as_str().parse::<i64>().unwrap_or_default()"),
            IdParse::Text => format!("{id}.to_string()"),
        }
    }
}

/// One field of a value the scaffold builds.
#[derive(Clone, Debug)]
pub struct FieldFill {
    pub name: String,
    pub ty: Type,
    pub source: Source,
}

impl FieldFill {
    /// The Rust expression, given the names of the input, the state and the
    /// id in scope.
    pub fn expression(&self, input: &str, state: &str, id: &str) -> String {
        let read = |from: &str, conversion: Conversion| {
            let value = format!("{from}.{}", self.name);
            let value = if rust::is_copy(self.ty.required()) || rust::is_copy(&self.ty) {
                value
            } else {
                format!("{value}.clone()")
            };
            wrap(value, conversion)
        };
        match &self.source {
            Source::Input(c) => read(input, *c),
            Source::State(c) => read(state, *c),
            Source::AggregateId(parse, c) => wrap(parse.expression(id), *c),
            Source::Default => "Default::default()".into(),
        }
    }

    /// What the generated code says about the field.
    pub fn comment(&self, input_kind: &str) -> String {
        match &self.source {
            Source::Input(_) => format!("from the {input_kind}"),
            Source::State(_) => "from the state".into(),
            Source::AggregateId(..) => "the aggregate's id".into(),
            Source::Default => format!("not filled: no {input_kind} or state field `{}` of this type", self.name),
        }
    }
}

fn wrap(value: String, conversion: Conversion) -> String {
    match conversion {
        Conversion::Same => value,
        Conversion::Some => format!("Some({value})"),
    }
}

fn find<'f>(fields: &'f [Field], name: &str) -> Option<&'f Field> {
    fields.iter().find(|f| f.name.value == name)
}

/// The id-field name of an aggregate: `merchant_id` for `Merchant`.
pub fn id_field(model: &Model, aggregate: AggregateId) -> String {
    format!("{}_id", snake_case(&model[aggregate].name))
}

/// The default decision of a command: its first event and how each field of
/// it is filled. `None` when the command emits nothing (not in a checked
/// model).
pub fn decision(model: &Model, command: CommandId) -> Option<(EventId, Vec<FieldFill>)> {
    let command = &model[command];
    let event = command.emits.first()?.value;
    let aggregate = &model[command.aggregate];
    // Needed only for a field neither the command nor the state fills.
    let own_id = std::cell::OnceCell::new();
    let fills = model[event]
        .fields
        .iter()
        .map(|field| {
            let ty = &field.ty.value;
            let name = &field.name.value;
            let source = if let Some(c) = find(&command.fields, name).and_then(|f| conversion(ty, &f.ty.value)) {
                Source::Input(c)
            } else if let Some(c) = find(&aggregate.fields, name).and_then(|f| conversion(ty, &f.ty.value)) {
                Source::State(c)
            } else if let Some(fill) =
                id_fill(name, own_id.get_or_init(|| id_field(model, command.aggregate)), ty, &aggregate.id_type)
            {
                fill
            } else {
                Source::Default
            };
            FieldFill { name: name.clone(), ty: ty.clone(), source }
        })
        .collect();
    Some((event, fills))
}

fn id_fill(name: &str, id_field: &str, target: &Type, id_type: &Type) -> Option<Source> {
    if name != id_field {
        return None;
    }
    let parse = IdParse::of(id_type)?;
    conversion(target, id_type).map(|c| Source::AggregateId(parse, c))
}

/// The default evolve of an event: (state field, event field, conversion).
pub fn evolution(model: &Model, event: EventId) -> Vec<FieldFill> {
    let event = &model[event];
    let aggregate = &model[event.aggregate];
    aggregate
        .fields
        .iter()
        .filter_map(|state| {
            let source = find(&event.fields, &state.name.value)?;
            let c = conversion(&state.ty.value, &source.ty.value)?;
            Some(FieldFill { name: state.name.value.clone(), ty: state.ty.value.clone(), source: Source::Input(c) })
        })
        .collect()
}

/// The default mapping of a policy from an event to its command's fields.
pub fn reaction(model: &Model, event: EventId, command: CommandId) -> Vec<FieldFill> {
    let event = &model[event];
    let event_id_field = id_field(model, event.aggregate);
    let event_id_type = &model[event.aggregate].id_type;
    model[command]
        .fields
        .iter()
        .map(|field| {
            let ty = &field.ty.value;
            let name = &field.name.value;
            let source = if let Some(c) = find(&event.fields, name).and_then(|f| conversion(ty, &f.ty.value)) {
                Source::Input(c)
            } else if let Some(fill) = id_fill(name, &event_id_field, ty, event_id_type) {
                fill
            } else {
                Source::Default
            };
            FieldFill { name: name.clone(), ty: ty.clone(), source }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let t = |s: &str| Type::parse(s).unwrap();
        assert_eq!(conversion(&t("string"), &t("string")), Some(Conversion::Same));
        assert_eq!(conversion(&t("string?"), &t("string")), Some(Conversion::Some));
        assert_eq!(conversion(&t("string"), &t("string?")), None);
        assert_eq!(conversion(&t("int"), &t("string")), None);
    }

    #[test]
    fn expressions_clone_only_what_is_not_copy() {
        let fill = |ty: &str, source| FieldFill { name: "f".into(), ty: Type::parse(ty).unwrap(), source };
        assert_eq!(
            fill("string", Source::Input(Conversion::Same)).expression("command", "state", "id"),
            "command.f.clone()"
        );
        assert_eq!(
            fill("uuid?", Source::State(Conversion::Some)).expression("command", "state", "id"),
            "Some(state.f)"
        );
        assert_eq!(fill("int", Source::Default).expression("c", "s", "i"), "Default::default()");
        assert_eq!(
            fill("string", Source::AggregateId(IdParse::Text, Conversion::Same)).expression("c", "s", "id"),
            "id.to_string()"
        );
    }
}
