//! # command-mood (warning)
//!
//! Checks that command names start with a verb in the imperative:
//! `CompletePayment`, not `PaymentCompleted`.
//!
//! The check is a heuristic over English spelling that only flags names
//! that read like events, so that a real command is never flagged:
//!
//! - the first word must not be clearly past tense: a word ending in `ed`
//!   (`CompletedPayment`), except verbs such as `Feed`, `Seed`, `Need`,
//!   `Embed` or `Shred`, or an irregular past such as `Sent` or `Paid`
//!   (words like `Set`, `Read` or `Found` are verbs too, and are fine);
//! - the last word must not be clearly past tense (`PaymentCompleted`)
//!   unless the first word is a known imperative verb: `MarkOrderShipped`
//!   and `SetAccountLocked` are commands.
//!
//! ## Why
//!
//! A command is a request that may be refused; an event is a fact. Naming
//! commands as orders (`ShipOrder`) and events as facts (`OrderShipped`)
//! keeps the two apart on the board, in the generated code and in
//! conversations, and makes a command accidentally named like an event
//! stand out.
//!
//! ## Example
//!
//! ```yaml
//! commands:
//!   PaymentCompleted:            # reads like an event
//!     actor: PaymentProvider
//!     emits: [PaymentCompleted]
//! ```
//!
//! ## Fix
//!
//! Name the command for what is asked, starting with the verb:
//! `CompletePayment`.

use crate::check::grammar;
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Name, NameKind, names};

pub fn check_name(kind: NameKind, name: &Name, out: &mut Vec<Diagnostic>) {
    if kind != NameKind::Command {
        return;
    }
    let words = names::words(&name.value);
    let Some(&first) = words.first() else { return };
    let last = words.iter().rev().copied().find(|word| !grammar::is_version(word)).unwrap_or(first);
    let past = if grammar::is_clearly_past(first) {
        first
    } else if grammar::is_clearly_past(last) && !grammar::is_imperative_verb(first) {
        last
    } else {
        return;
    };
    out.push(
        Diagnostic::new(
            Code::CommandMood,
            format!("command `{}` reads like an event, not an order", name.value),
            Label::new(name.span, format!("`{past}` is past tense")),
        )
        .with_help(
            "name the command for what is asked, starting with a verb in the imperative (`CompletePayment`, not `PaymentCompleted`)",
        ),
    );
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, messages, payments_with, seen};
    use crate::diagnostics::Code;

    fn renamed(name: &str) -> String {
        payments_with("FailPayment:     {", &format!("{name}: {{"))
    }

    #[test]
    fn a_command_named_like_an_event() {
        assert_eq!(
            seen(&renamed("PaymentCancelled"), Code::CommandMood),
            [Seen {
                message: "command `PaymentCancelled` reads like an event, not an order".into(),
                at: "PaymentCancelled".into(),
                related: vec![],
                help: Some("name the command for what is asked, starting with a verb in the imperative (`CompletePayment`, not `PaymentCompleted`)".into()),
            }]
        );
        for name in ["CancelledPayment", "SentInvoice", "InvoiceSent"] {
            assert_eq!(messages(&renamed(name), Code::CommandMood).len(), 1, "{name}");
        }
    }

    #[test]
    fn imperatives_are_fine() {
        for name in
            ["FeedAnimal", "SetPrice", "ReadMeter", "MarkOrderShipped", "SetAccountLocked", "SeedCatalog", "EmbedVideo"]
        {
            assert!(messages(&renamed(name), Code::CommandMood).is_empty(), "{name}");
        }
        assert!(seen(PAYMENTS, Code::CommandMood).is_empty());
    }
}
