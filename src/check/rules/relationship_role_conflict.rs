//! # relationship-role-conflict (error)
//!
//! Checks that the relationships of the context map make sense:
//!
//! - roles are on the right side: open host service (`OHS`) and published
//!   language (`PL`) in `upstream_roles`, anticorruption layer (`ACL`) and
//!   conformist (`CF`) in `downstream_roles`;
//! - a downstream is not both `ACL` and `CF`;
//! - a `customer-supplier` relationship has no `OHS` (the supplier plans for
//!   one customer, an open host serves everyone) and no `CF` (a customer has
//!   a say in what it gets, a conformist has none);
//! - a `partnership` or `shared-kernel` relates two equals and has no roles;
//! - a relationship does not relate a context to itself;
//! - two relationships do not relate the same pair of contexts, in either
//!   direction.
//!
//! ## Why
//!
//! The roles say how two teams work together, and the generated code follows
//! them (an `ACL` gets a translation layer, a `CF` uses the upstream's types
//! as they are). Contradictory roles leave both the teams and the generator
//! with two stories about one relationship.
//!
//! ## Example
//!
//! ```yaml
//! relationships:
//!   - kind: customer-supplier
//!     upstream: Customer
//!     downstream: Transactions
//!     upstream_roles: [OHS]            # a supplier is not an open host
//!     downstream_roles: [ACL, CF]      # translate or conform, not both
//! ```
//!
//! ## Fix
//!
//! Keep the roles that describe how the teams really work: move a role to its
//! side, choose between `ACL` and `CF`, use `upstream-downstream` for an open
//! host or a conformist, and keep one relationship per pair of contexts.

use std::collections::HashMap;

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{ContextId, Model, Relationship, RelationshipKind, Role};
use crate::syntax::span::Spanned;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut first_of_pair: HashMap<(ContextId, ContextId), &Relationship> = HashMap::new();
    for relationship in &model.relationships {
        roles(model, relationship, out);
        let (u, d) = (relationship.upstream.value, relationship.downstream.value);
        if u == d {
            let name = &model[u].name.value;
            out.push(
                Diagnostic::new(
                    Code::RelationshipRoleConflict,
                    format!("a `{}` relationship relates context `{name}` to itself", relationship.kind.value.as_str()),
                    Label::new(relationship.downstream.span, format!("`{name}` again")),
                )
                .with_related(Label::new(relationship.upstream.span, format!("`{name}` here")))
                .with_help(
                    "a relationship is between two contexts: name the other context, or remove the relationship",
                ),
            );
            continue;
        }
        let pair = (u.min(d), u.max(d));
        match first_of_pair.get(&pair) {
            None => {
                first_of_pair.insert(pair, relationship);
            }
            Some(first) => {
                let (a, b) = (&model[u].name.value, &model[d].name.value);
                out.push(
                    Diagnostic::new(
                        Code::RelationshipRoleConflict,
                        format!("contexts `{a}` and `{b}` are related twice"),
                        Label::new(relationship.upstream.span, "second relationship between these contexts"),
                    )
                    .with_related(Label::new(first.upstream.span, "first relationship between them"))
                    .with_help(format!(
                        "keep one relationship between `{a}` and `{b}`, with the kind and roles that describe how the two teams work together"
                    )),
                );
            }
        }
    }
}

/// The roles of one relationship: each role is reported at most once, for
/// the first problem found with it.
fn roles(model: &Model, relationship: &Relationship, out: &mut Vec<Diagnostic>) {
    let kind = relationship.kind.value;
    let (upstream, downstream) =
        (&model[relationship.upstream.value].name.value, &model[relationship.downstream.value].name.value);
    let conflict = |role: &Spanned<Role>, message: String, label: &str, help: String| {
        Diagnostic::new(Code::RelationshipRoleConflict, message, Label::new(role.span, label)).with_help(help)
    };
    let written = relationship.upstream_roles.iter().map(|r| (r, true));
    let written = written.chain(relationship.downstream_roles.iter().map(|r| (r, false)));
    // The downstream's ACL or CF seen first, to report the other one.
    let mut translation: Option<&Spanned<Role>> = None;
    for (role, on_upstream_side) in written {
        let name = role.value.as_str();
        if kind.is_symmetric() {
            out.push(conflict(
                role,
                format!("a `{}` relates two equals and has no `{name}` role", kind.as_str()),
                "no roles in a symmetric relationship",
                format!(
                    "remove the role, or make the relationship `upstream-downstream` with `{upstream}` upstream of `{downstream}`"
                ),
            ));
        } else if role.value.is_upstream() != on_upstream_side {
            let (side, context, owner) = if on_upstream_side {
                ("a downstream", upstream, downstream)
            } else {
                ("an upstream", downstream, upstream)
            };
            let owner_side = if on_upstream_side { "downstream" } else { "upstream" };
            out.push(conflict(
                role,
                format!("`{name}` is {side} role, but it is given to `{context}`"),
                &format!("{side} role"),
                format!("give `{name}` to the {owner_side} context, `{owner}`, or remove it"),
            ));
        } else if kind == RelationshipKind::CustomerSupplier && role.value == Role::Ohs {
            out.push(conflict(
                role,
                format!(
                    "supplier `{upstream}` cannot be an open host: a supplier plans for its customer, an open host serves everyone alike"
                ),
                "an open host in a customer-supplier relationship",
                format!(
                    "remove `OHS`, or make the relationship `upstream-downstream` if `{upstream}` serves every consumer the same way"
                ),
            ));
        } else if kind == RelationshipKind::CustomerSupplier && role.value == Role::Cf {
            out.push(conflict(
                role,
                format!(
                    "customer `{downstream}` cannot be a conformist: a customer has a say in what it gets, a conformist has none"
                ),
                "a conformist in a customer-supplier relationship",
                format!(
                    "remove `CF`, or make the relationship `upstream-downstream` if `{downstream}` takes `{upstream}`'s model as it is"
                ),
            ));
        } else if matches!(role.value, Role::Acl | Role::Cf) {
            match translation {
                Some(first) if first.value != role.value => out.push(
                    conflict(
                        role,
                        format!("downstream `{downstream}` is both an anticorruption layer and a conformist"),
                        &format!("`{name}` here"),
                        format!(
                            "choose one: `ACL` if `{downstream}` translates `{upstream}`'s model into its own, `CF` if it uses it as it is"
                        ),
                    )
                    .with_related(Label::new(first.span, format!("`{}` here", first.value.as_str()))),
                ),
                Some(_) => {}
                None => translation = Some(role),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, seen};
    use crate::diagnostics::Code;

    fn with_relationships(relationships: &str) -> String {
        let start = PAYMENTS.find("relationships:").expect("relationships");
        let end = PAYMENTS.find("flows:").expect("flows");
        format!("{}relationships:\n{relationships}\n{}", &PAYMENTS[..start], &PAYMENTS[end..])
    }

    const TRANSACTIONS_BILLING: &str =
        "  - { kind: upstream-downstream, upstream: Transactions, downstream: Billing }\n";

    fn at(yaml: &str) -> Vec<(String, String)> {
        seen(yaml, Code::RelationshipRoleConflict).into_iter().map(|s| (s.message, s.at)).collect()
    }

    #[test]
    fn roles_on_the_wrong_side() {
        let yaml = with_relationships(&format!(
            "  - {{ kind: upstream-downstream, upstream: Customer, downstream: Transactions, upstream_roles: [ACL], downstream_roles: [OHS] }}\n{TRANSACTIONS_BILLING}"
        ));
        assert_eq!(
            at(&yaml),
            [
                ("`ACL` is a downstream role, but it is given to `Customer`".to_string(), "ACL".to_string()),
                ("`OHS` is an upstream role, but it is given to `Transactions`".to_string(), "OHS".to_string()),
            ]
        );
    }

    #[test]
    fn customer_supplier_has_no_open_host_and_no_conformist() {
        let yaml = with_relationships(&format!(
            "  - {{ kind: customer-supplier, upstream: Customer, downstream: Transactions, upstream_roles: [OHS, PL], downstream_roles: [CF] }}\n{TRANSACTIONS_BILLING}"
        ));
        let found = at(&yaml);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].0.starts_with("supplier `Customer` cannot be an open host"));
        assert_eq!(found[0].1, "OHS");
        assert!(found[1].0.starts_with("customer `Transactions` cannot be a conformist"));
        assert_eq!(found[1].1, "CF");
    }

    #[test]
    fn translate_or_conform_not_both() {
        let yaml = with_relationships(
            "  - { kind: customer-supplier, upstream: Customer, downstream: Transactions }\n  - { kind: upstream-downstream, upstream: Transactions, downstream: Billing, downstream_roles: [ACL, CF] }\n",
        );
        assert_eq!(
            seen(&yaml, Code::RelationshipRoleConflict),
            [Seen {
                message: "downstream `Billing` is both an anticorruption layer and a conformist".into(),
                at: "CF".into(),
                related: vec!["ACL".into()],
                help: Some("choose one: `ACL` if `Billing` translates `Transactions`'s model into its own, `CF` if it uses it as it is".into()),
            }]
        );
    }

    #[test]
    fn symmetric_relationships_have_no_roles() {
        let yaml = with_relationships(&format!(
            "  - {{ kind: partnership, between: [Customer, Transactions], upstream_roles: [PL] }}\n{TRANSACTIONS_BILLING}"
        ));
        assert_eq!(
            at(&yaml),
            [("a `partnership` relates two equals and has no `PL` role".to_string(), "PL".to_string())]
        );
    }

    #[test]
    fn self_and_duplicate_relationships() {
        let yaml = with_relationships(&format!(
            "  - {{ kind: customer-supplier, upstream: Customer, downstream: Transactions }}\n{TRANSACTIONS_BILLING}  - {{ kind: shared-kernel, between: [Billing, Transactions] }}\n  - {{ kind: upstream-downstream, upstream: Billing, downstream: Billing }}\n"
        ));
        let found = seen(&yaml, Code::RelationshipRoleConflict);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].message, "contexts `Billing` and `Transactions` are related twice");
        assert_eq!((found[0].at.as_str(), found[0].related.as_slice()), ("Billing", &["Transactions".to_string()][..]));
        assert_eq!(found[1].message, "a `upstream-downstream` relationship relates context `Billing` to itself");
    }

    #[test]
    fn the_example_is_consistent() {
        assert!(seen(PAYMENTS, Code::RelationshipRoleConflict).is_empty());
    }
}
