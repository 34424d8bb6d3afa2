//! The generated tests of the host: one end-to-end test per flow of the
//! model (`host/tests/flows.rs`, generated), and given/when/then tests of
//! each aggregate's default decisions (`host/tests/decisions/`, user-owned
//! once created).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::fill::{self, Conversion, IdParse, Source};
use super::plan::Plan;
use super::rust::{doc_lines, sample, string_literal};
use super::templates::render;
use super::{GenError, Output};
use crate::model::{AggregateId, CommandId, EventId, Model, PolicyId, Step, Type};

pub(super) fn emit(model: &Model, plan: &Plan, out: &mut Output) -> Result<(), GenError> {
    flows(model, plan, out)?;
    decisions(model, plan, out)
}

// ---- flows ----------------------------------------------------------------

#[derive(Serialize)]
struct FlowView {
    name: String,
    ident: String,
    name_literal: String,
    doc: Vec<String>,
    steps_doc: String,
    ignore: Option<String>,
    body: Vec<String>,
    expected: String,
}

/// Where a flow test finds the id of an aggregate it acts on.
#[derive(Clone)]
enum Known {
    /// A variable holding it.
    Var(String),
    /// The stream of the expected event at this index (a policy created or
    /// touched it).
    Event(usize),
}

/// Writes one flow's test, following what the default decisions and
/// policies make of default commands: which fields end up holding real
/// values ("meaningful") and which hold their type's default. A policy that
/// finds its aggregate by a field that only ever holds a default cannot work
/// with the scaffold, and the test says so (it is ignored, with the reason).
struct FlowWriter<'m> {
    model: &'m Model,
    plan: &'m Plan,
    body: Vec<String>,
    expected: Vec<(String, String)>,
    known: HashMap<AggregateId, Known>,
    vars: usize,
    ignore: Option<String>,
    /// State fields (by aggregate type) that hold real values.
    state: HashMap<AggregateId, HashSet<String>>,
    /// The aggregate whose id each `<aggregate>_id` field name stands for.
    id_fields: HashMap<String, Vec<AggregateId>>,
}

impl FlowWriter<'_> {
    fn root(&self, aggregate: AggregateId) -> String {
        let context = self.plan.context(self.model[aggregate].context);
        format!("{}::aggregates::{}", context.crate_name(), self.plan.aggregate(aggregate).ident)
    }

    fn new_var(&mut self, aggregate: AggregateId) -> String {
        self.vars += 1;
        format!("{}_{}", self.plan.aggregate(aggregate).ident, self.vars)
    }

    fn expected_literal(&self, upto: usize) -> String {
        self.expected[..upto]
            .iter()
            .map(|(c, e)| format!("({}, {})", string_literal(c), string_literal(e)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The variable holding `aggregate`'s id, taking it from its event first
    /// if a policy made it.
    fn var_of(&mut self, aggregate: AggregateId, step: usize) -> Option<String> {
        match self.known.get(&aggregate).cloned()? {
            Known::Var(var) => Some(var),
            Known::Event(index) => {
                let var = self.new_var(aggregate);
                let expected = self.expected_literal(index + 1);
                self.body.push(format!(
                    "let found = support::testing::wait_for_flow(&app.stores(), correlation, &[{expected}]).await.expect(\"step {step}: the events so far\");"
                ));
                self.body.push(format!("let {var} = found[{index}].stream.aggregate_id.clone();"));
                self.known.insert(aggregate, Known::Var(var.clone()));
                Some(var)
            }
        }
    }

    /// The variable holding the id of an existing `aggregate`: one of the
    /// flow, else one a policy of the model made along the way, else a new
    /// one, created first.
    fn existing(&mut self, aggregate: AggregateId, step: usize) -> Option<String> {
        if let Some(var) = self.var_of(aggregate, step) {
            return Some(var);
        }
        if self.made_by_policy(aggregate) {
            let var = self.new_var(aggregate);
            let a = &self.model[aggregate];
            self.body.push(format!(
                "let {var} = support::testing::find_aggregate(&app.stores(), correlation, {}, {}).await.expect(\"step {step}: the {} a policy made\");",
                string_literal(&self.model[a.context].name.value),
                string_literal(&a.name.value),
                a.name.value,
            ));
            // What the policy filled in is not followed here: take it as real.
            self.state.insert(aggregate, a.fields.iter().map(|f| f.name.value.clone()).collect());
            self.known.insert(aggregate, Known::Var(var.clone()));
            return Some(var);
        }
        let creating = self.model[aggregate].commands.iter().copied().find(|&c| self.model[c].creates)?;
        self.execute(creating, step).map(|(var, _)| var)
    }

    /// Whether a policy of the model, triggered by an event already in the
    /// flow, creates an aggregate of this type.
    fn made_by_policy(&self, aggregate: AggregateId) -> bool {
        self.model.policies.iter().any(|p| {
            p.then.as_ref().is_some_and(|t| self.model[t.value].creates && self.model[t.value].aggregate == aggregate)
                && p.on.iter().any(|e| {
                    let event = &self.model[e.value];
                    self.expected
                        .iter()
                        .any(|(c, n)| *c == self.model[event.context].name.value && *n == event.name.value)
                })
        })
    }

    /// Executes a command as an actor would: its `<aggregate>_id` fields
    /// name the flow's aggregates, every other field is at its default.
    /// Returns the aggregate's variable and the command's real fields.
    fn execute(&mut self, command: CommandId, step: usize) -> Option<(String, HashSet<String>)> {
        let c = &self.model[command];
        let aggregate = c.aggregate;
        let var = if c.creates {
            let var = self.new_var(aggregate);
            self.body.push(format!("let {var} = AggregateId::new_v7();"));
            var
        } else {
            self.existing(aggregate, step)?
        };
        let mut fields = Vec::new();
        let mut real = HashSet::new();
        for field in &c.fields {
            let Some(candidates) = self.id_fields.get(&field.name.value).cloned() else { continue };
            let Some((target, conversion)) = candidates.iter().find_map(|&a| {
                let known = self.known.contains_key(&a) && a != aggregate;
                let conversion = fill::conversion(&field.ty.value, &self.model[a].id_type)?;
                known.then_some((a, conversion))
            }) else {
                continue;
            };
            let Some(parse) = IdParse::of(&self.model[target].id_type) else { continue };
            let Some(id_var) = self.var_of(target, step) else { continue };
            let value = match parse {
                IdParse::Uuid => {
                    format!("::squall_runtime::uuid::Uuid::parse_str({id_var}.as_str()).expect(\"a UUID\")")
                }
                IdParse::Int => format!("{id_var}.as_str().parse::<i64>().expect(\"an integer\")"),
                IdParse::Text => format!("{id_var}.to_string()"),
            };
            fields.push(format!("{}: {}", field.name.value, wrap(value, conversion)));
            real.insert(field.name.value.clone());
        }
        let root = self.root(aggregate);
        let context = &self.plan.context(c.context).ident;
        let value = if fields.is_empty() {
            "Default::default()".to_owned()
        } else {
            format!("{root}::commands::{} {{ {}, ..Default::default() }}", c.name.value, fields.join(", "))
        };
        self.body.push(format!(
            "app.{context}.runtime.execute::<{root}::Root>({var}.clone(), {root}::Command::{}({value}), ctx()).await.expect({});",
            c.name.value,
            string_literal(&format!("step {step}: {} is accepted", c.name.value)),
        ));
        self.known.insert(aggregate, Known::Var(var.clone()));
        Some((var, real))
    }

    /// The real fields of the event `command` emits by default, given the
    /// command's real fields; the state follows `evolve`.
    fn emit(&mut self, command: CommandId, real_input: &HashSet<String>) -> HashSet<String> {
        let Some((event, fills)) = fill::decision(self.model, command) else { return HashSet::new() };
        let aggregate = self.model[command].aggregate;
        let state = self.state.get(&aggregate).cloned().unwrap_or_default();
        let real: HashSet<String> = fills
            .iter()
            .filter(|f| match f.source {
                Source::Input(_) => real_input.contains(&f.name),
                Source::State(_) => state.contains(&f.name),
                Source::AggregateId(..) => true,
                Source::Default => false,
            })
            .map(|f| f.name.clone())
            .collect();
        let state = self.state.entry(aggregate).or_default();
        for assignment in fill::evolution(self.model, event) {
            if real.contains(&assignment.name) {
                state.insert(assignment.name);
            } else {
                state.remove(&assignment.name);
            }
        }
        real
    }

    fn give_up(&mut self, reason: String) {
        if self.ignore.is_none() {
            self.ignore = Some(reason);
        }
    }
}

fn flows(model: &Model, plan: &Plan, out: &mut Output) -> Result<(), GenError> {
    let mut id_fields: HashMap<String, Vec<AggregateId>> = HashMap::new();
    for index in 0..model.aggregates.len() {
        let a = AggregateId(index as u32);
        id_fields.entry(fill::id_field(model, a)).or_default().push(a);
    }
    let mut views = Vec::new();
    for (index, flow) in model.flows.iter().enumerate() {
        let mut writer = FlowWriter {
            model,
            plan,
            body: Vec::new(),
            expected: Vec::new(),
            known: HashMap::new(),
            vars: 0,
            ignore: None,
            state: HashMap::new(),
            id_fields: id_fields.clone(),
        };
        // The command of the previous step, its real fields, and whether a
        // policy issued it.
        let mut issued: Option<(CommandId, HashSet<String>, bool)> = None;
        // The previous event and its real fields.
        let mut last_event: Option<(EventId, HashSet<String>)> = None;
        let mut after_policy: Option<PolicyId> = None;
        let mut steps_doc = Vec::new();
        for (i, step) in flow.steps.iter().enumerate() {
            let number = i + 1;
            match step.value {
                Step::Command(c) => {
                    steps_doc.push(model[c].name.value.clone());
                    match after_policy {
                        Some(p) => {
                            let real = policy_command_fields(&mut writer, p, c, last_event.as_ref(), number);
                            issued = Some((c, real, true));
                        }
                        None => match writer.execute(c, number) {
                            Some((_, real)) => issued = Some((c, real, false)),
                            None => {
                                writer.give_up(format!(
                                    "step {number}: no command creates the {} that {} acts on",
                                    model[model[c].aggregate].name.value, model[c].name.value
                                ));
                                issued = Some((c, HashSet::new(), false));
                            }
                        },
                    }
                    after_policy = None;
                }
                Step::Event(e) => {
                    let event = &model[e];
                    steps_doc.push(event.name.value.clone());
                    let mut by_policy = false;
                    let mut real = HashSet::new();
                    match issued.take() {
                        Some((c, _, _)) if model[c].emits.first().map(|f| f.value) != Some(e) => {
                            let first =
                                model[c].emits.first().map(|f| model[f.value].name.value.clone()).unwrap_or_default();
                            writer.give_up(format!(
                                "step {number}: {} emits {} only by a decision of yours (the default emits {first})",
                                model[c].name.value, event.name.value
                            ));
                        }
                        Some((c, input, policy)) => {
                            by_policy = policy;
                            real = writer.emit(c, &input);
                        }
                        None => {
                            // Nothing issued it yet: a command of its aggregate
                            // whose default emits it stands in for the actor.
                            let producer = model[event.aggregate]
                                .commands
                                .iter()
                                .copied()
                                .find(|&c| model[c].emits.first().map(|f| f.value) == Some(e));
                            match producer.and_then(|c| writer.execute(c, number).map(|(_, input)| (c, input))) {
                                Some((c, input)) => real = writer.emit(c, &input),
                                None => writer.give_up(format!(
                                    "step {number}: no command's default decision emits {}",
                                    event.name.value
                                )),
                            }
                        }
                    }
                    writer.expected.push((model[event.context].name.value.clone(), event.name.value.clone()));
                    if by_policy {
                        writer.known.insert(event.aggregate, Known::Event(writer.expected.len() - 1));
                    }
                    last_event = Some((e, real));
                    after_policy = None;
                }
                Step::Policy(p) => {
                    steps_doc.push(model[p].name.value.clone());
                    issued = None;
                    after_policy = Some(p);
                }
            }
        }
        let expected = writer.expected_literal(writer.expected.len());
        let mut body = writer.body;
        if body.iter().any(|line| line.contains("ctx()")) {
            body.insert(0, "let ctx = || CommandContext::new().with_correlation_id(correlation);".into());
        }
        views.push(FlowView {
            name: flow.name.value.clone(),
            ident: plan.flows[index].clone(),
            name_literal: string_literal(&flow.name.value),
            doc: flow.description.as_deref().map(doc_lines).unwrap_or_default(),
            steps_doc: steps_doc.join(", "),
            ignore: writer.ignore.map(|reason| string_literal(&reason)),
            body,
            expected,
        });
    }
    #[derive(Serialize)]
    struct View<'a> {
        system: &'a str,
        flows: Vec<FlowView>,
    }
    out.rust("host/tests/flows.rs", render("host/flows.rs", &View { system: &model.system.value, flows: views })?)
}

/// The real fields of the command a policy issues for the previous event,
/// after checking that the policy can find the aggregate it acts on.
fn policy_command_fields(
    writer: &mut FlowWriter<'_>,
    policy: PolicyId,
    command: CommandId,
    event: Option<&(EventId, HashSet<String>)>,
    step: usize,
) -> HashSet<String> {
    let model = writer.model;
    let Some((event, real)) = event else { return HashSet::new() };
    let p = &model[policy];
    let c = &model[command];
    // A command on an existing aggregate finds it by a field of the event,
    // unless the event comes from that very aggregate (and no key says
    // otherwise).
    if !c.creates && (p.key.is_some() || model[*event].aggregate != c.aggregate) {
        let field = match &p.key {
            Some(key) => key.value.clone(),
            None => fill::id_field(model, c.aggregate),
        };
        if !real.contains(&field) {
            writer.give_up(format!(
                "step {step}: {} finds the {} by the event's `{field}`, which the default decisions leave at its default",
                p.name.value, model[c.aggregate].name.value
            ));
        }
    }
    fill::reaction(model, *event, command)
        .into_iter()
        .filter(|f| match f.source {
            Source::Input(_) => real.contains(&f.name),
            Source::AggregateId(..) => true,
            _ => false,
        })
        .map(|f| f.name)
        .collect()
}

// ---- decisions ------------------------------------------------------------

/// The id the tests give the aggregate, and the value a field filled from
/// it holds.
fn test_id(id_type: &Type) -> (&'static str, fn(IdParse) -> String) {
    let literal = match id_type {
        Type::Uuid => "0190f2a4-7c1b-7a8e-b3d2-6e5f9a0c1d27",
        Type::Int => "42",
        _ => "sample-id",
    };
    (literal, |parse| match parse {
        IdParse::Uuid => "::squall_runtime::uuid::Uuid::parse_str(ID).expect(\"a UUID\")".into(),
        IdParse::Int => "42".into(),
        IdParse::Text => "ID.to_string()".into(),
    })
}

fn wrap(value: String, conversion: Conversion) -> String {
    match conversion {
        Conversion::Same => value,
        Conversion::Some => format!("Some({value})"),
    }
}

fn decisions(model: &Model, plan: &Plan, out: &mut Output) -> Result<(), GenError> {
    #[derive(Serialize)]
    struct ContextTests {
        ident: String,
        aggregates: Vec<String>,
    }
    let mut listed = Vec::new();
    for (index, context) in model.contexts.iter().enumerate() {
        let names = &plan.contexts[index];
        let mut aggregates = Vec::new();
        for &a in &context.aggregates {
            if model[a].commands.is_empty() {
                continue;
            }
            let ident = plan.aggregate(a).ident.clone();
            out.user(format!("host/tests/decisions/{}/{ident}.rs", names.ident), decision_test(model, plan, a)?)?;
            aggregates.push(ident);
        }
        if !aggregates.is_empty() {
            listed.push(ContextTests { ident: names.ident.clone(), aggregates });
        }
    }
    #[derive(Serialize)]
    struct View {
        contexts: Vec<ContextTests>,
    }
    out.rust("host/tests/decisions/main.rs", render("host/decisions_main.rs", &View { contexts: listed })?)
}

fn decision_test(model: &Model, plan: &Plan, a: AggregateId) -> Result<String, GenError> {
    let aggregate = &model[a];
    let context = plan.context(aggregate.context);
    let (id_literal, id_value) = test_id(&aggregate.id_type);
    // What a creating command's first event leaves in the state: the given
    // of every other command.
    let given_event =
        aggregate.commands.iter().find(|&&c| model[c].creates).and_then(|&c| model[c].emits.first().map(|e| e.value));
    // The same for every command but the creating ones, which are given
    // nothing: made once.
    let given_state: HashSet<String> =
        given_event.map(|e| fill::evolution(model, e).into_iter().map(|f| f.name).collect()).unwrap_or_default();
    let given_value = given_event
        .map(|e| {
            let fields: Vec<String> = model[e]
                .fields
                .iter()
                .map(|f| format!("{}: {}", f.name.value, sample(&f.ty.value, &f.name.value)))
                .collect();
            format!("Event::{0}(events::{0} {{ {1} }})", model[e].name.value, fields.join(", "))
        })
        .unwrap_or_default();
    let nothing = HashSet::new();
    // Written here rather than looped over in the template: there is one
    // such file per aggregate.
    let mut tests = String::new();
    for &c in &aggregate.commands {
        use std::fmt::Write;
        let command = &model[c];
        let Some((event, fills)) = fill::decision(model, c) else { continue };
        let (given_doc, given, set_by_given) = match given_event {
            Some(e) if !command.creates => (model[e].name.value.as_str(), given_value.as_str(), &given_state),
            _ => ("nothing", "", &nothing),
        };
        let (name, event) = (&command.name.value, &model[event].name.value);
        // Writing into a String cannot fail.
        let _ = write!(
            tests,
            "\n\n/// Given {given_doc}, when {name}, then {event}.\n#[test]\nfn {ident}() {{\n    let given: Vec<Event> = vec![{given}];\n    let command = commands::{name} {{",
            ident = plan.commands[c.index()].ident,
        );
        for f in &command.fields {
            let _ = write!(tests, "\n        {}: {},", f.name.value, sample(&f.ty.value, &f.name.value));
        }
        let _ = write!(
            tests,
            "\n    }};\n    let then = given_when::<Root>(&given, &AggregateId::new(ID), &Command::{name}(command))\n        .expect(\"the command is accepted\");\n    let expected = events::{event} {{"
        );
        for f in &fills {
            let value = match &f.source {
                Source::Input(_) => sample(&f.ty, &f.name),
                Source::State(_) if set_by_given.contains(&f.name) => sample(&f.ty, &f.name),
                Source::State(c) => wrap("Default::default()".into(), *c),
                Source::AggregateId(parse, c) => wrap(id_value(*parse), *c),
                Source::Default => "Default::default()".into(),
            };
            let _ = write!(tests, "\n        {}: {value},", f.name);
        }
        let _ = write!(tests, "\n    }};\n    assert_eq!(then, vec![Event::{event}(expected)]);\n}}");
    }
    #[derive(Serialize)]
    struct View<'a> {
        context: &'a str,
        context_dir: &'a str,
        aggregate: &'a str,
        ident: &'a str,
        imports: String,
        id_literal: String,
        commands: bool,
        tests: String,
    }
    let ident = &plan.aggregate(a).ident;
    render(
        "host/decision_test.rs",
        &View {
            context: &model[aggregate.context].name.value,
            context_dir: context.stem(),
            aggregate: &aggregate.name.value,
            ident,
            imports: format!(
                "use squall_runtime::AggregateId;\nuse support::testing::given_when;\nuse {}::aggregates::{ident}::{{Command, Event, Root, commands, events}};",
                context.crate_name()
            ),
            id_literal: string_literal(id_literal),
            commands: !tests.is_empty(),
            tests,
        },
    )
}
