//! The traits generated code implements for each aggregate, its commands and
//! its events. `decide` and `evolve` are pure: the runtime does all I/O.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::envelope::AggregateId;

/// Metadata of a domain event, implemented by the generated event enum.
pub trait EventMeta {
    /// The event type name, e.g. `"MerchantOnboarded"`.
    fn event_type(&self) -> &'static str;
    /// The schema version of this event's payload (bump it when the payload
    /// changes shape and add an [`Aggregate::upcast`] step).
    fn schema_version(&self) -> u32 {
        1
    }
    /// Public events are published on the bus to other contexts; private ones
    /// never leave their context.
    fn is_public(&self) -> bool;
}

/// Metadata of a command, implemented by the generated command enum.
pub trait CommandMeta {
    /// The command type name, e.g. `"OnboardMerchant"` (for authorization and logs).
    fn command_type(&self) -> &'static str;
    /// Whether the command creates the aggregate. A creating command on an
    /// existing stream is a conflict; any other command on a missing stream is
    /// "not found".
    fn is_creation(&self) -> bool;
}

/// An event-sourced aggregate. Generated code implements it on a unit type.
pub trait Aggregate: Send + Sync + 'static {
    /// The bounded context the aggregate belongs to, e.g. `"onboarding"`.
    const CONTEXT: &'static str;
    /// The aggregate type name, e.g. `"Merchant"`; unique within a store.
    const TYPE: &'static str;
    /// Version of the serialized `State`; a snapshot written under another
    /// version is ignored (the state is rebuilt by full replay).
    const STATE_SCHEMA_VERSION: u32;

    /// The state folded from the events.
    type State: Default + Clone + Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The commands the aggregate accepts.
    type Command: Serialize + DeserializeOwned + CommandMeta + Send + Sync + 'static;
    /// The events it emits. Serialized with serde as the stored payload.
    type Event: Serialize + DeserializeOwned + EventMeta + Send + Sync + 'static;
    /// The domain error (mapped to HTTP 422 by the generator).
    type Error: std::error::Error + Serialize + Send + Sync + 'static;

    /// Decides which events a command produces, given the current state.
    fn decide(state: &Self::State, id: &AggregateId, command: &Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Applies one event to the state.
    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;

    /// Turns a stored payload of an older schema version into the current
    /// shape before it is deserialized. The default keeps it as it is.
    fn upcast(_event_type: &str, _schema_version: u32, payload: serde_json::Value) -> serde_json::Value {
        payload
    }
}
