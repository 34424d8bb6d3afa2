//! Rust text from model data: types, literals and doc comments.
//!
//! Descriptions are free text written by people: they reach generated code
//! only through [`doc_lines`] (doc comments) and [`string_literal`] (string
//! literals), which neutralize everything that could end a comment, open a
//! doctest, or upset the compiler's lints.

use crate::model::Type;

/// The Rust type of a model type. Paths are absolute so that no model name
/// can shadow them.
pub fn rust_type(ty: &Type) -> String {
    match ty {
        Type::String | Type::Unknown => "String".into(),
        Type::Int => "i64".into(),
        Type::Float => "f64".into(),
        Type::Decimal => "::rust_decimal::Decimal".into(),
        Type::Bool => "bool".into(),
        Type::Uuid => "::squall_runtime::uuid::Uuid".into(),
        Type::Timestamp => "::squall_runtime::Timestamp".into(),
        Type::Date => "::squall_runtime::Date".into(),
        Type::List(inner) => format!("Vec<{}>", rust_type(inner)),
        Type::Optional(inner) => format!("Option<{}>", rust_type(inner)),
    }
}

/// Whether values of the type are `Copy` (no `.clone()` needed).
pub fn is_copy(ty: &Type) -> bool {
    match ty {
        Type::String | Type::List(_) | Type::Unknown => false,
        Type::Optional(inner) => is_copy(inner),
        _ => true,
    }
}

/// Whether the type mentions `decimal` (the crate needs `rust_decimal`).
pub fn uses_decimal(ty: &Type) -> bool {
    match ty {
        Type::Decimal => true,
        Type::List(inner) | Type::Optional(inner) => uses_decimal(inner),
        _ => false,
    }
}

/// A Rust string literal holding `text` exactly (quotes, backslashes,
/// control and invisible characters escaped).
pub fn string_literal(text: &str) -> String {
    format!("{text:?}")
}

/// Text that may go after `///` or `//!`: one entry per line, each safe.
///
/// Lines are split at every character a reader could take for a line break;
/// control characters and the bidirectional overrides the compiler rejects in
/// comments become spaces; code fences (which would turn a description into
/// a doctest) lose their meaning; leading spaces (an indented code block)
/// are dropped.
pub fn doc_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .split(['\n', '\r', '\u{0b}', '\u{0c}', '\u{85}', '\u{2028}', '\u{2029}'])
        .map(|line| {
            let clean: String =
                line.chars().map(|c| if c.is_control() || is_bidi_control(c) { ' ' } else { c }).collect();
            clean.trim().replace("```", "'''").replace("~~~", "'''")
        })
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    while lines.first().is_some_and(String::is_empty) {
        lines.remove(0);
    }
    lines
}

/// The characters of the `text_direction_codepoint_in_comment` lint.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// A sample value of the type, for generated tests (deterministic).
pub fn sample(ty: &Type, field: &str) -> String {
    match ty {
        Type::String | Type::Unknown => format!("{}.to_string()", string_literal(&format!("sample {field}"))),
        Type::Int => "7".into(),
        Type::Float => "1.5".into(),
        Type::Decimal => "::rust_decimal::Decimal::new(1250, 2)".into(),
        Type::Bool => "true".into(),
        Type::Uuid => "::squall_runtime::uuid::Uuid::from_u128(0x5a11)".into(),
        Type::Timestamp => "::squall_runtime::Timestamp::from_micros(1_700_000_000_000_000)".into(),
        Type::Date => "::squall_runtime::Date::from_days_since_epoch(20_000)".into(),
        Type::List(inner) => format!("vec![{}]", sample(inner, field)),
        Type::Optional(inner) => format!("Some({})", sample(inner, field)),
    }
}

/// The JSON Schema of a field type, for the OpenAPI document.
pub fn json_schema(ty: &Type) -> serde_json::Value {
    use serde_json::json;
    match ty {
        Type::String | Type::Unknown => json!({"type": "string"}),
        Type::Int => json!({"type": "integer", "format": "int64"}),
        Type::Float => json!({"type": "number", "format": "double"}),
        Type::Decimal => json!({"type": "string", "format": "decimal", "examples": ["12.50"]}),
        Type::Bool => json!({"type": "boolean"}),
        Type::Uuid => json!({"type": "string", "format": "uuid"}),
        Type::Timestamp => json!({"type": "string", "format": "date-time"}),
        Type::Date => json!({"type": "string", "format": "date"}),
        Type::List(inner) => json!({"type": "array", "items": json_schema(inner)}),
        Type::Optional(inner) => {
            let mut schema = json_schema(inner);
            if let Some(serde_json::Value::String(t)) = schema.get("type").cloned() {
                schema["type"] = json!([t, "null"]);
            }
            schema
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_absolute_paths() {
        let ty = Type::parse("list<decimal?>?").unwrap();
        assert_eq!(rust_type(&ty), "Option<Vec<Option<::rust_decimal::Decimal>>>");
        assert!(!is_copy(&ty));
        assert!(is_copy(&Type::parse("uuid?").unwrap()));
        assert!(uses_decimal(&ty));
    }

    #[test]
    fn hostile_text_cannot_leave_a_comment_or_a_literal() {
        let hostile = "*/ } fn x() { \"\n#[\r\n```\nfn main() {}\n```\n    indented\u{202e}\u{2028}end\\";
        let lines = doc_lines(hostile);
        assert_eq!(lines, ["*/ } fn x() { \"", "#[", "", "'''", "fn main() {}", "'''", "indented", "end\\"]);
        let literal = string_literal(hostile);
        assert!(literal.starts_with('"') && literal.ends_with('"'));
        assert!(!literal[1..literal.len() - 1].contains(['\n', '\r', '\u{202e}']));
        assert!(literal.contains("\\\""));
        assert_eq!(doc_lines("\n\n  \n"), Vec::<String>::new());
    }
}
