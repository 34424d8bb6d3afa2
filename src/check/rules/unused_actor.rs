//! # unused-actor (warning)
//!
//! Checks that every actor issues some command (is named in some command's
//! `actor` or `actors`).
//!
//! ## Why
//!
//! An actor stands for the people, timers and systems that act on the
//! model, and becomes a role in the generated services' authorization. An
//! actor that issues nothing is either a command not yet written down or a
//! role that grants nothing.
//!
//! ## Example
//!
//! ```yaml
//! actors:
//!   Auditor: { kind: person }    # no command names it
//! ```
//!
//! ## Fix
//!
//! Name the actor on the commands it issues (`actor: Auditor`), or remove
//! it.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::Model;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    // While an actor reference does not resolve (`unknown-reference`), the
    // actor it means looks unused: say nothing until the names are right.
    if !model.unresolved_actors.is_empty() {
        return;
    }
    let mut issues = vec![false; model.actors.len()];
    for command in &model.commands {
        for actor in &command.actors {
            if let Some(seen) = issues.get_mut(actor.value.index()) {
                *seen = true;
            }
        }
    }
    for (actor, _) in model.actors.iter().zip(&issues).filter(|(_, issues)| !**issues) {
        out.push(
            Diagnostic::new(
                Code::UnusedActor,
                format!("actor `{}` issues no command", actor.name.value),
                Label::new(actor.name.span, "issues no command"),
            )
            .with_help(format!("name `{}` as the `actor` of the commands it issues, or remove it", actor.name.value)),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn a_misspelt_actor_does_not_make_the_one_meant_unused() {
        let yaml = payments_with("actor: Underwriter", "actor: Underwritter");
        assert_eq!(seen(&yaml, Code::UnknownReference).len(), 1);
        assert!(seen(&yaml, Code::UnusedActor).is_empty());
    }

    #[test]
    fn an_actor_that_issues_nothing() {
        let yaml = payments_with(
            "  Clock:           { kind: timer }\n",
            "  Clock:           { kind: timer }\n  Auditor: {}\n",
        );
        assert_eq!(
            seen(&yaml, Code::UnusedActor),
            [Seen {
                message: "actor `Auditor` issues no command".into(),
                at: "Auditor".into(),
                related: vec![],
                help: Some("name `Auditor` as the `actor` of the commands it issues, or remove it".into()),
            }]
        );
        assert!(seen(PAYMENTS, Code::UnusedActor).is_empty());
    }
}
