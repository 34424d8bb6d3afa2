//! # pii-copied (warning)
//!
//! Checks that a read model stores no field that is personal data
//! (`pii: true`) in an event of another context it is built from: a field of
//! the read model with the same name as such a field of a `from` event.
//!
//! ## Why
//!
//! The generated services erase personal data by forgetting the key it was
//! encrypted with (crypto-shredding), and that key belongs to the aggregate
//! in the source context. A copy kept in another context's read model is out
//! of the key's reach: when the person asks to be forgotten, the copy stays.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Billing:
//!     read_models:
//!       Merchants:
//!         from: [Customer.MerchantOnboarded]    # `email` is pii there
//!         fields: { merchant_id: uuid, email: string }
//! ```
//!
//! ## Fix
//!
//! Store the id and ask the owning context for the data when it is needed,
//! or drop the field from the read model.

use crate::diagnostics::{Code, Diagnostic, Label};
use std::collections::{HashMap, HashSet};

use crate::model::{Element, EventId, Field, Model};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for read_model in &model.read_models {
        // The pii fields of the events of other contexts it is built from,
        // by name, the first event's first: one pass over those events.
        let mut personal: HashMap<&str, (EventId, &Field)> = HashMap::new();
        let mut listed = HashSet::new();
        for reference in &read_model.from {
            let event = &model[reference.value];
            if event.context == read_model.context || !listed.insert(reference.value) {
                continue;
            }
            for field in event.fields.iter().filter(|f| f.pii) {
                personal.entry(field.name.value.as_str()).or_insert((reference.value, field));
            }
        }
        if personal.is_empty() {
            continue;
        }
        for field in &read_model.fields {
            let Some(&(event_id, source)) = personal.get(field.name.value.as_str()) else { continue };
            let event = &model[event_id];
            let owner = &model[event.context].name.value;
            out.push(
                Diagnostic::new(
                    Code::PiiCopied,
                    format!(
                        "read model `{}` of context `{}` stores `{}`, personal data of context `{owner}`",
                        read_model.name.value,
                        model[read_model.context].name.value,
                        field.name.value
                    ),
                    Label::new(field.name.span, "a copy of personal data"),
                )
                .with_related(Label::new(
                    source.name.span,
                    format!("`pii` in `{}`", model.qualified_name(Element::Event(event_id))),
                ))
                .with_help(format!(
                    "drop `{}` from `{}` and ask `{owner}` for it when it is needed; a copy here survives the erasure of the source",
                    field.name.value, read_model.name.value
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
    fn a_read_model_copying_personal_data() {
        let yaml = payments_with(
            "fields: { merchant_id: uuid }\n          CustomerRejected",
            "fields: { merchant_id: uuid, email: { type: string, pii: true } }\n          CustomerRejected",
        )
        .replacen(
            "fields: { merchant_id: uuid }\n    hotspots",
            "fields: { merchant_id: uuid, email: string }\n    hotspots",
            1,
        );
        assert_eq!(
            seen(&yaml, Code::PiiCopied),
            [Seen {
                message: "read model `AcceptedMerchants` of context `Transactions` stores `email`, personal data of context `Customer`".into(),
                at: "email".into(),
                related: vec!["email".into()],
                help: Some("drop `email` from `AcceptedMerchants` and ask `Customer` for it when it is needed; a copy here survives the erasure of the source".into()),
            }]
        );
        assert!(seen(PAYMENTS, Code::PiiCopied).is_empty());
    }
}
