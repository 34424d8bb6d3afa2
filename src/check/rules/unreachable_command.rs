//! # unreachable-command (warning)
//!
//! Checks that every command is issued by someone: an actor (`actor` or
//! `actors`, timers included) or a policy (`then`).
//!
//! ## Why
//!
//! A command nobody issues is never handled: the generated service exposes
//! it, but nothing and nobody is meant to call it, and the events it emits
//! never happen. On the board, every blue sticky has a yellow actor or a
//! lilac policy before it.
//!
//! ## Example
//!
//! ```yaml
//! commands:
//!   RefundPayment:
//!     emits: [PaymentRefunded]     # no actor, no policy issues it
//! ```
//!
//! ## Fix
//!
//! Name who issues the command (`actor: Merchant`), or add a policy whose
//! `then` is the command; remove the command if nobody does.

use crate::check::usage::Usage;
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{CommandId, Element, Model};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let usage = Usage::new(model);
    // Contexts with a policy whose `then` is missing or did not resolve: the
    // command it means may be any of theirs, so none is called unreachable
    // on top of the error already reported.
    let mut unsure = vec![false; model.contexts.len()];
    for policy in model.policies.iter().filter(|policy| policy.then.is_none()) {
        if let Some(flag) = unsure.get_mut(policy.context.index()) {
            *flag = true;
        }
    }
    for (i, command) in model.commands.iter().enumerate() {
        let id = CommandId(i as u32);
        // A misspelt actor is `unknown-reference`; a redeclared command
        // (which no `then` can name) is `duplicate-name`.
        if !command.actors.is_empty()
            || !usage.issuing_policies(id).is_empty()
            || model.unresolved_actors.contains(&id)
            || unsure.get(command.context.index()).copied().unwrap_or(false)
            || model.is_redeclared(Element::Command(id))
        {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::UnreachableCommand,
                format!("command `{}` is issued by no actor and no policy", command.name.value),
                Label::new(command.name.span, "nobody issues this command"),
            )
            .with_help(format!(
                "name the actor who issues `{}`, or add a policy whose `then` is `{}`",
                command.name.value, command.name.value
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn a_command_nobody_issues() {
        let yaml = payments_with("CompletePayment: { actor: PaymentProvider, emits", "CompletePayment: { emits");
        assert_eq!(
            seen(&yaml, Code::UnreachableCommand),
            [Seen {
                message: "command `CompletePayment` is issued by no actor and no policy".into(),
                at: "CompletePayment".into(),
                related: vec![],
                help: Some(
                    "name the actor who issues `CompletePayment`, or add a policy whose `then` is `CompletePayment`"
                        .into()
                ),
            }]
        );
        // `AddInvoiceLine` has no actor but a policy issues it; the timer's
        // command has a timer for an actor.
        assert!(seen(PAYMENTS, Code::UnreachableCommand).is_empty());
    }

    #[test]
    fn a_misspelt_actor_is_only_an_unknown_reference() {
        let yaml =
            payments_with("CompletePayment: { actor: PaymentProvider,", "CompletePayment: { actor: PaymentProvidr,");
        assert!(seen(&yaml, Code::UnreachableCommand).is_empty());
        assert_eq!(seen(&yaml, Code::UnknownReference).len(), 1);
        // One actor that resolves is enough; one that does not is reported.
        let yaml = payments_with(
            "CompletePayment: { actor: PaymentProvider,",
            "CompletePayment: { actors: [PaymentProvider, Nobody],",
        );
        assert!(seen(&yaml, Code::UnreachableCommand).is_empty());
    }

    #[test]
    fn a_misspelt_then_does_not_make_the_command_meant_unreachable() {
        let yaml = payments_with("then: AddInvoiceLine", "then: AddInvoiceLin");
        assert_eq!(seen(&yaml, Code::UnknownReference).len(), 1);
        assert!(seen(&yaml, Code::UnreachableCommand).is_empty());
    }

    #[test]
    fn a_redeclared_command_is_only_a_duplicate() {
        let yaml = payments_with(
            "          FailPayment:     {",
            "          CompletePayment: { emits: [PaymentCompleted] }\n          FailPayment:     {",
        );
        assert!(seen(&yaml, Code::UnreachableCommand).is_empty());
        assert_eq!(seen(&yaml, Code::DuplicateName).len(), 1);
    }
}
