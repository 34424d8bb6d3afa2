//! The JSON Schema (draft-07) of the YAML format, printed by `squall
//! schema`, so that editors (yaml-language-server) complete keys and flag
//! mistakes while the model is typed.
//!
//! It is generated from the same key table (`keys.rs`) the reader
//! checks against, so an editor accepts exactly the keys Squall accepts.
//! The schema checks shapes only; names that resolve, types that exist and
//! every rule of the check remain `squall check`'s work.

use serde_json::{Map, Value, json};

use super::keys::{self, Key, LEVELS, Shape, ValueKind};
use crate::diagnostics::Code;

/// The JSON Schema of the YAML model format.
pub fn json_schema() -> Value {
    let shapes: [&Shape; 12] = [
        &keys::ACTOR,
        &keys::CONTEXT,
        &keys::AGGREGATE,
        &keys::FIELD,
        &keys::COMMAND,
        &keys::EVENT,
        &keys::POLICY,
        &keys::READ_MODEL,
        &keys::SERVICE,
        &keys::FLOW,
        &keys::HOTSPOT,
        &keys::RELATIONSHIP,
    ];
    let mut definitions = Map::new();
    for shape in shapes {
        definitions.insert(definition_name(shape), object(shape));
    }
    // A field is `name: type` or the long form.
    let long_field = definitions.remove("field").unwrap_or(Value::Null);
    definitions.insert(
        "field".to_string(),
        json!({
            "description": keys::FIELD.doc,
            "anyOf": [
                { "type": "string", "description": type_doc() },
                long_field,
            ],
        }),
    );
    // A hot spot is a question or `{ text, on }`.
    let long_hotspot = definitions.remove("hot_spot").unwrap_or(Value::Null);
    definitions.insert(
        "hot_spot".to_string(),
        json!({
            "description": keys::HOTSPOT.doc,
            "anyOf": [{ "type": "string" }, long_hotspot],
        }),
    );

    let mut schema = object(&keys::FILE);
    if let Value::Object(map) = &mut schema {
        map.insert("$schema".to_string(), json!("http://json-schema.org/draft-07/schema#"));
        map.insert("title".to_string(), json!("Squall model"));
        map.insert("definitions".to_string(), Value::Object(definitions));
    }
    schema
}

fn type_doc() -> &'static str {
    keys::FIELD.key("type").map_or("", |key| key.doc)
}

fn definition_name(shape: &Shape) -> String {
    let what = shape.what;
    let noun = what.strip_prefix("an ").or_else(|| what.strip_prefix("a ")).unwrap_or(what);
    noun.trim_start_matches("bounded ").trim_start_matches("domain ").replace(' ', "_")
}

fn reference(shape: &Shape) -> Value {
    json!({ "$ref": format!("#/definitions/{}", definition_name(shape)) })
}

/// The object schema of a shape: its keys, the required ones, nothing else.
fn object(shape: &Shape) -> Value {
    let properties: Map<String, Value> = shape.keys.iter().map(|key| (key.name.to_string(), property(key))).collect();
    let required: Vec<&str> = shape.keys.iter().filter(|key| key.required).map(|key| key.name).collect();
    let mut object = json!({
        "type": "object",
        "description": shape.doc,
        "properties": properties,
        "additionalProperties": false,
    });
    if let Value::Object(map) = &mut object {
        if !required.is_empty() {
            map.insert("required".to_string(), json!(required));
        }
        // The two rules of shape the key table cannot say.
        if std::ptr::eq(shape, &keys::COMMAND) {
            map.insert("not".to_string(), json!({ "required": ["actor", "actors"] }));
        }
        if std::ptr::eq(shape, &keys::RELATIONSHIP) {
            map.insert(
                "oneOf".to_string(),
                json!([
                    { "required": ["upstream", "downstream"], "not": { "required": ["between"] } },
                    {
                        "required": ["between"],
                        "properties": { "between": { "type": "array", "minItems": 2, "maxItems": 2 } },
                        "not": { "anyOf": [{ "required": ["upstream"] }, { "required": ["downstream"] }] },
                    },
                ]),
            );
        }
    }
    object
}

fn property(key: &Key) -> Value {
    let mut value = match &key.value {
        ValueKind::Text => json!({ "type": "string" }),
        ValueKind::Word(words) => json!({ "type": "string", "enum": words }),
        ValueKind::Bool => json!({ "type": "boolean" }),
        ValueKind::Version => json!({ "type": "integer", "minimum": 1 }),
        ValueKind::List(words) => {
            let item = match words {
                Some(words) => json!({ "type": "string", "enum": words }),
                None => json!({ "type": "string" }),
            };
            json!({ "anyOf": [item.clone(), { "type": "array", "items": item }] })
        }
        ValueKind::Elements(shape) => json!({
            "type": ["object", "null"],
            "propertyNames": { "pattern": shape.names.unwrap_or(".*") },
            "additionalProperties": { "anyOf": [{ "type": "null" }, reference(shape)] },
        }),
        ValueKind::Fields => json!({
            "type": ["object", "null"],
            "propertyNames": { "pattern": keys::FIELD.names.unwrap_or(".*") },
            "additionalProperties": reference(&keys::FIELD),
        }),
        ValueKind::Lints => {
            let codes: Vec<&str> = Code::ALL.iter().filter(|code| code.is_lint()).map(|code| code.as_str()).collect();
            json!({
                "type": "object",
                "propertyNames": { "enum": codes },
                "additionalProperties": { "enum": LEVELS },
            })
        }
        ValueKind::Hotspots => {
            let hotspot = reference(&keys::HOTSPOT);
            json!({ "anyOf": [hotspot.clone(), { "type": "array", "items": hotspot }] })
        }
        ValueKind::Relationships => json!({ "type": "array", "items": reference(&keys::RELATIONSHIP) }),
    };
    if let Value::Object(map) = &mut value {
        map.insert("description".to_string(), json!(key.doc));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::super::tree::{self, Document, Node};
    use super::*;
    use saphyr_parser::ScalarStyle;

    /// A YAML tree as the JSON value an editor validates.
    fn to_json(document: &Document<'_>, node: &Node<'_>) -> Value {
        match &node.value {
            _ if node.is_null() => Value::Null,
            tree::Value::Scalar(text, ScalarStyle::Plain) => match text.as_ref() {
                "true" => json!(true),
                "false" => json!(false),
                t if t.bytes().all(|b| b.is_ascii_digit()) => json!(t.parse::<u64>().unwrap_or_default()),
                t => json!(t),
            },
            tree::Value::Scalar(text, _) => json!(text),
            tree::Value::Seq(items) => {
                Value::Array(document.items(*items).iter().map(|item| to_json(document, item)).collect())
            }
            tree::Value::Map(entries) => Value::Object(
                document
                    .entries(*entries)
                    .iter()
                    .map(|(k, v)| (k.scalar().unwrap_or_default().to_string(), to_json(document, v)))
                    .collect(),
            ),
        }
    }

    /// A small validator for the draft-07 keywords the schema uses (but
    /// `pattern`, which needs a regex engine): enough to walk a model.
    fn valid(schema: &Value, value: &Value, root: &Value) -> bool {
        let Value::Object(s) = schema else { return true };
        if let Some(Value::String(r)) = s.get("$ref") {
            let name = r.trim_start_matches("#/definitions/");
            return valid(&root["definitions"][name], value, root);
        }
        if let Some(Value::Array(any)) = s.get("anyOf")
            && !any.iter().any(|s| valid(s, value, root))
        {
            return false;
        }
        if let Some(Value::Array(one)) = s.get("oneOf")
            && one.iter().filter(|s| valid(s, value, root)).count() != 1
        {
            return false;
        }
        if let Some(not) = s.get("not")
            && valid(not, value, root)
        {
            return false;
        }
        if let Some(Value::Array(options)) = s.get("enum")
            && !options.contains(value)
        {
            return false;
        }
        if let Some(ty) = s.get("type") {
            let types: Vec<&str> = match ty {
                Value::Array(types) => types.iter().filter_map(Value::as_str).collect(),
                other => other.as_str().into_iter().collect(),
            };
            let actual = match value {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(_) => "integer",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            if !types.contains(&actual) {
                return false;
            }
        }
        if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_u64), value.as_u64())
            && n < min
        {
            return false;
        }
        if let Value::Array(items) = value {
            if let Some(item) = s.get("items")
                && !items.iter().all(|v| valid(item, v, root))
            {
                return false;
            }
            let len = items.len() as u64;
            if s.get("minItems").and_then(Value::as_u64).is_some_and(|min| len < min)
                || s.get("maxItems").and_then(Value::as_u64).is_some_and(|max| len > max)
            {
                return false;
            }
        }
        if let Value::Object(object) = value {
            let properties = s.get("properties").and_then(Value::as_object);
            if let Some(Value::Array(required)) = s.get("required")
                && !required.iter().filter_map(Value::as_str).all(|k| object.contains_key(k))
            {
                return false;
            }
            for (key, v) in object {
                if let Some(names) = s.get("propertyNames")
                    && !valid(names, &json!(key), root)
                {
                    return false;
                }
                match (properties.and_then(|p| p.get(key)), s.get("additionalProperties")) {
                    (Some(p), _) => {
                        if !valid(p, v, root) {
                            return false;
                        }
                    }
                    (None, Some(Value::Bool(false))) => return false,
                    (None, Some(extra)) => {
                        if !valid(extra, v, root) {
                            return false;
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        true
    }

    fn check(yaml: &str) -> bool {
        let document = tree::build(yaml).expect("valid YAML");
        let value = to_json(&document, document.root.as_ref().expect("a root"));
        let schema = json_schema();
        valid(&schema, &value, &schema)
    }

    #[test]
    fn the_spec_example_is_valid() {
        assert!(check(include_str!("testdata/payments.yaml")));
    }

    #[test]
    fn mistakes_are_invalid() {
        assert!(check("system: S\nactors: { A: { kind: person } }\n"));
        assert!(!check("system: S\nactors: { A: { kind: robot } }\n"), "unknown kind");
        assert!(!check("description: no system\n"), "missing system");
        assert!(!check("system: S\ncontexts: { C: { agregates: {} } }\n"), "unknown key");
        assert!(!check("system: S\nlints: { event-tense: sometimes }\n"), "unknown level");
        assert!(!check("system: S\nlints: { syntax: allow }\n"), "errors have no level");
        let command = |body: &str| {
            format!("system: S\ncontexts: {{ C: {{ aggregates: {{ A: {{ commands: {{ X: {body} }} }} }} }} }}\n")
        };
        assert!(check(&command("{ actor: B, emits: E }")));
        assert!(!check(&command("{ actor: B, actors: [C], emits: E }")), "actor and actors");
        assert!(!check(&command("{ creates: yes }")), "booleans are true/false");
        assert!(!check(&command("{ fields: { a: { pii: true } } }")), "long field without type");
        let relationship = |body: &str| format!("system: S\nrelationships: [{body}]\n");
        assert!(check(&relationship("{ kind: partnership, between: [A, B] }")));
        assert!(!check(&relationship("{ kind: partnership, between: [A] }")), "between needs two");
        assert!(!check(&relationship("{ kind: partnership, upstream: A }")), "downstream missing");
        assert!(!check(&relationship("{ kind: partnership, upstream: A, downstream: B, between: [A, B] }")));
    }

    #[test]
    fn every_key_of_the_table_is_in_the_schema() {
        let schema = json_schema();
        let properties = |value: &Value| -> Vec<String> {
            value["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default()
        };
        assert_eq!(properties(&schema), keys::FILE.key_names().collect::<Vec<_>>());
        let command = &schema["definitions"]["command"];
        assert_eq!(properties(command), keys::COMMAND.key_names().collect::<Vec<_>>());
        let field = &schema["definitions"]["field"]["anyOf"][1];
        assert_eq!(properties(field), ["type", "pii", "description"]);
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    }
}
