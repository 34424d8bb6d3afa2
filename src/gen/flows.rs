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
use crate::model::{AggregateId, CommandId, Model, Step, Type};

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
    /// A variable holding it (the test created the aggregate).
    Var(String),
    /// The stream of the expected event at this index (a policy created or
    /// touched it).
    Event(usize),
}

struct FlowWriter<'m> {
    model: &'m Model,
    plan: &'m Plan,
    body: Vec<String>,
    expected: Vec<(String, String)>,
    known: HashMap<AggregateId, Known>,
    vars: usize,
    ignore: Option<String>,
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

    /// The variable holding the id of an existing `aggregate`, creating it
    /// (or waiting for the event that names it) first if need be.
    fn existing(&mut self, aggregate: AggregateId, step: usize) -> Option<String> {
        match self.known.get(&aggregate).cloned() {
            Some(Known::Var(var)) => Some(var),
            Some(Known::Event(index)) => {
                let var = self.new_var(aggregate);
                let expected = self.expected_literal(index + 1);
                self.body.push(format!(
                    "let found = support::testing::wait_for_flow(&app.stores(), correlation, &[{expected}]).await.expect(\"step {step}: the events so far\");"
                ));
                self.body.push(format!("let {var} = found[{index}].stream.aggregate_id.clone();"));
                self.known.insert(aggregate, Known::Var(var.clone()));
                Some(var)
            }
            None => {
                let creating = self.model[aggregate].commands.iter().copied().find(|&c| self.model[c].creates)?;
                self.execute(creating, step)
            }
        }
    }

    /// Executes a command as an actor would, with every field at its default.
    fn execute(&mut self, command: CommandId, step: usize) -> Option<String> {
        let c = &self.model[command];
        let aggregate = c.aggregate;
        let var = if c.creates {
            let var = self.new_var(aggregate);
            self.body.push(format!("let {var} = AggregateId::new_v7();"));
            var
        } else {
            self.existing(aggregate, step)?
        };
        let root = self.root(aggregate);
        let context = &self.plan.context(c.context).ident;
        self.body.push(format!(
            "app.{context}.runtime.execute::<{root}::Root>({var}.clone(), {root}::Command::{}(Default::default()), ctx()).await.expect({});",
            c.name.value,
            string_literal(&format!("step {step}: {} is accepted", c.name.value)),
        ));
        self.known.insert(aggregate, Known::Var(var.clone()));
        Some(var)
    }

    fn give_up(&mut self, reason: String) {
        if self.ignore.is_none() {
            self.ignore = Some(reason);
        }
    }
}

fn flows(model: &Model, plan: &Plan, out: &mut Output) -> Result<(), GenError> {
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
        };
        // The command of the previous step, if any (its event comes next),
        // and whether a policy issued it.
        let mut issued: Option<(CommandId, bool)> = None;
        let mut after_policy = false;
        let mut steps_doc = Vec::new();
        for (i, step) in flow.steps.iter().enumerate() {
            let number = i + 1;
            match step.value {
                Step::Command(c) => {
                    steps_doc.push(model[c].name.value.clone());
                    if !after_policy && writer.execute(c, number).is_none() {
                        writer.give_up(format!(
                            "step {number}: no command creates the {} that {} acts on",
                            model[model[c].aggregate].name.value, model[c].name.value
                        ));
                    }
                    issued = Some((c, after_policy));
                    after_policy = false;
                }
                Step::Event(e) => {
                    let event = &model[e];
                    steps_doc.push(event.name.value.clone());
                    let mut by_policy = false;
                    match issued {
                        Some((c, _)) if model[c].emits.first().map(|f| f.value) != Some(e) => {
                            let first =
                                model[c].emits.first().map(|f| model[f.value].name.value.clone()).unwrap_or_default();
                            writer.give_up(format!(
                                "step {number}: {} emits {} only by a decision of yours (the default emits {first})",
                                model[c].name.value, event.name.value
                            ));
                        }
                        Some((_, policy)) => by_policy = policy,
                        None => {
                            // Nothing issued it yet: a command of its aggregate
                            // whose default emits it stands in for the actor.
                            let producer = model[event.aggregate]
                                .commands
                                .iter()
                                .copied()
                                .find(|&c| model[c].emits.first().map(|f| f.value) == Some(e));
                            match producer {
                                Some(c) if writer.execute(c, number).is_some() => {}
                                _ => writer.give_up(format!(
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
                    issued = None;
                    after_policy = false;
                }
                Step::Policy(p) => {
                    steps_doc.push(model[p].name.value.clone());
                    issued = None;
                    after_policy = true;
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

// ---- decisions ------------------------------------------------------------

#[derive(Serialize)]
struct ValueView {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct DecisionTest {
    name: String,
    ident: String,
    event: String,
    given: String,
    given_doc: String,
    fields: Vec<ValueView>,
    expected: Vec<ValueView>,
}

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
    let given_event = aggregate
        .commands
        .iter()
        .find(|&&c| model[c].creates)
        .and_then(|&c| model[c].emits.first().map(|e| e.value));
    let mut tests = Vec::new();
    for &c in &aggregate.commands {
        let command = &model[c];
        let Some((event, fills)) = fill::decision(model, c) else { continue };
        let given = if command.creates { None } else { given_event };
        let set_by_given: HashSet<String> =
            given.map(|e| fill::evolution(model, e).into_iter().map(|f| f.name).collect()).unwrap_or_default();
        let expected = fills
            .iter()
            .map(|f| {
                let value = match &f.source {
                    Source::Input(_) => sample(&f.ty, &f.name),
                    Source::State(_) if set_by_given.contains(&f.name) => sample(&f.ty, &f.name),
                    Source::State(c) => wrap("Default::default()".into(), *c),
                    Source::AggregateId(parse, c) => wrap(id_value(*parse), *c),
                    Source::Default => "Default::default()".into(),
                };
                ValueView { name: f.name.clone(), value }
            })
            .collect();
        let given_value = given
            .map(|e| {
                let fields: Vec<String> =
                    model[e].fields.iter().map(|f| format!("{}: {}", f.name.value, sample(&f.ty.value, &f.name.value))).collect();
                format!("Event::{0}(events::{0} {{ {1} }})", model[e].name.value, fields.join(", "))
            })
            .unwrap_or_default();
        tests.push(DecisionTest {
            name: command.name.value.clone(),
            ident: plan.commands[c.index()].ident.clone(),
            event: model[event].name.value.clone(),
            given_doc: given.map_or("nothing".into(), |e| model[e].name.value.clone()),
            given: given_value,
            fields: command
                .fields
                .iter()
                .map(|f| ValueView { name: f.name.value.clone(), value: sample(&f.ty.value, &f.name.value) })
                .collect(),
            expected,
        });
    }
    #[derive(Serialize)]
    struct View<'a> {
        context: &'a str,
        context_dir: &'a str,
        aggregate: &'a str,
        ident: &'a str,
        imports: String,
        id_literal: String,
        commands: Vec<DecisionTest>,
    }
    let ident = &plan.aggregate(a).ident;
    render(
        "host/decision_test.rs",
        &View {
            context: &model[aggregate.context].name.value,
            context_dir: &context.ident,
            aggregate: &aggregate.name.value,
            ident,
            imports: format!(
                "use squall_runtime::AggregateId;\nuse support::testing::given_when;\nuse {}::aggregates::{ident}::{{Command, Event, Root, commands, events}};",
                context.crate_name()
            ),
            id_literal: string_literal(id_literal),
            commands: tests,
        },
    )
}
