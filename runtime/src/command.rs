//! The command path: load, decide, append — with retries on version
//! conflicts and idempotency by command id.

use uuid::Uuid;

use crate::aggregate::{Aggregate, CommandMeta, EventMeta};
use crate::envelope::{AggregateId, Envelope, StreamId};
use crate::error::{CommandError, StoreError};
use crate::runtime::{Actor, AuthRequest, Runtime};
use crate::store::{AppendOutcome, AppendRequest, Mark, NewEvent, PriorCommand, SnapshotWrite};
use crate::time::Timestamp;

/// The circumstances of a command.
#[derive(Clone, Debug)]
pub struct CommandContext {
    /// Idempotency key: a command id seen before returns the first result and
    /// appends nothing. Take it from the client (e.g. an `Idempotency-Key`
    /// header) when there is one; [`CommandContext::new`] makes a fresh one.
    pub command_id: Uuid,
    /// If set (HTTP `If-Match`), the command is a conflict unless the stream
    /// is at exactly this version; no retry is made.
    pub expected_version: Option<u64>,
    /// Correlation id copied onto every event.
    pub correlation_id: Uuid,
    /// What caused the command (an event id for a policy); the command id if
    /// `None`.
    pub causation_id: Option<Uuid>,
    /// The caller, for the authorization hook.
    pub actor: Option<Actor>,
    /// A consumer's mark committed with the command's events.
    pub(crate) mark: Option<Mark>,
}

impl Default for CommandContext {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandContext {
    /// A context with a fresh UUIDv7 command id, also used as correlation id.
    pub fn new() -> Self {
        let id = Uuid::now_v7();
        CommandContext {
            command_id: id,
            expected_version: None,
            correlation_id: id,
            causation_id: None,
            actor: None,
            mark: None,
        }
    }

    /// The context of a command a policy issues in reaction to `event`: the
    /// command id is UUIDv5(event id, policy name), so a redelivered event
    /// never acts twice.
    pub fn for_policy(event: &Envelope, policy: &str) -> Self {
        CommandContext {
            command_id: policy_command_id(event.event_id, policy),
            expected_version: None,
            correlation_id: event.correlation_id,
            causation_id: Some(event.event_id),
            actor: None,
            mark: None,
        }
    }

    /// Sets the command id (idempotency key).
    pub fn with_command_id(mut self, id: Uuid) -> Self {
        self.command_id = id;
        self
    }

    /// Requires the stream to be at this version.
    pub fn with_expected_version(mut self, version: u64) -> Self {
        self.expected_version = Some(version);
        self
    }

    /// Sets the correlation id.
    pub fn with_correlation_id(mut self, id: Uuid) -> Self {
        self.correlation_id = id;
        self
    }

    /// Sets the causation id.
    pub fn with_causation_id(mut self, id: Uuid) -> Self {
        self.causation_id = Some(id);
        self
    }

    /// Sets the caller.
    pub fn with_actor(mut self, actor: Actor) -> Self {
        self.actor = Some(actor);
        self
    }

    /// Commits a consumer's mark (inbox row or checkpoint) in the command's
    /// transaction. Used by policies and custom consumers.
    pub fn with_mark(mut self, mark: Mark) -> Self {
        self.mark = Some(mark);
        self
    }
}

/// The command id a policy uses for its reaction to an event.
pub fn policy_command_id(event_id: Uuid, policy: &str) -> Uuid {
    Uuid::new_v5(&event_id, policy.as_bytes())
}

/// The result of a command.
#[derive(Clone, Debug)]
pub struct CommandOutcome {
    /// The aggregate id.
    pub id: AggregateId,
    /// The stream version after the command (HTTP `ETag`).
    pub version: u64,
    /// The events appended (for a repeated command id: those of the first time).
    pub events: Vec<Envelope>,
    /// Whether this command id had been executed before (nothing was appended).
    pub duplicate: bool,
}

/// An aggregate's state as loaded from the store.
#[derive(Clone, Debug)]
pub struct Loaded<S> {
    /// The state.
    pub state: S,
    /// The stream version it reflects.
    pub version: u64,
}

/// Existence and expected-version checks, then the aggregate's decision.
fn decide<A: Aggregate>(
    state: &A::State,
    version: u64,
    id: &AggregateId,
    command: &A::Command,
    ctx: &CommandContext,
    stream: &StreamId,
) -> Result<Vec<A::Event>, CommandError<A::Error>> {
    if let Some(expected) = ctx.expected_version {
        if expected != version {
            return Err(CommandError::Conflict(format!("expected version {expected}, {stream} is at {version}")));
        }
    }
    if version == 0 && !command.is_creation() {
        return Err(CommandError::NotFound);
    }
    if version > 0 && command.is_creation() {
        return Err(CommandError::Conflict(format!("{stream} already exists")));
    }
    A::decide(state, id, command).map_err(CommandError::Domain)
}

fn outcome_from_prior<E>(prior: PriorCommand, stream: &StreamId) -> Result<CommandOutcome, CommandError<E>> {
    if &prior.stream != stream {
        return Err(CommandError::Conflict(format!("command id already used for {}", prior.stream)));
    }
    Ok(CommandOutcome { id: prior.stream.aggregate_id, version: prior.version, events: prior.events, duplicate: true })
}

impl Runtime {
    /// Executes a command on aggregate `A`'s instance `id`.
    ///
    /// Loads the state (snapshot + tail), checks the expected version and
    /// existence, decides, and appends with the loaded version as expected
    /// version; on a version conflict the decision is taken again on the new
    /// state, up to the configured number of retries. The events, their
    /// outbox rows, the command record, a snapshot, inline projections and a
    /// consumer's mark all commit in one transaction.
    pub async fn execute<A: Aggregate>(
        &self,
        id: impl Into<AggregateId>,
        command: A::Command,
        ctx: CommandContext,
    ) -> Result<CommandOutcome, CommandError<A::Error>> {
        let id = id.into();
        let inner = &self.inner;
        inner
            .authorizer
            .authorize(&AuthRequest {
                context: A::CONTEXT,
                aggregate_type: A::TYPE,
                command_type: command.command_type(),
                actor: ctx.actor.as_ref(),
            })
            .map_err(CommandError::Forbidden)?;
        let stream = StreamId::new(A::TYPE, id.clone());
        let causation_id = ctx.causation_id.unwrap_or(ctx.command_id);
        let lock = inner.stream_lock(&stream);
        let _turn = match ctx.mark.as_ref().and_then(|m| m.batch.as_ref()) {
            // A consumer batch that holds locks must not wait for the turn:
            // its holder may be a command waiting for the batch to commit.
            // The runner commits the batch and hands the message over again.
            Some(batch) if batch.holds_locks() => match lock.try_lock() {
                Ok(turn) => turn,
                Err(_) => {
                    batch.turn_taken();
                    return Err(CommandError::Conflict(format!("{stream} is busy; retried after the batch commits")));
                }
            },
            _ => lock.lock().await,
        };
        let mut attempt = 0;
        let mut may_use_cache = true;
        loop {
            let cached =
                if may_use_cache { inner.states.get::<A::State>(&stream, A::STATE_SCHEMA_VERSION) } else { None };
            let from_cache = cached.is_some();
            let (state, version) = match cached {
                Some(c) => c,
                None => {
                    let loaded = self.load_stream::<A>(&stream, ctx.mark.as_ref()).await?;
                    (loaded.state, loaded.version)
                }
            };
            let events = match decide::<A>(&state, version, &id, &command, &ctx, &stream) {
                Ok(events) => events,
                // Never answer "no" from the cache: confirm on the stored state.
                Err(_) if from_cache => {
                    may_use_cache = false;
                    continue;
                }
                Err(e) => return self.settle::<A>(&ctx, &stream, e).await,
            };

            let now = Timestamp::now();
            let mut new_events = Vec::with_capacity(events.len());
            for event in &events {
                let payload = serde_json::to_value(event).map_err(|e| StoreError::Serialization(e.to_string()))?;
                let payload =
                    inner.codec.encode(&stream, event.event_type(), payload).map_err(StoreError::Serialization)?;
                new_events.push(NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: event.event_type().to_owned(),
                    schema_version: event.schema_version(),
                    public: event.is_public(),
                    payload,
                    occurred_at: now,
                    correlation_id: ctx.correlation_id,
                    causation_id,
                });
            }
            let new_version = version + events.len() as u64;
            let new_state = events.iter().fold(state, A::evolve);
            let every = inner.snapshot_every;
            let snapshot = if every > 0 && new_version / every > version / every {
                Some(SnapshotWrite {
                    version: new_version,
                    state_schema_version: A::STATE_SCHEMA_VERSION,
                    state: serde_json::to_value(&new_state).map_err(|e| StoreError::Serialization(e.to_string()))?,
                })
            } else {
                None
            };
            let request = AppendRequest {
                context: A::CONTEXT.to_owned(),
                stream: stream.clone(),
                expected_version: version,
                command_id: ctx.command_id,
                events: new_events,
                snapshot,
                mark: ctx.mark.clone(),
                projections: inner.inline.clone(),
            };
            match inner.store.append(request).await {
                Ok(AppendOutcome::Appended(envelopes)) => {
                    inner.states.put(&stream, A::STATE_SCHEMA_VERSION, new_version, new_state);
                    return Ok(CommandOutcome { id, version: new_version, events: envelopes, duplicate: false });
                }
                Ok(AppendOutcome::Duplicate(prior)) => return outcome_from_prior(prior, &stream),
                Err(StoreError::Conflict { expected, actual, .. }) => {
                    inner.states.remove(&stream);
                    may_use_cache = false;
                    let retry = attempt < inner.max_conflict_retries && (ctx.expected_version.is_none() || from_cache);
                    if retry {
                        attempt += 1;
                        tracing::debug!(%stream, attempt, actual, "version conflict; deciding again");
                        continue;
                    }
                    let e = CommandError::Conflict(format!("{stream} moved from version {expected} to {actual}"));
                    return self.settle::<A>(&ctx, &stream, e).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// A command is about to fail: if its id was recorded before, it is a
    /// repeat of a command that succeeded, and gets that first outcome.
    async fn settle<A: Aggregate>(
        &self,
        ctx: &CommandContext,
        stream: &StreamId,
        error: CommandError<A::Error>,
    ) -> Result<CommandOutcome, CommandError<A::Error>> {
        let store = &self.inner.store;
        let Some(prior) = store.prior_command(ctx.command_id, ctx.mark.as_ref()).await? else {
            return Err(error);
        };
        if let Some(mark) = ctx.mark.clone() {
            match store.commit_mark(mark).await {
                Ok(()) | Err(StoreError::DuplicateMessage) => {}
                Err(e) => return Err(e.into()),
            }
        }
        outcome_from_prior(prior, stream)
    }

    /// The current state of aggregate `A`'s instance `id`, or `None` if the
    /// stream does not exist.
    pub async fn load<A: Aggregate>(&self, id: impl Into<AggregateId>) -> Result<Option<Loaded<A::State>>, StoreError> {
        let loaded = self.load_stream::<A>(&StreamId::new(A::TYPE, id), None).await?;
        Ok((loaded.version > 0).then_some(loaded))
    }

    /// Snapshot (if usable) + tail, folded with `evolve`; with a consumer's
    /// mark, as its batch sees the stream.
    async fn load_stream<A: Aggregate>(
        &self,
        stream: &StreamId,
        mark: Option<&Mark>,
    ) -> Result<Loaded<A::State>, StoreError> {
        let store = &self.inner.store;
        let mut loaded = store.load_stream(stream.clone(), Some(A::STATE_SCHEMA_VERSION), mark).await?;
        let mut start = (A::State::default(), 0);
        if let Some((version, state)) = loaded.snapshot.take() {
            match serde_json::from_value(state) {
                Ok(state) => start = (state, version),
                Err(e) => {
                    // The snapshot no longer fits the state type: replay all.
                    tracing::warn!(%stream, "ignoring snapshot that does not deserialize: {e}");
                    loaded = store.load_stream(stream.clone(), None, mark).await?;
                }
            }
        }
        let (mut state, mut version) = start;
        for envelope in loaded.events {
            let event = self.decode_event::<A>(
                stream,
                envelope.event_type.as_str(),
                envelope.schema_version,
                envelope.payload,
            )?;
            state = A::evolve(state, &event);
            version = envelope.version;
        }
        Ok(Loaded { state, version })
    }

    fn decode_event<A: Aggregate>(
        &self,
        stream: &StreamId,
        event_type: &str,
        schema_version: u32,
        payload: serde_json::Value,
    ) -> Result<A::Event, StoreError> {
        let payload = self.inner.codec.decode(stream, event_type, payload).map_err(StoreError::Serialization)?;
        let payload = A::upcast(event_type, schema_version, payload);
        serde_json::from_value(payload)
            .map_err(|e| StoreError::Serialization(format!("{stream}: event {event_type} v{schema_version}: {e}")))
    }
}
