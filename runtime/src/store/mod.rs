//! The event store handle and the operations the runtime performs on it.
//!
//! [`Store`] is a cheap, cloneable handle chosen at run time from a URL:
//! SQLite, or PostgreSQL with the `postgres` feature — another [`Backend`]
//! variant behind the same methods, so generated code, which only ever holds a
//! `Store` and a [`Runtime`](crate::Runtime), does not change.

mod batch;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
pub(crate) mod sqlite;

pub(crate) use batch::{Batch, BatchLink, Batcher, HoldOutcome};

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;
use uuid::Uuid;

use crate::envelope::{Envelope, StreamId};
use crate::error::StoreError;
use crate::projection::Projection;
use crate::time::Timestamp;

/// A handle on an event store. Clones share one store; dropping the last clone
/// stops its writer after the pending writes.
#[derive(Clone)]
pub struct Store {
    backend: Arc<Backend>,
}

enum Backend {
    Sqlite(sqlite::SqliteStore),
    #[cfg(feature = "postgres")]
    Postgres(Box<postgres::PgStore>),
}

/// Calls the same method on whichever backend the store runs on.
macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match &*$self.backend {
            Backend::Sqlite(s) => s.$method($($arg),*).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(p) => p.$method($($arg),*).await,
        }
    };
}

/// A dead-lettered message: one a consumer failed on too often.
#[derive(Clone, Debug)]
pub struct DeadLetter {
    /// The consumer that gave up on it.
    pub consumer: String,
    /// The message (event) it failed on.
    pub envelope: Envelope,
    /// The last error.
    pub error: String,
    /// How many attempts were made.
    pub attempts: u32,
    /// When it was dead-lettered.
    pub failed_at: Timestamp,
}

/// Counts of rows in the store's tables, for tests, health checks and benches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Stored events.
    pub events: u64,
    /// Outbox rows not yet acknowledged by the relay.
    pub outbox: u64,
    /// Recorded commands.
    pub commands: u64,
    /// Dead letters.
    pub dead_letters: u64,
}

/// What a consumer records, in the transaction of its effects, to say that it
/// processed a message: an inbox row (messages from the bus) or a checkpoint
/// (consumers that follow the store). Writing it a second time fails with
/// [`StoreError::DuplicateMessage`] and rolls the effects back, which is what
/// makes redelivery harmless.
#[derive(Clone, Debug)]
pub struct Mark {
    pub(crate) kind: MarkKind,
    /// The consumer's batch whose transaction the mark, and the effects
    /// written with it, join; `None`: a transaction of their own.
    pub(crate) batch: Option<BatchLink>,
}

impl Mark {
    /// A mark that advances the named checkpoint to `position` (which must be
    /// beyond it). For tools outside the consumer loop, such as a replay that
    /// feeds a projection from another context's store and records how far it
    /// got under a checkpoint of its own.
    pub fn checkpoint(name: impl Into<String>, position: u64) -> Mark {
        Mark::new(MarkKind::Checkpoint { name: name.into(), position })
    }

    /// A mark committed in a transaction of its own.
    pub(crate) fn new(kind: MarkKind) -> Mark {
        Mark { kind, batch: None }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum MarkKind {
    /// Advance the named checkpoint to `position` (must be beyond it).
    Checkpoint { name: String, position: u64 },
    /// Record `message_id` in the consumer's inbox and, for ordered messages,
    /// advance the per-stream sequence to `seq` (must be beyond it).
    Inbox { consumer: String, message_id: Uuid, stream: StreamId, seq: Option<u64> },
}

/// One event to append, already serialized.
#[derive(Clone, Debug)]
pub(crate) struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub public: bool,
    pub payload: serde_json::Value,
    pub occurred_at: Timestamp,
    pub correlation_id: Uuid,
    pub causation_id: Uuid,
}

/// A snapshot to write with an append.
#[derive(Clone, Debug)]
pub(crate) struct SnapshotWrite {
    pub version: u64,
    pub state_schema_version: u32,
    pub state: serde_json::Value,
}

/// An append: events, the command record, and everything that must commit
/// with them.
pub(crate) struct AppendRequest {
    pub context: String,
    pub stream: StreamId,
    pub expected_version: u64,
    pub command_id: Uuid,
    pub events: Vec<NewEvent>,
    pub snapshot: Option<SnapshotWrite>,
    pub mark: Option<Mark>,
    pub projections: Arc<[Arc<dyn Projection>]>,
}

/// The recorded result of a command.
#[derive(Clone, Debug)]
pub(crate) struct PriorCommand {
    pub stream: StreamId,
    pub version: u64,
    pub events: Vec<Envelope>,
}

pub(crate) enum AppendOutcome {
    Appended(Vec<Envelope>),
    /// The command id was recorded before: nothing was appended.
    Duplicate(PriorCommand),
}

/// A stream as loaded for a command: the snapshot (if one of the wanted state
/// schema version exists) and the events after it.
pub(crate) struct LoadedStream {
    pub snapshot: Option<(u64, serde_json::Value)>,
    pub events: Vec<Envelope>,
}

impl Store {
    /// Opens (creating if needed) the store at `url`:
    /// `sqlite://path/to/file.db`, `sqlite:path`, or a plain file path.
    /// With the `postgres` feature, `postgres://user@host:port/db` (optional
    /// `?schema=name&pool_size=n`) opens PostgreSQL, creating or upgrading
    /// the store's tables (see `docs/postgres.md`).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = postgres::PgStore::open(url).await?;
            return Ok(Store { backend: Arc::new(Backend::Postgres(Box::new(store))) });
        }
        let path = parse_sqlite_url(url)?;
        let store = tokio::task::spawn_blocking(move || sqlite::SqliteStore::open(&path))
            .await
            .map_err(|_| StoreError::Closed)??;
        Ok(Store { backend: Arc::new(Backend::Sqlite(store)) })
    }

    /// The PostgreSQL backend, if the store runs on it.
    #[cfg(feature = "postgres")]
    pub(crate) fn postgres(&self) -> Option<&postgres::PgStore> {
        match &*self.backend {
            Backend::Postgres(p) => Some(p),
            Backend::Sqlite(_) => None,
        }
    }

    /// A receiver of the highest committed global position, updated after
    /// every commit that appended events (the relay and store-following
    /// consumers wait on it instead of polling).
    pub fn commits(&self) -> watch::Receiver<u64> {
        match &*self.backend {
            Backend::Sqlite(s) => s.commits(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(p) => p.commits(),
        }
    }

    /// The highest global position committed so far (0 if the store is empty).
    pub fn head_position(&self) -> u64 {
        *self.commits().borrow()
    }

    /// Up to `limit` events after global position `after`, in position order.
    pub async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<Envelope>, StoreError> {
        dispatch!(self.read_all(after, limit))
    }

    /// All events of one stream, in version order.
    pub async fn read_stream(&self, stream: &StreamId) -> Result<Vec<Envelope>, StoreError> {
        let loaded = dispatch!(self.load_stream(stream.clone(), None, None))?;
        Ok(loaded.events)
    }

    /// The document a projection keeps under `key`.
    pub async fn read_model(&self, projection: &str, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        dispatch!(self.read_model(projection.to_owned(), key.to_owned()))
    }

    /// Up to `limit` documents of a projection, ordered by key, with keys
    /// greater than `after_key` (for paging).
    pub async fn read_models(
        &self,
        projection: &str,
        after_key: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        dispatch!(self.read_models(projection.to_owned(), after_key.map(str::to_owned), limit))
    }

    /// The position a checkpoint (relay, projection or consumer) has reached.
    pub async fn checkpoint(&self, name: &str) -> Result<u64, StoreError> {
        dispatch!(self.checkpoint(name.to_owned()))
    }

    /// The dead letters of a consumer (all consumers if `None`).
    pub async fn dead_letters(&self, consumer: Option<&str>) -> Result<Vec<DeadLetter>, StoreError> {
        dispatch!(self.dead_letters(consumer.map(str::to_owned)))
    }

    /// Row counts of the main tables.
    pub async fn stats(&self) -> Result<StoreStats, StoreError> {
        dispatch!(self.stats())
    }

    /// Records that a consumer processed a message without other effects.
    /// Fails with [`StoreError::DuplicateMessage`] if it already had.
    pub async fn commit_mark(&self, mark: Mark) -> Result<(), StoreError> {
        dispatch!(self.commit_mark(mark))
    }

    /// Applies one event to a projection and records the consumer's mark, in
    /// one transaction.
    pub async fn apply_projection(
        &self,
        projection: Arc<dyn Projection>,
        event: Envelope,
        mark: Mark,
    ) -> Result<(), StoreError> {
        dispatch!(self.apply_projection(projection, event, mark))
    }

    /// The file path of a SQLite store (for tests and tools).
    pub fn path(&self) -> Option<PathBuf> {
        match &*self.backend {
            Backend::Sqlite(s) => Some(s.path().to_path_buf()),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => None,
        }
    }

    // ---- runtime-internal operations -------------------------------------

    pub(crate) async fn append(&self, req: AppendRequest) -> Result<AppendOutcome, StoreError> {
        dispatch!(self.append(req))
    }

    /// Loads a stream; with a mark, as the mark's batch sees it (its own
    /// uncommitted appends included).
    pub(crate) async fn load_stream(
        &self,
        stream: StreamId,
        state_schema_version: Option<u32>,
        mark: Option<&Mark>,
    ) -> Result<LoadedStream, StoreError> {
        dispatch!(self.load_stream(stream, state_schema_version, mark))
    }

    /// The recorded outcome of a command; with a mark, as its batch sees it.
    pub(crate) async fn prior_command(
        &self,
        command_id: Uuid,
        mark: Option<&Mark>,
    ) -> Result<Option<PriorCommand>, StoreError> {
        dispatch!(self.prior_command(command_id, mark))
    }

    pub(crate) async fn read_outbox(&self, after: u64, limit: usize) -> Result<Vec<Envelope>, StoreError> {
        dispatch!(self.read_outbox(after, limit))
    }

    pub(crate) async fn ack_outbox(&self, checkpoint: &str, upto: u64) -> Result<(), StoreError> {
        dispatch!(self.ack_outbox(checkpoint.to_owned(), upto))
    }

    /// Brings a projection up to the head, in batches of `batch` events (each
    /// committed with the checkpoint); returns the number of events applied.
    pub(crate) async fn catch_up(&self, projection: Arc<dyn Projection>, batch: usize) -> Result<u64, StoreError> {
        match &*self.backend {
            Backend::Sqlite(s) => s.catch_up(projection, batch).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(p) => {
                let mut total = 0;
                loop {
                    let n = p.catch_up_projection(projection.clone(), batch).await?;
                    total += n as u64;
                    if n < batch {
                        return Ok(total);
                    }
                }
            }
        }
    }

    pub(crate) async fn reset_projection(&self, name: &str) -> Result<(), StoreError> {
        dispatch!(self.reset_projection(name.to_owned()))
    }

    pub(crate) async fn hold(&self, consumer: &str, event: &Envelope) -> Result<HoldOutcome, StoreError> {
        dispatch!(self.hold(consumer.to_owned(), event.clone()))
    }

    /// For each message: whether the consumer recorded its id, and the last
    /// sequence it processed of the message's stream.
    pub(crate) async fn inbox_statuses(
        &self,
        consumer: &str,
        messages: &[(Uuid, StreamId)],
    ) -> Result<Vec<(bool, u64)>, StoreError> {
        dispatch!(self.inbox_statuses(consumer.to_owned(), messages.to_vec()))
    }

    /// For each `(stream, last)`, the message held at `last + 1`, if any.
    pub(crate) async fn held_next(
        &self,
        consumer: &str,
        streams: &[(StreamId, u64)],
    ) -> Result<Vec<Envelope>, StoreError> {
        dispatch!(self.held_next(consumer.to_owned(), streams.to_vec()))
    }

    pub(crate) async fn dead_letter(
        &self,
        consumer: &str,
        event: &Envelope,
        error: String,
        attempts: u32,
        mark: Mark,
    ) -> Result<(), StoreError> {
        dispatch!(self.dead_letter(consumer.to_owned(), event.clone(), error, attempts, mark))
    }
}

fn parse_sqlite_url(url: &str) -> Result<PathBuf, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // The PostgreSQL backend is the next issue (feature `postgres`).
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    if path.is_empty() || path.contains("://") || path == ":memory:" {
        // An in-memory database cannot be shared by the writer and the readers.
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    }
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::parse_sqlite_url;

    #[test]
    fn urls() {
        assert_eq!(parse_sqlite_url("sqlite://a/b.db").unwrap().to_str(), Some("a/b.db"));
        assert_eq!(parse_sqlite_url("sqlite:///tmp/x.db").unwrap().to_str(), Some("/tmp/x.db"));
        assert_eq!(parse_sqlite_url("x.db").unwrap().to_str(), Some("x.db"));
        assert!(parse_sqlite_url("postgres://h/db").is_err());
        assert!(parse_sqlite_url("nats://h").is_err());
        assert!(parse_sqlite_url("sqlite::memory:").is_err());
    }
}
