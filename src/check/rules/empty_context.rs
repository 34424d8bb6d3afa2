//! # empty-context (warning)
//!
//! Checks that every bounded context holds at least one aggregate, policy or
//! read model.
//!
//! ## Why
//!
//! A context is a boundary around a model. One with nothing in it is a name
//! on the board that nobody has filled in yet: it generates a service that
//! does nothing, and relationships to it carry no events.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Shipping:
//!     team: Team Green
//! ```
//!
//! ## Fix
//!
//! Add the aggregates, policies or read models the context owns, or remove
//! the context (and the relationships that name it) until it has some.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::Model;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for context in &model.contexts {
        if context.aggregates.is_empty() && context.policies.is_empty() && context.read_models.is_empty() {
            out.push(
                Diagnostic::new(
                    Code::EmptyContext,
                    format!("context `{}` has no aggregate, policy or read model", context.name.value),
                    Label::new(context.name.span, "this context is empty"),
                )
                .with_help("add the aggregates, policies or read models it owns, or remove the context"),
            );
        }
    }
}
