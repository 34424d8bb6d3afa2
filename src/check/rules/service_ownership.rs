//! # service-ownership (error)
//!
//! Checks, in a context that declares `services`, that every aggregate,
//! policy and read model of the context is owned by exactly one of its
//! services, and that a service owns only elements of its own context. A
//! context without `services` is one service that owns everything in it.
//!
//! ## Why
//!
//! A service is deployed on its own and is the only writer of what it owns.
//! An aggregate owned by no service is never handled; one owned by two has
//! two writers to one event stream, which loses the aggregate's
//! consistency. A service of one context owning another context's element
//! would couple the two contexts' deployments and data.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Billing:
//!     services:
//!       billing-api:   { kind: api, owns: [Invoice] }
//!       billing-worker: { kind: worker, owns: [Invoice] }  # owned twice
//!     # the policy BillCompletedPayment is owned by no service
//! ```
//!
//! ## Fix
//!
//! List each aggregate, policy and read model in the `owns` of exactly one
//! service of its context: usually aggregates in an `api`, policies in a
//! `worker` and read models in a `projector`.

use std::collections::HashMap;

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{ContextId, Element, Model, Name, Owned, Service, ServiceKind};
use crate::syntax::span::Span;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for (c, context) in model.contexts.iter().enumerate() {
        let Some(services) = model.declared_services(ContextId(c as u32)) else { continue };
        // The first `owns` reference to each element of this context.
        let mut owners: HashMap<Owned, (&Service, Span)> = HashMap::new();
        for &service_id in services {
            let service = &model[service_id];
            for owned in &service.owns {
                let element = element(owned.value);
                let element_context = model.element_context(element);
                if element_context != Some(service.context) {
                    let other = element_context.map_or("", |id| model[id].name.value.as_str());
                    out.push(
                        Diagnostic::new(
                            Code::ServiceOwnership,
                            format!(
                                "service `{}` of context `{}` owns `{}`, which belongs to context `{other}`",
                                service.name.value,
                                context.name.value,
                                model.qualified_name(element)
                            ),
                            Label::new(owned.span, format!("an element of `{other}`")),
                        )
                        .with_help(format!(
                            "remove it from `owns`; a service of `{other}` owns it (or, without `services` there, `{other}` as a whole)"
                        )),
                    );
                    continue;
                }
                match owners.get(&owned.value) {
                    None => {
                        owners.insert(owned.value, (service, owned.span));
                    }
                    Some(&(first, first_span)) => {
                        let name = model.element_name(element);
                        let (message, related) = if std::ptr::eq(first, service) {
                            (
                                format!("service `{}` lists `{name}` twice in `owns`", service.name.value),
                                "first listed here".to_string(),
                            )
                        } else {
                            (
                                format!(
                                    "`{name}` is owned by both service `{}` and service `{}`",
                                    first.name.value, service.name.value
                                ),
                                format!("owned by `{}` here", first.name.value),
                            )
                        };
                        out.push(
                            Diagnostic::new(Code::ServiceOwnership, message, Label::new(owned.span, "owned again"))
                                .with_related(Label::new(first_span, related))
                                .with_help(format!(
                                    "keep `{name}` in the `owns` of one service only: one service is the only writer of what it owns"
                                )),
                        );
                    }
                }
            }
        }
        let unowned = context
            .aggregates
            .iter()
            .map(|&id| Owned::Aggregate(id))
            .chain(context.policies.iter().map(|&id| Owned::Policy(id)))
            .chain(context.read_models.iter().map(|&id| Owned::ReadModel(id)))
            // A redeclared element cannot be named in `owns`; only
            // `duplicate-name` reports it.
            .filter(|owned| !owners.contains_key(owned) && !model.is_redeclared(element(*owned)))
            // While an `owns` entry of this context does not resolve
            // (`unknown-reference`), the element it meant looks unowned:
            // one misspelling is one diagnostic.
            .filter(|_| !model.unresolved_owns.contains(&ContextId(c as u32)));
        let candidates: Vec<&Service> = services.iter().map(|&id| &model[id]).collect();
        for owned in unowned {
            let (name, kind, usual) = describe(model, owned);
            let suggested = candidates.iter().find(|service| service.kind == usual).or(candidates.first());
            let help = match suggested {
                Some(service) => format!(
                    "add `{}` to the `owns` of a service of `{}`, such as `{}`",
                    name.value, context.name.value, service.name.value
                ),
                None => format!("add `{}` to the `owns` of a service of `{}`", name.value, context.name.value),
            };
            out.push(
                Diagnostic::new(
                    Code::ServiceOwnership,
                    format!("{kind} `{}` of context `{}` is owned by no service", name.value, context.name.value),
                    Label::new(name.span, "owned by no service"),
                )
                .with_help(help),
            );
        }
    }
}

fn element(owned: Owned) -> Element {
    match owned {
        Owned::Aggregate(id) => Element::Aggregate(id),
        Owned::Policy(id) => Element::Policy(id),
        Owned::ReadModel(id) => Element::ReadModel(id),
    }
}

/// The element's name, what kind of element it is, and the kind of service
/// that usually owns such an element.
fn describe(model: &Model, owned: Owned) -> (&Name, &'static str, ServiceKind) {
    match owned {
        Owned::Aggregate(id) => (&model[id].name, "aggregate", ServiceKind::Api),
        Owned::Policy(id) => (&model[id].name, "policy", ServiceKind::Worker),
        Owned::ReadModel(id) => (&model[id].name, "read model", ServiceKind::Projector),
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, messages, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn owned_twice_by_another_context_and_by_nobody() {
        let yaml = payments_with(
            "  Billing:\n    team: Team Red\n",
            "  Billing:\n    team: Team Red\n    services:\n      billing-api: { kind: api, owns: [Invoice] }\n      billing-worker: { kind: worker, owns: [Invoice, Transactions.AcceptedMerchants] }\n",
        );
        assert_eq!(
            seen(&yaml, Code::ServiceOwnership),
            [
                Seen {
                    message: "`Invoice` is owned by both service `billing-api` and service `billing-worker`".into(),
                    at: "Invoice".into(),
                    related: vec!["Invoice".into()],
                    help: Some("keep `Invoice` in the `owns` of one service only: one service is the only writer of what it owns".into()),
                },
                Seen {
                    message: "service `billing-worker` of context `Billing` owns `Transactions.AcceptedMerchants`, which belongs to context `Transactions`".into(),
                    at: "Transactions.AcceptedMerchants".into(),
                    related: vec![],
                    help: Some("remove it from `owns`; a service of `Transactions` owns it (or, without `services` there, `Transactions` as a whole)".into()),
                },
                Seen {
                    message: "policy `BillCompletedPayment` of context `Billing` is owned by no service".into(),
                    at: "BillCompletedPayment".into(),
                    related: vec![],
                    help: Some("add `BillCompletedPayment` to the `owns` of a service of `Billing`, such as `billing-worker`".into()),
                },
                Seen {
                    message: "read model `MerchantBalance` of context `Billing` is owned by no service".into(),
                    at: "MerchantBalance".into(),
                    related: vec![],
                    help: Some("add `MerchantBalance` to the `owns` of a service of `Billing`, such as `billing-api`".into()),
                },
            ]
        );
    }

    #[test]
    fn a_misspelt_entry_does_not_make_the_element_meant_unowned() {
        let yaml = payments_with(
            "  Billing:\n    team: Team Red\n",
            "  Billing:\n    team: Team Red\n    services:\n      billing-api: { kind: api, owns: [Invoce] }\n      billing-worker: { kind: worker, owns: [BillCompletedPayment, MerchantBalance] }\n",
        );
        assert_eq!(
            messages(&yaml, Code::UnknownReference),
            ["no aggregate, policy or read model named `Invoce` in context `Billing`"]
        );
        assert_eq!(seen(&yaml, Code::ServiceOwnership), []);
        // Spelt right, the same services leave nothing unowned; with the
        // entry left out, the aggregate is owned by no service.
        assert_eq!(seen(&yaml.replace("Invoce", "Invoice"), Code::ServiceOwnership), []);
        assert_eq!(
            messages(&yaml.replace("[Invoce]", "[]"), Code::ServiceOwnership),
            ["aggregate `Invoice` of context `Billing` is owned by no service"]
        );
    }

    #[test]
    fn without_services_one_service_owns_everything() {
        assert!(seen(PAYMENTS, Code::ServiceOwnership).is_empty());
        let yaml = payments_with(
            "  Billing:\n    team: Team Red\n",
            "  Billing:\n    team: Team Red\n    services:\n      billing-api: { kind: api, owns: [Invoice] }\n      billing-worker: { kind: worker, owns: [BillCompletedPayment] }\n      billing-projector: { kind: projector, owns: MerchantBalance }\n",
        );
        assert!(seen(&yaml, Code::ServiceOwnership).is_empty());
    }
}
