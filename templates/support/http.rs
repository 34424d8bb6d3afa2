//! The conventions of the generated HTTP API, shared by every route:
//!
//! - a command's body is a JSON object with the command's fields; a field
//!   that is missing or of the wrong type, or one the command does not have,
//!   is a 400 naming the field;
//! - errors are `application/problem+json` (RFC 9457): 400 malformed body,
//!   404 unknown aggregate or document, 409 version conflict, 422 domain
//!   error (named as in the model, in `error`), 503 storage failure;
//! - `Idempotency-Key` becomes the command id: a retried request gets the
//!   first result and appends nothing;
//! - `If-Match` gives the version the aggregate must be at (the `ETag` of an
//!   earlier answer); `X-Correlation-Id` (a UUID) ties commands of one
//!   conversation together.

use std::collections::BTreeMap;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Serialize;
use serde::de::DeserializeOwned;
use squall_runtime::serde_json::{self, Map, Value, json};
use squall_runtime::uuid::Uuid;
use squall_runtime::{Aggregate, AggregateId, CommandContext, CommandError, CommandOutcome, Envelope, Runtime};

/// Query parameters, as given.
pub type Params = BTreeMap<String, String>;

/// An RFC 9457 problem: the body of every error answer.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    body: Map<String, Value>,
}

impl Problem {
    /// A problem with a status, a short title and a detail for people.
    pub fn new(status: StatusCode, title: &str, detail: impl Into<String>) -> Problem {
        let mut body = Map::new();
        body.insert("type".into(), "about:blank".into());
        body.insert("title".into(), title.into());
        body.insert("status".into(), status.as_u16().into());
        body.insert("detail".into(), detail.into().into());
        Problem { status, body }
    }

    /// Adds a member for machines (`field`, `error`).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Problem {
        self.body.insert(key.into(), value.into());
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "Malformed request", detail)
    }

    /// 404: nothing lives at this address.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    /// 503: the store failed.
    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Storage unavailable", detail)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = Value::Object(self.body).to_string();
        (self.status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    }
}

/// A command's JSON body, taken apart field by field so that an error names
/// the field it is about.
#[derive(Debug)]
pub struct Body {
    fields: Map<String, Value>,
}

impl Body {
    /// Parses a body: a JSON object, or nothing at all (a command without
    /// fields).
    pub fn parse(bytes: &[u8]) -> Result<Body, Problem> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body { fields: Map::new() });
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(fields)) => Ok(Body { fields }),
            Ok(_) => Err(Problem::bad_request("the body must be a JSON object")),
            Err(e) => Err(Problem::bad_request(format!("the body is not JSON: {e}"))),
        }
    }

    /// Takes one field out. A missing field reads as `null`, which an
    /// optional field accepts.
    pub fn field<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, Problem> {
        let given = self.fields.remove(name);
        let missing = given.is_none();
        serde_json::from_value(given.unwrap_or(Value::Null)).map_err(|e| {
            let detail = if missing { format!("missing field `{name}`") } else { format!("field `{name}`: {e}") };
            Problem::bad_request(detail).with("field", name)
        })
    }

    /// Fails on a field the command does not have (a typo would otherwise
    /// pass unnoticed).
    pub fn finish(self) -> Result<(), Problem> {
        match self.fields.keys().next() {
            Some(unknown) => {
                Err(Problem::bad_request(format!("unknown field `{unknown}`")).with("field", unknown.as_str()))
            }
            None => Ok(()),
        }
    }
}

/// The type of an aggregate's identity, as the model declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// `uuid` (the default): new aggregates get a UUIDv7.
    Uuid,
    /// `int`: the client names new aggregates (`?id=`).
    Int,
    /// Any other type, as text: the client names new aggregates (`?id=`).
    Text,
}

impl IdKind {
    /// The canonical text of an id of this kind, if `raw` is one.
    pub fn normalize(self, raw: &str) -> Option<String> {
        match self {
            IdKind::Uuid => Uuid::parse_str(raw).ok().map(|u| u.to_string()),
            IdKind::Int => raw.parse::<i64>().ok().map(|i| i.to_string()),
            IdKind::Text => (!raw.is_empty()).then(|| raw.to_owned()),
        }
    }
}

/// Fixed namespace of command ids derived from `Idempotency-Key` values that
/// are not UUIDs themselves.
const IDEMPOTENCY_NAMESPACE: Uuid = Uuid::from_u128(0x8f0e_51a4_7c1b_4a8e_b3d2_6e5f_9a0c_1d27);

/// The command's circumstances from its headers, and whether the client gave
/// an idempotency key.
pub fn command_context(headers: &HeaderMap) -> Result<(CommandContext, bool), Problem> {
    let mut ctx = CommandContext::new();
    let text = |name: &str| -> Result<Option<&str>, Problem> {
        match headers.get(name) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .map(|s| Some(s.trim()))
                .map_err(|_| Problem::bad_request(format!("header `{name}` is not text"))),
        }
    };
    let keyed = match text("idempotency-key")? {
        Some("") => return Err(Problem::bad_request("header `Idempotency-Key` is empty")),
        Some(key) => {
            let id = Uuid::parse_str(key).unwrap_or_else(|_| Uuid::new_v5(&IDEMPOTENCY_NAMESPACE, key.as_bytes()));
            ctx = ctx.with_command_id(id).with_correlation_id(id);
            true
        }
        None => false,
    };
    if let Some(raw) = text("if-match")? {
        let version = raw.trim_start_matches("W/").trim_matches('"');
        let version = version
            .parse::<u64>()
            .map_err(|_| Problem::bad_request(format!("header `If-Match`: `{raw}` is not a version")))?;
        ctx = ctx.with_expected_version(version);
    }
    if let Some(raw) = text("x-correlation-id")? {
        let id = Uuid::parse_str(raw)
            .map_err(|_| Problem::bad_request(format!("header `X-Correlation-Id`: `{raw}` is not a UUID")))?;
        ctx = ctx.with_correlation_id(id);
    }
    Ok((ctx, keyed))
}

/// `POST /{context}/{aggregate}/{command}`: a command that creates an
/// aggregate. Its id comes from `?id=`, else (UUID ids) from the idempotency
/// key, so that a retry addresses the same aggregate, else is new.
pub async fn create<A: Aggregate>(
    rt: &Runtime,
    kind: IdKind,
    params: &Params,
    headers: &HeaderMap,
    body: &[u8],
    command: impl FnOnce(&mut Body) -> Result<A::Command, Problem>,
) -> Response {
    let prepared = (|| {
        let (ctx, keyed) = command_context(headers)?;
        let mut fields = Body::parse(body)?;
        let command = command(&mut fields)?;
        fields.finish()?;
        let id = match (params.get("id"), kind) {
            (Some(raw), _) => kind
                .normalize(raw)
                .ok_or_else(|| Problem::bad_request(format!("query parameter `id`: `{raw}` is not a valid id")))?,
            (None, IdKind::Uuid) if keyed => Uuid::new_v5(&ctx.command_id, b"aggregate").to_string(),
            (None, IdKind::Uuid) => Uuid::now_v7().to_string(),
            (None, _) => return Err(Problem::bad_request("query parameter `id` is required for this aggregate")),
        };
        Ok((AggregateId::new(id), command, ctx))
    })();
    match prepared {
        Ok((id, command, ctx)) => execute::<A>(rt, id, command, ctx, StatusCode::CREATED).await,
        Err(problem) => problem.into_response(),
    }
}

/// `POST /{context}/{aggregate}/{id}/{command}`: a command on an existing
/// aggregate.
pub async fn act<A: Aggregate>(
    rt: &Runtime,
    kind: IdKind,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
    command: impl FnOnce(&mut Body) -> Result<A::Command, Problem>,
) -> Response {
    let prepared = (|| {
        let Some(id) = kind.normalize(id) else {
            return Err(Problem::not_found(format!("no {} with id `{id}`", A::TYPE)));
        };
        let (ctx, _) = command_context(headers)?;
        let mut fields = Body::parse(body)?;
        let command = command(&mut fields)?;
        fields.finish()?;
        Ok((AggregateId::new(id), command, ctx))
    })();
    match prepared {
        Ok((id, command, ctx)) => execute::<A>(rt, id, command, ctx, StatusCode::OK).await,
        Err(problem) => problem.into_response(),
    }
}

/// Runs a command and answers with its outcome or its problem.
pub async fn execute<A: Aggregate>(
    rt: &Runtime,
    id: AggregateId,
    command: A::Command,
    ctx: CommandContext,
    status: StatusCode,
) -> Response {
    match rt.execute::<A>(id.clone(), command, ctx).await {
        Ok(outcome) => outcome_response(&outcome, status),
        Err(CommandError::Domain(e)) => {
            let name = error_name(&e);
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Rejected by the domain", e.to_string())
                .with("error", name)
                .into_response()
        }
        Err(CommandError::NotFound) => Problem::not_found(format!("no {} with id `{id}`", A::TYPE)).into_response(),
        Err(CommandError::Conflict(detail)) => {
            Problem::new(StatusCode::CONFLICT, "Version conflict", detail).into_response()
        }
        Err(CommandError::Forbidden(detail)) => {
            Problem::new(StatusCode::FORBIDDEN, "Forbidden", detail).into_response()
        }
        Err(CommandError::Storage(e)) => Problem::unavailable(e.to_string()).into_response(),
    }
}

/// A domain error's name as the model spells it (its serde name).
fn error_name<E: Serialize + std::fmt::Display>(error: &E) -> String {
    match serde_json::to_value(error) {
        Ok(Value::String(name)) => name,
        Ok(Value::Object(map)) if map.len() == 1 => map.keys().next().cloned().unwrap_or_default(),
        _ => error.to_string(),
    }
}

/// An event as the API shows it.
pub fn event_json(event: &Envelope) -> Value {
    json!({
        "id": event.event_id,
        "type": event.event_type,
        "context": event.context,
        "version": event.version,
        "position": event.position,
        "occurred_at": event.occurred_at,
        "correlation_id": event.correlation_id,
        "data": event.payload,
    })
}

fn outcome_response(outcome: &CommandOutcome, status: StatusCode) -> Response {
    let events: Vec<Value> = outcome.events.iter().map(event_json).collect();
    let body = json!({ "id": outcome.id, "version": outcome.version, "events": events });
    (status, [(header::ETAG, format!("\"{}\"", outcome.version))], Json(body)).into_response()
}

/// `GET /{context}/{aggregate}/{id}`: the current state and version.
pub async fn state<A: Aggregate>(rt: &Runtime, kind: IdKind, id: &str) -> Response {
    let Some(id) = kind.normalize(id) else {
        return Problem::not_found(format!("no {} with id `{id}`", A::TYPE)).into_response();
    };
    match rt.load::<A>(id.as_str()).await {
        Ok(Some(loaded)) => {
            let body = json!({ "id": id, "version": loaded.version, "state": loaded.state });
            (StatusCode::OK, [(header::ETAG, format!("\"{}\"", loaded.version))], Json(body)).into_response()
        }
        Ok(None) => Problem::not_found(format!("no {} with id `{id}`", A::TYPE)).into_response(),
        Err(e) => Problem::unavailable(e.to_string()).into_response(),
    }
}

/// `GET /{context}/read-models/{read-model}/{key}`: one document.
pub async fn read_model(rt: &Runtime, projection: &str, key: &str) -> Response {
    match rt.store().read_model(projection, key).await {
        Ok(Some(doc)) => Json(doc).into_response(),
        Ok(None) => Problem::not_found(format!("no document `{key}` in {projection}")).into_response(),
        Err(e) => Problem::unavailable(e.to_string()).into_response(),
    }
}

/// Documents per page when the client does not say.
const PAGE: usize = 100;
/// The most documents one page holds.
const MAX_PAGE: usize = 1000;

/// `GET /{context}/read-models/{read-model}?after=KEY&limit=N`: documents in
/// key order, a page at a time; `next` is the `after` of the next page.
pub async fn read_models(rt: &Runtime, projection: &str, params: &Params) -> Response {
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => PAGE,
        Some(Ok(n)) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => {
            return Problem::bad_request(format!("query parameter `limit` must be 1 to {MAX_PAGE}")).into_response();
        }
    };
    match rt.store().read_models(projection, params.get("after").map(String::as_str), limit).await {
        Ok(docs) => {
            let next = if docs.len() == limit { docs.last().map(|(key, _)| key.clone()) } else { None };
            let items: Vec<Value> = docs.into_iter().map(|(key, doc)| json!({ "key": key, "doc": doc })).collect();
            Json(json!({ "items": items, "next": next })).into_response()
        }
        Err(e) => Problem::unavailable(e.to_string()).into_response(),
    }
}

/// `GET /health` and `GET /openapi.json`.
pub fn common_routes(openapi: &'static str) -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/openapi.json", get(move || async move { ([(header::CONTENT_TYPE, "application/json")], openapi) }))
}

/// The answer to a route nobody serves.
pub async fn no_route() -> Response {
    Problem::not_found("no such route; see /openapi.json").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_name_the_field_in_error() {
        let mut body = Body::parse(br#"{"amount": "x", "name": "Ada", "extra": 1}"#).unwrap();
        let name: String = body.field("name").unwrap();
        assert_eq!(name, "Ada");
        let amount = body.field::<i64>("amount").unwrap_err();
        assert_eq!(amount.body["field"], "amount");
        let missing = body.field::<String>("email").unwrap_err();
        assert!(missing.body["detail"].as_str().unwrap().contains("missing field `email`"));
        let optional: Option<String> = body.field("nickname").unwrap();
        assert_eq!(optional, None);
        assert_eq!(body.finish().unwrap_err().body["field"], "extra");
        assert!(Body::parse(b"").unwrap().finish().is_ok());
        assert_eq!(Body::parse(b"[1]").unwrap_err().status(), StatusCode::BAD_REQUEST);
        assert_eq!(Body::parse(b"{").unwrap_err().status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn headers_give_the_command_id_and_version() {
        let mut headers = HeaderMap::new();
        headers.insert("idempotency-key", "order-42".parse().unwrap());
        headers.insert("if-match", "\"3\"".parse().unwrap());
        let (first, keyed) = command_context(&headers).unwrap();
        let (second, _) = command_context(&headers).unwrap();
        assert!(keyed);
        assert_eq!(first.command_id, second.command_id);
        assert_eq!(first.expected_version, Some(3));
        headers.insert("if-match", "soon".parse().unwrap());
        assert!(command_context(&headers).is_err());
    }

    #[test]
    fn ids_are_normalized_by_kind() {
        let upper = "0190F2A4-7C1B-7A8E-B3D2-6E5F9A0C1D27";
        assert_eq!(IdKind::Uuid.normalize(upper).as_deref(), Some("0190f2a4-7c1b-7a8e-b3d2-6e5f9a0c1d27"));
        assert_eq!(IdKind::Uuid.normalize("nope"), None);
        assert_eq!(IdKind::Int.normalize("42").as_deref(), Some("42"));
        assert_eq!(IdKind::Text.normalize(""), None);
    }
}
