//! The OpenAPI 3.1 document of the generated API, written at generation
//! time as a static JSON file that the host (or a service) serves.
//!
//! The document has one line per route and per schema, each compact: half
//! the size of pretty-printed JSON (the documents are most of the bytes of a
//! large workspace), and a change to one route is still a change to one
//! line of a diff. Each context's routes and schemas are serialized once, as
//! text, and that text is shared by the host's document and its service's.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};

use super::context::{RouteAggregate, Routes, routes};
use super::plan::{Plan, ServicePlan};
use super::rust::{Schema, doc_lines, json_schema};

use crate::model::{ContextId, Field, Model};
use crate::vfs::MARKER;

// The parts of a document made once per command are serialized straight
// from borrowed data, not built as `Value`s first: they are most of the
// documents, and a `Value` allocates each of its keys and maps.

/// The schema of a body or state: an object of exactly these fields.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObjectSchema<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    properties: Properties<'a>,
    required: Required<'a>,
    additional_properties: bool,
}

fn object_schema(fields: &[Field]) -> ObjectSchema<'_> {
    ObjectSchema {
        kind: "object",
        properties: Properties(fields),
        required: Required(fields),
        additional_properties: false,
    }
}

/// Each field's schema, by name.
struct Properties<'a>(&'a [Field]);

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for field in self.0 {
            let description = field.description.as_deref().map(|text| doc_lines(text).join(" "));
            map.serialize_entry(&field.name.value, &Schema { ty: &field.ty.value, description })?;
        }
        map.end()
    }
}

/// The names of the fields that are not optional.
struct Required<'a>(&'a [Field]);

impl Serialize for Required<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().filter(|f| !f.ty.value.is_optional()).map(|f| &f.name.value))
    }
}

/// `{"$ref": <target>}`.
struct Ref<'a>(&'a str);

impl Serialize for Ref<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("$ref", self.0)?;
        map.end()
    }
}

// The shared parameters and responses every command's route refers to.
const IDEMPOTENCY_KEY: &str = "#/components/parameters/IdempotencyKey";
const CORRELATION_ID: &str = "#/components/parameters/CorrelationId";
const IF_MATCH: &str = "#/components/parameters/IfMatch";
const CREATED: &str = "#/components/responses/Created";
const DONE: &str = "#/components/responses/Done";
const NOT_FOUND: &str = "#/components/responses/NotFound";
const BAD_REQUEST: &str = "#/components/responses/BadRequest";
const CONFLICT: &str = "#/components/responses/Conflict";

/// A map of a few members, in this order.
struct Ordered<V>(Vec<(&'static str, V)>);

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// The operation of a command's route.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Operation<'a> {
    tags: [&'a str; 1],
    operation_id: String,
    summary: String,
    parameters: Vec<Parameter<'a>>,
    request_body: Ordered<Ordered<Ordered<Ref<'a>>>>,
    responses: Ordered<Response>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Value>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Parameter<'a> {
    Shared(Ref<'static>),
    Id {
        name: &'static str,
        #[serde(rename = "in")]
        place: &'static str,
        required: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'static str>,
        schema: &'a Value,
    },
}

#[derive(Serialize)]
#[serde(untagged)]
enum Response {
    Shared(Ref<'static>),
    Problem(Value),
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

/// Members of a JSON object being built, each as its line of a document
/// (`"key": value`, the value compact), in the order they were first
/// inserted; inserting a key again replaces its member in place, as a JSON
/// map would.
#[derive(Default)]
struct Members {
    lines: Vec<String>,
    index: HashMap<String, usize>,
}

impl Members {
    fn insert(&mut self, key: String, value: &impl Serialize) {
        let mut line = Vec::with_capacity(256);
        // Serializing fails only for maps with keys that are not strings,
        // which no document has; what serde_json writes is UTF-8.
        let _ = serde_json::to_writer(&mut line, &key);
        line.extend_from_slice(b": ");
        let _ = serde_json::to_writer(&mut line, value);
        let line = String::from_utf8(line).unwrap_or_default();
        match self.index.get(&key) {
            Some(&at) => self.lines[at] = line,
            None => {
                self.index.insert(key, self.lines.len());
                self.lines.push(line);
            }
        }
    }

    /// The lines, once every member is in.
    fn into_lines(self) -> Vec<String> {
        self.lines
    }
}

/// The paths and schemas of one context's routes (those a service owns,
/// or all of them), as lines of a document, built once and shared by the
/// host's document and the service's.
pub(super) struct Fragment {
    paths: Vec<String>,
    schemas: Vec<String>,
}

/// The fragment of `context`, limited to what `service` owns if given.
pub(super) fn fragment(model: &Model, plan: &Plan, context: ContextId, service: Option<&ServicePlan>) -> Fragment {
    fragment_of(model, context, &routes(model, plan, context), service)
}

/// The fragment of `context` from its [`routes`], limited to what `service`
/// owns if given.
pub(super) fn fragment_of(
    model: &Model,
    context: ContextId,
    (aggregates, read_models): &Routes,
    service: Option<&ServicePlan>,
) -> Fragment {
    let owned = |name: &str| service.is_none_or(|s| s.everything || s.owns.iter().any(|o| o == name));
    let (mut paths, mut schemas) = (Members::default(), Members::default());
    let tag = &model[context].name.value;
    for aggregate in aggregates.iter().filter(|a| owned(&a.name)) {
        aggregate_paths(model, tag, aggregate, &mut paths, &mut schemas);
    }
    for rm in read_models.iter().filter(|r| owned(&r.name)) {
        let rm_model = model.read_models.iter().find(|r| r.context == context && r.name.value == rm.name);
        let schema_name = format!("{tag}.{}", rm.name);
        match rm_model {
            Some(r) => schemas.insert(schema_name.clone(), &object_schema(&r.fields)),
            None => schemas.insert(schema_name.clone(), &json!({ "type": "object" })),
        }
        let doc_ref = json!({ "$ref": format!("#/components/schemas/{schema_name}") });
        paths.insert(
            rm.path.clone(),
            &json!({ "get": {
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
            &json!({ "get": {
                "tags": [tag], "summary": format!("{}: one document", rm.name),
                "parameters": [ { "name": "key", "in": "path", "required": true, "schema": { "type": "string" } } ],
                "responses": {
                    "200": { "description": "The document.", "content": { "application/json": { "schema": doc_ref } } },
                    "404": { "$ref": "#/components/responses/NotFound" }
                }
            } }),
        );
    }
    Fragment { paths: paths.into_lines(), schemas: schemas.into_lines() }
}

/// The members every document has, whatever the model: the shared schemas,
/// responses and parameters, and the routes of every process.
struct Common {
    schemas: Vec<String>,
    paths: Vec<String>,
    responses: Vec<String>,
    parameters: Vec<String>,
}

static COMMON: LazyLock<Common> = LazyLock::new(|| {
    let mut schemas = Members::default();
    schemas.insert(
        "Problem".into(),
        &json!({
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
        &json!({
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
        &json!({
            "type": "object",
            "properties": {
                "id": { "type": "string", "format": "uuid" }, "type": { "type": "string" },
                "context": { "type": "string" }, "version": { "type": "integer" }, "position": { "type": "integer" },
                "occurred_at": { "type": "string", "format": "date-time" },
                "correlation_id": { "type": "string", "format": "uuid" }, "data": { "type": "object" }
            }
        }),
    );
    let mut paths = Members::default();
    paths.insert(
        "/health".into(),
        &json!({ "get": { "summary": "Liveness", "responses": { "200": { "description": "Up." } } } }),
    );
    paths.insert(
        "/openapi.json".into(),
        &json!({ "get": { "summary": "This document", "responses": { "200": { "description": "OpenAPI 3.1." } } } }),
    );
    let command_result = json!({ "application/json": { "schema": { "$ref": "#/components/schemas/CommandResult" } } });
    let mut responses = Members::default();
    responses.insert("Created".into(), &json!({ "description": "Created.", "content": command_result }));
    responses.insert("Done".into(), &json!({ "description": "Done.", "content": command_result }));
    responses.insert("BadRequest".into(), &problem("A malformed request; `field` names the field of the body."));
    responses.insert("NotFound".into(), &problem("Nothing has this id or key."));
    responses.insert("Conflict".into(), &problem("A version conflict."));
    let mut parameters = Members::default();
    parameters.insert(
        "IdempotencyKey".into(),
        &header("Idempotency-Key", "Makes a retry return the first result and append nothing."),
    );
    parameters.insert(
        "CorrelationId".into(),
        &header("X-Correlation-Id", "A UUID tying the commands of one conversation together."),
    );
    parameters.insert("IfMatch".into(), &header("If-Match", "The version the aggregate must be at."));
    Common {
        schemas: schemas.into_lines(),
        paths: paths.into_lines(),
        responses: responses.into_lines(),
        parameters: parameters.into_lines(),
    }
});

/// Writes a JSON object with one member per line down to the depth of the
/// members written with [`member`](Self::member) or [`lines`](Self::lines),
/// whose values are already JSON text.
struct Layout {
    text: String,
    /// Per open object, whether it has no member yet.
    empty: Vec<bool>,
}

impl Layout {
    fn new(capacity: usize) -> Layout {
        let mut text = String::with_capacity(capacity);
        text.push('{');
        Layout { text, empty: vec![true] }
    }

    /// A new line for the next member of the innermost open object.
    fn next_line(&mut self) {
        if let Some(empty) = self.empty.last_mut() {
            if !*empty {
                self.text.push(',');
            }
            *empty = false;
        }
        self.text.push('\n');
        for _ in 0..self.empty.len() {
            self.text.push_str("  ");
        }
    }

    fn key(&mut self, key: &str) {
        self.next_line();
        self.text.push_str(&Value::from(key).to_string());
        self.text.push_str(": ");
    }

    fn member(&mut self, key: &str, json: &str) {
        self.key(key);
        self.text.push_str(json);
    }

    /// Members already written as lines (see [`Members`]).
    fn lines<'a>(&mut self, lines: impl IntoIterator<Item = &'a String>) {
        for line in lines {
            self.next_line();
            self.text.push_str(line);
        }
    }

    fn open(&mut self, key: &str) {
        self.key(key);
        self.text.push('{');
        self.empty.push(true);
    }

    fn close(&mut self) {
        if self.empty.pop() == Some(false) {
            self.text.push('\n');
            for _ in 0..self.empty.len() {
                self.text.push_str("  ");
            }
        }
        self.text.push('}');
    }

    fn finish(mut self) -> String {
        while !self.empty.is_empty() {
            self.close();
        }
        self.text.push('\n');
        self.text
    }
}

/// The document of the whole system (`service` = `None`) or one service,
/// from the fragments of the contexts it covers, whose first member is the
/// generated-file marker.
pub(super) fn document(model: &Model, fragments: &[&Fragment], service: Option<&ServicePlan>) -> String {
    let common = &*COMMON;
    let title = match service {
        None => model.system.value.clone(),
        Some(s) => format!("{}: service {}", model.system.value, s.dir),
    };
    let mut info = json!({ "title": title, "version": "0.1.0" });
    if let Some(d) = description(&model.description) {
        info["description"] = d;
    }
    let lines = fragments.iter().flat_map(|f| f.paths.iter().chain(&f.schemas));
    let size = lines.map(|line| line.len() + 8).sum::<usize>() + 8192;
    let mut document = Layout::new(size);
    document.member("x-generated", &Value::from(format!("{MARKER}; do not edit")).to_string());
    document.member("openapi", "\"3.1.0\"");
    document.member("info", &info.to_string());
    document.open("paths");
    for fragment in fragments {
        document.lines(&fragment.paths);
    }
    document.lines(&common.paths);
    document.close();
    document.open("components");
    document.open("schemas");
    document.lines(&common.schemas);
    for fragment in fragments {
        document.lines(&fragment.schemas);
    }
    document.close();
    document.open("responses");
    document.lines(&common.responses);
    document.close();
    document.open("parameters");
    document.lines(&common.parameters);
    document.finish()
}

fn aggregate_paths(model: &Model, tag: &str, aggregate: &RouteAggregate, paths: &mut Members, schemas: &mut Members) {
    let a = &model[aggregate.aggregate];
    let state_schema = format!("{tag}.{}.State", a.name.value);
    schemas.insert(state_schema.clone(), &object_schema(&a.fields));
    let id_schema = json_schema(&a.id_type);
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": id_schema });
    for command in &aggregate.commands {
        let c = &model[command.command];
        let body_schema = format!("{tag}.{}", c.name.value);
        let body_ref = format!("#/components/schemas/{body_schema}");
        schemas.insert(body_schema, &object_schema(&c.fields));
        let shared = |target| Parameter::Shared(Ref(target));
        let (parameters, mut responses) = if command.creates {
            let id = Parameter::Id {
                name: "id",
                place: "query",
                required: aggregate.id_kind != "Uuid",
                description: Some("The new aggregate's id (by default a new UUID)."),
                schema: &id_schema,
            };
            let parameters = vec![shared(IDEMPOTENCY_KEY), shared(CORRELATION_ID), id];
            (parameters, vec![("201", Response::Shared(Ref(CREATED)))])
        } else {
            let id = Parameter::Id { name: "id", place: "path", required: true, description: None, schema: &id_schema };
            let parameters = vec![id, shared(IDEMPOTENCY_KEY), shared(CORRELATION_ID), shared(IF_MATCH)];
            (parameters, vec![("200", Response::Shared(Ref(DONE))), ("404", Response::Shared(Ref(NOT_FOUND)))])
        };
        responses.push(("400", Response::Shared(Ref(BAD_REQUEST))));
        responses.push(("409", Response::Shared(Ref(CONFLICT))));
        if !c.errors.is_empty() {
            let mut unprocessable = problem("A domain error, named in `error`.");
            unprocessable["x-domain-errors"] = c.errors.iter().map(|e| Value::from(e.value.clone())).collect();
            responses.push(("422", Response::Problem(unprocessable)));
        }
        let operation = Operation {
            tags: [tag],
            operation_id: format!("{tag}.{}.{}", a.name.value, c.name.value),
            summary: format!("{} ({})", c.name.value, a.name.value),
            parameters,
            request_body: Ordered(vec![(
                "content",
                Ordered(vec![("application/json", Ordered(vec![("schema", Ref(&body_ref))]))]),
            )]),
            responses: Ordered(responses),
            description: description(&c.description),
        };
        paths.insert(command.path.clone(), &Ordered(vec![("post", operation)]));
    }
    paths.insert(
        aggregate.state_path.clone(),
        &json!({ "get": {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::LintLevels;
    use crate::pipeline::{Source, check};
    use crate::syntax::Syntax;

    fn synthetic(contexts: usize) -> Model {
        let source = Source { name: "synthetic".into(), text: crate::synthetic::yaml(contexts), syntax: Syntax::Yaml };
        check(&source, &LintLevels::default()).model.expect("the synthetic model builds")
    }

    #[test]
    fn documents_are_json_with_a_line_per_route_and_schema() {
        let model = synthetic(3);
        let vfs = crate::r#gen::generate(&model).unwrap();
        let host = &vfs.get("host/openapi.json").unwrap().contents;
        assert!(crate::vfs::has_marker(host));
        let document: Value = serde_json::from_str(host).unwrap();
        let paths = document["paths"].as_object().unwrap();
        let routes = model.aggregates.iter().map(|a| a.commands.len() + 1).sum::<usize>() + 2 * model.read_models.len();
        assert_eq!(paths.len(), routes + 2, "every route, /health and /openapi.json");
        let schemas = document["components"]["schemas"].as_object().unwrap();
        for key in paths.keys().chain(schemas.keys()) {
            let start = format!("{}: {{", Value::from(key.as_str()));
            assert_eq!(host.lines().filter(|l| l.trim_start().starts_with(&start)).count(), 1, "{key}");
        }
        // The host's document holds each service's routes, the same.
        let service: Value = serde_json::from_str(&vfs.get("services/area1/openapi.json").unwrap().contents).unwrap();
        let service_paths = service["paths"].as_object().unwrap();
        assert!(service_paths.len() > 2);
        for (path, item) in service_paths {
            assert_eq!(&paths[path], item, "{path}");
        }
    }

    #[test]
    fn a_member_inserted_again_keeps_its_place() {
        let mut members = Members::default();
        members.insert("a".into(), &json!(1));
        members.insert("b\"".into(), &json!(2));
        members.insert("a".into(), &json!({ "x": [3] }));
        assert_eq!(members.into_lines(), [r#""a": {"x":[3]}"#, r#""b\"": 2"#]);
    }

    #[test]
    fn the_layout_nests_and_escapes() {
        let mut layout = Layout::new(0);
        layout.member("say \"hi\"", "1");
        layout.open("empty");
        layout.close();
        layout.open("full");
        layout.member("a", "[]");
        let text = layout.finish();
        assert_eq!(text, "{\n  \"say \\\"hi\\\"\": 1,\n  \"empty\": {},\n  \"full\": {\n    \"a\": []\n  }\n}\n");
        serde_json::from_str::<Value>(&text).unwrap();
    }
}
