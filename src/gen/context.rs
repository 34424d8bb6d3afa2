//! The crate of one bounded context: `contexts/<context>/`.
//!
//! Each function builds the view of one kind of file from the model and the
//! [`Plan`]'s names, and renders it; the logic lives here (and in
//! [`fill`](super::fill)), the templates only lay the text out.

use std::collections::BTreeMap;

use serde::Serialize;

use super::fill::{self, FieldFill, Source};
use super::plan::Plan;
use super::rust::{doc_lines, rust_type, string_literal, uses_decimal};
use super::templates::render;
use super::{GenError, Output};
use crate::model::{AggregateId, CommandId, ContextId, EventId, Field, Model, PolicyId, Type};

#[derive(Serialize)]
pub(super) struct FieldView {
    name: String,
    ty: String,
    doc: Vec<String>,
    literal: String,
}

pub(super) fn field_view(field: &Field) -> FieldView {
    let mut doc = field.description.as_deref().map(doc_lines).unwrap_or_default();
    if field.pii {
        doc.push("Personal data (`pii`).".into());
    }
    FieldView {
        name: field.name.value.clone(),
        ty: rust_type(&field.ty.value),
        doc,
        literal: string_literal(&field.name.value),
    }
}

fn docs(text: &Option<String>) -> Vec<String> {
    text.as_deref().map(doc_lines).unwrap_or_default()
}

/// `"A", "B"`: string literals joined for a Rust slice.
fn literals<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().map(string_literal).collect::<Vec<_>>().join(", ")
}

/// `A, B and C`.
fn english_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whether the context's crate needs `rust_decimal`.
fn context_uses_decimal(model: &Model, context: ContextId, upstream: &BTreeMap<ContextId, Vec<EventId>>) -> bool {
    let any = |fields: &[Field]| fields.iter().any(|f| uses_decimal(&f.ty.value));
    model[context].aggregates.iter().any(|&a| {
        let aggregate = &model[a];
        any(&aggregate.fields)
            || aggregate.commands.iter().any(|&c| any(&model[c].fields))
            || aggregate.events.iter().any(|&e| any(&model[e].fields))
    }) || upstream.values().flatten().any(|&e| any(&model[e].fields))
}

/// The public events of other contexts that this context's policies and
/// read models consume, by source context, in model order.
pub(super) fn upstream_events(model: &Model, context: ContextId) -> BTreeMap<ContextId, Vec<EventId>> {
    let mut upstream: BTreeMap<ContextId, Vec<EventId>> = BTreeMap::new();
    let consumed = model[context]
        .policies
        .iter()
        .flat_map(|&p| model[p].on.iter().map(|e| e.value))
        .chain(model[context].read_models.iter().flat_map(|&r| model[r].from.iter().map(|e| e.value)));
    for event in consumed {
        let source = model[event].context;
        if source != context {
            let events = upstream.entry(source).or_default();
            if !events.contains(&event) {
                events.push(event);
            }
        }
    }
    upstream
}

/// The Rust path of an event's struct as seen from `context`'s crate.
fn event_path(model: &Model, plan: &Plan, context: ContextId, event: EventId) -> String {
    let e = &model[event];
    if e.context == context {
        format!("crate::aggregates::{}::events::{}", plan.aggregate(e.aggregate).ident, e.name.value)
    } else {
        format!("crate::upstream::{}::{}", plan.context(e.context).ident, e.name.value)
    }
}

/// Every file of the context's crate; `routes` are the context's [`routes`].
pub(super) fn emit(
    model: &Model,
    plan: &Plan,
    context: ContextId,
    routes: &Routes,
    out: &mut Output,
) -> Result<(), GenError> {
    let names = plan.context(context);
    let dir = names.dir();
    let upstream = upstream_events(model, context);
    let ctx = &model[context];

    #[derive(Serialize)]
    struct CargoView<'a> {
        package: String,
        crate_name: String,
        context: &'a str,
        decimal: bool,
    }
    out.toml(
        format!("{dir}/Cargo.toml"),
        render(
            "context/Cargo.toml",
            &CargoView {
                package: names.package(),
                crate_name: names.crate_name(),
                context: &ctx.name.value,
                decimal: context_uses_decimal(model, context, &upstream),
            },
        )?,
    )?;
    out.rust(format!("{dir}/src/lib.rs"), lib(model, plan, context)?)?;
    out.rust(format!("{dir}/src/http.rs"), http(model, plan, context, routes)?)?;
    out.rust(format!("{dir}/src/read_models.rs"), read_models(model, plan, context)?)?;
    out.rust(format!("{dir}/src/upstream.rs"), upstream_file(model, plan, context, &upstream)?)?;

    let aggregate_modules: Vec<ModuleView> =
        ctx.aggregates.iter().map(|&a| ModuleView { ident: plan.aggregate(a).ident.clone(), doc: None }).collect();
    let policy_modules: Vec<ModuleView> =
        ctx.policies.iter().map(|&p| ModuleView { ident: plan.policies[p.index()].ident.clone(), doc: None }).collect();
    out.rust(
        format!("{dir}/src/aggregates/mod.rs"),
        modules(
            &format!("The aggregates of the {} context, generated from the model.", ctx.name.value),
            &aggregate_modules,
        )?,
    )?;
    out.rust(
        format!("{dir}/src/decisions/mod.rs"),
        modules(
            &format!("The decisions of the {} context's aggregates: each module is yours.", ctx.name.value),
            &aggregate_modules,
        )?,
    )?;
    out.rust(
        format!("{dir}/src/reactions/mod.rs"),
        modules(
            &format!("The policies of the {} context, as the runtime runs them.", ctx.name.value),
            &policy_modules,
        )?,
    )?;
    out.rust(
        format!("{dir}/src/policies/mod.rs"),
        modules(
            &format!("The policies of the {} context, from event to command: each module is yours.", ctx.name.value),
            &policy_modules,
        )?,
    )?;
    for &a in &ctx.aggregates {
        let ident = &plan.aggregate(a).ident;
        out.rust(format!("{dir}/src/aggregates/{ident}.rs"), aggregate(model, plan, a)?)?;
        out.user(format!("{dir}/src/decisions/{ident}.rs"), decision(model, plan, a)?)?;
    }
    for &p in &ctx.policies {
        let ident = &plan.policies[p.index()].ident;
        out.rust(format!("{dir}/src/reactions/{ident}.rs"), reaction(model, plan, p)?)?;
        out.user(format!("{dir}/src/policies/{ident}.rs"), policy(model, plan, p)?)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct ModuleView {
    ident: String,
    doc: Option<String>,
}

fn modules(about: &str, modules: &[ModuleView]) -> Result<String, GenError> {
    #[derive(Serialize)]
    struct View<'a> {
        about: &'a str,
        modules: &'a [ModuleView],
    }
    render("context/modules.rs", &View { about, modules })
}

// ---- aggregates ---------------------------------------------------------

#[derive(Serialize)]
struct MessageView {
    name: String,
    doc: Vec<String>,
    fields: Vec<FieldView>,
}

#[derive(Serialize)]
struct ErrorView {
    name: String,
    commands: String,
    literal: String,
}

/// `A`, `A or B`, `A, B or C`: the events a command may emit.
fn command_names(model: &Model, ids: impl IntoIterator<Item = EventId>) -> String {
    let names: Vec<String> = ids.into_iter().map(|e| model[e].name.value.clone()).collect();
    english_list(&names).replacen(" and ", " or ", usize::from(names.len() > 1))
}

/// The errors of an aggregate's commands, each once, in order of appearance.
fn aggregate_errors(model: &Model, aggregate: AggregateId) -> Vec<ErrorView> {
    let mut errors: Vec<(String, Vec<String>)> = Vec::new();
    for &c in &model[aggregate].commands {
        for error in &model[c].errors {
            match errors.iter_mut().find(|(name, _)| *name == error.value) {
                Some((_, commands)) => commands.push(model[c].name.value.clone()),
                None => errors.push((error.value.clone(), vec![model[c].name.value.clone()])),
            }
        }
    }
    errors
        .into_iter()
        .map(|(name, commands)| ErrorView { literal: string_literal(&name), name, commands: english_list(&commands) })
        .collect()
}

/// A state schema version that changes whenever the state's fields do
/// (FNV-1a over names and types), so stale snapshots are not used.
fn state_version(fields: &[Field]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for field in fields {
        for byte in field.name.value.bytes().chain([b':']).chain(field.ty.value.to_string().bytes()).chain([b';']) {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    // Version 0 would read as "never versioned".
    hash.max(1)
}

fn event_view(model: &Model, e: EventId) -> MessageView {
    let event = &model[e];
    MessageView {
        name: event.name.value.clone(),
        doc: docs(&event.description),
        fields: event.fields.iter().map(field_view).collect(),
    }
}

/// The blocks of a file that repeat once per element, written here rather
/// than looped over in the template: a template loop costs a lookup and a
/// conversion per variable, and these are the files there are thousands of.
#[derive(Default, Serialize)]
struct Blocks(BTreeMap<&'static str, String>);

impl Blocks {
    fn push(&mut self, block: &'static str, text: std::fmt::Arguments<'_>) {
        use std::fmt::Write;
        // Writing into a String cannot fail.
        let _ = self.0.entry(block).or_default().write_fmt(text);
    }

    /// Makes sure a block exists even when nothing was pushed to it.
    fn declare(&mut self, blocks: &[&'static str]) {
        for block in blocks {
            self.0.entry(block).or_default();
        }
    }
}

/// A field's doc comment and declaration, at an indentation.
fn field_declaration(out: &mut String, indent: &str, field: &Field) {
    use std::fmt::Write;
    // Writing into a String cannot fail.
    for line in field.description.as_deref().map(doc_lines).unwrap_or_default() {
        let _ = write!(out, "\n{indent}/// {line}");
    }
    if field.pii {
        let _ = write!(out, "\n{indent}/// Personal data (`pii`).");
    }
    let _ = write!(out, "\n{indent}pub {}: {},", field.name.value, rust_type(&field.ty.value));
}

/// The struct of a command or an event: its doc comment (the name and
/// `note`, then the description), then a field a line.
fn message_struct(out: &mut String, name: &str, note: &str, description: &Option<String>, fields: &[Field]) {
    use std::fmt::Write;
    let _ = write!(out, "\n\n    /// {name}{note}.");
    for line in docs(description) {
        let _ = write!(out, "\n    /// {line}");
    }
    let _ = write!(
        out,
        "\n    #[derive(Clone, Debug, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]\n    pub struct {name} {{"
    );
    for field in fields {
        field_declaration(out, "        ", field);
    }
    out.push_str("\n    }");
}

/// The blocks of an aggregate's module that repeat once per command, event,
/// error or field, written here rather than looped over in the template: a
/// template loop costs a lookup and a conversion per variable, and there is
/// one such module per aggregate.
#[derive(Default, Serialize)]
struct AggregateBlocks {
    command_structs: String,
    event_structs: String,
    state_fields: String,
    command_variants: String,
    event_variants: String,
    error_variants: String,
    display_arms: String,
    decide_methods: String,
    command_type_arms: String,
    is_creation_arms: String,
    event_type_arms: String,
    schema_version_arms: String,
    is_public_arms: String,
    decide_arms: String,
}

fn aggregate(model: &Model, plan: &Plan, a: AggregateId) -> Result<String, GenError> {
    use std::fmt::Write;
    let aggregate = &model[a];
    let context = &model[aggregate.context];
    #[derive(Serialize)]
    struct View<'a> {
        context: &'a str,
        aggregate: &'a str,
        ident: &'a str,
        doc: Vec<String>,
        commands: bool,
        events: bool,
        errors: bool,
        state_version: u32,
        context_literal: String,
        aggregate_literal: String,
        #[serde(flatten)]
        blocks: AggregateBlocks,
    }
    let errors = aggregate_errors(model, a);
    let mut b = AggregateBlocks::default();
    // Writing into a String cannot fail.
    for &c in &aggregate.commands {
        let command = &model[c];
        let name = &command.name.value;
        let note = if command.creates { " (creates the aggregate)" } else { "" };
        message_struct(&mut b.command_structs, name, note, &command.description, &command.fields);
        let _ = write!(b.command_variants, "\n    {name}(commands::{name}),");
        let errors = english_list(&command.errors.iter().map(|e| e.value.clone()).collect::<Vec<_>>());
        let fails = if errors.is_empty() { String::new() } else { format!("; may fail with {errors}") };
        let ident = &plan.commands[c.index()].ident;
        let _ = write!(
            b.decide_methods,
            "\n    /// {name}: emits {}{fails}.\n    fn {ident}(state: &State, id: &AggregateId, command: &commands::{name}) -> Result<Vec<Event>, Error>;",
            command_names(model, command.emits.iter().map(|e| e.value)),
        );
        let _ = write!(b.command_type_arms, "\n            Command::{name}(_) => {},", string_literal(name));
        let _ = write!(b.is_creation_arms, "\n            Command::{name}(_) => {},", command.creates);
        let _ = write!(
            b.decide_arms,
            "\n            Command::{name}(command) => <Root as Decide>::{ident}(state, id, command),"
        );
    }
    for &e in &aggregate.events {
        let event = &model[e];
        let name = &event.name.value;
        let note = if event.public { " (public: published to other contexts)" } else { "" };
        message_struct(&mut b.event_structs, name, note, &event.description, &event.fields);
        let _ = write!(b.event_variants, "\n    {name}(events::{name}),");
        let _ = write!(b.event_type_arms, "\n            Event::{name}(_) => {},", string_literal(name));
        let _ = write!(b.schema_version_arms, "\n            Event::{name}(_) => {},", event.version);
        let _ = write!(b.is_public_arms, "\n            Event::{name}(_) => {},", event.public);
    }
    for field in &aggregate.fields {
        field_declaration(&mut b.state_fields, "    ", field);
    }
    for e in &errors {
        let _ = write!(b.error_variants, "\n    /// Returned by {}.\n    {},", e.commands, e.name);
        let _ = write!(b.display_arms, "\n            Error::{} => {},", e.name, e.literal);
    }
    render(
        "context/aggregate.rs",
        &View {
            context: &context.name.value,
            aggregate: &aggregate.name.value,
            ident: &plan.aggregate(a).ident,
            doc: docs(&aggregate.description),
            commands: !aggregate.commands.is_empty(),
            events: !aggregate.events.is_empty(),
            errors: !errors.is_empty(),
            state_version: state_version(&aggregate.fields),
            context_literal: string_literal(&context.name.value),
            aggregate_literal: string_literal(&aggregate.name.value),
            blocks: b,
        },
    )
}

#[derive(Serialize)]
struct FillView {
    name: String,
    expression: String,
    comment: String,
}

fn fill_views(fills: &[FieldFill], input: &str, state: &str, id: &str, input_kind: &str) -> Vec<FillView> {
    fills
        .iter()
        .map(|f| FillView {
            name: f.name.clone(),
            expression: f.expression(input, state, id),
            comment: f.comment(input_kind),
        })
        .collect()
}

fn used(name: &str, is_used: bool) -> String {
    if is_used { name.to_owned() } else { format!("_{name}") }
}

/// The user-owned decisions of an aggregate, with the scaffold's defaults.
fn decision(model: &Model, plan: &Plan, a: AggregateId) -> Result<String, GenError> {
    use std::fmt::Write;
    let aggregate = &model[a];
    let ident = &plan.aggregate(a).ident;
    #[derive(Serialize)]
    struct View<'a> {
        context: &'a str,
        aggregate: &'a str,
        ident: &'a str,
        id_field: String,
        imports: String,
        methods: String,
        evolve_state: &'a str,
        evolve_arms: String,
    }
    // Written here rather than looped over in the template, as for the
    // aggregate's module. Writing into a String cannot fail.
    let mut methods = String::new();
    for &c in &aggregate.commands {
        let Some((event, fills)) = fill::decision(model, c) else { continue };
        let command = &model[c];
        let has = |pick: fn(&Source) -> bool| fills.iter().any(|f| pick(&f.source));
        let errors = english_list(&command.errors.iter().map(|e| e.value.clone()).collect::<Vec<_>>());
        let fails = if errors.is_empty() { String::new() } else { format!("; may fail with {errors}") };
        let (name, event) = (&command.name.value, &model[event].name.value);
        let _ = write!(
            methods,
            "\n    /// {name}: emits {}{fails}.\n    fn {}({}: &State, {}: &AggregateId, {}: &commands::{name}) -> Result<Vec<Event>, Error> {{\n        Ok(vec![Event::{event}(events::{event} {{",
            command_names(model, command.emits.iter().map(|e| e.value)),
            plan.commands[c.index()].ident,
            used("state", has(|s| matches!(s, Source::State(_)))),
            used("id", has(|s| matches!(s, Source::AggregateId(..)))),
            used("command", has(|s| matches!(s, Source::Input(_)))),
        );
        for f in &fills {
            let _ = write!(
                methods,
                "\n            {}: {}, // {}",
                f.name,
                f.expression("command", "state", "id"),
                f.comment("command")
            );
        }
        methods.push_str("\n        })])\n    }\n");
    }
    let mut evolve_arms = String::new();
    let mut mutates = false;
    for &e in &aggregate.events {
        let assignments = fill::evolution(model, e);
        let event = &model[e].name.value;
        if assignments.is_empty() {
            let _ = write!(evolve_arms, "\n            Event::{event}(_) => {{}}");
            continue;
        }
        mutates = true;
        let _ = write!(evolve_arms, "\n            Event::{event}(event) => {{");
        for f in &assignments {
            let _ =
                write!(evolve_arms, "\n                state.{} = {};", f.name, f.expression("event", "state", "id"));
        }
        evolve_arms.push_str("\n            }");
    }
    let mut items = vec!["Decide", "Event", "Root", "State"];
    if !methods.is_empty() {
        items.extend(["Error", "commands", "events"]);
        items.sort_by_key(|i| (i.starts_with(char::is_lowercase), *i));
    }
    let mut imports = String::new();
    if !methods.is_empty() {
        imports.push_str("use squall_runtime::AggregateId;\n\n");
    }
    imports.push_str(&format!("use crate::aggregates::{ident}::{{{}}};", items.join(", ")));
    render(
        "context/decision.rs",
        &View {
            context: &model[aggregate.context].name.value,
            aggregate: &aggregate.name.value,
            ident,
            id_field: fill::id_field(model, a),
            imports,
            methods,
            evolve_state: if mutates { "mut state" } else { "state" },
            evolve_arms,
        },
    )
}

// ---- policies -----------------------------------------------------------

#[derive(Serialize)]
struct ReactionView {
    event_name: String,
    method: String,
    event_type: String,
    event_param: String,
    envelope_param: String,
    context_literal: String,
    event_literal: String,
    id_expression: String,
    fills: Vec<FillView>,
}

/// How a policy finds the aggregate its command acts on, for one event: the
/// Rust expression (in `react`, with `envelope` in scope) and its
/// explanation.
fn correlation(model: &Model, policy: PolicyId, event: EventId) -> (String, String) {
    let policy = &model[policy];
    let Some(then) = &policy.then else {
        return ("return None".into(), "the policy has no command".into());
    };
    let command = &model[then.value];
    let target = command.aggregate;
    let by_field = |field: &str| {
        (
            format!(
                "::support::projection::key_of(&envelope.payload, {}).map(AggregateId::new)?",
                string_literal(field)
            ),
            field.to_owned(),
        )
    };
    if let Some(key) = &policy.key {
        let (expression, field) = by_field(&key.value);
        let verb = if command.creates { "created with" } else { "the one whose id is" };
        return (
            expression,
            format!("the {} {verb} the event's `{field}` (the policy's `key`).", model[target].name.value),
        );
    }
    if command.creates {
        return (
            "AggregateId::from(::squall_runtime::policy_command_id(envelope.event_id, NAME))".into(),
            format!(
                "a new {} whose id is derived from the event's id, so that a redelivered event creates nothing twice.",
                model[target].name.value
            ),
        );
    }
    if model[event].aggregate == target {
        return ("envelope.stream.aggregate_id.clone()".into(), "the very aggregate the event comes from.".into());
    }
    let (expression, field) = by_field(&fill::id_field(model, target));
    (expression, format!("the {} whose id is the event's `{field}`.", model[target].name.value))
}

fn policy_parts(model: &Model, plan: &Plan, p: PolicyId) -> (Vec<ReactionView>, String) {
    let policy = &model[p];
    let names = &plan.policies[p.index()];
    let mut reactions = Vec::new();
    let mut explanations: Vec<String> = Vec::new();
    for (i, on) in policy.on.iter().enumerate() {
        let e = on.value;
        let event = &model[e];
        let fills = match &policy.then {
            Some(then) => fill::reaction(model, e, then.value),
            None => Vec::new(),
        };
        let (id_expression, explanation) = correlation(model, p, e);
        let qualified = format!("{}.{}", model[event.context].name.value, event.name.value);
        if !explanations.contains(&explanation) {
            explanations.push(explanation.clone());
        }
        let has = |pick: fn(&Source) -> bool| fills.iter().any(|f| pick(&f.source));
        reactions.push(ReactionView {
            event_name: qualified,
            method: names.reactions.get(i).cloned().unwrap_or_else(|| format!("on_event_{i}")),
            event_type: event_path(model, plan, policy.context, e),
            event_param: used("event", has(|s| matches!(s, Source::Input(_)))),
            envelope_param: used("envelope", has(|s| matches!(s, Source::AggregateId(..)))),
            context_literal: string_literal(&model[event.context].name.value),
            event_literal: string_literal(&event.name.value),
            id_expression,
            fills: fill_views(&fills, "event", "", "envelope.stream.aggregate_id", "event"),
        });
    }
    let correlation = if explanations.len() == 1 {
        explanations.remove(0)
    } else {
        reactions
            .iter()
            .zip(policy.on.iter().map(|e| correlation(model, p, e.value).1))
            .map(|(r, why)| format!("for {}, {why}", r.event_name))
            .collect::<Vec<_>>()
            .join(" ")
    };
    (reactions, correlation)
}

#[derive(Serialize)]
struct PolicyView<'a> {
    context: &'a str,
    policy: &'a str,
    ident: &'a str,
    doc: Vec<String>,
    on: String,
    then: String,
    target: String,
    target_ident: String,
    correlation: String,
    name_literal: String,
    reactions: Vec<ReactionView>,
    from_store: bool,
    from_bus: bool,
    imports: String,
    id_note: String,
}

fn policy_view<'a>(model: &'a Model, plan: &'a Plan, p: PolicyId) -> PolicyView<'a> {
    let policy = &model[p];
    let context = &model[policy.context];
    let (target, target_ident, then) = match &policy.then {
        Some(then) => {
            let a = model[then.value].aggregate;
            (model[a].name.value.clone(), plan.aggregate(a).ident.clone(), model[then.value].name.value.clone())
        }
        None => (String::new(), String::new(), String::new()),
    };
    let (reactions, correlation) = policy_parts(model, plan, p);
    let ident = &plan.policies[p.index()].ident;
    let on = english_list(&reactions.iter().map(|r| r.event_name.clone()).collect::<Vec<_>>());
    let id_note = policy
        .on
        .iter()
        .find_map(|e| {
            let field = fill::id_field(model, model[e.value].aggregate);
            let fills = policy.then.as_ref().map(|t| fill::reaction(model, e.value, t.value)).unwrap_or_default();
            fills
                .iter()
                .any(|f| f.name == field && matches!(f.source, Source::AggregateId(..)))
                .then(|| format!("and `{field}` takes the id of the event's aggregate"))
        })
        .unwrap_or_default();
    PolicyView {
        context: &context.name.value,
        policy: &policy.name.value,
        ident,
        doc: docs(&policy.description),
        on,
        then,
        target,
        correlation,
        name_literal: string_literal(&format!("{}.{}", context.name.value, policy.name.value)),
        from_store: policy.on.iter().any(|e| model[e.value].context == policy.context),
        from_bus: policy.on.iter().any(|e| model[e.value].context != policy.context),
        imports: format!(
            "use squall_runtime::Envelope;\n\nuse crate::aggregates::{target_ident}::commands;\nuse crate::reactions::{ident}::{{Policy, React}};"
        ),
        target_ident,
        reactions,
        id_note,
    }
}

fn reaction(model: &Model, plan: &Plan, p: PolicyId) -> Result<String, GenError> {
    render("context/reaction.rs", &policy_view(model, plan, p))
}

fn policy(model: &Model, plan: &Plan, p: PolicyId) -> Result<String, GenError> {
    render("context/policy.rs", &policy_view(model, plan, p))
}

// ---- read models ----------------------------------------------------------

#[derive(Serialize)]
struct CopyView {
    context_literal: String,
    event_literal: String,
    fields: String,
}

#[derive(Serialize)]
struct ReadModelView {
    name: String,
    ident: String,
    doc: Vec<String>,
    /// The projection's name, `Context.ReadModel`.
    name_literal: String,
    /// The read model's name in the model (what `Owns` lists).
    model_literal: String,
    fields: String,
    sources: String,
    key_doc: String,
    patterns: String,
    key_expression: String,
    copies: Vec<CopyView>,
    own: bool,
    foreign: bool,
    aggregates: Vec<String>,
    aggregates_doc: String,
    upstreams: String,
}

fn read_model_views(model: &Model, plan: &Plan, context: ContextId) -> Vec<ReadModelView> {
    model[context]
        .read_models
        .iter()
        .map(|&r| {
            let rm = &model[r];
            let mut sources = Vec::new();
            let mut patterns = Vec::new();
            let mut copies = Vec::new();
            let mut aggregates: Vec<AggregateId> = Vec::new();
            let mut upstreams: Vec<ContextId> = Vec::new();
            for from in &rm.from {
                let event = &model[from.value];
                let source_context = &model[event.context].name.value;
                sources.push(if event.context == context {
                    event.name.value.clone()
                } else {
                    format!("{source_context}.{}", event.name.value)
                });
                let pattern = format!("({}, {})", string_literal(source_context), string_literal(&event.name.value));
                patterns.push(pattern);
                let fields = rm.fields.iter().filter(|f| {
                    event.fields.iter().any(|ef| {
                        ef.name.value == f.name.value && fill::conversion(&f.ty.value, &ef.ty.value).is_some()
                    })
                });
                copies.push(CopyView {
                    context_literal: string_literal(source_context),
                    event_literal: string_literal(&event.name.value),
                    fields: literals(fields.map(|f| f.name.value.as_str())),
                });
                if event.context == context {
                    if !aggregates.contains(&event.aggregate) {
                        aggregates.push(event.aggregate);
                    }
                } else if !upstreams.contains(&event.context) {
                    upstreams.push(event.context);
                }
            }
            let (key_doc, key_expression) = match &rm.key {
                Some(key) => (
                    format!("the events' `{}`", key.value),
                    format!("::support::projection::key_of(&event.payload, {})", string_literal(&key.value)),
                ),
                None => {
                    ("the id of the event's aggregate".into(), "Some(event.stream.aggregate_id.to_string())".into())
                }
            };
            let aggregate_names: Vec<String> = aggregates.iter().map(|&a| model[a].name.value.clone()).collect();
            ReadModelView {
                name: rm.name.value.clone(),
                ident: plan.read_models[r.index()].ident.clone(),
                doc: docs(&rm.description),
                name_literal: string_literal(&format!("{}.{}", model[context].name.value, rm.name.value)),
                model_literal: string_literal(&rm.name.value),
                fields: literals(rm.fields.iter().map(|f| f.name.value.as_str())),
                sources: english_list(&sources),
                key_doc,
                patterns: patterns.join(" | "),
                key_expression,
                copies,
                own: !aggregates.is_empty(),
                foreign: !upstreams.is_empty(),
                aggregates: aggregate_names.iter().map(|n| string_literal(n)).collect(),
                aggregates_doc: english_list(&aggregate_names),
                upstreams: literals(upstreams.iter().map(|&c| model[c].name.value.as_str())),
            }
        })
        .collect()
}

fn read_models(model: &Model, plan: &Plan, context: ContextId) -> Result<String, GenError> {
    #[derive(Serialize)]
    struct View<'a> {
        context: &'a str,
        read_models: Vec<ReadModelView>,
    }
    render(
        "context/read_models.rs",
        &View { context: &model[context].name.value, read_models: read_model_views(model, plan, context) },
    )
}

fn upstream_file(
    model: &Model,
    plan: &Plan,
    context: ContextId,
    upstream: &BTreeMap<ContextId, Vec<EventId>>,
) -> Result<String, GenError> {
    #[derive(Serialize)]
    struct Upstream<'a> {
        context: &'a str,
        ident: &'a str,
        events: Vec<MessageView>,
    }
    #[derive(Serialize)]
    struct View<'a> {
        context: &'a str,
        upstreams: Vec<Upstream<'a>>,
    }
    let upstreams = upstream
        .iter()
        .map(|(&c, events)| Upstream {
            context: &model[c].name.value,
            ident: &plan.context(c).ident,
            events: events.iter().map(|&e| event_view(model, e)).collect(),
        })
        .collect();
    render("context/upstream.rs", &View { context: &model[context].name.value, upstreams })
}

// ---- HTTP -----------------------------------------------------------------

/// The `support::http::IdKind` of an aggregate's id type.
pub(super) fn id_kind(ty: &Type) -> &'static str {
    match ty {
        Type::Uuid => "Uuid",
        Type::Int => "Int",
        _ => "Text",
    }
}

#[derive(Serialize)]
pub(super) struct RouteCommand {
    pub name: String,
    pub ident: String,
    pub path: String,
    pub path_literal: String,
    pub creates: bool,
    pub fields: Vec<FieldView>,
    pub fields_param: String,
    #[serde(skip)]
    pub command: CommandId,
}

#[derive(Serialize)]
pub(super) struct RouteAggregate {
    pub name: String,
    pub ident: String,
    pub kebab: String,
    pub name_literal: String,
    pub creating: bool,
    pub has_commands: bool,
    #[serde(skip)]
    pub commands: Vec<RouteCommand>,
    /// The `.route(…)` lines and the handlers of the HTTP module.
    pub routes: String,
    pub handlers: String,
    pub state_path: String,
    pub state_path_literal: String,
    pub id_kind: &'static str,
    #[serde(skip)]
    pub aggregate: AggregateId,
}

#[derive(Serialize)]
pub(super) struct RouteReadModel {
    pub name: String,
    pub ident: String,
    pub name_literal: String,
    pub path: String,
    pub path_literal: String,
    pub key_path_literal: String,
    pub projection: String,
}

/// The routes of a context's aggregates and read models.
pub(super) type Routes = (Vec<RouteAggregate>, Vec<RouteReadModel>);

/// The routes of a context, for its HTTP module and the OpenAPI document.
pub(super) fn routes(model: &Model, plan: &Plan, context: ContextId) -> Routes {
    let prefix = &plan.context(context).kebab;
    let aggregates = model[context]
        .aggregates
        .iter()
        .map(|&a| {
            let names = plan.aggregate(a);
            let base = format!("/{prefix}/{}", names.kebab);
            let commands: Vec<RouteCommand> = model[a]
                .commands
                .iter()
                .map(|&c| {
                    let command = &model[c];
                    let kebab = &plan.commands[c.index()].kebab;
                    let path =
                        if command.creates { format!("{base}/{kebab}") } else { format!("{base}/{{id}}/{kebab}") };
                    RouteCommand {
                        name: command.name.value.clone(),
                        ident: plan.commands[c.index()].ident.clone(),
                        path_literal: string_literal(&path),
                        path,
                        creates: command.creates,
                        fields: command.fields.iter().map(field_view).collect(),
                        fields_param: if command.fields.is_empty() { "_fields".into() } else { "fields".into() },
                        command: c,
                    }
                })
                .collect();
            let state_path = format!("{base}/{{id}}");
            let (routes, handlers) = handlers(&commands);
            RouteAggregate {
                name: model[a].name.value.clone(),
                ident: names.ident.clone(),
                kebab: names.kebab.clone(),
                name_literal: string_literal(&model[a].name.value),
                creating: commands.iter().any(|c| c.creates),
                has_commands: !commands.is_empty(),
                commands,
                routes,
                handlers,
                state_path_literal: string_literal(&state_path),
                state_path,
                id_kind: id_kind(&model[a].id_type),
                aggregate: a,
            }
        })
        .collect();
    let read_models = model[context]
        .read_models
        .iter()
        .map(|&r| {
            let names = &plan.read_models[r.index()];
            let path = format!("/{prefix}/read-models/{}", names.kebab);
            RouteReadModel {
                name: model[r].name.value.clone(),
                ident: names.ident.clone(),
                name_literal: string_literal(&model[r].name.value),
                path_literal: string_literal(&path),
                key_path_literal: string_literal(&format!("{path}/{{key}}")),
                path,
                projection: format!("{}.{}", model[context].name.value, model[r].name.value),
            }
        })
        .collect();
    (aggregates, read_models)
}

/// The route lines and handler functions of an aggregate's commands.
fn handlers(commands: &[RouteCommand]) -> (String, String) {
    let mut b = Blocks::default();
    b.declare(&["routes", "handlers"]);
    for c in commands {
        b.push("routes", format_args!("\n            .route({}, post({}))", c.path_literal, c.ident));
        b.push("handlers", format_args!("\n\n    /// `POST {}`: {}.", c.path, c.name));
        if c.creates {
            b.push("handlers", format_args!(
                "\n    async fn {}(State(rt): State<Runtime>, Query(params): Query<Params>, headers: HeaderMap, body: Bytes) -> Response {{\n        ::support::http::create::<Root>(&rt, ID, &params, &headers, &body, |{}| {{",
                c.ident, c.fields_param
            ));
        } else {
            b.push("handlers", format_args!(
                "\n    async fn {}(State(rt): State<Runtime>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {{\n        ::support::http::act::<Root>(&rt, ID, &id, &headers, &body, |{}| {{",
                c.ident, c.fields_param
            ));
        }
        b.push("handlers", format_args!("\n            Ok(Command::{0}(commands::{0} {{", c.name));
        for f in &c.fields {
            b.push("handlers", format_args!("\n                {}: fields.field({})?,", f.name, f.literal));
        }
        b.push("handlers", format_args!("\n            }}))\n        }})\n        .await\n    }}"));
    }
    let mut blocks = b.0;
    (blocks.remove("routes").unwrap_or_default(), blocks.remove("handlers").unwrap_or_default())
}

fn http(
    model: &Model,
    plan: &Plan,
    context: ContextId,
    (aggregates, read_models): &Routes,
) -> Result<String, GenError> {
    #[derive(Serialize)]
    struct View<'a> {
        context: &'a str,
        context_kebab: &'a str,
        aggregates: &'a [RouteAggregate],
        read_models: &'a [RouteReadModel],
    }
    render(
        "context/http.rs",
        &View {
            context: &model[context].name.value,
            context_kebab: &plan.context(context).kebab,
            aggregates,
            read_models,
        },
    )
}

// ---- lib.rs ---------------------------------------------------------------

fn lib(model: &Model, plan: &Plan, context: ContextId) -> Result<String, GenError> {
    let ctx = &model[context];
    #[derive(Serialize)]
    struct Registry {
        aggregate: String,
        aggregate_literal: String,
        name_literal: String,
    }
    #[derive(Serialize)]
    struct Timer {
        command: String,
        aggregate_ident: String,
        aggregate_literal: String,
        name_literal: String,
        cron_literal: String,
        schedule_doc: String,
        creates: bool,
        registry_literal: String,
    }
    #[derive(Serialize)]
    struct PolicyWiring {
        name_literal: String,
        ident: String,
        from_store: bool,
        from_bus: bool,
    }
    #[derive(Serialize)]
    struct View<'a> {
        context: &'a str,
        team: Option<String>,
        doc: Vec<String>,
        context_literal: String,
        everything: String,
        read_models: Vec<ReadModelView>,
        inline_read_models: bool,
        foreign_read_models: bool,
        registries: Vec<Registry>,
        policies: Vec<PolicyWiring>,
        timers: Vec<Timer>,
    }
    let mut registries = Vec::new();
    let mut timers = Vec::new();
    for &a in &ctx.aggregates {
        let aggregate = &model[a];
        let registry = format!("{}.{}.ids", ctx.name.value, aggregate.name.value);
        let mut needs_registry = false;
        for &c in &aggregate.commands {
            let command = &model[c];
            let Some(schedule) = &command.schedule else { continue };
            needs_registry |= !command.creates;
            timers.push(Timer {
                command: command.name.value.clone(),
                aggregate_ident: plan.aggregate(a).ident.clone(),
                aggregate_literal: string_literal(&aggregate.name.value),
                name_literal: string_literal(&format!("{}.{}", ctx.name.value, command.name.value)),
                cron_literal: string_literal(&schedule.value),
                schedule_doc: format!(
                    "`{}` (UTC), {}",
                    schedule.value.replace('`', "'"),
                    if command.creates { "a new aggregate each time" } else { "on every aggregate" }
                ),
                creates: command.creates,
                registry_literal: string_literal(&registry),
            });
        }
        if needs_registry {
            registries.push(Registry {
                aggregate: aggregate.name.value.clone(),
                aggregate_literal: string_literal(&aggregate.name.value),
                name_literal: string_literal(&registry),
            });
        }
    }
    let read_models = read_model_views(model, plan, context);
    let everything = literals(
        ctx.aggregates
            .iter()
            .map(|&a| model[a].name.value.as_str())
            .chain(ctx.policies.iter().map(|&p| model[p].name.value.as_str()))
            .chain(ctx.read_models.iter().map(|&r| model[r].name.value.as_str())),
    );
    render(
        "context/lib.rs",
        &View {
            context: &ctx.name.value,
            team: ctx.team.as_deref().map(|t| doc_lines(t).join(" ")),
            doc: docs(&ctx.description),
            context_literal: string_literal(&ctx.name.value),
            everything,
            inline_read_models: read_models.iter().any(|r| r.own),
            foreign_read_models: read_models.iter().any(|r| r.foreign),
            read_models,
            registries,
            policies: ctx
                .policies
                .iter()
                .map(|&p| {
                    let policy = &model[p];
                    PolicyWiring {
                        name_literal: string_literal(&policy.name.value),
                        ident: plan.policies[p.index()].ident.clone(),
                        from_store: policy.on.iter().any(|e| model[e.value].context == context),
                        from_bus: policy.on.iter().any(|e| model[e.value].context != context),
                    }
                })
                .collect(),
            timers,
        },
    )
}
