//! The PostgreSQL backend (feature `postgres`).
//!
//! Same guarantees as the SQLite store, with many writers instead of one:
//!
//! * **Optimistic concurrency.** An append updates its stream's row only if
//!   the row still holds the expected version (`UPDATE … WHERE version = $n`,
//!   or an insert that must not find a row for a new stream). A racing append
//!   waits on that row's lock, then finds the new version and fails with a
//!   conflict; the unique `(aggregate_type, aggregate_id, version)` constraint
//!   on `events` is the final guard. No append is lost to a race.
//! * **One transaction** holds the command record, the events, their outbox
//!   rows, a consumer's inbox row or checkpoint, the snapshot and the inline
//!   projections' documents.
//! * **A global order readers can follow.** A position handed out by a
//!   sequence at insert time is not a commit order: a transaction holding
//!   position 10 may commit after another committed 11, and a reader that has
//!   passed 11 would never read 10. Instead each event's position is
//!   `(transaction id << 16) + index`, with the transaction id from
//!   `pg_current_xact_id()` (an `xid8`, which never wraps), and readers read
//!   only positions below `pg_snapshot_xmin(pg_current_snapshot()) << 16`:
//!   the oldest transaction still in flight. Every transaction below it has
//!   finished, so no event can ever appear below that horizon again; a held
//!   transaction holds readers back until it ends, and a rolled-back one
//!   simply stops holding them. See `docs/postgres.md` for the whole argument.
//!
//! Inline projections and consumers add their own locks (documented where
//! they are taken). Commit wake-ups travel by LISTEN/NOTIFY ([`signal`]).

mod batch;
mod migrate;
mod pool;
mod signal;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use tokio::sync::watch;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Config, Row};
use uuid::Uuid;

use self::pool::Pool;
use self::signal::Signals;
use super::{
    AppendOutcome, AppendRequest, BatchLink, DeadLetter, HoldOutcome, LoadedStream, Mark, MarkKind, PriorCommand,
    StoreStats,
};
use crate::envelope::{AggregateId, Envelope, StreamId};
use crate::error::StoreError;
use crate::fault;
use crate::projection::{Projection, ProjectionUpdate};
use crate::time::Timestamp;

pub(crate) use self::batch::PgBatch;
pub(crate) use self::pool::{Conn, connect};

/// Connections per store unless the URL says `pool_size=`.
const DEFAULT_POOL: usize = 10;
/// Bits of a position that number the events of one transaction.
const TX_SHIFT: u32 = 16;
/// Most events one append may carry (they share one transaction's positions).
const MAX_EVENTS: usize = (1 << TX_SHIFT) - 1;

/// The reading horizon: positions below it are final.
pub(crate) const HORIZON_SQL: &str = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16";

macro_rules! event_columns {
    () => {
        "position, event_id, context, aggregate_type, aggregate_id, version, public_seq, event_type, \
         schema_version, occurred_at, correlation_id, causation_id, command_id, payload"
    };
}

macro_rules! horizon {
    () => {
        "(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16)"
    };
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        pg_error(e)
    }
}

/// A readable description of a driver or server error.
pub(crate) fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut msg = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                source = s.source();
            }
            msg
        }
    }
}

pub(crate) fn pg_error(e: tokio_postgres::Error) -> StoreError {
    StoreError::Database(pg_message(&e))
}

/// Whether an error means "another transaction got there first".
fn is_race(e: &tokio_postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::UNIQUE_VIOLATION || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// 32-bit FNV-1a: a stable hash (across processes and releases) for
/// advisory lock keys.
fn fnv32(parts: &[&str]) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash ^= 0xff;
            hash = hash.wrapping_mul(0x0100_0193);
        }
        for b in part.bytes() {
            hash ^= u32::from(b);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    hash as i32
}

/// Advisory lock keys `(class, object)`. Advisory locks are shared by the
/// whole database, so the class includes the schema: stores in different
/// schemas never wait on each other (a hash collision would only make them
/// wait, never break a guarantee).
#[derive(Clone, Debug)]
pub(crate) struct LockKeys {
    schema: String,
}

impl LockKeys {
    fn new(schema: &str) -> Self {
        LockKeys { schema: schema.to_owned() }
    }
    fn key(&self, purpose: &str, name: &str) -> (i32, i32) {
        (fnv32(&["squall", &self.schema, purpose]), fnv32(&[name]))
    }
    pub(crate) fn migrations(&self) -> (i32, i32) {
        self.key("migrate", "")
    }
    /// The relay's leader lock.
    pub(crate) fn relay(&self) -> (i32, i32) {
        self.key("relay", "")
    }
    /// Shared by appends that update inline projection `name`; exclusive
    /// while it switches between being built and being live.
    fn gate(&self, projection: &str) -> (i32, i32) {
        self.key("projection", projection)
    }
    /// One read model document.
    fn doc(&self, projection: &str, key: &str) -> (i32, i32) {
        (fnv32(&["squall", &self.schema, "doc", projection]), fnv32(&[key]))
    }
}

/// What a `postgres://` URL configures.
struct Settings {
    config: Config,
    schema: Option<String>,
    pool_size: usize,
}

/// Parses a `postgres://` URL. Besides what libpq-style URLs accept, two
/// parameters are the store's own and are removed before the driver sees the
/// URL: `schema=<name>` (the store's schema, created if missing; default: the
/// server's current schema) and `pool_size=<n>`.
fn parse_url(url: &str) -> Result<Settings, StoreError> {
    let bad = |why: &str| StoreError::UnsupportedUrl(format!("{}: {why}", redact(url)));
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let mut schema = None;
    let mut pool_size = DEFAULT_POOL;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "schema" => schema = Some(value.to_owned()),
            "pool_size" => {
                pool_size =
                    value.parse().ok().filter(|n| *n > 0).ok_or_else(|| bad("pool_size must be a positive number"))?
            }
            _ => kept.push(pair),
        }
    }
    if let Some(s) = &schema {
        let valid = !s.is_empty()
            && s.len() <= 48
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(bad("schema must be 1–48 characters of a-z, 0-9 and _, not starting with a digit"));
        }
    }
    let rebuilt = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    let mut config: Config = rebuilt.parse().map_err(|e: tokio_postgres::Error| bad(&e.to_string()))?;
    if config.get_user().is_none() {
        // As libpq: the operating system's user name.
        config.user(std::env::var("USER").ok().filter(|u| !u.is_empty()).as_deref().unwrap_or("postgres"));
    }
    if config.get_connect_timeout().is_none() {
        // Fail (and retry) rather than hang on an unreachable server.
        config.connect_timeout(std::time::Duration::from_secs(5));
    }
    if config.get_application_name().is_none() {
        config.application_name("squall");
    }
    if let Some(s) = &schema {
        let options = match config.get_options() {
            Some(o) if !o.is_empty() => format!("{o} -c search_path={s}"),
            _ => format!("-c search_path={s}"),
        };
        config.options(&options);
    }
    Ok(Settings { config, schema, pool_size })
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub(crate) struct PgStore {
    pool: Arc<Pool>,
    config: Config,
    schema: String,
    keys: LockKeys,
    signals: Signals,
    /// Dropped with the store: stops the signal task.
    _stop: watch::Sender<()>,
}

impl PgStore {
    pub(crate) async fn open(url: &str) -> Result<PgStore, StoreError> {
        let settings = parse_url(url)?;
        let config = settings.config;
        let mut admin = connect(&config).await?;
        let schema = match settings.schema {
            Some(s) => s,
            None => {
                let current: Option<String> = admin.query_one("SELECT current_schema()", &[]).await?.get(0);
                current.unwrap_or_else(|| "public".to_owned())
            }
        };
        let keys = LockKeys::new(&schema);
        migrate::migrate(&mut admin, &schema, &keys).await?;
        let head: i64 = admin.query_one("SELECT coalesce(max(position), 0) FROM events", &[]).await?.get(0);
        drop(admin);
        let (stop, stop_rx) = watch::channel(());
        let mut signal_config = config.clone();
        signal_config.application_name(signal::application_name(&schema));
        // Channel names are identifiers (at most 63 bytes); schemas are
        // validated to be short ASCII, or come from the server.
        let channel: String = format!("squall_{schema}").chars().take(63).collect();
        let signals = Signals::start(signal_config, channel, head as u64, stop_rx);
        Ok(PgStore { pool: Pool::new(config.clone(), settings.pool_size), config, schema, keys, signals, _stop: stop })
    }

    pub(crate) fn commits(&self) -> watch::Receiver<u64> {
        self.signals.commits.subscribe()
    }

    pub(crate) fn schema(&self) -> &str {
        &self.schema
    }

    pub(crate) fn keys(&self) -> &LockKeys {
        &self.keys
    }

    /// The connection settings, for a dedicated connection (e.g. the relay's
    /// leader lock) named `application`.
    pub(crate) fn dedicated_config(&self, application: &str) -> Config {
        let mut config = self.config.clone();
        config.application_name(application);
        config
    }

    /// Runs `work` in a transaction on a pooled connection.
    async fn write<R>(&self, work: impl AsyncFnOnce(&mut Conn) -> Result<R, StoreError>) -> Result<R, StoreError> {
        let mut conn = self.pool.get().await?;
        conn.begin();
        let result = work(&mut conn).await;
        conn.finish(result).await
    }

    /// Runs `work` for a store call made with `mark`: inside the mark's batch
    /// while it is open (in a savepoint: a failure undoes only this call),
    /// else in a transaction of its own. Says which it was (`true`: in the
    /// batch, not committed yet). `effects`: the call writes (and may lock).
    async fn write_marked<R>(
        &self,
        mark: Option<&Mark>,
        effects: bool,
        work: impl AsyncFnOnce(&mut Conn) -> Result<R, StoreError>,
    ) -> Result<(R, bool), StoreError> {
        if let Some(BatchLink { pg: batch }) = mark.and_then(|m| m.batch.as_ref()) {
            let mut guard = batch.conn().await;
            if let Some(c) = guard.as_mut() {
                if effects {
                    // Before the call: advisory locks it takes outlive a
                    // rollback of its savepoint.
                    batch.wrote();
                }
                c.savepoint(batch::CALL);
                let result = work(c).await;
                c.end_savepoint(batch::CALL, result.is_ok());
                return result.map(|r| (r, true));
            }
        }
        self.write(work).await.map(|r| (r, false))
    }

    pub(crate) async fn append(&self, req: AppendRequest) -> Result<AppendOutcome, StoreError> {
        if req.events.len() > MAX_EVENTS {
            return Err(StoreError::Database(format!("one command may append at most {MAX_EVENTS} events")));
        }
        let keys = &self.keys;
        let alone = req.mark.is_none() && req.snapshot.is_none() && req.projections.is_empty();
        let (outcome, batched) = if alone && !req.events.is_empty() {
            // The statement is the whole transaction: sent on its own, it
            // commits as it ends (one round trip, and no pause between the
            // statement and its commit that would hold the readers' horizon
            // back).
            let mut c = self.pool.get().await?;
            (append_events(&mut c, &req).await?, false)
        } else {
            let append = async |c: &mut Conn| append_tx(c, keys, &req).await;
            self.write_marked(req.mark.as_ref(), true, append).await?
        };
        if batched {
            // Signalled when the batch commits.
            return Ok(outcome);
        }
        fault::point("after-commit");
        if let AppendOutcome::Appended(events) = &outcome {
            if let Some(last) = events.last() {
                self.signals.committed(last.position);
            }
        }
        Ok(outcome)
    }

    /// A mark alone: in a batch, it is written with the batch's commit (see
    /// [`PgBatch::defer`]).
    pub(crate) async fn commit_mark(&self, mark: Mark) -> Result<(), StoreError> {
        if let Some(link) = &mark.batch {
            if link.pg.defer(&mark.kind).await {
                return Ok(());
            }
        }
        self.write(async |c| write_mark(c, &mark).await).await
    }

    pub(crate) async fn apply_projection(
        &self,
        projection: Arc<dyn Projection>,
        event: Envelope,
        mark: Mark,
    ) -> Result<(), StoreError> {
        let keys = &self.keys;
        let apply = async |c: &mut Conn| {
            write_mark(c, &mark).await?;
            project(c, keys, &*projection, std::slice::from_ref(&event)).await
        };
        self.write_marked(Some(&mark), true, apply).await.map(|(r, _)| r)
    }

    pub(crate) async fn load_stream(
        &self,
        stream: StreamId,
        state_schema_version: Option<u32>,
        mark: Option<&Mark>,
    ) -> Result<LoadedStream, StoreError> {
        if mark.is_some_and(|m| m.batch.is_some()) {
            let load = async |c: &mut Conn| load_stream(c, &stream, state_schema_version).await;
            return self.write_marked(mark, false, load).await.map(|(r, _)| r);
        }
        let mut c = self.pool.get().await?;
        load_stream(&mut c, &stream, state_schema_version).await
    }

    pub(crate) async fn prior_command(
        &self,
        command_id: Uuid,
        mark: Option<&Mark>,
    ) -> Result<Option<PriorCommand>, StoreError> {
        if mark.is_some_and(|m| m.batch.is_some()) {
            let read = async |c: &mut Conn| prior_command(c, command_id).await;
            return self.write_marked(mark, false, read).await.map(|(r, _)| r);
        }
        let mut c = self.pool.get().await?;
        prior_command(&mut c, command_id).await
    }

    pub(crate) async fn inbox_statuses(
        &self,
        consumer: String,
        messages: Vec<(Uuid, StreamId)>,
    ) -> Result<Vec<(bool, u64)>, StoreError> {
        let mut c = self.pool.get().await?;
        inbox_status(&mut c, &consumer, &messages).await
    }

    pub(crate) async fn held_next(
        &self,
        consumer: String,
        streams: Vec<(StreamId, u64)>,
    ) -> Result<Vec<Envelope>, StoreError> {
        let mut c = self.pool.get().await?;
        held_next(&mut c, &consumer, &streams).await
    }

    pub(crate) async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<Envelope>, StoreError> {
        let mut c = self.pool.get().await?;
        read_below_horizon(&mut c, after, limit).await
    }

    pub(crate) async fn read_outbox(&self, after: u64, limit: usize) -> Result<Vec<Envelope>, StoreError> {
        let mut c = self.pool.get().await?;
        let rows = c
            .query(
                concat!(
                    "SELECT e.position, e.event_id, e.context, e.aggregate_type, e.aggregate_id, e.version, \
                     e.public_seq, e.event_type, e.schema_version, e.occurred_at, e.correlation_id, \
                     e.causation_id, e.command_id, e.payload \
                     FROM outbox o JOIN events e ON e.position = o.position \
                     WHERE o.position > $1 AND o.position < ",
                    horizon!(),
                    " ORDER BY o.position LIMIT $2"
                ),
                &[&(after as i64), &(limit as i64)],
            )
            .await?;
        rows.iter().map(envelope).collect()
    }

    pub(crate) async fn ack_outbox(&self, checkpoint: String, upto: u64) -> Result<(), StoreError> {
        let mut c = self.pool.get().await?;
        // One statement, a transaction of its own: it holds the readers'
        // horizon back for as short a time as it can. The checkpoint never
        // moves backwards: a relay that lost its leadership may finish a save
        // after its successor saved a later one.
        c.execute(
            "WITH acked AS (DELETE FROM outbox WHERE position <= $2) \
             INSERT INTO checkpoints (name, position) VALUES ($1, $2) ON CONFLICT (name) \
             DO UPDATE SET position = greatest(checkpoints.position, excluded.position)",
            &[&checkpoint, &(upto as i64)],
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn checkpoint(&self, name: String) -> Result<u64, StoreError> {
        let mut c = self.pool.get().await?;
        get_checkpoint(&mut c, &name).await
    }

    /// Brings an inline projection up to the head, one batch per call.
    ///
    /// While a projection is not `live`, appends skip it and this catch-up
    /// feeds it, below the horizon, under a row lock that keeps two replicas
    /// from feeding it at once. Once it has read everything below the
    /// horizon it switches the projection to live: it takes the projection's
    /// gate lock exclusively, which waits until every append that skipped it
    /// (they hold the gate shared from before they insert events) has
    /// committed or rolled back; then it applies what those committed and
    /// marks the projection live, in the same transaction. Appends after that
    /// see it live and update it themselves.
    pub(crate) async fn catch_up_projection(
        &self,
        projection: Arc<dyn Projection>,
        batch: usize,
    ) -> Result<usize, StoreError> {
        let keys = &self.keys;
        self.write(async |c| {
            let name = projection.name();
            c.execute("INSERT INTO projections (name, live) VALUES ($1, false) ON CONFLICT DO NOTHING", &[&name])
                .await?;
            let live: bool =
                c.query_one("SELECT live FROM projections WHERE name = $1 FOR UPDATE", &[&name]).await?.try_get(0)?;
            if live {
                return Ok(0);
            }
            let checkpoint = projection_checkpoint(name);
            let from = get_checkpoint(c, &checkpoint).await?;
            let events = read_below_horizon(c, from, batch).await?;
            if events.len() < batch {
                let (class, object) = keys.gate(name);
                c.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&class, &object]).await?;
                // A new statement, so a new snapshot: it sees every append
                // that held the gate before us.
                let rest = read_visible(c, events.last().map_or(from, |e| e.position)).await?;
                let all: Vec<Envelope> = events.into_iter().chain(rest).collect();
                project(c, keys, &*projection, &all).await?;
                if let Some(last) = all.last() {
                    set_checkpoint(c, &checkpoint, last.position).await?;
                }
                c.execute("UPDATE projections SET live = true WHERE name = $1", &[&name]).await?;
                return Ok(all.len());
            }
            project(c, keys, &*projection, &events).await?;
            if let Some(last) = events.last() {
                set_checkpoint(c, &checkpoint, last.position).await?;
            }
            Ok(events.len())
        })
        .await
    }

    pub(crate) async fn reset_projection(&self, name: String) -> Result<(), StoreError> {
        let keys = &self.keys;
        self.write(async |c| {
            // Exclusive: appends that are updating the projection finish first.
            let (class, object) = keys.gate(&name);
            c.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&class, &object]).await?;
            c.execute("DELETE FROM read_models WHERE projection = $1", &[&name]).await?;
            c.execute(
                "INSERT INTO projections (name, live) VALUES ($1, false) ON CONFLICT (name) DO UPDATE SET live = false",
                &[&name],
            )
            .await?;
            set_checkpoint(c, &projection_checkpoint(&name), 0).await
        })
        .await
    }

    pub(crate) async fn read_model(
        &self,
        projection: String,
        key: String,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let mut c = self.pool.get().await?;
        let row =
            c.query_opt("SELECT doc FROM read_models WHERE projection = $1 AND key = $2", &[&projection, &key]).await?;
        Ok(match row {
            Some(row) => Some(row.try_get(0)?),
            None => None,
        })
    }

    pub(crate) async fn read_models(
        &self,
        projection: String,
        after_key: Option<String>,
        limit: usize,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        let mut c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT key, doc FROM read_models WHERE projection = $1 AND key > $2 ORDER BY key LIMIT $3",
                &[&projection, &after_key.unwrap_or_default(), &(limit as i64)],
            )
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Holds an out-of-order message until the gap before it is filled
    /// (see [`hold_tx`]).
    pub(crate) async fn hold(&self, consumer: String, event: Envelope) -> Result<HoldOutcome, StoreError> {
        self.write(async |c| hold_tx(c, &consumer, &event).await).await
    }

    pub(crate) async fn dead_letter(
        &self,
        consumer: String,
        event: Envelope,
        error: String,
        attempts: u32,
        mark: Mark,
    ) -> Result<(), StoreError> {
        let record = async |c: &mut Conn| {
            write_mark(c, &mark).await?;
            c.execute(
                "INSERT INTO dead_letters (consumer, message_id, envelope, error, attempts, failed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &consumer,
                    &event.event_id,
                    &serde_json::to_value(&event)?,
                    &error,
                    &(attempts.min(i32::MAX as u32) as i32),
                    &Timestamp::now().as_micros(),
                ],
            )
            .await?;
            Ok(())
        };
        self.write_marked(Some(&mark), true, record).await.map(|(r, _)| r)
    }

    pub(crate) async fn dead_letters(&self, consumer: Option<String>) -> Result<Vec<DeadLetter>, StoreError> {
        let mut c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT consumer, envelope, error, attempts, failed_at FROM dead_letters \
                 WHERE $1::text IS NULL OR consumer = $1 ORDER BY id",
                &[&consumer],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DeadLetter {
                    consumer: r.try_get(0)?,
                    envelope: serde_json::from_value(r.try_get(1)?)?,
                    error: r.try_get(2)?,
                    attempts: r.try_get::<_, i32>(3)? as u32,
                    failed_at: Timestamp::from_micros(r.try_get(4)?),
                })
            })
            .collect()
    }

    pub(crate) async fn stats(&self) -> Result<StoreStats, StoreError> {
        let mut c = self.pool.get().await?;
        let row = c
            .query_one(
                "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox), \
                 (SELECT count(*) FROM commands), (SELECT count(*) FROM dead_letters)",
                &[],
            )
            .await?;
        let n = |i: usize| -> Result<u64, StoreError> { Ok(row.try_get::<_, i64>(i)? as u64) };
        Ok(StoreStats { events: n(0)?, outbox: n(1)?, commands: n(2)?, dead_letters: n(3)? })
    }
}

/// Builds an envelope from a row of `event_columns!()`.
fn envelope(row: &Row) -> Result<Envelope, StoreError> {
    Ok(Envelope {
        position: row.try_get::<_, i64>(0)? as u64,
        event_id: row.try_get(1)?,
        context: row.try_get(2)?,
        stream: StreamId {
            aggregate_type: row.try_get(3)?,
            aggregate_id: AggregateId::new(row.try_get::<_, String>(4)?),
        },
        version: row.try_get::<_, i64>(5)? as u64,
        public_seq: row.try_get::<_, Option<i64>>(6)?.map(|s| s as u64),
        event_type: row.try_get(7)?,
        schema_version: row.try_get::<_, i32>(8)? as u32,
        occurred_at: Timestamp::from_micros(row.try_get(9)?),
        correlation_id: row.try_get(10)?,
        causation_id: row.try_get(11)?,
        command_id: row.try_get(12)?,
        payload: row.try_get(13)?,
    })
}

/// A stream's snapshot (of the wanted state schema, if any) and the events
/// after it.
async fn load_stream(
    c: &mut Conn,
    stream: &StreamId,
    state_schema_version: Option<u32>,
) -> Result<LoadedStream, StoreError> {
    let (kind, id) = (&stream.aggregate_type, stream.aggregate_id.as_str());
    let mut snapshot = None;
    if let Some(schema) = state_schema_version {
        let row = c
            .query_opt(
                "SELECT version, state FROM snapshots WHERE aggregate_type = $1 AND aggregate_id = $2 \
                 AND state_schema_version = $3",
                &[kind, &id, &(schema as i32)],
            )
            .await?;
        if let Some(row) = row {
            snapshot = Some((row.try_get::<_, i64>(0)? as u64, row.try_get::<_, serde_json::Value>(1)?));
        }
    }
    let after = snapshot.as_ref().map_or(0, |(v, _)| *v as i64);
    let rows = c
        .query(
            concat!(
                "SELECT ",
                event_columns!(),
                " FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND version > $3 ORDER BY version"
            ),
            &[kind, &id, &after],
        )
        .await?;
    let events = rows.iter().map(envelope).collect::<Result<_, _>>()?;
    Ok(LoadedStream { snapshot, events })
}

/// For each message, whether the consumer recorded its id, and the last
/// sequence it processed of the message's stream; one query.
async fn inbox_status(
    c: &mut Conn,
    consumer: &str,
    messages: &[(Uuid, StreamId)],
) -> Result<Vec<(bool, u64)>, StoreError> {
    let (ids, kinds, aggregates) = inbox_columns(messages);
    let rows = c.query(INBOX_STATUS, &[&consumer, &ids, &kinds, &aggregates]).await?;
    inbox_statuses(&rows)
}

/// The query behind [`inbox_status`]: `$1` consumer, `$2`, `$3`, `$4` the
/// messages' ids and streams' types and ids.
const INBOX_STATUS: &str = "SELECT EXISTS (SELECT 1 FROM inbox i WHERE i.consumer = $1 AND i.message_id = m.id), \
    coalesce((SELECT s.seq FROM inbox_streams s WHERE s.consumer = $1 AND s.aggregate_type = m.t \
    AND s.aggregate_id = m.a), 0) \
    FROM unnest($2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY AS m(id, t, a, n) ORDER BY m.n";

type InboxColumns<'a> = (Vec<Uuid>, Vec<&'a str>, Vec<&'a str>);

/// The parameters `$2`..`$4` of [`INBOX_STATUS`].
fn inbox_columns(messages: &[(Uuid, StreamId)]) -> InboxColumns<'_> {
    let ids = messages.iter().map(|(id, _)| *id).collect();
    let kinds = messages.iter().map(|(_, s)| s.aggregate_type.as_str()).collect();
    let aggregates = messages.iter().map(|(_, s)| s.aggregate_id.as_str()).collect();
    (ids, kinds, aggregates)
}

/// The rows of [`INBOX_STATUS`].
fn inbox_statuses(rows: &[Row]) -> Result<Vec<(bool, u64)>, StoreError> {
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get::<_, i64>(1)? as u64))).collect()
}

/// The query behind [`held_next`]: `$1` consumer, `$2`, `$3`, `$4` the streams'
/// types, ids and last sequences.
const HELD_NEXT: &str = "SELECT h.envelope FROM unnest($2::text[], $3::text[], $4::int8[]) \
    WITH ORDINALITY AS s(t, a, seq, n) JOIN inbox_held h ON h.consumer = $1 AND h.aggregate_type = s.t \
    AND h.aggregate_id = s.a AND h.seq = s.seq + 1 ORDER BY s.n";

/// For each `(stream, last)`, the message held at `last + 1`, if any; one
/// query.
async fn held_next(c: &mut Conn, consumer: &str, streams: &[(StreamId, u64)]) -> Result<Vec<Envelope>, StoreError> {
    let kinds: Vec<&str> = streams.iter().map(|(s, _)| s.aggregate_type.as_str()).collect();
    let aggregates: Vec<&str> = streams.iter().map(|(s, _)| s.aggregate_id.as_str()).collect();
    let lasts: Vec<i64> = streams.iter().map(|(_, last)| *last as i64).collect();
    let rows = c.query(HELD_NEXT, &[&consumer, &kinds, &aggregates, &lasts]).await?;
    rows.iter().map(|r| Ok(serde_json::from_value(r.try_get(0)?)?)).collect()
}

/// Holds an out-of-order message until the gap before it is filled.
///
/// Replicas of one consumer share its messages, so the message that fills the
/// gap may be processed elsewhere at this very moment. The per-stream row is
/// locked (`FOR UPDATE`, after making sure it exists) and read again: the
/// processing side advances that row in its own transaction, so either it
/// committed first and the gap is seen closed here ([`HoldOutcome::Next`]:
/// process the message now), or it waits for this hold to commit and then
/// finds the held message.
async fn hold_tx(c: &mut Conn, consumer: &str, event: &Envelope) -> Result<HoldOutcome, StoreError> {
    let stream = &event.stream;
    let (kind, id) = (&stream.aggregate_type, stream.aggregate_id.as_str());
    c.execute(
        "INSERT INTO inbox_streams (consumer, aggregate_type, aggregate_id, seq) VALUES ($1, $2, $3, 0) \
         ON CONFLICT DO NOTHING",
        &[&consumer, kind, &id],
    )
    .await?;
    let last: i64 = c
        .query_one(
            "SELECT seq FROM inbox_streams WHERE consumer = $1 AND aggregate_type = $2 \
             AND aggregate_id = $3 FOR UPDATE",
            &[&consumer, kind, &id],
        )
        .await?
        .try_get(0)?;
    let seq = event.public_seq.unwrap_or(0) as i64;
    if seq <= last {
        return Ok(HoldOutcome::Duplicate);
    }
    if seq == last + 1 {
        return Ok(HoldOutcome::Next);
    }
    c.execute(
        "INSERT INTO inbox_held (consumer, aggregate_type, aggregate_id, seq, envelope, held_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        &[&consumer, kind, &id, &seq, &serde_json::to_value(event)?, &Timestamp::now().as_micros()],
    )
    .await?;
    Ok(HoldOutcome::Held)
}

/// Events after `after` that no transaction can still add to (below the
/// horizon), in position order.
async fn read_below_horizon(c: &mut Conn, after: u64, limit: usize) -> Result<Vec<Envelope>, StoreError> {
    let rows = c
        .query(
            concat!(
                "SELECT ",
                event_columns!(),
                " FROM events WHERE position > $1 AND position < ",
                horizon!(),
                " ORDER BY position LIMIT $2"
            ),
            &[&(after as i64), &(limit as i64)],
        )
        .await?;
    rows.iter().map(envelope).collect()
}

/// Every committed event after `after` (no horizon: only for callers that
/// hold a lock which rules out the later commit of a lower position).
async fn read_visible(c: &mut Conn, after: u64) -> Result<Vec<Envelope>, StoreError> {
    let rows = c
        .query(
            concat!("SELECT ", event_columns!(), " FROM events WHERE position > $1 ORDER BY position"),
            &[&(after as i64)],
        )
        .await?;
    rows.iter().map(envelope).collect()
}

async fn get_checkpoint(c: &mut Conn, name: &str) -> Result<u64, StoreError> {
    let row = c.query_opt("SELECT position FROM checkpoints WHERE name = $1", &[&name]).await?;
    Ok(match row {
        Some(row) => row.try_get::<_, i64>(0)? as u64,
        None => 0,
    })
}

async fn set_checkpoint(c: &mut Conn, name: &str, position: u64) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO checkpoints (name, position) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        &[&name, &(position as i64)],
    )
    .await?;
    Ok(())
}

fn projection_checkpoint(name: &str) -> String {
    format!("projection:{name}")
}

/// Records a consumer's mark; a mark already recorded is a duplicate message.
/// Concurrent replicas writing the same mark serialize on the row (the
/// second waits for the first to commit, then finds it).
async fn write_mark(c: &mut Conn, mark: &Mark) -> Result<(), StoreError> {
    match &mark.kind {
        MarkKind::Checkpoint { name, position } => {
            let changed = c
                .execute(
                    "INSERT INTO checkpoints (name, position) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET position = excluded.position \
                     WHERE checkpoints.position < excluded.position",
                    &[name, &(*position as i64)],
                )
                .await?;
            if changed == 0 {
                return Err(StoreError::DuplicateMessage);
            }
        }
        MarkKind::Inbox { consumer, message_id, seq: None, .. } => {
            let inserted = c
                .execute(
                    "INSERT INTO inbox (consumer, message_id, processed_at) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                    &[consumer, message_id, &Timestamp::now().as_micros()],
                )
                .await?;
            if inserted == 0 {
                return Err(StoreError::DuplicateMessage);
            }
        }
        MarkKind::Inbox { consumer, message_id, stream, seq: Some(seq) } => {
            // Three statements in one flight: a duplicate found by the first
            // or second makes the caller roll back what the others did.
            let (kind, id, seq) = (&stream.aggregate_type, stream.aggregate_id.as_str(), *seq as i64);
            let now = Timestamp::now().as_micros();
            let counts = c
                .execute_all(&[
                    (
                        "INSERT INTO inbox (consumer, message_id, processed_at) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                        &[consumer, message_id, &now],
                    ),
                    (
                        "INSERT INTO inbox_streams (consumer, aggregate_type, aggregate_id, seq) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (consumer, aggregate_type, aggregate_id) \
                         DO UPDATE SET seq = excluded.seq WHERE inbox_streams.seq < excluded.seq",
                        &[consumer, kind, &id, &seq],
                    ),
                    (
                        "DELETE FROM inbox_held WHERE consumer = $1 AND aggregate_type = $2 \
                         AND aggregate_id = $3 AND seq <= $4",
                        &[consumer, kind, &id, &seq],
                    ),
                ])
                .await?;
            if counts[0] == 0 || counts[1] == 0 {
                return Err(StoreError::DuplicateMessage);
            }
        }
    }
    Ok(())
}

async fn prior_command(c: &mut Conn, command_id: Uuid) -> Result<Option<PriorCommand>, StoreError> {
    let row = c
        .query_opt(
            "SELECT aggregate_type, aggregate_id, version, first_position, event_count \
             FROM commands WHERE command_id = $1",
            &[&command_id],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let stream = StreamId::new(row.try_get::<_, String>(0)?, row.try_get::<_, String>(1)?);
    let version = row.try_get::<_, i64>(2)? as u64;
    let first: Option<i64> = row.try_get(3)?;
    let count: i64 = row.try_get(4)?;
    let events = match first {
        // The events of one command share its transaction's positions.
        Some(first) if count > 0 => {
            let rows = c
                .query(
                    concat!(
                        "SELECT ",
                        event_columns!(),
                        " FROM events WHERE position >= $1 AND position < $1 + $2 ORDER BY position"
                    ),
                    &[&first, &count],
                )
                .await?;
            rows.iter().map(envelope).collect::<Result<_, _>>()?
        }
        _ => Vec::new(),
    };
    Ok(Some(PriorCommand { stream, version, events }))
}

fn conflict(stream: &StreamId, expected: u64, actual: u64) -> StoreError {
    StoreError::Conflict { stream: stream.clone(), expected, actual }
}

async fn stream_version(c: &mut Conn, stream: &StreamId) -> Result<u64, StoreError> {
    let row = c
        .query_opt(
            "SELECT version FROM streams WHERE aggregate_type = $1 AND aggregate_id = $2",
            &[&stream.aggregate_type, &stream.aggregate_id.as_str()],
        )
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<_, i64>(0)? as u64,
        None => 0,
    })
}

/// Appends a command's events to an existing stream, in one statement:
///
/// * `dup` finds the command id recorded before: then nothing is written;
/// * `st` is the optimistic concurrency check: it moves the stream's version
///   only if it still is the expected one (and the command is new). Its row
///   lock serializes racing appends to one stream: the loser waits for the
///   winner's commit, re-reads the row and finds another version;
/// * `cmd` records the command, only if `st` moved the stream. A concurrent
///   transaction that recorded the same id first makes it fail (unique
///   violation, after waiting for that transaction): the append is then a
///   conflict, and deciding again finds the id recorded;
/// * `ev` inserts the events (positions from the transaction id, see the
///   module docs, after the `$17` positions earlier appends of the same
///   transaction took), and `ob` their outbox rows (public events only).
///
/// It returns the append's base position and the stream's public sequence
/// before it (both NULL unless it appended), and whether the command was
/// recorded before. Whatever the outcome, the statement either appended
/// everything or wrote nothing (or failed, which aborts the transaction), so
/// a transaction that is only this statement can send its `COMMIT` with it.
const APPEND_TO_EXISTING: &str = "\
WITH dup AS (
    SELECT 1 FROM commands WHERE command_id = $1::uuid
), st AS (
    UPDATE streams SET version = version + $5::int8, public_seq = public_seq + $6::int8
    WHERE aggregate_type = $2::text AND aggregate_id = $3::text AND version = $4::int8
        AND NOT EXISTS (SELECT 1 FROM dup)
    RETURNING public_seq - $6 AS first_seq
), cmd AS (
    INSERT INTO commands (command_id, aggregate_type, aggregate_id, version, first_position, event_count, recorded_at)
    SELECT $1, $2, $3, $4 + $5, (pg_current_xact_id()::text::bigint << 16) + $17::int8, $5, $7::int8 FROM st
    RETURNING first_position AS base
), ev AS (
    INSERT INTO events (position, tx_id, event_id, context, aggregate_type, aggregate_id, version, public_seq,
        event_type, schema_version, occurred_at, correlation_id, causation_id, command_id, payload)
    SELECT cmd.base + e.i - 1, pg_current_xact_id(), e.id, $8::text, $2, $3, $4 + e.i,
        CASE WHEN e.rank > 0 THEN st.first_seq + e.rank END, e.typ, e.sv, e.at, e.corr, e.caus, $1, e.payload
    FROM cmd, st, unnest($9::uuid[], $10::int8[], $11::text[], $12::int4[], $13::int8[], $14::uuid[],
        $15::uuid[], $16::jsonb[]) WITH ORDINALITY AS e(id, rank, typ, sv, at, corr, caus, payload, i)
    RETURNING position, public_seq
), ob AS (
    INSERT INTO outbox (position) SELECT position FROM ev WHERE public_seq IS NOT NULL
)
SELECT (SELECT base FROM cmd), (SELECT first_seq FROM st), EXISTS (SELECT 1 FROM dup)";

/// [`APPEND_TO_EXISTING`] for a new stream: `st` creates the stream's row and
/// yields nothing if it exists (a concurrent creation waits for the first).
const APPEND_TO_NEW: &str = "\
WITH dup AS (
    SELECT 1 FROM commands WHERE command_id = $1::uuid
), st AS (
    INSERT INTO streams (aggregate_type, aggregate_id, version, public_seq)
    SELECT $2::text, $3::text, $5::int8, $6::int8 WHERE $4::int8 = 0 AND NOT EXISTS (SELECT 1 FROM dup)
    ON CONFLICT DO NOTHING
    RETURNING 0::bigint AS first_seq
), cmd AS (
    INSERT INTO commands (command_id, aggregate_type, aggregate_id, version, first_position, event_count, recorded_at)
    SELECT $1, $2, $3, $4 + $5, (pg_current_xact_id()::text::bigint << 16) + $17::int8, $5, $7::int8 FROM st
    RETURNING first_position AS base
), ev AS (
    INSERT INTO events (position, tx_id, event_id, context, aggregate_type, aggregate_id, version, public_seq,
        event_type, schema_version, occurred_at, correlation_id, causation_id, command_id, payload)
    SELECT cmd.base + e.i - 1, pg_current_xact_id(), e.id, $8::text, $2, $3, $4 + e.i,
        CASE WHEN e.rank > 0 THEN st.first_seq + e.rank END, e.typ, e.sv, e.at, e.corr, e.caus, $1, e.payload
    FROM cmd, st, unnest($9::uuid[], $10::int8[], $11::text[], $12::int4[], $13::int8[], $14::uuid[],
        $15::uuid[], $16::jsonb[]) WITH ORDINALITY AS e(id, rank, typ, sv, at, corr, caus, payload, i)
    RETURNING position, public_seq
), ob AS (
    INSERT INTO outbox (position) SELECT position FROM ev WHERE public_seq IS NOT NULL
)
SELECT (SELECT base FROM cmd), (SELECT first_seq FROM st), EXISTS (SELECT 1 FROM dup)";

/// A command that decided no event: recorded (for idempotency) if the stream
/// is at the expected version.
async fn record_empty_command(c: &mut Conn, req: &AppendRequest) -> Result<AppendOutcome, StoreError> {
    let stream = &req.stream;
    let recorded = c
        .execute(
            "INSERT INTO commands (command_id, aggregate_type, aggregate_id, version, first_position, \
             event_count, recorded_at) VALUES ($1, $2, $3, $4, NULL, 0, $5) ON CONFLICT (command_id) DO NOTHING",
            &[
                &req.command_id,
                &stream.aggregate_type,
                &stream.aggregate_id.as_str(),
                &(req.expected_version as i64),
                &Timestamp::now().as_micros(),
            ],
        )
        .await?;
    if recorded == 0 {
        return match prior_command(c, req.command_id).await? {
            Some(prior) => Ok(AppendOutcome::Duplicate(prior)),
            None => Err(StoreError::Database("command record vanished".into())),
        };
    }
    let actual = stream_version(c, stream).await?;
    if actual != req.expected_version {
        return Err(conflict(stream, req.expected_version, actual));
    }
    Ok(AppendOutcome::Appended(Vec::new()))
}

/// An append with everything that commits with it: projection gates, the
/// consumer's mark, the events, the snapshot, the live inline projections.
async fn append_tx(c: &mut Conn, keys: &LockKeys, req: &AppendRequest) -> Result<AppendOutcome, StoreError> {
    let stream = &req.stream;
    let (kind, id) = (&stream.aggregate_type, stream.aggregate_id.as_str());
    let count = req.events.len() as i64;
    // Inline projections: hold their gates (shared) from before any event is
    // inserted, so that a projection switching to live waits for us (see
    // catch_up_projection), then see which are live.
    let mut live = Vec::new();
    if count > 0 && !req.projections.is_empty() {
        let mut gates: Vec<(i32, i32)> = req.projections.iter().map(|p| keys.gate(p.name())).collect();
        gates.sort_unstable();
        gates.dedup();
        for (class, object) in gates {
            c.execute("SELECT pg_advisory_xact_lock_shared($1, $2)", &[&class, &object]).await?;
        }
        let names: Vec<&str> = req.projections.iter().map(|p| p.name()).collect();
        let rows = c.query("SELECT name FROM projections WHERE live AND name = ANY($1)", &[&names]).await?;
        let live_names: BTreeSet<String> = rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
        live = req.projections.iter().filter(|p| live_names.contains(p.name())).cloned().collect();
    }
    if let Some(mark) = &req.mark {
        write_mark(c, mark).await?;
    }
    if count == 0 {
        return record_empty_command(c, req).await;
    }
    let envelopes = match append_events(c, req).await? {
        AppendOutcome::Appended(envelopes) => envelopes,
        duplicate => return Ok(duplicate),
    };
    if let Some(snap) = &req.snapshot {
        c.execute(
            "INSERT INTO snapshots (aggregate_type, aggregate_id, version, state_schema_version, state, taken_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET \
             version = excluded.version, state_schema_version = excluded.state_schema_version, \
             state = excluded.state, taken_at = excluded.taken_at",
            &[
                kind,
                &id,
                &(snap.version as i64),
                &(snap.state_schema_version as i32),
                &snap.state,
                &Timestamp::now().as_micros(),
            ],
        )
        .await?;
    }
    for projection in &live {
        project(c, keys, &**projection, &envelopes).await?;
    }
    Ok(AppendOutcome::Appended(envelopes))
}

/// The command record, the version check, the events and their outbox rows:
/// one statement (see [`APPEND_TO_EXISTING`]). Outside a transaction block
/// the statement is a transaction of its own.
async fn append_events(c: &mut Conn, req: &AppendRequest) -> Result<AppendOutcome, StoreError> {
    let stream = &req.stream;
    let count = req.events.len() as i64;
    let public_rank: Vec<i64> = req
        .events
        .iter()
        .scan(0i64, |rank, e| {
            *rank += i64::from(e.public);
            Some(if e.public { *rank } else { 0 })
        })
        .collect();
    let public_count = public_rank.iter().copied().max().unwrap_or(0);
    let ids: Vec<Uuid> = req.events.iter().map(|e| e.event_id).collect();
    let types: Vec<&str> = req.events.iter().map(|e| e.event_type.as_str()).collect();
    let schema_versions: Vec<i32> = req.events.iter().map(|e| e.schema_version as i32).collect();
    let occurred: Vec<i64> = req.events.iter().map(|e| e.occurred_at.as_micros()).collect();
    let correlations: Vec<Uuid> = req.events.iter().map(|e| e.correlation_id).collect();
    let causations: Vec<Uuid> = req.events.iter().map(|e| e.causation_id).collect();
    let payloads: Vec<&serde_json::Value> = req.events.iter().map(|e| &e.payload).collect();
    // Appends of one consumer batch share the transaction's positions.
    let offset = c.append_offset();
    if offset + count as u64 > MAX_EVENTS as u64 {
        return Err(StoreError::Database(format!("one transaction may append at most {MAX_EVENTS} events")));
    }
    let offset = offset as i64;
    let expected = req.expected_version as i64;
    let sql = if expected == 0 { APPEND_TO_NEW } else { APPEND_TO_EXISTING };
    let now = Timestamp::now().as_micros();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 17] = [
        &req.command_id,
        &stream.aggregate_type,
        &stream.aggregate_id.as_str(),
        &expected,
        &count,
        &public_count,
        &now,
        &req.context,
        &ids,
        &public_rank,
        &types,
        &schema_versions,
        &occurred,
        &correlations,
        &causations,
        &payloads,
        &offset,
    ];
    let rows = c.query(sql, &params).await.map_err(|e| race_to_conflict(e, stream, req.expected_version))?;
    let row = rows.first().ok_or_else(|| StoreError::Database("the append statement returned no row".into()))?;
    let base: Option<i64> = row.try_get(0)?;
    let first_seq: Option<i64> = row.try_get(1)?;
    let recorded_before: bool = row.try_get(2)?;
    let (Some(base), Some(first_seq)) = (base, first_seq) else {
        if recorded_before {
            // Nothing of this statement was written.
            return match prior_command(c, req.command_id).await? {
                Some(prior) => Ok(AppendOutcome::Duplicate(prior)),
                None => Err(StoreError::Database("command record vanished".into())),
            };
        }
        let actual = stream_version(c, stream).await?;
        return Err(conflict(stream, req.expected_version, actual));
    };
    let envelopes: Vec<Envelope> = req
        .events
        .iter()
        .zip(&public_rank)
        .enumerate()
        .map(|(i, (e, rank))| Envelope {
            event_id: e.event_id,
            context: req.context.clone(),
            stream: stream.clone(),
            version: req.expected_version + 1 + i as u64,
            position: base as u64 + i as u64,
            public_seq: e.public.then(|| (first_seq + rank) as u64),
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            occurred_at: e.occurred_at,
            correlation_id: e.correlation_id,
            causation_id: e.causation_id,
            command_id: req.command_id,
            payload: e.payload.clone(),
        })
        .collect();
    c.appended(count as u64, base as u64 + count as u64 - 1);
    Ok(AppendOutcome::Appended(envelopes))
}

fn race_to_conflict(e: tokio_postgres::Error, stream: &StreamId, expected: u64) -> StoreError {
    if is_race(&e) {
        // Another append won; its exact version is read again by the retry.
        conflict(stream, expected, expected + 1)
    } else {
        pg_error(e)
    }
}

/// Applies events to a projection. Each document it touches is locked first
/// (advisory, transaction-scoped, in key order so two transactions never
/// wait on each other in a cycle): two replicas updating one document take
/// turns instead of overwriting each other's update.
async fn project(
    c: &mut Conn,
    keys: &LockKeys,
    projection: &dyn Projection,
    events: &[Envelope],
) -> Result<(), StoreError> {
    let name = projection.name();
    let doc_keys: BTreeSet<String> = events.iter().filter_map(|e| projection.key(e)).collect();
    if doc_keys.is_empty() {
        return Ok(());
    }
    let mut locks: Vec<(i32, i32)> = doc_keys.iter().map(|k| keys.doc(name, k)).collect();
    locks.sort_unstable();
    locks.dedup();
    for (class, object) in locks {
        c.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&class, &object]).await?;
    }
    let wanted: Vec<&str> = doc_keys.iter().map(String::as_str).collect();
    let rows =
        c.query("SELECT key, doc FROM read_models WHERE projection = $1 AND key = ANY($2)", &[&name, &wanted]).await?;
    // key -> (document or deleted, changed)
    let mut docs: HashMap<String, (Option<serde_json::Value>, bool)> = HashMap::with_capacity(doc_keys.len());
    for row in &rows {
        docs.insert(row.try_get(0)?, (Some(row.try_get(1)?), false));
    }
    for event in events {
        let Some(key) = projection.key(event) else { continue };
        let (current, dirty) = docs.remove(&key).unwrap_or((None, false));
        let entry = match projection.apply(current.clone(), event) {
            ProjectionUpdate::Upsert(doc) => (Some(doc), true),
            ProjectionUpdate::Delete => (None, true),
            ProjectionUpdate::Unchanged => (current, dirty),
        };
        docs.insert(key, entry);
    }
    for (key, (doc, dirty)) in docs {
        if !dirty {
            continue;
        }
        match doc {
            Some(doc) => {
                c.execute(
                    "INSERT INTO read_models (projection, key, doc) VALUES ($1, $2, $3) \
                     ON CONFLICT (projection, key) DO UPDATE SET doc = excluded.doc",
                    &[&name, &key, &doc],
                )
                .await?
            }
            None => c.execute("DELETE FROM read_models WHERE projection = $1 AND key = $2", &[&name, &key]).await?,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parameters_of_the_store_are_taken_out() {
        let s = parse_url("postgres://u@h:5432/db?schema=t_1&pool_size=3&sslmode=disable").expect("parses");
        assert_eq!(s.schema.as_deref(), Some("t_1"));
        assert_eq!(s.pool_size, 3);
        assert_eq!(s.config.get_user(), Some("u"));
        assert_eq!(s.config.get_dbname(), Some("db"));
        assert_eq!(s.config.get_options(), Some("-c search_path=t_1"));
    }

    #[test]
    fn bad_urls_are_refused_without_their_password() {
        let Err(StoreError::UnsupportedUrl(msg)) = parse_url("postgres://u:secret@h/db?schema=Bad-Name") else {
            panic!("a bad schema is refused")
        };
        assert!(!msg.contains("secret"), "{msg}");
        assert!(parse_url("postgres://u@h/db?pool_size=0").is_err());
        assert!(parse_url("postgres://u@h/db?nonsense=1").is_err());
    }

    #[test]
    fn lock_keys_are_stable_and_separate_schemas() {
        // Pinned: replicas of different releases must agree on the keys.
        assert_eq!(fnv32(&["a"]), 0xe40c292c_u32 as i32);
        assert_ne!(LockKeys::new("a").relay(), LockKeys::new("b").relay());
        assert_ne!(LockKeys::new("a").relay(), LockKeys::new("a").migrations());
        assert_ne!(fnv32(&["ab", "c"]), fnv32(&["a", "bc"]));
    }
}
