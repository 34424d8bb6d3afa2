//! The event envelope: everything the runtime records about one event besides
//! its payload, and the identifiers of streams and aggregates.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::time::Timestamp;

/// The identifier of one aggregate instance. Stored as text: a UUID by default,
/// but a model may declare another id type, which generated code turns into a
/// string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AggregateId(String);

impl AggregateId {
    /// Wraps a string id.
    pub fn new(id: impl Into<String>) -> Self {
        AggregateId(id.into())
    }

    /// A new random-ordered UUIDv7 id, the default for creating commands.
    pub fn new_v7() -> Self {
        AggregateId(Uuid::now_v7().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AggregateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for AggregateId {
    fn from(s: &str) -> Self {
        AggregateId(s.to_owned())
    }
}

impl From<String> for AggregateId {
    fn from(s: String) -> Self {
        AggregateId(s)
    }
}

impl From<Uuid> for AggregateId {
    fn from(u: Uuid) -> Self {
        AggregateId(u.to_string())
    }
}

impl From<&AggregateId> for AggregateId {
    fn from(a: &AggregateId) -> Self {
        a.clone()
    }
}

/// A stream: the events of one aggregate instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StreamId {
    /// The aggregate type, e.g. `"Merchant"`.
    pub aggregate_type: String,
    /// The aggregate instance id.
    pub aggregate_id: AggregateId,
}

impl StreamId {
    /// A stream of the given aggregate type and id.
    pub fn new(aggregate_type: impl Into<String>, aggregate_id: impl Into<AggregateId>) -> Self {
        StreamId { aggregate_type: aggregate_type.into(), aggregate_id: aggregate_id.into() }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.aggregate_type, self.aggregate_id)
    }
}

/// One stored event with its metadata. This is what projections, policies and
/// bus subscribers receive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Unique id of the event (UUIDv7). Also the message id on the bus.
    pub event_id: Uuid,
    /// The bounded context whose aggregate emitted the event.
    pub context: String,
    /// The stream the event belongs to.
    pub stream: StreamId,
    /// Version of the stream after this event: 1 for the first event.
    pub version: u64,
    /// Global position in the store: increases with commit order, without gaps
    /// visible to a reader that follows it.
    pub position: u64,
    /// For public events, the number of public events of this stream up to and
    /// including this one (1, 2, 3 …). Consumers in other contexts see only
    /// public events, so they order and de-duplicate per stream by this
    /// sequence rather than by `version`. `None` for private events.
    pub public_seq: Option<u64>,
    /// The event type name, e.g. `"MerchantOnboarded"`.
    pub event_type: String,
    /// Schema version of the payload, for upcasting old events.
    pub schema_version: u32,
    /// When the event was recorded.
    pub occurred_at: Timestamp,
    /// Correlation id: shared by everything caused by one outside request.
    pub correlation_id: Uuid,
    /// The id of what caused this event: the triggering event for a policy's
    /// command, else the command id.
    pub causation_id: Uuid,
    /// The id of the command that appended the event (its idempotency key).
    pub command_id: Uuid,
    /// The event payload as JSON.
    pub payload: serde_json::Value,
}

impl Envelope {
    /// Whether the event is public (published on the bus to other contexts).
    pub fn is_public(&self) -> bool {
        self.public_seq.is_some()
    }
}
