//! The OpenAPI 3.1 document of the generated API, written at generation
//! time as a static JSON file that the host (or a service) serves.

use serde_json::{Map, Value, json};

use super::context::{RouteAggregate, routes};
use super::plan::{Plan, ServicePlan};
use super::rust::{doc_lines, json_schema};
use serde::Serialize;

use crate::model::{ContextId, Field, Model};
use crate::vfs::MARKER;

fn object_schema(fields: &[Field]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in fields {
        let mut schema = json_schema(&field.ty.value);
        if let Some(text) = &field.description {
            schema["description"] = doc_lines(text).join(" ").into();
        }
        properties.insert(field.name.value.clone(), schema);
        if !field.ty.value.is_optional() {
            required.push(Value::from(field.name.value.clone()));
        }
    }
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
}

fn description(text: &Option<String>) -> Option<Value> {
    text.as_deref().map(|t| Value::from(doc_lines(t).join(" ")))
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

fn header(name: &str, about: &str) -> Value {
    json!({ "name": name, "in": "header", "required": false, "description": about, "schema": { "type": "string" } })
}

/// The paths and schemas of one context's routes (those a service owns,
/// or all of them), built once and shared by the host's document and the
/// service's.
#[derive(Default)]
pub(super) struct Fragment {
    paths: Map<String, Value>,
    schemas: Map<String, Value>,
}

/// The fragment of `context`, limited to what `service` owns if given.
pub(super) fn fragment(model: &Model, plan: &Plan, context: ContextId, service: Option<&ServicePlan>) -> Fragment {
    let owned = |name: &str| service.is_none_or(|s| s.everything || s.owns.iter().any(|o| o == name));
    let mut fragment = Fragment::default();
    let (paths, schemas) = (&mut fragment.paths, &mut fragment.schemas);
    let tag = &model[context].name.value;
    let (aggregates, read_models) = routes(model, plan, context);
    for aggregate in aggregates.iter().filter(|a| owned(&a.name)) {
        aggregate_paths(model, tag, aggregate, paths, schemas);
    }
    for rm in read_models.iter().filter(|r| owned(&r.name)) {
        let rm_model = model.read_models.iter().find(|r| r.context == context && r.name.value == rm.name);
        let doc_schema = rm_model.map(|r| object_schema(&r.fields)).unwrap_or_else(|| json!({ "type": "object" }));
        let schema_name = format!("{tag}.{}", rm.name);
        schemas.insert(schema_name.clone(), doc_schema);
        let doc_ref = json!({ "$ref": format!("#/components/schemas/{schema_name}") });
        paths.insert(
            rm.path.clone(),
            json!({ "get": {
                "tags": [tag], "summary": format!("{}: documents in key order", rm.name),
                "description": rm_model.and_then(|r| description(&r.description)).unwrap_or_else(|| "".into()),
                "parameters": [
                    { "name": "after", "in": "query", "required": false, "schema": { "type": "string" } },
                    { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }
                ],
                "responses": {
                    "200": { "description": "A page of documents; `next` is the `after` of the next page.",
                        "content": { "application/json": { "schema": {
                            "type": "object",
                            "properties": {
                                "items": { "type": "array", "items": { "type": "object", "properties": { "key": { "type": "string" }, "doc": doc_ref } } },
                                "next": { "type": ["string", "null"] }
                            } } } } },
                    "400": { "$ref": "#/components/responses/BadRequest" }
                }
            } }),
        );
        paths.insert(
            format!("{}/{{key}}", rm.path),
            json!({ "get": {
                "tags": [tag], "summary": format!("{}: one document", rm.name),
                "parameters": [ { "name": "key", "in": "path", "required": true, "schema": { "type": "string" } } ],
                "responses": {
                    "200": { "description": "The document.", "content": { "application/json": { "schema": doc_ref } } },
                    "404": { "$ref": "#/components/responses/NotFound" }
                }
            } }),
        );
    }
    fragment
}

/// Borrowed parts of a document, serialized without copying them.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "x-generated")]
    generated: String,
    openapi: &'static str,
    info: Value,
    paths: Merged<'a>,
    components: Components<'a>,
}

#[derive(Serialize)]
struct Components<'a> {
    schemas: Merged<'a>,
    responses: Value,
    parameters: Value,
}

/// Several maps serialized as one, in order.
struct Merged<'a>(Vec<&'a Map<String, Value>>);

impl Serialize for Merged<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.iter().map(|m| m.len()).sum()))?;
        for part in &self.0 {
            for (key, value) in part.iter() {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

/// The document of the whole system (`service` = `None`) or one service,
/// from the fragments of the contexts it covers, as pretty-printed JSON
/// whose first member is the generated-file marker.
pub(super) fn document(model: &Model, fragments: &[&Fragment], service: Option<&ServicePlan>) -> String {
    let mut schemas = Map::new();
    schemas.insert(
        "Problem".into(),
        json!({
            "type": "object",
            "description": "An RFC 9457 problem. `field` names the field of a malformed body; `error` names a domain error.",
            "properties": {
                "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                "detail": { "type": "string" }, "field": { "type": "string" }, "error": { "type": "string" }
            },
            "required": ["type", "title", "status", "detail"]
        }),
    );
    schemas.insert(
        "CommandResult".into(),
        json!({
            "type": "object",
            "properties": {
                "id": { "type": "string" },
                "version": { "type": "integer" },
                "events": { "type": "array", "items": { "$ref": "#/components/schemas/Event" } }
            },
            "required": ["id", "version", "events"]
        }),
    );
    schemas.insert(
        "Event".into(),
        json!({
            "type": "object",
            "properties": {
                "id": { "type": "string", "format": "uuid" }, "type": { "type": "string" },
                "context": { "type": "string" }, "version": { "type": "integer" }, "position": { "type": "integer" },
                "occurred_at": { "type": "string", "format": "date-time" },
                "correlation_id": { "type": "string", "format": "uuid" }, "data": { "type": "object" }
            }
        }),
    );
    let mut common = Map::new();
    common.insert(
        "/health".into(),
        json!({ "get": { "summary": "Liveness", "responses": { "200": { "description": "Up." } } } }),
    );
    common.insert(
        "/openapi.json".into(),
        json!({ "get": { "summary": "This document", "responses": { "200": { "description": "OpenAPI 3.1." } } } }),
    );
    let responses = json!({
        "Created": { "description": "Created.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CommandResult" } } } },
        "Done": { "description": "Done.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CommandResult" } } } },
        "BadRequest": problem("A malformed request; `field` names the field of the body."),
        "NotFound": problem("Nothing has this id or key."),
        "Conflict": problem("A version conflict."),
    });
    let parameters = json!({
        "IdempotencyKey": header("Idempotency-Key", "Makes a retry return the first result and append nothing."),
        "CorrelationId": header("X-Correlation-Id", "A UUID tying the commands of one conversation together."),
        "IfMatch": header("If-Match", "The version the aggregate must be at."),
    });
    let title = match service {
        None => model.system.value.clone(),
        Some(s) => format!("{}: service {}", model.system.value, s.dir),
    };
    let mut info = json!({ "title": title, "version": "0.1.0" });
    if let Some(d) = description(&model.description) {
        info["description"] = d;
    }
    let mut paths: Vec<&Map<String, Value>> = fragments.iter().map(|f| &f.paths).collect();
    paths.push(&common);
    let mut all_schemas = vec![&schemas];
    all_schemas.extend(fragments.iter().map(|f| &f.schemas));
    let document = Document {
        generated: format!("{MARKER}; do not edit"),
        openapi: "3.1.0",
        info,
        paths: Merged(paths),
        components: Components { schemas: Merged(all_schemas), responses, parameters },
    };
    // Serializing maps of JSON values into a String cannot fail.
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn aggregate_paths(
    model: &Model,
    tag: &str,
    aggregate: &RouteAggregate,
    paths: &mut Map<String, Value>,
    schemas: &mut Map<String, Value>,
) {
    let a = &model[aggregate.aggregate];
    let state_schema = format!("{tag}.{}.State", a.name.value);
    schemas.insert(state_schema.clone(), object_schema(&a.fields));
    let id_schema = json_schema(&a.id_type);
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": id_schema });
    let reference = |kind: &str, name: &str| json!({ "$ref": format!("#/components/{kind}/{name}") });
    for command in &aggregate.commands {
        let c = &model[command.command];
        let body_schema = format!("{tag}.{}", c.name.value);
        schemas.insert(body_schema.clone(), object_schema(&c.fields));
        let mut parameters = vec![reference("parameters", "IdempotencyKey"), reference("parameters", "CorrelationId")];
        let mut responses = Map::new();
        if command.creates {
            parameters.push(json!({
                "name": "id", "in": "query", "required": aggregate.id_kind != "Uuid",
                "description": "The new aggregate's id (by default a new UUID).", "schema": id_schema.clone()
            }));
            responses.insert("201".into(), reference("responses", "Created"));
        } else {
            parameters.insert(0, id_param.clone());
            parameters.push(reference("parameters", "IfMatch"));
            responses.insert("200".into(), reference("responses", "Done"));
            responses.insert("404".into(), reference("responses", "NotFound"));
        }
        responses.insert("400".into(), reference("responses", "BadRequest"));
        responses.insert("409".into(), reference("responses", "Conflict"));
        if !c.errors.is_empty() {
            let mut unprocessable = problem("A domain error, named in `error`.");
            unprocessable["x-domain-errors"] = c.errors.iter().map(|e| Value::from(e.value.clone())).collect();
            responses.insert("422".into(), unprocessable);
        }
        let mut operation = json!({
            "tags": [tag],
            "operationId": format!("{tag}.{}.{}", a.name.value, c.name.value),
            "summary": format!("{} ({})", c.name.value, a.name.value),
            "parameters": parameters,
            "requestBody": { "content": { "application/json": { "schema": reference("schemas", &body_schema) } } },
            "responses": responses,
        });
        if let Some(d) = description(&c.description) {
            operation["description"] = d;
        }
        paths.insert(command.path.clone(), json!({ "post": operation }));
    }
    paths.insert(
        aggregate.state_path.clone(),
        json!({ "get": {
            "tags": [tag],
            "summary": format!("{}: its state and version", a.name.value),
            "parameters": [id_param],
            "responses": {
                "200": { "description": "The state.", "content": { "application/json": { "schema": {
                    "type": "object",
                    "properties": { "id": { "type": "string" }, "version": { "type": "integer" }, "state": { "$ref": format!("#/components/schemas/{state_schema}") } }
                } } } },
                "404": { "$ref": "#/components/responses/NotFound" }
            }
        } }),
    );
}
