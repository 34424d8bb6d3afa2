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
//! - services within their context, and flows among flows.
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
//! ## Fix
//!
//! Rename one of the two (the diagnostic points at both), or merge them if
//! they are the same thing. References to the name keep finding the first
//! declaration.

use std::collections::HashMap;

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{ActorId, ContextId, Element, Model, Name};
use crate::syntax::span::Span;

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
    for (i, context) in model.contexts.iter().enumerate() {
        let id = ContextId(i as u32);
        let scope = format!("in context `{}`", context.name.value);
        for element in model.elements_of(id) {
            let name = model.element_name(element);
            let Some(first) = model.lookup(id, name).filter(|&first| first != element) else {
                continue;
            };
            let span = model.element_span(element);
            let mut diagnostic =
                duplicate(&Name::new(name.to_string(), span), model.element_span(first), kind(element), &scope);
            if kind(first) != kind(element) {
                diagnostic.message = format!("the {} `{name}` has the name of {} {scope}", kind(element), first.noun());
                diagnostic.help = Some(
                    "rename one of them: the aggregates, commands, events, policies and read models of a context \
                     share one namespace"
                        .to_string(),
                );
            }
            out.push(diagnostic);
        }
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
    use crate::diagnostics::Diagnostic;
    use crate::model::build::fixture::{Source, command, entry, event};
    use crate::syntax::ast;

    /// The messages of every duplicate found, each with where its label and
    /// its "first declared here" point (as offsets, to tell the two
    /// declarations of one name apart).
    fn run(file: &ast::File) -> Vec<Diagnostic> {
        let (model, built) = crate::model::build(file);
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
}
