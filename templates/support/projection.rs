//! Helpers of the generated read models: documents are JSON objects whose
//! fields are copied by name from the events they are built from.

use squall_runtime::serde_json::{Map, Value};

/// The document key an event's field gives: a string as it is, a number or a
/// boolean as written; `None` for anything else (null, missing, a list).
pub fn key_of(payload: &Value, field: &str) -> Option<String> {
    match payload.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A new document with every declared field present and null.
pub fn new_doc(fields: &[&str]) -> Value {
    Value::Object(fields.iter().map(|f| ((*f).to_owned(), Value::Null)).collect::<Map<_, _>>())
}

/// Copies the named fields the payload has into the document.
pub fn copy_fields(doc: &mut Value, payload: &Value, fields: &[&str]) {
    let Value::Object(doc) = doc else { return };
    for field in fields {
        if let Some(value) = payload.get(*field) {
            doc.insert((*field).to_owned(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use squall_runtime::serde_json::json;

    #[test]
    fn keys_and_copies() {
        let payload = json!({"merchant_id": "m-1", "amount": "12.50", "n": 3, "list": [1]});
        assert_eq!(key_of(&payload, "merchant_id").as_deref(), Some("m-1"));
        assert_eq!(key_of(&payload, "n").as_deref(), Some("3"));
        assert_eq!(key_of(&payload, "list"), None);
        assert_eq!(key_of(&payload, "absent"), None);
        let mut doc = new_doc(&["merchant_id", "balance"]);
        copy_fields(&mut doc, &payload, &["merchant_id", "balance"]);
        assert_eq!(doc, json!({"merchant_id": "m-1", "balance": null}));
    }
}
