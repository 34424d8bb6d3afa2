//! # duplicate-name (error)
//!
//! Checks that names are unique where the format says they must be:
//!
//! - contexts among contexts, and actors among actors (a context and an
//!   actor may share a name);
//! - within a context, aggregates, commands, events, policies and read
//!   models share one namespace: no two of them have the same name, even
//!   when they are of different kinds or in different aggregates;
//! - the domain errors of a command among themselves;
//! - services within their context, and flows among flows;
//! - the entries of one list of references: a command's `actors` and
//!   `emits`, a policy's `on` and a read model's `from` name each actor or
//!   event once (a service's `owns` is `service-ownership`'s business).
//!
//! Two fields of the same element with the same name, and any other repeated
//! key, are reported as `syntax` when the file is read.
//!
//! ## Why
//!
//! A reference names an element by its name alone (`OrderPlaced`, or
//! `Sales.OrderPlaced` from another context). With two elements of that name
//! a reference cannot say which it means, and the generated code would
//! declare two types, modules or routes with the same name. Commands and
//! events share a namespace because they become types side by side in the
//! context's generated crate.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Sales:
//!     aggregates:
//!       Order:
//!         events:
//!           OrderPlaced: {}
//!       Cart:
//!         events:
//!           OrderPlaced: {}      # the same name as the event of Order
//! ```
//!
//! ```yaml
//! commands:
//!   PlaceOrder: { actors: [Buyer, Buyer], emits: [OrderPlaced] }  # Buyer twice
//! ```
//!
//! ## Fix
//!
//! Rename one of the two (the diagnostic points at both), or merge them if
//! they are the same thing. References to the name keep finding the first
//! declaration. In a list of references, remove the repeated entry.

use std::collections::HashMap;
use std::hash::Hash;

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{ActorId, ContextId, Element, EventId, Model, Name};
use crate::syntax::span::{Span, Spanned};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for (i, context) in model.contexts.iter().enumerate() {
        let id = ContextId(i as u32);
        if let Some(first) = model.find_context(&context.name).filter(|&first| first != id) {
            out.push(duplicate(&context.name, model[first].name.span, "context", "among the contexts"));
        }
    }
    for (i, actor) in model.actors.iter().enumerate() {
        if let Some(first) = model.find_actor(&actor.name).filter(|&first| first != ActorId(i as u32)) {
            out.push(duplicate(&actor.name, model[first].name.span, "actor", "among the actors"));
        }
    }
    // The name index found these while it was built: no name is looked up
    // again here.
    for &(element, first) in model.redeclared_elements() {
        let Some(context) = model.element_context(element) else { continue };
        let scope = format!("in context `{}`", model[context].name.value);
        let name = model.element_name(element);
        let span = model.element_span(element);
        let mut diagnostic =
            duplicate(&Name::new(name.to_string(), span), model.element_span(first), kind(element), &scope);
        if kind(first) != kind(element) {
            diagnostic.message = format!("the {} `{name}` has the name of {} {scope}", kind(element), first.noun());
            diagnostic.help = Some(
                "rename one of them: the aggregates, commands, events, policies and read models of a context share \
                 one namespace"
                    .to_string(),
            );
        }
        out.push(diagnostic);
    }
    for (i, context) in model.contexts.iter().enumerate() {
        let id = ContextId(i as u32);
        let scope = format!("in context `{}`", context.name.value);
        for &service in &context.services {
            let name = &model[service].name;
            if let Some(first) = model.find_service(id, name).filter(|&first| first != service) {
                out.push(duplicate(name, model[first].name.span, "service", &scope));
            }
        }
    }
    for command in &model.commands {
        // Error lists are short, but a map keeps this linear however long.
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for error in &command.errors {
            match seen.get(error.value.as_str()) {
                Some(&first) => out.push(duplicate(
                    error,
                    first,
                    "domain error",
                    &format!("among the errors of command `{}`", command.name.value),
                )),
                None => {
                    seen.insert(&error.value, error.span);
                }
            }
        }
    }
    for (i, flow) in model.flows.iter().enumerate() {
        if let Some(first) = model.find_flow(&flow.name).filter(|&first| first != i) {
            out.push(duplicate(&flow.name, model.flows[first].name.span, "flow", "among the flows"));
        }
    }
    repeated_references(model, out);
}

/// An actor or event named twice in one list of references. Flow steps are
/// not among these lists: a flow may pass the same step twice.
fn repeated_references(model: &Model, out: &mut Vec<Diagnostic>) {
    // The owner is named only when a list repeats itself: the lists of
    // every command are walked, and most repeat nothing.
    for command in &model.commands {
        let owner = || format!("command `{}`", command.name.value);
        for (again, first, actor) in repeats(&command.actors) {
            out.push(repeated(again, first, &model[actor].name.value, "actor", "actors", &owner()));
        }
        for (again, first, event) in repeats(&command.emits) {
            let name = event_name(model, event, command.context);
            out.push(repeated(again, first, &name, "event", "emits", &owner()));
        }
    }
    for policy in &model.policies {
        let owner = format!("policy `{}`", policy.name.value);
        for (again, first, event) in repeats(&policy.on) {
            let name = event_name(model, event, policy.context);
            out.push(repeated(again, first, &name, "event", "on", &owner));
        }
    }
    for read_model in &model.read_models {
        let owner = format!("read model `{}`", read_model.name.value);
        for (again, first, event) in repeats(&read_model.from) {
            let name = event_name(model, event, read_model.context);
            out.push(repeated(again, first, &name, "event", "from", &owner));
        }
    }
}

/// Each entry of `list` that repeats an earlier one: its span, the span of
/// the first, and what both name.
fn repeats<T: Copy + Eq + Hash>(list: &[Spanned<T>]) -> Vec<(Span, Span, T)> {
    let mut found = Vec::new();
    // Lists are a few entries long: comparing each with those before it
    // allocates nothing. A long one goes through a map, so that a file of
    // one huge list still checks in linear time.
    if list.len() <= 16 {
        for (i, entry) in list.iter().enumerate() {
            if let Some(first) = list[..i].iter().find(|earlier| earlier.value == entry.value) {
                found.push((entry.span, first.span, entry.value));
            }
        }
        return found;
    }
    let mut first: HashMap<T, Span> = HashMap::with_capacity(list.len());
    for entry in list {
        match first.get(&entry.value) {
            Some(&at) => found.push((entry.span, at, entry.value)),
            None => {
                first.insert(entry.value, entry.span);
            }
        }
    }
    found
}

/// An event's name as a list of `here` refers to it: bare in its own
/// context, `Context.Name` from another.
fn event_name(model: &Model, event: EventId, here: ContextId) -> String {
    if model[event].context == here {
        model[event].name.value.clone()
    } else {
        model.qualified_name(Element::Event(event))
    }
}

/// The diagnostic for the second entry naming `name` in the list `key` of
/// `owner` ("command `PlaceOrder`").
fn repeated(again: Span, first: Span, name: &str, kind: &str, key: &str, owner: &str) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateName,
        format!("the {kind} `{name}` is named twice in the `{key}` of {owner}"),
        Label::new(again, "named again here"),
    )
    .with_related(Label::new(first, "first named here"))
    .with_help(format!("remove the repeated `{name}`: each {kind} is named once in `{key}`"))
}

/// The diagnostic for a second declaration of `name`, first declared at
/// `first`.
fn duplicate(name: &Name, first: Span, kind: &str, scope: &str) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateName,
        format!("the {kind} `{}` is declared twice {scope}", name.value),
        Label::new(name.span, "declared again here"),
    )
    .with_related(Label::new(first, "first declared here"))
    .with_help("rename one of them, or merge them if they are the same thing")
}

fn kind(element: Element) -> &'static str {
    match element {
        Element::Actor(_) => "actor",
        Element::Context(_) => "context",
        Element::Aggregate(_) => "aggregate",
        Element::Command(_) => "command",
        Element::Event(_) => "event",
        Element::Policy(_) => "policy",
        Element::ReadModel(_) => "read model",
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::{Code, Diagnostic};
    use crate::model::build::fixture::{Source, command, entry, event};
    use crate::syntax::ast;

    /// The messages of every duplicate found, each with where its label and
    /// its "first declared here" point (as offsets, to tell the two
    /// declarations of one name apart).
    fn run(file: &ast::File) -> Vec<Diagnostic> {
        let (model, built) = crate::model::build(file.clone());
        assert!(built.is_empty(), "{built:?}");
        let mut out = Vec::new();
        super::check(&model, &mut out);
        out
    }

    fn context(s: &Source, name: &str, body: ast::Context) -> ast::Entry<ast::Context> {
        entry(s.t(name), body)
    }

    #[test]
    fn a_second_declaration_points_at_the_first() {
        let s = Source::default();
        let first_order = s.t("Order");
        let second_order = s.t("Order");
        let aggregate = |name: ast::Text, events: Vec<ast::Entry<ast::Event>>| {
            entry(name, ast::Aggregate { events, ..Default::default() })
        };
        let first_placed = event(&s, "OrderPlaced", vec![]);
        let second_placed = event(&s, "OrderPlaced", vec![]);
        let (first_at, second_at) = (first_placed.name.span, second_placed.name.span);
        let file = ast::File {
            system: Some(s.t("Shop")),
            contexts: vec![context(
                &s,
                "Sales",
                ast::Context {
                    aggregates: vec![
                        aggregate(first_order.clone(), vec![first_placed]),
                        aggregate(s.t("Cart"), vec![second_placed]),
                    ],
                    read_models: vec![entry(second_order.clone(), ast::ReadModel::default())],
                    ..Default::default()
                },
            )],
            ..Default::default()
        };
        let found = run(&file);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].message, "the event `OrderPlaced` is declared twice in context `Sales`");
        assert_eq!((found[0].label.span, found[0].related[0].span), (second_at, first_at));
        assert_eq!(found[0].related[0].message, "first declared here");
        assert_eq!(found[1].message, "the read model `Order` has the name of an aggregate in context `Sales`");
        assert_eq!((found[1].label.span, found[1].related[0].span), (second_order.span, first_order.span));
        assert!(found[1].help.as_deref().is_some_and(|h| h.contains("share one namespace")));
    }

    #[test]
    fn every_namespace_of_the_format_is_checked() {
        let s = Source::default();
        let mut place = command(&s, "PlaceOrder", "Buyer", &["OrderPlaced"]);
        place.body.errors = Some(s.list(&["OutOfStock", "OutOfStock"]));
        let service = |name: &str| {
            entry(s.t(name), ast::Service { kind: Some(s.t("api")), owns: Some(s.list(&["Order"])), description: None })
        };
        let sales = ast::Context {
            aggregates: vec![entry(
                s.t("Order"),
                ast::Aggregate {
                    commands: vec![place],
                    events: vec![event(&s, "OrderPlaced", vec![])],
                    ..Default::default()
                },
            )],
            services: vec![service("orders"), service("orders")],
            ..Default::default()
        };
        let flow = |name: &str| entry(s.t(name), ast::Flow { steps: Some(s.list(&["PlaceOrder"])), description: None });
        let file = ast::File {
            system: Some(s.t("Shop")),
            actors: vec![entry(s.t("Buyer"), ast::Actor::default()), entry(s.t("Buyer"), ast::Actor::default())],
            contexts: vec![context(&s, "Sales", sales), context(&s, "Sales", ast::Context::default())],
            flows: vec![flow("Checkout"), flow("Checkout")],
            ..Default::default()
        };
        let messages: Vec<String> = run(&file).into_iter().map(|d| d.message).collect();
        assert_eq!(
            messages,
            [
                "the context `Sales` is declared twice among the contexts",
                "the actor `Buyer` is declared twice among the actors",
                "the service `orders` is declared twice in context `Sales`",
                "the domain error `OutOfStock` is declared twice among the errors of command `PlaceOrder`",
                "the flow `Checkout` is declared twice among the flows",
            ]
        );
    }

    #[test]
    fn the_same_name_in_different_scopes_is_fine() {
        let s = Source::default();
        let file = ast::File {
            system: Some(s.t("Shop")),
            // An actor and a context may share a name, and so may elements
            // of different contexts.
            actors: vec![entry(s.t("Sales"), ast::Actor::default())],
            contexts: vec![
                context(
                    &s,
                    "Sales",
                    ast::Context {
                        aggregates: vec![entry(
                            s.t("Order"),
                            ast::Aggregate {
                                commands: vec![command(&s, "PlaceOrder", "Sales", &["OrderPlaced"])],
                                events: vec![event(&s, "OrderPlaced", vec![])],
                                ..Default::default()
                            },
                        )],
                        ..Default::default()
                    },
                ),
                context(
                    &s,
                    "Shipping",
                    ast::Context {
                        aggregates: vec![entry(
                            s.t("Order"),
                            ast::Aggregate { events: vec![event(&s, "OrderPlaced", vec![])], ..Default::default() },
                        )],
                        ..Default::default()
                    },
                ),
            ],
            ..Default::default()
        };
        assert!(run(&file).is_empty());
    }

    #[test]
    fn a_reference_repeated_in_one_list_is_reported_at_the_second() {
        let yaml = payments_with("            actor: Merchant\n", "            actors: [Merchant, Merchant]\n")
            .replacen("emits: [PaymentInitiated]", "emits: [PaymentInitiated, PaymentInitiated]", 1)
            .replacen(
                "on: Transactions.PaymentCompleted",
                "on: [Transactions.PaymentCompleted, Transactions.PaymentCompleted]",
                1,
            )
            .replacen(
                "from: [Transactions.PaymentCompleted, InvoiceLineAdded]",
                "from: [Transactions.PaymentCompleted, InvoiceLineAdded, InvoiceLineAdded]",
                1,
            );
        let repeated = |message: &str, name: &str, key: &str, kind: &str| Seen {
            message: message.into(),
            at: name.into(),
            related: vec![name.into()],
            help: Some(format!("remove the repeated `{name}`: each {kind} is named once in `{key}`")),
        };
        assert_eq!(
            seen(&yaml, Code::DuplicateName),
            [
                repeated(
                    "the actor `Merchant` is named twice in the `actors` of command `RegisterMerchant`",
                    "Merchant",
                    "actors",
                    "actor"
                ),
                repeated(
                    "the event `PaymentInitiated` is named twice in the `emits` of command `InitiatePayment`",
                    "PaymentInitiated",
                    "emits",
                    "event"
                ),
                repeated(
                    "the event `Transactions.PaymentCompleted` is named twice in the `on` of policy `BillCompletedPayment`",
                    "Transactions.PaymentCompleted",
                    "on",
                    "event"
                ),
                repeated(
                    "the event `InvoiceLineAdded` is named twice in the `from` of read model `MerchantBalance`",
                    "InvoiceLineAdded",
                    "from",
                    "event"
                ),
            ]
        );
        // The label is on the second entry, the related label on the first.
        let diagnostics = crate::check::testing::check(&yaml);
        let actors = diagnostics.iter().find(|d| d.message.contains("`actors`")).expect("reported");
        assert!(actors.related[0].span.offset < actors.label.span.offset);
        // The same event written bare and qualified is still named twice;
        // different entries are not.
        let mixed = payments_with(
            "from: [Transactions.PaymentCompleted, InvoiceLineAdded]",
            "from: [Transactions.PaymentCompleted, InvoiceLineAdded, Billing.InvoiceLineAdded]",
        );
        assert_eq!(seen(&mixed, Code::DuplicateName).len(), 1);
        // A long list is checked the same way: each repeat once, at itself.
        let long: Vec<String> =
            (0..40).map(|i| ["InvoiceLineAdded", "Transactions.PaymentCompleted"][i % 2].to_string()).collect();
        let long = payments_with(
            "from: [Transactions.PaymentCompleted, InvoiceLineAdded]",
            &format!("from: [{}]", long.join(", ")),
        );
        let found = seen(&long, Code::DuplicateName);
        assert_eq!(found.len(), 38);
        assert!(found.iter().all(|d| d.message.contains("`from` of read model `MerchantBalance`")));
        assert!(seen(PAYMENTS, Code::DuplicateName).is_empty());
    }
}
