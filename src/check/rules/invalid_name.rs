//! # invalid-name (error)
//!
//! Checks that every name follows the case of its kind:
//!
//! - `PascalCase` (`^[A-Z][A-Za-z0-9]*$`) for contexts, aggregates,
//!   commands, events, policies, read models, actors, flows and domain
//!   errors;
//! - `snake_case` (`^[a-z][a-z0-9_]*$`) for fields;
//! - `kebab-case` (`^[a-z][a-z0-9-]*$`) for services.
//!
//! ## Why
//!
//! Names become code: an event `PaymentCompleted` is a Rust type, a field
//! `merchant_id` a struct field and a JSON key, a service `billing-api` a
//! crate and a deployment. Each case is the one its target expects, so the
//! generated code uses the names exactly as written, and a name that reads
//! the same on the board, in the code and in the logs is one less thing to
//! translate. Only ASCII letters and digits are allowed because every tool
//! downstream (compilers, brokers, URLs) accepts them.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Sales:
//!     aggregates:
//!       Order:
//!         events:
//!           order_placed:          # an event is PascalCase
//!             fields:
//!               orderTotal: decimal  # a field is snake_case
//! ```
//!
//! ## Fix
//!
//! Rename it as the help says (`OrderPlaced`, `order_total`), and rename the
//! references to it.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Case, Name, NameKind};

pub fn check_name(kind: NameKind, name: &Name, out: &mut Vec<Diagnostic>) {
    let case = kind.case();
    if case.matches(&name.value) {
        return;
    }
    let converted = case.convert(&name.value);
    let help = if case.matches(&converted) { format!("write it `{converted}`") } else { pattern(case).to_string() };
    out.push(
        Diagnostic::new(
            Code::InvalidName,
            format!("the {} name `{}` is not {}", kind.as_str(), name.value, case.as_str()),
            Label::new(name.span, format!("not {}", case.as_str())),
        )
        .with_help(help),
    );
}

/// What a case allows, for names that no conversion can fix.
fn pattern(case: Case) -> &'static str {
    match case {
        Case::Pascal => {
            "a PascalCase name starts with an uppercase ASCII letter and holds only ASCII letters and digits"
        }
        Case::Snake => {
            "a snake_case name starts with a lowercase ASCII letter and holds only lowercase ASCII letters, digits and `_`"
        }
        Case::Kebab => {
            "a kebab-case name starts with a lowercase ASCII letter and holds only lowercase ASCII letters, digits and `-`"
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostics::Diagnostic;
    use crate::model::Model;

    fn run(model: &Model) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        crate::check::Check::Name(super::check_name).run(model, &mut out);
        out
    }

    #[test]
    fn names_in_the_wrong_case_get_the_right_spelling() {
        let (model, built) =
            crate::model::build::fixture::sample_with_names("order_placed", "orderTotal", "BillingApi");
        assert!(built.is_empty(), "{built:?}");
        let found = run(&model);
        let got: Vec<(&str, Option<&str>)> = found.iter().map(|d| (d.message.as_str(), d.help.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("the event name `order_placed` is not PascalCase", Some("write it `OrderPlaced`")),
                ("the field name `orderTotal` is not snake_case", Some("write it `order_total`")),
                ("the service name `BillingApi` is not kebab-case", Some("write it `billing-api`")),
            ]
        );
    }

    #[test]
    fn a_name_no_conversion_fixes_gets_the_pattern() {
        let (model, _) = crate::model::build::fixture::sample_with_names("2Fast", "total", "api");
        let found = run(&model);
        assert_eq!(found.len(), 1);
        assert!(found[0].help.as_deref().is_some_and(|h| h.starts_with("a PascalCase name starts")));
    }
}
