//! The OpenAPI 3.1 document of the generated API, written at generation
//! time as a static JSON file that the host (or a service) serves.

use serde_json::{Map, Value, json};

use super::context::{RouteAggregate, routes};
use super::plan::{Plan, ServicePlan};
use super::rust::{doc_lines, json_schema};
use crate::model::{ContextId, Field, Model};

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

/// The document for the whole system (`service` = `None`) or one service.
pub(super) fn document(model: &Model, plan: &Plan, service: Option<&ServicePlan>) -> Value {
    let owned = |context: ContextId, name: &str| match service {
        None => true,
        Some(s) => s.context == context && s.owns.iter().any(|o| o == name),
    };
    let mut paths = Map::new();
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
    for (index, context) in model.contexts.iter().enumerate() {
        let id = ContextId(index as u32);
        // A service's document covers its own context only: the check stays
        // linear in the size of the model.
        if service.is_some_and(|s| s.context != id) {
            continue;
        }
        let (aggregates, read_models) = routes(model, plan, id);
        for aggregate in aggregates.iter().filter(|a| owned(id, &a.name)) {
            aggregate_paths(model, &context.name.value, aggregate, &mut paths, &mut schemas);
        }
        for rm in read_models.iter().filter(|r| owned(id, &r.name)) {
            let tag = &context.name.value;
            let rm_model = model.read_models.iter().find(|r| r.context == id && r.name.value == rm.name);
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
    }
    paths.insert(
        "/health".into(),
        json!({ "get": { "summary": "Liveness", "responses": { "200": { "description": "Up." } } } }),
    );
    paths.insert(
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
    json!({
        "openapi": "3.1.0",
        "info": info,
        "paths": paths,
        "components": { "schemas": schemas, "responses": responses, "parameters": parameters }
    })
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
