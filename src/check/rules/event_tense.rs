//! # event-tense (warning)
//!
//! Checks that event names read as past tense: the last word of the name
//! (ignoring a trailing version such as `V2`) is a past tense or
//! participle, such as `PaymentCompleted`, `InvoiceSent` or `PriceSet`.
//!
//! The check is a heuristic over English spelling: a word ending in `ed`
//! reads as past (except the few that only end that way, such as `Feed`,
//! `Seed` or `Speed`), and so does an irregular past from a list (`Sent`,
//! `Paid`, `Built`, `Made`, `Done`, `Given`, `Taken`, `Held`, `Set`, `Read`
//! and many more). `Due` and `Overdue` are accepted too, as no verb names
//! the change they state. Other adjectives of state (`Open`, `Ready`) are
//! not: name the change that made them so (`AccountOpened`). Where a team's
//! language says otherwise, allow the lint.
//!
//! ## Why
//!
//! An event is a fact: something that happened and cannot be undone. Past
//! tense keeps events apart from the commands that ask for things to happen
//! (`CompletePayment` may be refused; `PaymentCompleted` cannot), on the
//! board, in the code and in conversations.
//!
//! ## Example
//!
//! ```yaml
//! events:
//!   CompletePayment: {}      # reads like a command
//! ```
//!
//! ## Fix
//!
//! Name the event for what happened, in the past tense: `PaymentCompleted`.

use crate::check::grammar;
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::{Name, NameKind, names};

pub fn check_name(kind: NameKind, name: &Name, out: &mut Vec<Diagnostic>) {
    if kind != NameKind::Event {
        return;
    }
    let words = names::words(&name.value);
    let Some(last) = words.iter().rev().find(|word| !grammar::is_version(word)) else { return };
    if grammar::reads_as_past(last) {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::EventTense,
            format!("event `{}` is not named in the past tense", name.value),
            Label::new(name.span, format!("`{last}` is not a verb in the past tense")),
        )
        .with_help(match grammar::event_name_for(&words) {
            Some(name) => format!("name the event for what happened, in the past tense: `{name}`"),
            None => "name the event for what happened, ending in a past tense (`PaymentCompleted`, `InvoiceSent`)"
                .to_string(),
        }),
    );
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, messages, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn an_event_named_like_a_command() {
        let yaml = payments_with("          CustomerRejected: {}\n", "          RejectCustomer: {}\n").replacen(
            "emits: [CustomerAccepted, CustomerRejected]",
            "emits: [CustomerAccepted, RejectCustomer]",
            1,
        );
        assert_eq!(
            seen(&yaml, Code::EventTense),
            [Seen {
                message: "event `RejectCustomer` is not named in the past tense".into(),
                at: "RejectCustomer".into(),
                related: vec![],
                help: Some("name the event for what happened, in the past tense: `CustomerRejected`".into()),
            }]
        );
    }

    #[test]
    fn past_tenses_regular_irregular_and_versioned() {
        for name in ["PaymentSent", "PriceSet", "OrderPlacedV2", "InvoiceOverdue", "MerchantAgreed"] {
            let yaml = payments_with("CustomerRejected", name).replacen("CustomerRejected", name, 1);
            assert!(messages(&yaml, Code::EventTense).is_empty(), "{name}");
        }
        for name in ["AccountOpen", "ProductFeed", "PaymentStatus"] {
            let yaml = payments_with("CustomerRejected", name).replacen("CustomerRejected", name, 1);
            assert_eq!(messages(&yaml, Code::EventTense).len(), 1, "{name}");
        }
        assert!(seen(PAYMENTS, Code::EventTense).is_empty());
    }
}
