//! # pii-in-public-event (warning)
//!
//! Checks that public events (`public: true`) carry no field marked
//! `pii: true`.
//!
//! ## Why
//!
//! The generated services encrypt personal data at rest with a key per
//! aggregate, so that forgetting the key erases the data everywhere it is
//! stored (crypto-shredding). A public event leaves its context: every
//! consumer may copy the data into stores of its own, out of reach of that
//! key, and the right to be forgotten can no longer be honoured in one
//! place. Personal data should not travel further than it must.
//!
//! ## Example
//!
//! ```yaml
//! events:
//!   CustomerAccepted:
//!     public: true
//!     fields:
//!       merchant_id: uuid
//!       email: { type: string, pii: true }
//! ```
//!
//! ## Fix
//!
//! Publish a reference instead of the data (the `merchant_id`), and let the
//! contexts that truly need the data ask the owning context for it; or keep
//! the event private.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::Model;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for event in model.events.iter().filter(|event| event.public) {
        for field in event.fields.iter().filter(|field| field.pii) {
            out.push(
                Diagnostic::new(
                    Code::PiiInPublicEvent,
                    format!("public event `{}` carries personal data in field `{}`", event.name.value, field.name.value),
                    Label::new(field.name.span, "marked `pii`"),
                )
                .with_related(Label::new(event.name.span, "a public event"))
                .with_help(format!(
                    "publish an id instead of `{}` and let the contexts that need it ask `{}` for it, or keep `{}` private",
                    field.name.value,
                    model[event.context].name.value,
                    event.name.value
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn personal_data_in_a_public_event() {
        let yaml = payments_with(
            "fields: { merchant_id: uuid }\n          CustomerRejected",
            "fields: { merchant_id: uuid, email: { type: string, pii: true } }\n          CustomerRejected",
        );
        assert_eq!(
            seen(&yaml, Code::PiiInPublicEvent),
            [Seen {
                message: "public event `CustomerAccepted` carries personal data in field `email`".into(),
                at: "email".into(),
                related: vec!["CustomerAccepted".into()],
                help: Some("publish an id instead of `email` and let the contexts that need it ask `Customer` for it, or keep `CustomerAccepted` private".into()),
            }]
        );
        // `MerchantRegistered` carries an email, but stays in its context.
        assert!(seen(PAYMENTS, Code::PiiInPublicEvent).is_empty());
    }
}
