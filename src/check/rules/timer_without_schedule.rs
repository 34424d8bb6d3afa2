//! # timer-without-schedule (error)
//!
//! Checks that a command issued by a timer actor (`kind: timer`) has a
//! `schedule` saying when the timer issues it.
//!
//! ## Why
//!
//! A timer is the clock on the board: it issues its commands at given times
//! and at no other. Without a schedule, the generated service cannot know
//! when to issue the command, and it would never happen.
//!
//! ## Example
//!
//! ```yaml
//! actors:
//!   Clock: { kind: timer }
//! # ...
//!       SendMonthlyInvoice:
//!         actor: Clock               # but no schedule
//!         emits: [MonthlyInvoiceSent]
//! ```
//!
//! ## Fix
//!
//! Add a 5-field cron `schedule` (minute, hour, day of month, month, day of
//! week), such as `schedule: "0 0 1 * *"` for midnight on the first of each
//! month; or, if people issue the command, name them as its actor instead.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{ActorKind, Model};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for command in &model.commands {
        if command.schedule.is_some() {
            continue;
        }
        let Some(timer) = command.actors.iter().find(|actor| model[actor.value].kind == ActorKind::Timer) else {
            continue;
        };
        let timer_name = &model[timer.value].name.value;
        out.push(
            Diagnostic::new(
                Code::TimerWithoutSchedule,
                format!("command `{}` is issued by the timer `{timer_name}` but has no schedule", command.name.value),
                Label::new(timer.span, format!("`{timer_name}` is a timer")),
            )
            .with_help(format!(
                "add a `schedule` saying when `{timer_name}` issues `{}`: a 5-field cron expression such as `0 0 1 * *` (midnight on the first of each month)",
                command.name.value
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn a_timer_command_without_a_schedule() {
        let yaml =
            payments_with("            schedule: \"0 0 1 * *\"            # acts on every Invoice, monthly\n", "");
        assert_eq!(
            seen(&yaml, Code::TimerWithoutSchedule),
            [Seen {
                message: "command `SendMonthlyInvoice` is issued by the timer `Clock` but has no schedule".into(),
                at: "Clock".into(),
                related: vec![],
                help: Some("add a `schedule` saying when `Clock` issues `SendMonthlyInvoice`: a 5-field cron expression such as `0 0 1 * *` (midnight on the first of each month)".into()),
            }]
        );
        assert!(seen(PAYMENTS, Code::TimerWithoutSchedule).is_empty());
    }
}
