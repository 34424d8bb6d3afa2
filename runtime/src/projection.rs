//! Projections: read models kept by the runtime as JSON documents.
//!
//! A projection is a pure function from (current document, event) to an update
//! of that document. The runtime stores the documents in its `read_models`
//! table next to the projection's checkpoint and changes both in one
//! transaction, so a projection never applies an event twice nor skips one.
//!
//! * An **inline** projection (registered with
//!   [`RuntimeBuilder::inline_projection`](crate::RuntimeBuilder::inline_projection))
//!   is updated in the very transaction that appends the events: a read after
//!   a successful command sees its effect.
//! * A projection of another context's events runs as an inbox consumer
//!   ([`Runtime::spawn_projection`](crate::Runtime::spawn_projection)).
//!
//! [`Runtime::rebuild_projection`](crate::Runtime::rebuild_projection) replays
//! the store into a projection from scratch; it writes only read models and the
//! checkpoint (no outbox row, no policy is triggered).

use crate::envelope::Envelope;

/// What a projection does to the document under an event's key.
#[derive(Clone, Debug, PartialEq)]
pub enum ProjectionUpdate {
    /// Store this document under the key (insert or replace).
    Upsert(serde_json::Value),
    /// Delete the document under the key.
    Delete,
    /// Leave the document as it is.
    Unchanged,
}

/// A read model as a pure function over JSON documents.
pub trait Projection: Send + Sync + 'static {
    /// The projection's name: the namespace of its documents and the name of
    /// its checkpoint. Must be unique within a store.
    fn name(&self) -> &str;

    /// The key of the document an event affects, or `None` to ignore the
    /// event. The default keys documents by aggregate id, for every event:
    /// override it to filter by aggregate or event type.
    fn key(&self, event: &Envelope) -> Option<String> {
        Some(event.stream.aggregate_id.to_string())
    }

    /// The new document, given the current one (`None` if there is none).
    fn apply(&self, current: Option<serde_json::Value>, event: &Envelope) -> ProjectionUpdate;
}
