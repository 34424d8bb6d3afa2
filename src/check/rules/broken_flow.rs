//! # broken-flow (error)
//!
//! Checks that each step of a flow follows from the one before it:
//!
//! - after a command comes an event it emits;
//! - after an event comes a policy it triggers, or any command (a new step
//!   taken by an actor);
//! - after a policy comes the command it issues (its `then`).
//!
//! Anything else (an event after an event, a command after a command, an
//! event after a policy, …) is a gap in the story. The first step may be
//! anything.
//!
//! ## Why
//!
//! A flow is the story of one process told with the model's own elements,
//! as on the event-storming board: it is drawn as a diagram and read by the
//! people who will build it. A step that does not follow from the one before
//! tells a story the model cannot play: either a step is missing, or the
//! model is missing a link (an event not in `emits`, a policy not `on` that
//! event).
//!
//! ## Example
//!
//! ```yaml
//! flows:
//!   CardPayment:
//!     steps: [InitiatePayment, PaymentCompleted]   # InitiatePayment emits PaymentInitiated
//! ```
//!
//! ## Fix
//!
//! Put the missing step in between (here `PaymentInitiated` and the command
//! `CompletePayment`), or add the missing link to the model (the event to
//! the command's `emits`, the event to the policy's `on`).

use crate::check::usage::{Consumer, Usage};
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Element, EventId, Model, PolicyId, Step};
use crate::syntax::span::Span;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let usage = Usage::new(model);
    for flow in &model.flows {
        for pair in flow.steps.windows(2) {
            let [previous, next] = pair else { continue };
            // A step that did not resolve between the two was reported; the
            // two around it need not follow each other.
            let between = Span::from_range(previous.span.end(), next.span.offset);
            if model.unresolved_within(between) {
                continue;
            }
            let Some((message, help)) = gap(model, &usage, previous.value, next.value) else { continue };
            out.push(
                Diagnostic::new(
                    Code::BrokenFlow,
                    format!("in flow `{}`, {message}", flow.name.value),
                    Label::new(next.span, "does not follow from the step before"),
                )
                .with_related(Label::new(previous.span, "the step before"))
                .with_help(help),
            );
        }
    }
}

/// Why `next` cannot follow `previous`, and what could: `None` when it can.
fn gap(model: &Model, usage: &Usage, previous: Step, next: Step) -> Option<(String, String)> {
    let name = |step: Step| model.element_name(element(step)).to_string();
    let (before, after) = (name(previous), name(next));
    match (previous, next) {
        (Step::Command(command), Step::Event(event)) => {
            let emits = &model[command].emits;
            (!emits.iter().any(|e| e.value == event)).then(|| {
                (
                    format!("command `{before}` does not emit event `{after}`"),
                    format!(
                        "after `{before}` comes an event it emits ({}); or add `{after}` to its `emits`",
                        list(emits.iter().map(|e| model[e.value].name.value.as_str()))
                    ),
                )
            })
        }
        (Step::Command(command), _) => Some((
            format!(
                "{} `{after}` cannot follow command `{before}`: a command is followed by an event it emits",
                kind(next)
            ),
            format!(
                "put an event `{before}` emits before `{after}`: {}",
                list(model[command].emits.iter().map(|e| model[e.value].name.value.as_str()))
            ),
        )),
        (Step::Event(_), Step::Command(_)) => None,
        (Step::Event(event), Step::Policy(policy)) => (!model[policy].on.iter().any(|e| e.value == event)).then(|| {
            (
                format!("policy `{after}` is not triggered by event `{before}`"),
                format!(
                    "after `{before}` comes {}; or add `{before}` to the `on` of `{after}`",
                    event_followers(model, usage, event)
                ),
            )
        }),
        (Step::Event(event), Step::Event(later)) => {
            let emitters = usage.emitters(later);
            let between = match emitters.first() {
                Some(&command) => format!(", such as `{}`, which emits `{after}`", model[command].name.value),
                None => String::new(),
            };
            Some((
                format!("event `{after}` cannot follow event `{before}`: something must happen in between"),
                format!("after `{before}` comes {}{between}", event_followers(model, usage, event)),
            ))
        }
        (Step::Policy(policy), Step::Command(command)) => {
            let then = model[policy].then.as_ref().map(|then| then.value);
            (then != Some(command)).then(|| {
                (format!("policy `{before}` does not issue command `{after}`"), policy_follower(model, policy))
            })
        }
        (Step::Policy(policy), _) => Some((
            format!(
                "{} `{after}` cannot follow policy `{before}`: a policy is followed by the command it issues",
                kind(next)
            ),
            policy_follower(model, policy),
        )),
    }
}

/// What may follow an event, for a help: the policies it triggers, or any
/// command.
fn event_followers(model: &Model, usage: &Usage, event: EventId) -> String {
    let policies: Vec<&str> = usage
        .consumers(event)
        .iter()
        .filter_map(|consumer| match consumer {
            Consumer::Policy(id) => Some(model[*id].name.value.as_str()),
            Consumer::ReadModel(_) => None,
        })
        .collect();
    if policies.is_empty() {
        "a command (no policy is triggered by it)".to_string()
    } else {
        format!("a policy it triggers ({}) or a command", list(policies.into_iter()))
    }
}

/// What must follow a policy, for a help.
fn policy_follower(model: &Model, policy: PolicyId) -> String {
    let name = &model[policy].name.value;
    match &model[policy].then {
        Some(then) => format!("after policy `{name}` comes the command it issues, `{}`", model[then.value].name.value),
        None => format!("after policy `{name}` comes the command it issues"),
    }
}

fn element(step: Step) -> Element {
    match step {
        Step::Command(id) => Element::Command(id),
        Step::Event(id) => Element::Event(id),
        Step::Policy(id) => Element::Policy(id),
    }
}

fn kind(step: Step) -> &'static str {
    match step {
        Step::Command(_) => "command",
        Step::Event(_) => "event",
        Step::Policy(_) => "policy",
    }
}

/// "`A`, `B`, `C`", or "none declared yet".
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.map(|name| format!("`{name}`")).collect();
    if quoted.is_empty() { "none declared yet".to_string() } else { quoted.join(", ") }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    fn with_steps(steps: &str) -> String {
        payments_with(
            "steps: [InitiatePayment, PaymentInitiated, CompletePayment, PaymentCompleted,\n            BillCompletedPayment, AddInvoiceLine, InvoiceLineAdded]",
            &format!("steps: [{steps}]"),
        )
    }

    fn at(yaml: &str) -> Vec<(String, String)> {
        seen(yaml, Code::BrokenFlow).into_iter().map(|s| (s.message, s.at)).collect()
    }

    #[test]
    fn a_command_followed_by_an_event_it_does_not_emit() {
        assert_eq!(
            seen(&with_steps("InitiatePayment, PaymentCompleted"), Code::BrokenFlow),
            [Seen {
                message: "in flow `CardPayment`, command `InitiatePayment` does not emit event `PaymentCompleted`".into(),
                at: "PaymentCompleted".into(),
                related: vec!["InitiatePayment".into()],
                help: Some("after `InitiatePayment` comes an event it emits (`PaymentInitiated`); or add `PaymentCompleted` to its `emits`".into()),
            }]
        );
    }

    #[test]
    fn every_kind_of_gap() {
        assert_eq!(
            at(&with_steps("PaymentInitiated, BillCompletedPayment")),
            [(
                "in flow `CardPayment`, policy `BillCompletedPayment` is not triggered by event `PaymentInitiated`"
                    .into(),
                "BillCompletedPayment".into()
            )]
        );
        assert_eq!(
            at(&with_steps("BillCompletedPayment, CompletePayment")),
            [(
                "in flow `CardPayment`, policy `BillCompletedPayment` does not issue command `CompletePayment`".into(),
                "CompletePayment".into()
            )]
        );
        assert_eq!(
            at(&with_steps("PaymentInitiated, PaymentCompleted")),
            [(
                "in flow `CardPayment`, event `PaymentCompleted` cannot follow event `PaymentInitiated`: something must happen in between".into(),
                "PaymentCompleted".into()
            )]
        );
        assert_eq!(
            at(&with_steps("InitiatePayment, CompletePayment")),
            [(
                "in flow `CardPayment`, command `CompletePayment` cannot follow command `InitiatePayment`: a command is followed by an event it emits".into(),
                "CompletePayment".into()
            )]
        );
        assert_eq!(
            at(&with_steps("BillCompletedPayment, InvoiceLineAdded")),
            [(
                "in flow `CardPayment`, event `InvoiceLineAdded` cannot follow policy `BillCompletedPayment`: a policy is followed by the command it issues".into(),
                "InvoiceLineAdded".into()
            )]
        );
    }

    #[test]
    fn an_event_may_be_followed_by_any_command() {
        assert!(at(&with_steps("PaymentInitiated, SendMonthlyInvoice, MonthlyInvoiceSent")).is_empty());
        assert!(at(PAYMENTS).is_empty());
    }

    #[test]
    fn an_unknown_step_is_not_a_gap_too() {
        let yaml = with_steps("InitiatePayment, PaymentInitiatd, CompletePayment");
        assert!(at(&yaml).is_empty());
        assert_eq!(seen(&yaml, Code::UnknownReference).len(), 1);
    }
}
