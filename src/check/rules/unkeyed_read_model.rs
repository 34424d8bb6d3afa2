//! # unkeyed-read-model (error)
//!
//! Checks that a read model's `key` is a field of every event in its
//! `from`, with the same type in each of them. A read model without a `key`
//! is keyed by the id of each event's aggregate, which is always there.
//!
//! ## Why
//!
//! A projector reads events one by one and must know which row each event
//! updates. It finds the row by the key: an event without the key field
//! cannot be placed at all, and an event whose key field has another type
//! (a `string` where the others carry a `uuid`) would put its updates in
//! rows that no other event ever touches.
//!
//! ## Example
//!
//! ```yaml
//! read_models:
//!   MerchantBalance:
//!     from: [Transactions.PaymentCompleted, InvoiceLineAdded]
//!     key: merchant_id       # InvoiceLineAdded has no `merchant_id`
//!     fields: { merchant_id: uuid, balance: decimal }
//! ```
//!
//! ## Fix
//!
//! Add the key field, with the same type, to every event in `from`, or key
//! the read model by a field that all of them already share.

use crate::diagnostics::{Code, Diagnostic, Label};
use std::collections::{HashMap, HashSet};

use crate::model::{EventId, Field, Model, Type};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    for read_model in &model.read_models {
        let Some(key) = &read_model.key else { continue };
        // The first event that has the key field sets the type the others
        // must match.
        let mut first: Option<(&Field, &str, crate::syntax::span::Span)> = None;
        // An event listed twice says nothing new; the fields every event
        // shares are found once, for the first event that lacks the key.
        let mut listed = HashSet::new();
        let mut shared: Option<Vec<String>> = None;
        for reference in &read_model.from {
            if !listed.insert(reference.value) {
                continue;
            }
            let event = &model[reference.value];
            match event.fields.iter().find(|field| field.name.value == key.value) {
                None => {
                    let shared = shared.get_or_insert_with(|| shared_fields(model, read_model));
                    let help = if shared.is_empty() {
                        format!(
                            "add a field `{}` to `{}`, or remove `key` to key `{}` by the id of each event's aggregate",
                            key.value, event.name.value, read_model.name.value
                        )
                    } else {
                        format!(
                            "add a field `{}` to `{}`, or key `{}` by a field every event in `from` has: {}",
                            key.value,
                            event.name.value,
                            read_model.name.value,
                            shared.join(", ")
                        )
                    };
                    out.push(
                        Diagnostic::new(
                            Code::UnkeyedReadModel,
                            format!(
                                "read model `{}` is keyed by `{}`, but event `{}` has no such field",
                                read_model.name.value, key.value, event.name.value
                            ),
                            Label::new(reference.span, format!("`{}` has no field `{}`", event.name.value, key.value)),
                        )
                        .with_related(Label::new(key.span, "the key is named here"))
                        .with_help(help),
                    );
                }
                Some(field) if field.ty.value == Type::Unknown => {}
                Some(field) => match first {
                    None => first = Some((field, &event.name.value, reference.span)),
                    Some((expected, first_event, first_span)) if expected.ty.value != field.ty.value => {
                        out.push(
                            Diagnostic::new(
                                Code::UnkeyedReadModel,
                                format!(
                                    "the key `{}` of read model `{}` is `{}` in event `{}` but `{}` in event `{}`",
                                    key.value,
                                    read_model.name.value,
                                    field.ty.value,
                                    event.name.value,
                                    expected.ty.value,
                                    first_event
                                ),
                                Label::new(
                                    reference.span,
                                    format!("here `{}` is `{}`", key.value, field.ty.value),
                                ),
                            )
                            .with_related(Label::new(
                                first_span,
                                format!("here `{}` is `{}`", key.value, expected.ty.value),
                            ))
                            .with_help(format!(
                                "give `{}` the same type in every event the read model is built from: make it `{}` in `{}`",
                                key.value, expected.ty.value, event.name.value
                            )),
                        );
                    }
                    Some(_) => {}
                },
            }
        }
    }
}

/// The names of the fields every `from` event has (with one type), in the
/// order of the first event, quoted for a help message.
fn shared_fields(model: &Model, read_model: &crate::model::ReadModel) -> Vec<String> {
    let mut events: Vec<EventId> = read_model.from.iter().map(|reference| reference.value).collect();
    events.sort_unstable();
    events.dedup();
    // How many of the events have each (name, type): one pass over their
    // fields, rather than every field against every other.
    let mut having: HashMap<(&str, &Type), usize> = HashMap::new();
    for &event in &events {
        let mut fields: Vec<(&str, &Type)> =
            model[event].fields.iter().map(|f| (f.name.value.as_str(), &f.ty.value)).collect();
        fields.sort_unstable();
        fields.dedup();
        for field in fields {
            *having.entry(field).or_default() += 1;
        }
    }
    let Some(first) = read_model.from.first() else { return Vec::new() };
    model[first.value]
        .fields
        .iter()
        .filter(|field| having.get(&(field.name.value.as_str(), &field.ty.value)) == Some(&events.len()))
        .map(|field| format!("`{}`", field.name.value))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{PAYMENTS, Seen, payments_with, seen};
    use crate::diagnostics::Code;

    #[test]
    fn an_event_without_the_key_field() {
        let yaml = payments_with(
            "InvoiceLineAdded:   { fields: { merchant_id: uuid, amount: decimal } }",
            "InvoiceLineAdded:   { fields: { amount: decimal } }",
        );
        assert_eq!(
            seen(&yaml, Code::UnkeyedReadModel),
            [Seen {
                message: "read model `MerchantBalance` is keyed by `merchant_id`, but event `InvoiceLineAdded` has no such field".into(),
                at: "InvoiceLineAdded".into(),
                related: vec!["merchant_id".into()],
                help: Some("add a field `merchant_id` to `InvoiceLineAdded`, or key `MerchantBalance` by a field every event in `from` has: `amount`".into()),
            }]
        );
    }

    #[test]
    fn an_event_listed_twice_is_reported_once() {
        let yaml = payments_with(
            "InvoiceLineAdded:   { fields: { merchant_id: uuid, amount: decimal } }",
            "InvoiceLineAdded:   { fields: { amount: decimal } }",
        )
        .replacen(
            "from: [Transactions.PaymentCompleted, InvoiceLineAdded]",
            "from: [Transactions.PaymentCompleted, InvoiceLineAdded, InvoiceLineAdded]",
            1,
        );
        assert_eq!(seen(&yaml, Code::UnkeyedReadModel).len(), 1);
    }

    #[test]
    fn a_key_of_another_type() {
        let yaml = payments_with(
            "InvoiceLineAdded:   { fields: { merchant_id: uuid, amount: decimal } }",
            "InvoiceLineAdded:   { fields: { merchant_id: string, amount: decimal } }",
        );
        let found = seen(&yaml, Code::UnkeyedReadModel);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "the key `merchant_id` of read model `MerchantBalance` is `string` in event `InvoiceLineAdded` but `uuid` in event `PaymentCompleted`"
        );
        assert_eq!(found[0].at, "InvoiceLineAdded");
        assert_eq!(found[0].related, ["Transactions.PaymentCompleted"]);
    }

    #[test]
    fn without_a_key_or_with_a_shared_one_all_is_well() {
        assert!(seen(PAYMENTS, Code::UnkeyedReadModel).is_empty());
        let yaml = payments_with(
            "        key: merchant_id\n        fields: { merchant_id: uuid, balance",
            "        fields: { merchant_id: uuid, balance",
        );
        assert!(seen(&yaml, Code::UnkeyedReadModel).is_empty());
    }
}
