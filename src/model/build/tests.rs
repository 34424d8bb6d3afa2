//! Tests of the builder, on surface trees written by hand (see
//! [`super::fixture`]), so that each asserts the exact place and help of
//! what it reports.

use super::fixture::{Source, command, entry, event, field};
use crate::diagnostics::{Code, Diagnostic, Level};
use crate::model::{
    ActorKind, Edge, Element, Model, Node, Owned, RelationshipKind, Role, ServiceKind, Step, Type, build,
};
use crate::syntax::ast::{self, File};

/// A smaller cousin of the format's payments example: three contexts, a
/// policy and read models across contexts, relationships and a flow.
fn payments(s: &Source) -> File {
    let customer = ast::Context {
        aggregates: vec![entry(
            s.t("Merchant"),
            ast::Aggregate {
                fields: vec![field(s, "name", "string")],
                commands: vec![command(s, "RegisterMerchant", "Merchant", &["MerchantRegistered"])],
                events: vec![
                    event(s, "MerchantRegistered", vec![field(s, "name", "string")]),
                    entry(
                        s.t("CustomerAccepted"),
                        ast::Event {
                            public: Some(crate::syntax::span::Spanned::new(true, s.t("true").span)),
                            fields: vec![field(s, "merchant_id", "uuid")],
                            ..Default::default()
                        },
                    ),
                ],
                ..Default::default()
            },
        )],
        ..Default::default()
    };
    let transactions = ast::Context {
        aggregates: vec![entry(
            s.t("Payment"),
            ast::Aggregate {
                commands: vec![
                    command(s, "InitiatePayment", "Buyer", &["PaymentInitiated"]),
                    command(s, "CompletePayment", "PaymentProvider", &["PaymentCompleted"]),
                ],
                events: vec![
                    event(s, "PaymentInitiated", vec![field(s, "amount", "decimal")]),
                    event(s, "PaymentCompleted", vec![field(s, "merchant_id", "uuid"), field(s, "amount", "decimal")]),
                ],
                ..Default::default()
            },
        )],
        read_models: vec![entry(
            s.t("AcceptedMerchants"),
            ast::ReadModel {
                from: Some(s.list(&["Customer.CustomerAccepted"])),
                key: Some(s.t("merchant_id")),
                fields: vec![field(s, "merchant_id", "uuid")],
                ..Default::default()
            },
        )],
        ..Default::default()
    };
    let billing = ast::Context {
        aggregates: vec![entry(
            s.t("Invoice"),
            ast::Aggregate {
                commands: vec![entry(
                    s.t("AddInvoiceLine"),
                    ast::Command {
                        creates: Some(crate::syntax::span::Spanned::new(true, s.t("true").span)),
                        emits: Some(s.list(&["InvoiceLineAdded"])),
                        ..Default::default()
                    },
                )],
                events: vec![event(s, "InvoiceLineAdded", vec![field(s, "merchant_id", "uuid")])],
                ..Default::default()
            },
        )],
        policies: vec![entry(
            s.t("BillCompletedPayment"),
            ast::Policy {
                on: Some(s.list(&["Transactions.PaymentCompleted"])),
                then: Some(s.t("AddInvoiceLine")),
                ..Default::default()
            },
        )],
        read_models: vec![entry(
            s.t("MerchantBalance"),
            ast::ReadModel {
                from: Some(s.list(&["Transactions.PaymentCompleted", "InvoiceLineAdded"])),
                key: Some(s.t("merchant_id")),
                ..Default::default()
            },
        )],
        hotspots: vec![ast::Hotspot {
            text: s.t("Monthly or per payment?"),
            on: Some(s.t("Invoice")),
            ..Default::default()
        }],
        ..Default::default()
    };
    File {
        system: Some(s.t("Payments")),
        actors: vec![
            entry(s.t("Buyer"), ast::Actor::default()),
            entry(s.t("Merchant"), ast::Actor::default()),
            entry(s.t("PaymentProvider"), ast::Actor { kind: Some(s.t("external")), ..Default::default() }),
        ],
        contexts: vec![
            entry(s.t("Customer"), customer),
            entry(s.t("Transactions"), transactions),
            entry(s.t("Billing"), billing),
        ],
        relationships: vec![
            ast::Relationship {
                kind: Some(s.t("customer-supplier")),
                upstream: Some(s.t("Customer")),
                downstream: Some(s.t("Transactions")),
                upstream_roles: Some(s.list(&["PL"])),
                ..Default::default()
            },
            ast::Relationship {
                kind: Some(s.t("upstream-downstream")),
                upstream: Some(s.t("Transactions")),
                downstream: Some(s.t("Billing")),
                downstream_roles: Some(s.list(&["ACL"])),
                ..Default::default()
            },
            ast::Relationship {
                kind: Some(s.t("partnership")),
                between: Some(s.list(&["Customer", "Billing"])),
                ..Default::default()
            },
        ],
        flows: vec![entry(
            s.t("CardPayment"),
            ast::Flow {
                steps: Some(s.list(&[
                    "InitiatePayment",
                    "PaymentInitiated",
                    "CompletePayment",
                    "PaymentCompleted",
                    "BillCompletedPayment",
                    "AddInvoiceLine",
                    "InvoiceLineAdded",
                ])),
                ..Default::default()
            },
        )],
        hotspots: vec![ast::Hotspot { text: s.t("Who is the buyer?"), on: Some(s.t("Buyer")), ..Default::default() }],
        ..Default::default()
    }
}

/// The one diagnostic a build reported, with where it points.
fn only(s: &Source, diagnostics: Vec<Diagnostic>) -> (Diagnostic, String) {
    assert_eq!(diagnostics.len(), 1, "expected one diagnostic, got {diagnostics:#?}");
    let diagnostic = diagnostics.into_iter().next().unwrap();
    let at = s.slice(diagnostic.label.span);
    (diagnostic, at)
}

fn event_named(model: &Model, name: &str) -> Element {
    model.find_element(name).unwrap_or_else(|| panic!("no element {name}"))
}

fn billing(file: &mut File) -> &mut ast::Context {
    &mut file.contexts[2].body
}

#[test]
fn the_sample_builds_without_a_diagnostic() {
    let s = Source::default();
    let (model, diagnostics) = build(payments(&s));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(model.contexts.len(), 3);
    assert_eq!((model.aggregates.len(), model.commands.len(), model.events.len()), (3, 4, 5));
    assert_eq!(model.relationships.len(), 3);
    assert_eq!(model.flows[0].steps.len(), 7);
    assert_eq!(model.hotspots.len(), 2);
}

#[test]
fn defaults_are_filled_in() {
    let s = Source::default();
    let (model, _) = build(payments(&s));
    let provider = &model[model.find_actor("PaymentProvider").unwrap()];
    assert_eq!((provider.kind, provider.role.as_str()), (ActorKind::External, "payment-provider"));
    let buyer = &model[model.find_actor("Buyer").unwrap()];
    assert_eq!((buyer.kind, buyer.role.as_str()), (ActorKind::Person, "buyer"));
    assert!(model.aggregates.iter().all(|a| a.id_type == Type::Uuid));
    assert!(model.events.iter().all(|e| e.version == 1));
    let Some(Element::Command(register)) = model.find_element("RegisterMerchant") else { panic!() };
    assert!(!model[register].creates);
    assert_eq!(s.slice(model[register].emits_span), "MerchantRegistered");
    let Some(Element::Command(add)) = model.find_element("AddInvoiceLine") else { panic!() };
    assert!(model[add].creates);
    assert!(model[add].actors.is_empty());
}

#[test]
fn a_command_without_emits_points_at_its_name() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).aggregates[0].body.commands[0].body.emits = None;
    let (model, diagnostics) = build(file);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let Some(Element::Command(add)) = model.find_element("AddInvoiceLine") else { panic!() };
    assert_eq!(s.slice(model[add].emits_span), "AddInvoiceLine");
    assert!(model[add].emits.is_empty());
}

#[test]
fn membership_lists_follow_the_file() {
    let s = Source::default();
    let (model, _) = build(payments(&s));
    let billing = model.find_context("Billing").unwrap();
    let names: Vec<&str> = model.elements_of(billing).map(|e| model.element_name(e)).collect();
    assert_eq!(names, ["Invoice", "AddInvoiceLine", "InvoiceLineAdded", "BillCompletedPayment", "MerchantBalance"]);
    let invoice = model[billing].aggregates[0];
    assert_eq!(model[invoice].context, billing);
    assert_eq!(model[model[invoice].events[0]].aggregate, invoice);
}

#[test]
fn references_resolve_across_contexts() {
    let s = Source::default();
    let (model, _) = build(payments(&s));
    let policy = &model.policies[0];
    assert_eq!(model.qualified_name(Element::Event(policy.on[0].value)), "Transactions.PaymentCompleted");
    assert_eq!(s.slice(policy.on[0].span), "Transactions.PaymentCompleted");
    assert_eq!(model.qualified_name(Element::Command(policy.then.as_ref().unwrap().value)), "Billing.AddInvoiceLine");
    let balance = &model.read_models[1];
    let from: Vec<String> = balance.from.iter().map(|e| model.qualified_name(Element::Event(e.value))).collect();
    assert_eq!(from, ["Transactions.PaymentCompleted", "Billing.InvoiceLineAdded"]);
    let steps: Vec<&str> = model.flows[0]
        .steps
        .iter()
        .map(|step| match step.value {
            Step::Command(id) => model[id].name.as_str(),
            Step::Event(id) => model[id].name.as_str(),
            Step::Policy(id) => model[id].name.as_str(),
        })
        .collect();
    assert_eq!(steps[4], "BillCompletedPayment");
    assert_eq!(model.hotspots[0].on.as_ref().map(|on| on.value), model.find_actor("Buyer").map(Element::Actor));
    let invoice = model.lookup(model.find_context("Billing").unwrap(), "Invoice");
    assert_eq!(model.hotspots[1].on.as_ref().map(|on| on.value), invoice);
    let partnership = &model.relationships[2];
    assert_eq!(partnership.kind.value, RelationshipKind::Partnership);
    assert_eq!(model[partnership.downstream.value].name.value, "Billing");
    assert_eq!(model.relationships[0].upstream_roles[0].value, Role::Pl);
    // Events cross a partnership both ways, a directed relationship one way.
    let (u, d) = (partnership.upstream.value, partnership.downstream.value);
    assert_eq!(partnership.directions().collect::<Vec<_>>(), [(u, d), (d, u)]);
    let directed = &model.relationships[0];
    assert_eq!(directed.directions().collect::<Vec<_>>(), [(directed.upstream.value, directed.downstream.value)]);
}

#[test]
fn the_graph_has_every_element_and_edge() {
    let s = Source::default();
    let (model, _) = build(payments(&s));
    let graph = &model.graph;
    assert_eq!(graph.graph.node_count(), 3 + 3 + 3 + 4 + 5 + 1 + 2);
    let completed = Node::Event(match event_named(&model, "PaymentCompleted") {
        Element::Event(id) => id,
        _ => unreachable!(),
    });
    let Some(Element::Command(complete)) = model.find_element("CompletePayment") else { panic!() };
    let provider = Node::Actor(model.find_actor("PaymentProvider").unwrap());
    assert_eq!(graph.successors(provider, Edge::Issues).collect::<Vec<_>>(), [Node::Command(complete)]);
    assert_eq!(graph.predecessors(completed, Edge::Emits).collect::<Vec<_>>(), [Node::Command(complete)]);
    let policy = Node::Policy(crate::model::PolicyId(0));
    assert_eq!(graph.successors(completed, Edge::Triggers).collect::<Vec<_>>(), [policy]);
    let Some(Element::Command(add)) = model.find_element("AddInvoiceLine") else { panic!() };
    assert_eq!(graph.successors(policy, Edge::Then).collect::<Vec<_>>(), [Node::Command(add)]);
    let balance = Node::ReadModel(crate::model::ReadModelId(1));
    assert_eq!(graph.successors(completed, Edge::ProjectsFrom).collect::<Vec<_>>(), [balance]);
    let context = |name| Node::Context(model.find_context(name).unwrap());
    assert_eq!(graph.successors(context("Customer"), Edge::UpstreamOf).collect::<Vec<_>>(), [context("Transactions")]);
    assert_eq!(graph.successors(context("Transactions"), Edge::UpstreamOf).collect::<Vec<_>>(), [context("Billing")]);
    // The partnership between Customer and Billing is no upstream edge.
    assert_eq!(graph.successors(context("Billing"), Edge::UpstreamOf).count(), 0);
    assert_eq!(graph.graph.edge_count(), 3 + 4 + 1 + 1 + 3 + 2);
}

#[test]
fn a_repeated_reference_adds_one_edge() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).read_models[0].body.from = Some(s.list(&["InvoiceLineAdded", "InvoiceLineAdded"]));
    let (model, _) = build(file);
    assert_eq!(model.read_models[1].from.len(), 2);
    let Element::Event(added) = event_named(&model, "InvoiceLineAdded") else { panic!() };
    assert_eq!(model.graph.successors(Node::Event(added), Edge::ProjectsFrom).count(), 1);
}

#[test]
fn a_bare_name_of_another_context_suggests_the_qualified_one() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).policies[0].body.on = Some(s.list(&["PaymentCompleted"]));
    let (model, diagnostics) = build(file);
    let (d, at) = only(&s, diagnostics);
    assert_eq!(d.code, Code::UnknownReference);
    assert_eq!(d.message, "`PaymentCompleted` is not declared in context `Billing`");
    assert_eq!(at, "PaymentCompleted");
    assert_eq!(d.help.as_deref(), Some("did you mean `Transactions.PaymentCompleted`?"));
    assert!(model.policies[0].on.is_empty());
}

#[test]
fn a_name_of_the_wrong_kind_says_what_it_is() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).read_models[0].body.from = Some(s.list(&["Transactions.AcceptedMerchants"]));
    let (d, at) = only(&s, build(file).1);
    assert_eq!(d.message, "`Transactions.AcceptedMerchants` is a read model, not an event");
    assert_eq!(at, "Transactions.AcceptedMerchants");
    assert_eq!(d.label.message, "expected an event");
}

#[test]
fn an_unknown_context_is_reported_at_the_context_part() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).policies[0].body.on = Some(s.list(&["Transaction.PaymentCompleted"]));
    let (d, at) = only(&s, build(file.clone()).1);
    assert_eq!(d.message, "no context named `Transaction`");
    assert_eq!(at, "Transaction");
    assert_eq!(d.label.span.offset, file.contexts[2].body.policies[0].body.on.as_ref().unwrap().value[0].span.offset);
    assert_eq!(d.help.as_deref(), Some("did you mean `Transactions`?"));
}

#[test]
fn an_unknown_name_in_a_context_is_reported_at_the_name_part() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).policies[0].body.on = Some(s.list(&["Transactions.PaymentComplete"]));
    let (d, at) = only(&s, build(file).1);
    assert_eq!(d.message, "no event named `PaymentComplete` in context `Transactions`");
    assert_eq!(at, "PaymentComplete");
    assert_eq!(d.help.as_deref(), Some("did you mean `Transactions.PaymentCompleted`?"));
}

#[test]
fn a_misspelt_bare_name_suggests_the_closest_of_its_kind() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).policies[0].body.then = Some(s.t("AddInvoiceLin"));
    let (d, at) = only(&s, build(file.clone()).1);
    assert_eq!(d.message, "no command named `AddInvoiceLin` in context `Billing`");
    assert_eq!(at, "AddInvoiceLin");
    assert_eq!(d.help.as_deref(), Some("did you mean `AddInvoiceLine`?"));
    let (model, _) = build(file);
    assert!(model.policies[0].then.is_none());
}

#[test]
fn a_name_far_from_every_other_gets_a_plain_help() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).policies[0].body.then = Some(s.t("Zzz"));
    let (d, _) = only(&s, build(file).1);
    assert_eq!(d.help.as_deref(), Some("declare a command of that name, or correct the name"));
}

#[test]
fn emits_and_then_resolve_across_boundaries_for_their_own_rules() {
    let s = Source::default();
    let mut file = payments(&s);
    // An event of another context, and a command of another context: the
    // `foreign-event` and `cross-context-command` rules report them.
    billing(&mut file).aggregates[0].body.commands[0].body.emits = Some(s.list(&["Transactions.PaymentCompleted"]));
    billing(&mut file).policies[0].body.then = Some(s.t("Transactions.CompletePayment"));
    let (model, diagnostics) = build(file);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let Some(Element::Command(add)) = model.find_element("AddInvoiceLine") else { panic!() };
    assert_eq!(model.qualified_name(Element::Event(model[add].emits[0].value)), "Transactions.PaymentCompleted");
    let then = model.policies[0].then.as_ref().unwrap().value;
    assert_eq!(model.qualified_name(Element::Command(then)), "Transactions.CompletePayment");
}

#[test]
fn emits_resolves_an_event_of_another_aggregate_of_the_context() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).aggregates.push(entry(
        s.t("Ledger"),
        ast::Aggregate { commands: vec![command(&s, "Post", "Merchant", &["InvoiceLineAdded"])], ..Default::default() },
    ));
    let (model, diagnostics) = build(file);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let post = model.commands.iter().find(|c| c.name.value == "Post").unwrap();
    assert_ne!(model[post.emits[0].value].aggregate, post.aggregate);
}

#[test]
fn an_ambiguous_flow_step_lists_the_candidates() {
    let s = Source::default();
    let mut file = payments(&s);
    // A second `PaymentCompleted`, in Billing.
    billing(&mut file).aggregates[0].body.events.push(event(&s, "PaymentCompleted", vec![]));
    let (d, at) = only(&s, build(file).1);
    assert_eq!(d.code, Code::AmbiguousReference);
    assert_eq!(at, "PaymentCompleted");
    assert_eq!(
        d.message,
        "`PaymentCompleted` is declared in several contexts: `Transactions.PaymentCompleted` or `Billing.PaymentCompleted`"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("say which with its context: `Transactions.PaymentCompleted` or `Billing.PaymentCompleted`")
    );
    let related: Vec<String> = d.related.iter().map(|l| s.slice(l.span)).collect();
    assert_eq!(related, ["PaymentCompleted", "PaymentCompleted"]);
    assert_ne!(d.related[0].span, d.related[1].span);
}

#[test]
fn an_unknown_flow_step_suggests_a_name_from_any_context() {
    let s = Source::default();
    let mut file = payments(&s);
    file.flows[0].body.steps = Some(s.list(&["InvoiceLineAded", "MerchantBalance"]));
    let diagnostics = build(file).1;
    assert_eq!(diagnostics.len(), 2);
    assert_eq!(diagnostics[0].message, "no command, event or policy named `InvoiceLineAded` in any context");
    assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `InvoiceLineAdded`?"));
    assert_eq!(diagnostics[1].message, "`MerchantBalance` is a read model, not a command, an event or a policy");
}

#[test]
fn actors_are_looked_up_among_actors() {
    let s = Source::default();
    let mut file = payments(&s);
    let commands = &mut file.contexts[1].body.aggregates[0].body.commands;
    commands[0].body.actors = Some(s.list(&["Buyr"]));
    commands[1].body.actors = Some(s.list(&["Payment"]));
    let diagnostics = build(file).1;
    assert_eq!(diagnostics.len(), 2);
    assert_eq!(diagnostics[0].message, "no actor named `Buyr`");
    assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `Buyer`?"));
    assert_eq!(s.slice(diagnostics[0].label.span), "Buyr");
    assert_eq!(diagnostics[1].message, "`Payment` is an aggregate, not an actor");
}

#[test]
fn an_actor_is_not_an_event() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).policies[0].body.on = Some(s.list(&["Buyer"]));
    let (d, _) = only(&s, build(file).1);
    assert_eq!(d.message, "`Buyer` is an actor, not an event");
}

#[test]
fn a_malformed_reference_is_reported() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).policies[0].body.on = Some(s.list(&["Transactions.Payment.Completed"]));
    let (d, at) = only(&s, build(file).1);
    assert_eq!(d.message, "`Transactions.Payment.Completed` is not a reference");
    assert_eq!(at, "Transactions.Payment.Completed");
}

#[test]
fn owns_names_aggregates_policies_and_read_models() {
    let s = Source::default();
    let mut file = payments(&s);
    billing(&mut file).services = vec![entry(
        s.t("billing-api"),
        ast::Service {
            kind: Some(s.t("worker")),
            owns: Some(s.list(&["Invoice", "BillCompletedPayment", "MerchantBalance", "AddInvoiceLine"])),
            description: None,
        },
    )];
    let (model, diagnostics) = build(file);
    let (d, _) = only(&s, diagnostics);
    assert_eq!(d.message, "`AddInvoiceLine` is a command, not an aggregate, a policy or a read model");
    let service = &model.services[0];
    assert_eq!(service.kind, ServiceKind::Worker);
    let owns: Vec<Owned> = service.owns.iter().map(|o| o.value).collect();
    assert!(matches!(owns[..], [Owned::Aggregate(_), Owned::Policy(_), Owned::ReadModel(_)]), "{owns:?}");
    assert_eq!(
        model.find_service(model.find_context("Billing").unwrap(), "billing-api"),
        Some(crate::model::ServiceId(0))
    );
}

#[test]
fn words_from_fixed_lists_are_checked_with_a_suggestion() {
    let s = Source::default();
    let mut file = payments(&s);
    file.actors[0].body.kind = Some(s.t("persn"));
    file.relationships[0].upstream_roles = Some(s.list(&["ohs", "XYZ"]));
    file.relationships[1].kind = Some(s.t("upstream-downstreem"));
    let (model, diagnostics) = build(file);
    let got: Vec<(Code, String, String, Option<&str>)> =
        diagnostics.iter().map(|d| (d.code, d.message.clone(), s.slice(d.label.span), d.help.as_deref())).collect();
    assert_eq!(
        got,
        [
            (Code::Syntax, "`persn` is not an actor kind".into(), "persn".into(), Some("did you mean `person`?")),
            (Code::Syntax, "`ohs` is not a role".into(), "ohs".into(), Some("did you mean `OHS`?")),
            (
                Code::Syntax,
                "`XYZ` is not a role".into(),
                "XYZ".into(),
                Some("a role is one of `OHS`, `PL`, `ACL` or `CF`")
            ),
            (
                Code::Syntax,
                "`upstream-downstreem` is not a relationship kind".into(),
                "upstream-downstreem".into(),
                Some("did you mean `upstream-downstream`?")
            ),
        ]
    );
    // Kept with the default kind; the relationship with an unknown kind is
    // dropped.
    assert_eq!(model.actors[0].kind, ActorKind::Person);
    assert_eq!(model.relationships.len(), 2);
    assert!(model.relationships[0].upstream_roles.is_empty());
}

#[test]
fn relationships_have_the_keys_of_their_kind() {
    let s = Source::default();
    let mut file = payments(&s);
    // A partnership written with sides: reported once, kept as partners.
    file.relationships[2].between = None;
    file.relationships[2].upstream = Some(s.t("Customer"));
    file.relationships[2].downstream = Some(s.t("Billing"));
    // An upstream-downstream written with `between`: reported, dropped.
    file.relationships[1].upstream = None;
    file.relationships[1].downstream = None;
    file.relationships[1].between = Some(s.list(&["Transactions", "Billing"]));
    let (model, diagnostics) = build(file);
    let got: Vec<(&str, String, Vec<String>)> = diagnostics
        .iter()
        .map(|d| (d.message.as_str(), s.slice(d.label.span), d.related.iter().map(|r| s.slice(r.span)).collect()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "a relationship of kind `upstream-downstream` has an upstream and a downstream, not `between`",
                "Transactions Billing".to_string(),
                vec!["upstream-downstream".to_string()]
            ),
            (
                "a relationship of kind `partnership` relates two contexts as equals, with no upstream or downstream",
                "Customer".to_string(),
                vec!["partnership".to_string(), "Billing".to_string()]
            ),
        ]
    );
    assert!(diagnostics.iter().all(|d| d.code == Code::Syntax));
    assert_eq!(model.relationships.len(), 2);
    assert_eq!(model.relationships[1].kind.value, RelationshipKind::Partnership);
}

#[test]
fn the_shape_the_readers_report_is_not_reported_again() {
    let s = Source::default();
    let mut file = payments(&s);
    // Both ways of naming the contexts, and three partners: the readers'.
    file.relationships[0].between = Some(s.list(&["Customer", "Transactions"]));
    file.relationships[2].upstream = Some(s.t("Customer"));
    file.relationships.push(ast::Relationship {
        kind: Some(s.t("shared-kernel")),
        between: Some(s.list(&["Customer", "Billing", "Transactions"])),
        ..Default::default()
    });
    file.relationships.push(ast::Relationship {
        kind: Some(s.t("customer-supplier")),
        upstream: Some(s.t("Customer")),
        ..Default::default()
    });
    let (model, diagnostics) = build(file);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(model.relationships.len(), 3);
}

#[test]
fn suggestions_stop_when_their_budget_is_spent() {
    let s = Source::default();
    let mut file = payments(&s);
    file.relationships[1].downstream = Some(s.t("Biling"));
    let help = |budget| {
        let (_, diagnostics) = super::build_with(file.clone(), budget);
        diagnostics.into_iter().next().and_then(|d| d.help)
    };
    assert_eq!(help(100).as_deref(), Some("did you mean `Billing`?"));
    // Three contexts to compare with, but room for two.
    assert_eq!(help(2).as_deref(), Some("declare `Biling` under `contexts`, or correct the name"));
}

#[test]
fn a_relationship_with_an_unknown_context_is_dropped() {
    let s = Source::default();
    let mut file = payments(&s);
    file.relationships[1].downstream = Some(s.t("Biling"));
    let (model, diagnostics) = build(file);
    let (d, at) = only(&s, diagnostics);
    assert_eq!((d.code, at.as_str()), (Code::UnknownReference, "Biling"));
    assert_eq!(d.help.as_deref(), Some("did you mean `Billing`?"));
    assert_eq!(model.relationships.len(), 2);
}

#[test]
fn lints_name_warnings_and_levels() {
    let s = Source::default();
    let mut file = payments(&s);
    file.lints = vec![
        entry(s.t("event-tense"), s.t("allow")),
        entry(s.t("squall::unused-event"), s.t("deny")),
        entry(s.t("event-tenses"), s.t("allow")),
        entry(s.t("orphan-event"), s.t("alow")),
        entry(s.t("foreign-event"), s.t("allow")),
        entry(s.t("foreign-event"), s.t("deny")),
    ];
    let (model, diagnostics) = build(file);
    let got: Vec<(String, String, Option<&str>)> =
        diagnostics.iter().map(|d| (d.message.clone(), s.slice(d.label.span), d.help.as_deref())).collect();
    assert_eq!(
        got,
        [
            (
                "`event-tenses` is not a rule of squall".to_string(),
                "event-tenses".to_string(),
                Some("did you mean `event-tense`?")
            ),
            ("`alow` is not a lint level".to_string(), "alow".to_string(), Some("did you mean `allow`?")),
            (
                "`foreign-event` is an error and cannot be set to `allow`".to_string(),
                "allow".to_string(),
                Some("remove this entry: only warnings have lint levels; fix what the error reports")
            ),
        ]
    );
    let lints: Vec<(Code, Level)> = model.lints.iter().map(|(code, level)| (code.value, *level)).collect();
    assert_eq!(
        lints,
        [(Code::EventTense, Level::Allow), (Code::UnusedEvent, Level::Deny), (Code::ForeignEvent, Level::Deny)]
    );
}

#[test]
fn an_invalid_type_is_reported_at_the_wrong_part() {
    let s = Source::default();
    let mut file = payments(&s);
    let fields = &mut file.contexts[0].body.aggregates[0].body.fields;
    fields.push(field(&s, "tags", "list<strng>"));
    fields.push(field(&s, "total", "money"));
    let (model, diagnostics) = build(file);
    assert_eq!(diagnostics.len(), 2);
    let (first, second) = (&diagnostics[0], &diagnostics[1]);
    assert_eq!(first.code, Code::InvalidType);
    assert_eq!(first.message, "`list<strng>` is not a field type: `strng` is not a type");
    assert_eq!(second.message, "`money` is not a field type");
    assert_eq!(s.slice(first.label.span), "strng");
    assert_eq!(first.help.as_deref(), Some("did you mean `list<string>`?"));
    assert_eq!(s.slice(second.label.span), "money");
    assert_eq!(
        second.help.as_deref(),
        Some(
            "a field type is one of `string`, `int`, `float`, `decimal`, `bool`, `uuid`, `timestamp`, `date`, \
             or `list<T>`; `T?` makes any of them optional"
        )
    );
    let merchant = &model.aggregates[0];
    assert_eq!(merchant.fields.len(), 3);
    assert_eq!(merchant.fields[1].ty.value, Type::Unknown);
}

#[test]
fn a_huge_type_is_not_copied_into_the_message() {
    let s = Source::default();
    let mut file = payments(&s);
    let nested = format!("{}int{}", "list<".repeat(1000), ">".repeat(1000));
    file.contexts[0].body.aggregates[0].body.fields.push(field(&s, "deep", &nested));
    let (d, _) = only(&s, build(file).1);
    assert_eq!(d.code, Code::InvalidType);
    assert_eq!(d.message, "this field type does not parse: types nest at most 16 levels deep");
    assert!(d.help.as_deref().is_some_and(|help| help.len() < 300));
}

#[test]
fn a_quoted_type_is_reported_on_the_whole_value() {
    let s = Source::default();
    let mut file = payments(&s);
    // As a reader gives `"list<strng>"`: the span covers the quotes.
    let mut ty = s.t("\"list<strng>\"");
    ty.value = "list<strng>".into();
    file.contexts[0].body.aggregates[0].body.fields.push(entry(s.t("tags"), ast::Field { ty, ..Default::default() }));
    let (d, at) = only(&s, build(file).1);
    assert_eq!(at, "\"list<strng>\"");
    assert_eq!(d.code, Code::InvalidType);
}

#[test]
fn an_id_is_a_scalar_key() {
    let s = Source::default();
    let mut file = payments(&s);
    file.contexts[0].body.aggregates[0].body.id = Some(s.t("list<uuid>"));
    file.contexts[1].body.aggregates[0].body.id = Some(s.t("string"));
    let (model, diagnostics) = build(file);
    let (d, at) = only(&s, diagnostics);
    assert_eq!((d.code, at.as_str()), (Code::InvalidType, "list<uuid>"));
    assert_eq!(d.message, "`list<uuid>` cannot be the type of an aggregate's id");
    assert_eq!(model.aggregates[1].id_type, Type::String);
}

#[test]
fn duplicates_are_kept_and_look_ups_find_the_first() {
    let s = Source::default();
    let mut file = payments(&s);
    let again = entry(s.t("Billing"), ast::Context::default());
    file.contexts.push(again);
    billing(&mut file).read_models.push(entry(s.t("Invoice"), ast::ReadModel::default()));
    let (model, diagnostics) = build(file);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(model.contexts.len(), 4);
    assert_eq!(model.find_context("Billing"), Some(crate::model::ContextId(2)));
    let billing = model.find_context("Billing").unwrap();
    assert!(matches!(model.lookup(billing, "Invoice"), Some(Element::Aggregate(_))));
    assert_eq!(model[billing].read_models.len(), 2);
}

#[test]
fn hot_spots_may_name_anything() {
    let s = Source::default();
    let mut file = payments(&s);
    file.hotspots.push(ast::Hotspot { text: s.t("?"), on: Some(s.t("Billing")), ..Default::default() });
    file.hotspots.push(ast::Hotspot { text: s.t("?"), on: Some(s.t("MerchantBalance")), ..Default::default() });
    file.hotspots.push(ast::Hotspot { text: s.t("?"), on: Some(s.t("Nowhere")), ..Default::default() });
    let (model, diagnostics) = build(file);
    let (d, at) = only(&s, diagnostics);
    assert_eq!((d.message.as_str(), at.as_str()), ("no element named `Nowhere` in any context", "Nowhere"));
    assert!(matches!(model.hotspots[1].on.as_ref().map(|o| o.value), Some(Element::Context(_))));
    assert!(matches!(model.hotspots[2].on.as_ref().map(|o| o.value), Some(Element::ReadModel(_))));
    assert!(model.hotspots[3].on.is_none());
}

/// Every model in `models/` (the format's payments example first among
/// them) builds without a diagnostic, read by the YAML reader.
#[test]
fn the_shipped_models_build_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("models/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    assert!(paths.iter().any(|p| p.ends_with("payments.yaml")), "the payments example is in models/");
    for path in paths {
        let source = std::fs::read_to_string(&path).expect("readable model");
        let parsed = crate::syntax::yaml::parse(&source);
        assert!(parsed.diagnostics.is_empty(), "{}: {:#?}", path.display(), parsed.diagnostics);
        let (model, diagnostics) = build(parsed.file.expect("a model"));
        assert!(diagnostics.is_empty(), "{}: {diagnostics:#?}", path.display());
        assert!(!model.contexts.is_empty());
    }
}
