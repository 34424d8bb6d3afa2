//! # schedule-without-timer (error)
//!
//! Checks that a command's `schedule` is given only when the command is
//! issued by a timer actor (`kind: timer`), and that it is a valid 5-field
//! cron expression: minute (0-59), hour (0-23), day of month (1-31), month
//! (1-12 or `JAN`-`DEC`) and day of week (0-7, 0 and 7 being Sunday, or
//! `SUN`-`SAT`), each `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`,
//! or a list `a,b` of those. A step is at most the size of what it steps
//! over (`*/60` in the minute field would only ever mean minute 0).
//!
//! ## Why
//!
//! A schedule makes the generated service issue the command by itself, at
//! every tick. That is what a timer actor (the clock on the board) stands
//! for; on a command that people or other systems issue, a schedule would
//! fire it behind their backs. A cron expression that does not parse would
//! only fail when the service starts, or never fire at all.
//!
//! ## Example
//!
//! ```yaml
//! commands:
//!   SendMonthlyInvoice:
//!     actor: Merchant            # a person, not a timer
//!     schedule: "0 0 32 * *"     # there is no day 32
//!     emits: [MonthlyInvoiceSent]
//! ```
//!
//! ## Fix
//!
//! Issue the command by a timer actor (`Clock: { kind: timer }`), or remove
//! the schedule; correct the cron field the diagnostic points at.

use crate::check::cron;
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{ActorKind, CommandId, Model};
use crate::syntax::span::{Span, Spanned};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    // The timer to suggest, found once rather than for every command.
    let timer = model.actors.iter().find(|actor| actor.kind == ActorKind::Timer);
    for (i, command) in model.commands.iter().enumerate() {
        let Some(schedule) = &command.schedule else { continue };
        let timers = command.actors.iter().any(|actor| model[actor.value].kind == ActorKind::Timer);
        // A misspelt timer is `unknown-reference` and nothing more.
        if !timers && !model.unresolved_actors.contains(&CommandId(i as u32)) {
            let mut diagnostic = Diagnostic::new(
                Code::ScheduleWithoutTimer,
                format!("command `{}` has a schedule but no timer actor issues it", command.name.value),
                Label::new(schedule.span, "a schedule needs a timer actor"),
            );
            for actor in &command.actors {
                let actor_kind = model[actor.value].kind.as_str();
                diagnostic =
                    diagnostic.with_related(Label::new(actor.span, format!("an actor of kind `{actor_kind}`")));
            }
            let help = match timer {
                Some(timer) => format!(
                    "have the timer `{}` issue it, or remove the schedule",
                    timer.name.value
                ),
                None => "declare an actor of kind `timer` (such as `Clock`) and have it issue the command, or remove the schedule"
                    .to_string(),
            };
            out.push(diagnostic.with_help(help));
        }
        if let Err(error) = cron::validate(&schedule.value) {
            out.push(
                Diagnostic::new(
                    Code::ScheduleWithoutTimer,
                    format!(
                        "the schedule of command `{}` is not a valid cron expression: {}",
                        command.name.value, error.message
                    ),
                    Label::new(inner_span(schedule, error.start, error.end), "invalid here"),
                )
                .with_help(error.help),
            );
        }
    }
}

/// The span of `schedule.value[start..end]` in the file. A plain value's
/// bytes are where its span says; a quoted one (`"0 0 1 * *"`) has one quote
/// before them. Anything else (escapes, a block scalar) has no known byte
/// positions, so the whole value is the best place there is.
fn inner_span(schedule: &Spanned<String>, start: usize, end: usize) -> Span {
    let opening = match schedule.span.len.checked_sub(schedule.value.len()) {
        Some(0) => 0,
        Some(2) => 1,
        _ => return schedule.span,
    };
    if start >= end {
        return schedule.span;
    }
    Span::from_range(schedule.span.offset + opening + start, schedule.span.offset + opening + end)
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn a_schedule_on_a_command_people_issue() {
        let yaml = payments_with("            actor: Clock\n", "            actor: Merchant\n");
        assert_eq!(
            seen(&yaml, Code::ScheduleWithoutTimer),
            [Seen {
                message: "command `SendMonthlyInvoice` has a schedule but no timer actor issues it".into(),
                at: "\"0 0 1 * *\"".into(),
                related: vec!["Merchant".into()],
                help: Some("have the timer `Clock` issue it, or remove the schedule".into()),
            }]
        );
    }

    #[test]
    fn a_misspelt_timer_is_only_an_unknown_reference() {
        let yaml = payments_with("            actor: Clock\n", "            actor: Clok\n");
        assert!(seen(&yaml, Code::ScheduleWithoutTimer).is_empty());
        assert_eq!(seen(&yaml, Code::UnknownReference).len(), 1);
    }

    #[test]
    fn an_invalid_cron_points_at_its_field() {
        let yaml = payments_with("schedule: \"0 0 1 * *\"", "schedule: \"0 0 32 * *\"");
        assert_eq!(
            seen(&yaml, Code::ScheduleWithoutTimer),
            [Seen {
                message: "the schedule of command `SendMonthlyInvoice` is not a valid cron expression: 32 is out of range for the day of month field (1-31)".into(),
                at: "32".into(),
                related: vec![],
                help: Some("the day of month field takes values from 1 to 31".into()),
            }]
        );
        // Unquoted, the value's bytes are where its span starts.
        let yaml = payments_with("schedule: \"0 0 1 * *\"", "schedule: 0 0 1 * FUN");
        assert_eq!(seen(&yaml, Code::ScheduleWithoutTimer)[0].at, "FUN");
        // Single-quoted too.
        let yaml = payments_with("schedule: \"0 0 1 * *\"", "schedule: '0 0 1 13 *'");
        assert_eq!(seen(&yaml, Code::ScheduleWithoutTimer)[0].at, "13");
    }

    #[test]
    fn the_example_is_valid() {
        assert!(seen(PAYMENTS, Code::ScheduleWithoutTimer).is_empty());
    }
}
