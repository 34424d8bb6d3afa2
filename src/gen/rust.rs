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
    // Most texts are names, which need no escape: written as they are, they
    // cost a copy rather than a formatting pass per character.
    if text.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\') {
        let mut literal = String::with_capacity(text.len() + 2);
        literal.push('"');
        literal.push_str(text);
        literal.push('"');
        return literal;
    }
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
        Type::String | Type::Unknown => {
            let mut text = string_literal(&format!("sample {field}"));
            text.push_str(".to_string()");
            text
        }
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
    // Only maps of strings: nothing can fail.
    serde_json::to_value(Schema { ty, description: None }).unwrap_or_default()
}

/// The JSON Schema of a field type with its description, if any, written
/// straight to the document rather than built as a `Value` first (there is
/// one per field of every command, event and state).
pub struct Schema<'a> {
    pub ty: &'a Type,
    pub description: Option<String>,
}

impl serde::Serialize for Schema<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut ty = self.ty;
        let mut nullable = false;
        while let Type::Optional(inner) = ty {
            (ty, nullable) = (inner, true);
        }
        let (name, format) = match ty {
            Type::String | Type::Unknown => ("string", None),
            Type::Int => ("integer", Some("int64")),
            Type::Float => ("number", Some("double")),
            Type::Decimal => ("string", Some("decimal")),
            Type::Bool => ("boolean", None),
            Type::Uuid => ("string", Some("uuid")),
            Type::Timestamp => ("string", Some("date-time")),
            Type::Date => ("string", Some("date")),
            Type::List(_) => ("array", None),
            // Never: the loop above takes every optional layer off.
            Type::Optional(_) => ("null", None),
        };
        let mut map = serializer.serialize_map(None)?;
        if nullable {
            map.serialize_entry("type", &[name, "null"])?;
        } else {
            map.serialize_entry("type", name)?;
        }
        if let Some(format) = format {
            map.serialize_entry("format", format)?;
        }
        if let Type::Decimal = ty {
            map.serialize_entry("examples", &["12.50"])?;
        }
        if let Type::List(inner) = ty {
            map.serialize_entry("items", &Schema { ty: inner, description: None })?;
        }
        if let Some(description) = &self.description {
            map.serialize_entry("description", description)?;
        }
        map.end()
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

    #[test]
    fn schemas_of_nested_types() {
        use serde_json::json;
        let optional = |t| Type::Optional(Box::new(t));
        let list = |t| Type::List(Box::new(t));
        assert_eq!(json_schema(&Type::Int), json!({"type": "integer", "format": "int64"}));
        assert_eq!(
            json_schema(&optional(Type::Decimal)),
            json!({"type": ["string", "null"], "format": "decimal", "examples": ["12.50"]})
        );
        assert_eq!(
            json_schema(&optional(list(optional(Type::Uuid)))),
            json!({"type": ["array", "null"], "items": {"type": ["string", "null"], "format": "uuid"}})
        );
        let described = Schema { ty: &list(Type::Bool), description: Some("yes".into()) };
        assert_eq!(
            serde_json::to_string(&described).unwrap(),
            r#"{"type":"array","items":{"type":"boolean"},"description":"yes"}"#
        );
    }

    #[test]
    fn literals_are_what_rust_debug_formatting_writes() {
        let printable: String = (b' '..=b'~').map(char::from).collect();
        for text in ["", "Card", "it's", "a \"b\"", "back\\slash", "tab\t", "\u{7f}", "caf\u{e9}", &printable] {
            assert_eq!(string_literal(text), format!("{text:?}"), "{text}");
        }
    }
}
