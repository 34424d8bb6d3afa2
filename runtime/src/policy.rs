//! Policies ("whenever X happens, do Y") and the adapters that run policies
//! and projections as inbox consumers.

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::aggregate::Aggregate;
use crate::bus::BusError;
use crate::command::CommandContext;
use crate::envelope::{AggregateId, Envelope};
use crate::error::{CommandError, StoreError};
use crate::inbox::{ConsumeError, Consumer, Source};
use crate::projection::Projection;
use crate::runtime::Runtime;
use crate::store::Mark;

/// A policy: maps an event to at most one command on an aggregate. The
/// runtime issues the command with the id UUIDv5(event id, policy name) and
/// commits the consumer's inbox mark in the command's transaction, so a
/// redelivered event never acts twice.
pub trait Policy: Send + Sync + 'static {
    /// The aggregate the policy sends commands to.
    type Target: Aggregate;

    /// The policy's unique name (its inbox name, and part of command ids).
    fn name(&self) -> &str;

    /// The command to issue for `event`, if any.
    fn react(&self, event: &Envelope) -> Option<(AggregateId, <Self::Target as Aggregate>::Command)>;
}

/// Runs a [`Policy`] as a [`Consumer`].
pub struct PolicyConsumer<P>(pub P);

impl<P: Policy> Consumer for PolicyConsumer<P> {
    fn name(&self) -> &str {
        self.0.name()
    }

    /// The command carries the mark; `react` is a pure function.
    fn batched(&self) -> bool {
        true
    }

    async fn handle(&self, rt: &Runtime, event: &Envelope, mark: Mark) -> Result<(), ConsumeError> {
        let Some((id, command)) = self.0.react(event) else {
            return match rt.store().commit_mark(mark).await {
                Ok(()) | Err(StoreError::DuplicateMessage) => Ok(()),
                Err(e) => Err(ConsumeError::Retry(e.to_string())),
            };
        };
        let ctx = CommandContext::for_policy(event, self.0.name()).with_mark(mark);
        match rt.execute::<P::Target>(id, command, ctx).await {
            Ok(_) | Err(CommandError::Storage(StoreError::DuplicateMessage)) => Ok(()),
            // Deterministic outcomes: trying again would give the same answer.
            Err(e @ (CommandError::Domain(_) | CommandError::NotFound | CommandError::Forbidden(_))) => {
                Err(ConsumeError::Reject(e.to_string()))
            }
            Err(e @ (CommandError::Conflict(_) | CommandError::Storage(_))) => Err(ConsumeError::Retry(e.to_string())),
        }
    }
}

/// Runs a [`Projection`] as a [`Consumer`]: each event and the mark commit
/// together.
pub struct ProjectionConsumer {
    projection: Arc<dyn Projection>,
    name: String,
}

impl ProjectionConsumer {
    /// Wraps a projection.
    pub fn new(projection: Arc<dyn Projection>) -> Self {
        let name = format!("projection:{}", projection.name());
        ProjectionConsumer { projection, name }
    }
}

impl Consumer for ProjectionConsumer {
    fn name(&self) -> &str {
        &self.name
    }

    fn batched(&self) -> bool {
        true
    }

    async fn handle(&self, rt: &Runtime, event: &Envelope, mark: Mark) -> Result<(), ConsumeError> {
        match rt.store().apply_projection(self.projection.clone(), event.clone(), mark).await {
            Ok(()) | Err(StoreError::DuplicateMessage) => Ok(()),
            Err(e @ StoreError::Serialization(_)) => Err(ConsumeError::Reject(e.to_string())),
            Err(e) => Err(ConsumeError::Retry(e.to_string())),
        }
    }
}

impl Runtime {
    /// Starts a policy (see [`Runtime::spawn_consumer`]).
    pub fn spawn_policy<P: Policy>(&self, policy: P, source: Source) -> Result<JoinHandle<()>, BusError> {
        self.spawn_consumer(PolicyConsumer(policy), source)
    }

    /// Starts a projection fed by events of another context from the bus
    /// (through the inbox), or of its own context from the store.
    pub fn spawn_projection(&self, projection: impl Projection, source: Source) -> Result<JoinHandle<()>, BusError> {
        self.spawn_consumer(ProjectionConsumer::new(Arc::new(projection)), source)
    }
}
