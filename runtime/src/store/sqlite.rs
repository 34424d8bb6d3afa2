//! The SQLite backend.
//!
//! * One writer thread owns the only read-write connection; every write is a
//!   job sent to it. It takes whatever jobs are queued (up to [`MAX_GROUP`]),
//!   runs each in its own savepoint inside one `BEGIN IMMEDIATE` transaction
//!   and commits once (group commit): a failing job rolls back only its
//!   savepoint, and every caller hears back only after the commit is durable.
//!   With `journal_mode=WAL` and `synchronous=FULL` the commit is fsynced, so
//!   an acknowledged command survives power loss.
//! * Reads run on a small pool of connections on tokio's blocking threads;
//!   WAL lets them proceed while the writer writes.
//! * Because there is one writer, global positions (the `events` rowid) are
//!   handed out in commit order: a reader that follows positions never sees
//!   position n+1 before position n.
//! * The writer keeps the newest outbox rows in memory ([`tail`]) for the
//!   relay, which then publishes a commit without reading it back.

mod tail;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use self::tail::OutboxTail;
use super::{
    AppendOutcome, AppendRequest, DeadLetter, HoldOutcome, LoadedStream, Mark, MarkKind, PriorCommand, StoreStats,
};
use crate::envelope::{AggregateId, Envelope, StreamId};
use crate::error::StoreError;
use crate::fault;
use crate::projection::{Projection, ProjectionUpdate};
use crate::time::Timestamp;

/// Most jobs committed in one transaction.
const MAX_GROUP: usize = 128;
/// Bound of the writer's queue: callers wait (back-pressure) beyond it.
const QUEUE: usize = 1024;
/// Reader connections kept open.
const MAX_IDLE_READERS: usize = 8;

const SCHEMA: &str = include_str!("schema.sql");

/// The columns of [`envelope_from_row`], in its order.
macro_rules! event_columns {
    ($prefix:literal) => {
        concat!(
            $prefix,
            "position, ",
            $prefix,
            "event_id, ",
            $prefix,
            "context, ",
            $prefix,
            "aggregate_type, ",
            $prefix,
            "aggregate_id, ",
            $prefix,
            "version, ",
            $prefix,
            "public_seq, ",
            $prefix,
            "event_type, ",
            $prefix,
            "schema_version, ",
            $prefix,
            "occurred_at, ",
            $prefix,
            "correlation_id, ",
            $prefix,
            "causation_id, ",
            $prefix,
            "command_id, ",
            $prefix,
            "payload"
        )
    };
}

/// Called with the commit's result once the transaction is over.
type Finisher = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A write job: runs in a savepoint (or is told the transaction could not
/// start, `None`) and says whether its savepoint is to be kept.
type Job = Box<dyn FnOnce(Option<&Writer>) -> (bool, Finisher) + Send>;

/// What the writer thread owns: the only read-write connection, the
/// highest position its kept jobs appended (the head it announces after a
/// commit, without asking the database), and the public events of the
/// transaction in progress, for the outbox tail (`None`: not collected).
struct Writer {
    conn: Connection,
    head: Cell<u64>,
    outbox: RefCell<Option<Vec<Envelope>>>,
    tail: Arc<Mutex<OutboxTail>>,
    /// `PRAGMA data_version` at the last transaction: it changes when another
    /// connection (another process) committed to the file.
    data_version: Cell<i64>,
}

impl Writer {
    /// Starts a transaction's bookkeeping. A commit by another process since
    /// the last transaction moves the head and stops the outbox tail (its
    /// rows are not in it); `collect` says whether the tail is followed.
    fn begin(&self, collect: bool) -> Result<(), StoreError> {
        *self.outbox.borrow_mut() = None;
        let version: i64 = self.conn.prepare_cached("PRAGMA data_version")?.query_row([], |r| r.get(0))?;
        let foreign = version != self.data_version.get();
        if foreign {
            self.head.set(self.head.get().max(max_position(&self.conn)?));
            self.forget();
            self.data_version.set(version);
        }
        *self.outbox.borrow_mut() = (collect && !foreign).then(Vec::new);
        Ok(())
    }

    fn forget(&self) {
        if let Ok(mut tail) = self.tail.lock() {
            tail.forget();
        }
    }

    /// Keeps the public events of an append for the outbox tail.
    fn collect(&self, events: &[Envelope]) {
        if let Some(outbox) = self.outbox.borrow_mut().as_mut() {
            outbox.extend(events.iter().filter(|e| e.is_public()).cloned());
        }
    }

    /// How many events are collected so far (to undo a job's).
    fn collected(&self) -> usize {
        self.outbox.borrow().as_ref().map_or(0, Vec::len)
    }

    fn uncollect(&self, to: usize) {
        if let Some(outbox) = self.outbox.borrow_mut().as_mut() {
            outbox.truncate(to);
        }
    }

    /// Hands a committed transaction's events to the tail; returns whether
    /// to collect them for the next one.
    fn committed(&self) -> bool {
        let events = self.outbox.borrow_mut().take();
        match self.tail.lock() {
            Ok(mut tail) => tail.committed(self.head.get(), events),
            Err(_) => false,
        }
    }
}

pub(crate) struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    path: PathBuf,
    commits: watch::Receiver<u64>,
    tail: Arc<Mutex<OutboxTail>>,
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    // WAL: readers do not block the writer; FULL: fsync at every commit.
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Database(format!("could not switch to WAL (journal_mode={mode})")));
    }
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=OFF;")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.execute_batch("PRAGMA busy_timeout=10000; PRAGMA query_only=ON;")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStore {
    pub(crate) fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() && !parent.exists() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| StoreError::Database(format!("{}: {e}", parent.display())))?;
            }
        }
        let conn = Connection::open(path)?;
        configure(&conn)?;
        conn.execute_batch(SCHEMA)?;
        let head = max_position(&conn)?;
        let data_version = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let tail = Arc::new(Mutex::new(OutboxTail::new()));
        let writer = Writer {
            conn,
            head: Cell::new(head),
            outbox: RefCell::new(None),
            tail: tail.clone(),
            data_version: Cell::new(data_version),
        };
        let (commit_tx, commit_rx) = watch::channel(head);
        let (job_tx, job_rx) = mpsc::channel::<Job>(QUEUE);
        std::thread::Builder::new()
            .name("squall-sqlite-writer".into())
            .spawn(move || writer_loop(writer, job_rx, commit_tx))
            .map_err(|e| StoreError::Database(format!("cannot start writer thread: {e}")))?;
        Ok(SqliteStore {
            jobs: job_tx,
            readers: Arc::new(Mutex::new(Vec::new())),
            path: path.to_path_buf(),
            commits: commit_rx,
            tail,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn commits(&self) -> watch::Receiver<u64> {
        self.commits.clone()
    }

    /// Runs `f` in the next group transaction; resolves after the commit.
    async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.write_in(move |w| f(&w.conn)).await
    }

    /// [`SqliteStore::write`], with the writer itself (for appends, which
    /// move its head).
    async fn write_in<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Writer) -> Result<R, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<R, StoreError>>();
        let job: Job = Box::new(move |writer| match writer {
            None => (
                false,
                Box::new(move |commit: Result<(), StoreError>| {
                    let _ = tx.send(Err(commit.err().unwrap_or(StoreError::Closed)));
                }),
            ),
            Some(writer) => {
                let result = f(writer);
                (
                    result.is_ok(),
                    Box::new(move |commit: Result<(), StoreError>| {
                        let _ = tx.send(match (result, commit) {
                            (Ok(v), Ok(())) => Ok(v),
                            (Ok(_), Err(e)) | (Err(e), _) => Err(e),
                        });
                    }),
                )
            }
        });
        self.jobs.send(job).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on a reader connection inside a read transaction (one
    /// consistent snapshot) on a blocking thread.
    async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let pool = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = pool.lock().ok().and_then(|mut p| p.pop());
            let conn = match pooled {
                Some(c) => c,
                None => open_reader(&path)?,
            };
            conn.execute_batch("BEGIN")?;
            let result = f(&conn);
            let end = conn.execute_batch("COMMIT");
            if end.is_ok() {
                if let Ok(mut p) = pool.lock() {
                    if p.len() < MAX_IDLE_READERS {
                        p.push(conn);
                    }
                }
            }
            let value = result?;
            end?;
            Ok(value)
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }

    pub(crate) async fn append(&self, req: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.write_in(move |w| {
            let outcome = append_tx(&w.conn, &req, w.head.get())?;
            if let AppendOutcome::Appended(events) = &outcome {
                if let Some(last) = events.last() {
                    w.head.set(w.head.get().max(last.position));
                }
                w.collect(events);
            }
            Ok(outcome)
        })
        .await
    }

    pub(crate) async fn commit_mark(&self, mark: Mark) -> Result<(), StoreError> {
        self.write(move |conn| write_mark(conn, &mark)).await
    }

    pub(crate) async fn apply_projection(
        &self,
        projection: Arc<dyn Projection>,
        event: Envelope,
        mark: Mark,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            write_mark(conn, &mark)?;
            project(conn, &*projection, std::slice::from_ref(&event))
        })
        .await
    }

    /// Marks on SQLite never join a batch: every read sees what is committed.
    pub(crate) async fn load_stream(
        &self,
        stream: StreamId,
        state_schema_version: Option<u32>,
        _mark: Option<&Mark>,
    ) -> Result<LoadedStream, StoreError> {
        self.read(move |conn| {
            let mut snapshot = None;
            if let Some(schema) = state_schema_version {
                let mut stmt = conn.prepare_cached(
                    "SELECT version, state FROM snapshots WHERE aggregate_type = ?1 \
                     AND aggregate_id = ?2 AND state_schema_version = ?3",
                )?;
                let row: Option<(u64, String)> = stmt
                    .query_row(params![stream.aggregate_type, stream.aggregate_id.as_str(), schema], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?;
                if let Some((version, state)) = row {
                    // An unreadable snapshot is only a lost optimisation.
                    match serde_json::from_str(&state) {
                        Ok(v) => snapshot = Some((version, v)),
                        Err(e) => tracing::warn!(%stream, "ignoring unreadable snapshot: {e}"),
                    }
                }
            }
            let after = snapshot.as_ref().map_or(0, |(v, _)| *v);
            let mut stmt = conn.prepare_cached(concat!(
                "SELECT ",
                event_columns!(""),
                " FROM events WHERE aggregate_type = ?1 AND aggregate_id = ?2 AND version > ?3 ORDER BY version"
            ))?;
            let rows =
                stmt.query_map(params![stream.aggregate_type, stream.aggregate_id.as_str(), after], envelope_from_row)?;
            let events = rows.collect::<Result<Result<Vec<_>, _>, _>>()??;
            Ok(LoadedStream { snapshot, events })
        })
        .await
    }

    pub(crate) async fn prior_command(
        &self,
        command_id: Uuid,
        _mark: Option<&Mark>,
    ) -> Result<Option<PriorCommand>, StoreError> {
        self.read(move |conn| prior_command(conn, command_id)).await
    }

    pub(crate) async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<Envelope>, StoreError> {
        self.read(move |conn| read_events_after(conn, after, limit)).await
    }

    /// The outbox rows after `after`: from the tail the writer keeps in
    /// memory when it holds them all, else from the table.
    pub(crate) async fn read_outbox(&self, after: u64, limit: usize) -> Result<Vec<Envelope>, StoreError> {
        if let Some(events) = self.tail.lock().ok().and_then(|mut t| t.after(after, limit)) {
            return Ok(events);
        }
        let (events, head) = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(concat!(
                    "SELECT ",
                    event_columns!("e."),
                    " FROM outbox o JOIN events e ON e.position = o.position \
                     WHERE o.position > ?1 ORDER BY o.position LIMIT ?2"
                ))?;
                let rows = stmt.query_map(params![after, limit as i64], envelope_from_row)?;
                let events = rows.collect::<Result<Result<Vec<_>, _>, _>>()??;
                Ok((events, max_position(conn)?))
            })
            .await?;
        if events.len() < limit {
            if let Ok(mut tail) = self.tail.lock() {
                tail.read(after, events.last().map(|e| e.position), head);
            }
        }
        Ok(events)
    }

    pub(crate) async fn ack_outbox(&self, checkpoint: String, upto: u64) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM outbox WHERE position <= ?1")?.execute([upto])?;
            // Never move the relay's checkpoint backwards.
            conn.prepare_cached(
                "INSERT INTO checkpoints (name, position) VALUES (?1, ?2) ON CONFLICT (name) \
                 DO UPDATE SET position = MAX(position, excluded.position)",
            )?
            .execute(params![checkpoint, upto])?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn checkpoint(&self, name: String) -> Result<u64, StoreError> {
        self.read(move |conn| get_checkpoint(conn, &name)).await
    }

    /// Brings a projection up to the head, in batches of `batch` events.
    ///
    /// Pipelined: a reader connection reads (and parses) the next batch while
    /// the writer applies the previous one and commits it with the
    /// checkpoint. The writer applies a batch only if the checkpoint is still
    /// where the batch starts (else someone else moved it, a rebuild for
    /// instance, and the catch-up starts over from there). The last batch is
    /// completed inside the writer with the events committed since it was
    /// read, so the projection ends exactly at the head: from there on, the
    /// appends of an inline projection apply their events themselves.
    pub(crate) async fn catch_up(&self, projection: Arc<dyn Projection>, batch: usize) -> Result<u64, StoreError> {
        let name = projection_checkpoint(projection.name());
        let mut total = 0;
        let mut from = self.checkpoint(name.clone()).await?;
        let mut events = self.read_all(from, batch).await?;
        loop {
            let last = events.last().map(|e| e.position);
            let complete = events.len() < batch;
            let applying = self.apply_catch_up(projection.clone(), from, events, complete, batch);
            let (applied, next) = match (last, complete) {
                (Some(last), false) => {
                    let (applied, next) = tokio::join!(applying, self.read_all(last, batch));
                    (applied?, Some(next?))
                }
                _ => (applying.await?, None),
            };
            match (applied, next) {
                (Some(n), Some(next)) => {
                    total += n;
                    from = last.unwrap_or(from);
                    events = next;
                }
                (Some(n), None) => return Ok(total + n),
                (None, _) => {
                    from = self.checkpoint(name.clone()).await?;
                    events = self.read_all(from, batch).await?;
                }
            }
        }
    }

    /// Applies a batch read by [`SqliteStore::catch_up`] if the checkpoint is
    /// still at `from` (`None` if not); with `complete`, then also the events
    /// committed after the batch. Returns the number of events applied.
    async fn apply_catch_up(
        &self,
        projection: Arc<dyn Projection>,
        from: u64,
        events: Vec<Envelope>,
        complete: bool,
        batch: usize,
    ) -> Result<Option<u64>, StoreError> {
        self.write(move |conn| {
            let name = projection_checkpoint(projection.name());
            if get_checkpoint(conn, &name)? != from {
                return Ok(None);
            }
            let mut applied = events.len() as u64;
            let mut position = from;
            if let Some(last) = events.last() {
                project(conn, &*projection, &events)?;
                position = last.position;
            }
            drop(events);
            // The events committed since the last batch was read.
            if complete {
                loop {
                    let more = read_events_after(conn, position, batch)?;
                    let Some(last) = more.last() else { break };
                    project(conn, &*projection, &more)?;
                    position = last.position;
                    applied += more.len() as u64;
                    if more.len() < batch {
                        break;
                    }
                }
            }
            if position != from {
                set_checkpoint(conn, &name, position)?;
            }
            Ok(Some(applied))
        })
        .await
    }

    pub(crate) async fn reset_projection(&self, name: String) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM read_models WHERE projection = ?1")?.execute([&name])?;
            set_checkpoint(conn, &projection_checkpoint(&name), 0)
        })
        .await
    }

    pub(crate) async fn read_model(
        &self,
        projection: String,
        key: String,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        self.read(move |conn| load_doc(conn, &projection, &key)).await
    }

    pub(crate) async fn read_models(
        &self,
        projection: String,
        after_key: Option<String>,
        limit: usize,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT key, doc FROM read_models WHERE projection = ?1 AND key > ?2 \
                 ORDER BY key LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![projection, after_key.unwrap_or_default(), limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (key, doc) = row?;
                out.push((key, serde_json::from_str(&doc)?));
            }
            Ok(out)
        })
        .await
    }

    /// One writer, one runner per consumer: nothing can close the gap
    /// meanwhile, so the message is always held.
    pub(crate) async fn hold(&self, consumer: String, event: Envelope) -> Result<HoldOutcome, StoreError> {
        self.write(move |conn| {
            let json = serde_json::to_string(&event)?;
            conn.prepare_cached(
                "INSERT INTO inbox_held (consumer, aggregate_type, aggregate_id, seq, envelope, \
                 held_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                consumer,
                event.stream.aggregate_type,
                event.stream.aggregate_id.as_str(),
                event.public_seq.unwrap_or(0),
                json,
                Timestamp::now().as_micros()
            ])?;
            Ok(HoldOutcome::Held)
        })
        .await
    }

    pub(crate) async fn inbox_statuses(
        &self,
        consumer: String,
        messages: Vec<(Uuid, StreamId)>,
    ) -> Result<Vec<(bool, u64)>, StoreError> {
        self.read(move |conn| {
            let mut seen = conn.prepare_cached("SELECT 1 FROM inbox WHERE consumer = ?1 AND message_id = ?2")?;
            let mut last = conn.prepare_cached(
                "SELECT seq FROM inbox_streams WHERE consumer = ?1 AND aggregate_type = ?2 AND aggregate_id = ?3",
            )?;
            let mut out = Vec::with_capacity(messages.len());
            for (id, stream) in &messages {
                let is_seen = seen.query_row(params![consumer, id.to_string()], |_| Ok(())).optional()?.is_some();
                let seq: Option<u64> = last
                    .query_row(params![consumer, stream.aggregate_type, stream.aggregate_id.as_str()], |r| r.get(0))
                    .optional()?;
                out.push((is_seen, seq.unwrap_or(0)));
            }
            Ok(out)
        })
        .await
    }

    pub(crate) async fn held_next(
        &self,
        consumer: String,
        streams: Vec<(StreamId, u64)>,
    ) -> Result<Vec<Envelope>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT envelope FROM inbox_held WHERE consumer = ?1 AND aggregate_type = ?2 \
                 AND aggregate_id = ?3 AND seq = ?4",
            )?;
            let mut out = Vec::new();
            for (stream, last) in &streams {
                let json: Option<String> = stmt
                    .query_row(params![consumer, stream.aggregate_type, stream.aggregate_id.as_str(), last + 1], |r| {
                        r.get(0)
                    })
                    .optional()?;
                if let Some(json) = json {
                    out.push(serde_json::from_str(&json)?);
                }
            }
            Ok(out)
        })
        .await
    }

    pub(crate) async fn dead_letter(
        &self,
        consumer: String,
        event: Envelope,
        error: String,
        attempts: u32,
        mark: Mark,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            write_mark(conn, &mark)?;
            conn.prepare_cached(
                "INSERT INTO dead_letters (consumer, message_id, envelope, error, attempts, \
                 failed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                consumer,
                event.event_id.to_string(),
                serde_json::to_string(&event)?,
                error,
                attempts,
                Timestamp::now().as_micros()
            ])?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn dead_letters(&self, consumer: Option<String>) -> Result<Vec<DeadLetter>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT consumer, envelope, error, attempts, failed_at FROM dead_letters \
                 WHERE ?1 IS NULL OR consumer = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([consumer], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (consumer, envelope, error, attempts, failed_at) = row?;
                out.push(DeadLetter {
                    consumer,
                    envelope: serde_json::from_str(&envelope)?,
                    error,
                    attempts,
                    failed_at: Timestamp::from_micros(failed_at),
                });
            }
            Ok(out)
        })
        .await
    }

    pub(crate) async fn stats(&self) -> Result<StoreStats, StoreError> {
        self.read(|conn| {
            let count = |table: &str| -> Result<u64, StoreError> {
                Ok(conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?)
            };
            Ok(StoreStats {
                events: count("events")?,
                outbox: count("outbox")?,
                commands: count("commands")?,
                dead_letters: count("dead_letters")?,
            })
        })
        .await
    }
}

fn writer_loop(writer: Writer, mut jobs: mpsc::Receiver<Job>, commits: watch::Sender<u64>) {
    let conn = &writer.conn;
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_GROUP);
    let mut collect = false;
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = control(conn, "BEGIN IMMEDIATE") {
            let e = StoreError::from(e);
            for job in batch.drain(..) {
                let (_, finish) = job(None);
                finish(Err(e.clone()));
            }
            continue;
        }
        let begun = writer.begin(collect);
        if let Err(e) = &begun {
            // Unchecked, the tail cannot vouch for what follows: the relay
            // reads the table until a transaction passes the check.
            tracing::warn!("cannot check the file for other writers: {e}");
            writer.forget();
            collect = false;
        }
        let committed_head = writer.head.get();
        // A job alone in its transaction needs no savepoint: if it fails,
        // the transaction is rolled back instead of committed.
        let alone = batch.len() == 1;
        let mut finishers = Vec::with_capacity(batch.len());
        let mut any_kept = false;
        // A savepoint that could not be released or rolled back leaves the
        // transaction's contents unknown (a job counted as undone may have
        // stayed): the whole transaction is rolled back, every job fails.
        let mut broken: Option<StoreError> = None;
        for job in batch.drain(..) {
            if !alone {
                if let Err(e) = control(conn, "SAVEPOINT job") {
                    let (_, finish) = job(None);
                    finishers.push((finish, Some(StoreError::from(e))));
                    continue;
                }
            }
            let head = writer.head.get();
            let collected = writer.collected();
            // A panicking job must not take the writer (and so the store) down.
            match catch_unwind(AssertUnwindSafe(|| job(Some(&writer)))) {
                Ok((keep, finish)) => {
                    let end = match (keep, alone) {
                        (true, true) => Ok(()),
                        (true, false) => control(conn, "RELEASE job"),
                        (false, true) => Ok(()),
                        (false, false) => roll_back_job(conn),
                    };
                    let kept = keep && end.is_ok();
                    if !kept {
                        writer.head.set(head);
                        writer.uncollect(collected);
                    }
                    any_kept |= kept;
                    let end = end.err().map(StoreError::from);
                    if let Some(e) = &end {
                        broken.get_or_insert_with(|| e.clone());
                    }
                    finishers.push((finish, end));
                }
                Err(_) => {
                    tracing::error!("a store write job panicked; its changes are rolled back");
                    writer.head.set(head);
                    writer.uncollect(collected);
                    if !alone && let Err(e) = roll_back_job(conn) {
                        broken.get_or_insert(StoreError::from(e));
                    }
                }
            }
        }
        let commit = if let Some(e) = broken {
            tracing::error!("a savepoint could not be ended ({e}); the whole transaction is rolled back");
            let _ = control(conn, "ROLLBACK");
            any_kept = false;
            Err(e)
        } else if any_kept {
            let commit = control(conn, "COMMIT").map_err(StoreError::from);
            if commit.is_err() {
                let _ = control(conn, "ROLLBACK");
            }
            commit
        } else {
            // Nothing to keep (and a lone failed job's changes to undo).
            let _ = control(conn, "ROLLBACK");
            Ok(())
        };
        if commit.is_err() || !any_kept {
            writer.head.set(committed_head);
        }
        fault::point("after-commit");
        // The tail gets the commit before it is announced: the relay, woken
        // by the announcement, finds it there.
        if commit.is_ok() && any_kept && begun.is_ok() {
            collect = writer.committed();
        }
        let head = writer.head.get();
        commits.send_if_modified(|h| {
            let changed = *h != head;
            *h = head;
            changed
        });
        for (finish, own_error) in finishers {
            match (&commit, own_error) {
                (_, Some(e)) => finish(Err(e)),
                (Err(e), None) => finish(Err(e.clone())),
                (Ok(()), None) => finish(Ok(())),
            }
        }
    }
}

/// Runs a transaction-control statement, prepared once per connection.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn roll_back_job(conn: &Connection) -> rusqlite::Result<()> {
    control(conn, "ROLLBACK TO job")?;
    control(conn, "RELEASE job")
}

fn max_position(conn: &Connection) -> Result<u64, StoreError> {
    let head: Option<u64> = conn.prepare_cached("SELECT MAX(position) FROM events")?.query_row([], |r| r.get(0))?;
    Ok(head.unwrap_or(0))
}

/// A UUID stored as text, parsed in place (no copy of the text).
fn uuid_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let text = row.get_ref(idx)?.as_str()?;
    Uuid::parse_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e)))
}

/// Builds an envelope from a row of `event_columns!`. The payload parse error
/// is kept apart so that one corrupt payload surfaces as a serialization error.
fn envelope_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Envelope, StoreError>> {
    // Parsed where SQLite holds the text, without copying it first.
    let payload = match serde_json::from_str(row.get_ref(13)?.as_str()?) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e.into())),
    };
    Ok(Ok(Envelope {
        position: row.get(0)?,
        event_id: uuid_col(row, 1)?,
        context: row.get(2)?,
        stream: StreamId { aggregate_type: row.get(3)?, aggregate_id: AggregateId::new(row.get::<_, String>(4)?) },
        version: row.get(5)?,
        public_seq: row.get(6)?,
        event_type: row.get(7)?,
        schema_version: row.get(8)?,
        occurred_at: Timestamp::from_micros(row.get(9)?),
        correlation_id: uuid_col(row, 10)?,
        causation_id: uuid_col(row, 11)?,
        command_id: uuid_col(row, 12)?,
        payload,
    }))
}

fn read_events_after(conn: &Connection, after: u64, limit: usize) -> Result<Vec<Envelope>, StoreError> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT ",
        event_columns!(""),
        " FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![after, limit as i64], envelope_from_row)?;
    rows.collect::<Result<Result<Vec<_>, _>, _>>()?
}

fn get_checkpoint(conn: &Connection, name: &str) -> Result<u64, StoreError> {
    let pos: Option<u64> = conn
        .prepare_cached("SELECT position FROM checkpoints WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    Ok(pos.unwrap_or(0))
}

fn set_checkpoint(conn: &Connection, name: &str, position: u64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO checkpoints (name, position) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position",
    )?
    .execute(params![name, position])?;
    Ok(())
}

pub(crate) fn projection_checkpoint(name: &str) -> String {
    format!("projection:{name}")
}

/// Records a consumer's mark; a mark already recorded is a duplicate message.
fn write_mark(conn: &Connection, mark: &Mark) -> Result<(), StoreError> {
    match &mark.kind {
        MarkKind::Checkpoint { name, position } => {
            let changed = conn
                .prepare_cached(
                    "INSERT INTO checkpoints (name, position) VALUES (?1, ?2) \
                     ON CONFLICT (name) DO UPDATE SET position = excluded.position \
                     WHERE checkpoints.position < excluded.position",
                )?
                .execute(params![name, position])?;
            if changed == 0 {
                return Err(StoreError::DuplicateMessage);
            }
        }
        MarkKind::Inbox { consumer, message_id, stream, seq } => {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO inbox (consumer, message_id, processed_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![consumer, message_id.to_string(), Timestamp::now().as_micros()])?;
            if inserted == 0 {
                return Err(StoreError::DuplicateMessage);
            }
            if let Some(seq) = seq {
                let advanced = conn
                    .prepare_cached(
                        "INSERT INTO inbox_streams (consumer, aggregate_type, aggregate_id, seq) \
                         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET seq = excluded.seq \
                         WHERE inbox_streams.seq < excluded.seq",
                    )?
                    .execute(params![consumer, stream.aggregate_type, stream.aggregate_id.as_str(), seq])?;
                if advanced == 0 {
                    return Err(StoreError::DuplicateMessage);
                }
                conn.prepare_cached(
                    "DELETE FROM inbox_held WHERE consumer = ?1 AND aggregate_type = ?2 \
                     AND aggregate_id = ?3 AND seq <= ?4",
                )?
                .execute(params![
                    consumer,
                    stream.aggregate_type,
                    stream.aggregate_id.as_str(),
                    seq
                ])?;
            }
        }
    }
    Ok(())
}

fn prior_command(conn: &Connection, command_id: Uuid) -> Result<Option<PriorCommand>, StoreError> {
    let row: Option<(String, String, u64, Option<u64>, u64)> = conn
        .prepare_cached(
            "SELECT aggregate_type, aggregate_id, version, first_position, event_count \
             FROM commands WHERE command_id = ?1",
        )?
        .query_row([command_id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    let Some((aggregate_type, aggregate_id, version, first, count)) = row else {
        return Ok(None);
    };
    let events = match first {
        // The events of one command are contiguous: one writer, one savepoint.
        Some(first) if count > 0 => read_events_after(conn, first - 1, count as usize)?,
        _ => Vec::new(),
    };
    Ok(Some(PriorCommand { stream: StreamId::new(aggregate_type, aggregate_id), version, events }))
}

/// A stream's version and public sequence, if it exists.
fn stream_head(conn: &Connection, stream: &StreamId) -> Result<Option<(u64, u64)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT version, public_seq FROM streams WHERE aggregate_type = ?1 AND aggregate_id = ?2")?
        .query_row(params![stream.aggregate_type, stream.aggregate_id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The optimistic concurrency check: moves the stream from the expected
/// version past the request's events. Returns the stream's public sequence
/// before them, or `None` if the stream is not at the expected version (a
/// conflict). A lookup and a plain update by key: about half the time of one
/// `UPDATE … RETURNING`, whose rows SQLite collects in a temporary table; the
/// writer's transaction holds the write lock between the two.
fn claim_versions(conn: &Connection, req: &AppendRequest) -> Result<Option<u64>, StoreError> {
    let stream = &req.stream;
    let (kind, id) = (&stream.aggregate_type, stream.aggregate_id.as_str());
    let count = req.events.len() as u64;
    let public = req.events.iter().filter(|e| e.public).count() as u64;
    let expected = req.expected_version;
    if expected == 0 && count > 0 {
        let created = conn
            .prepare_cached(
                "INSERT INTO streams (aggregate_type, aggregate_id, version, public_seq) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![kind, id, count, public])?;
        return Ok((created == 1).then_some(0));
    }
    let (version, public_seq) = stream_head(conn, stream)?.unwrap_or((0, 0));
    if version != expected {
        return Ok(None);
    }
    if count > 0 {
        conn.prepare_cached(
            "UPDATE streams SET version = ?3, public_seq = ?4 WHERE aggregate_type = ?1 AND aggregate_id = ?2",
        )?
        .execute(params![kind, id, version + count, public_seq + public])?;
    }
    Ok(Some(public_seq))
}

/// Records a command (in the append's transaction); `false` if its id was
/// recorded before. The insert is the idempotency check: no lookup first.
fn record_command(
    conn: &Connection,
    req: &AppendRequest,
    command_id: &str,
    first_position: Option<u64>,
) -> Result<bool, StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO commands (command_id, aggregate_type, aggregate_id, version, first_position, \
             event_count, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            command_id,
            req.stream.aggregate_type,
            req.stream.aggregate_id.as_str(),
            req.expected_version + req.events.len() as u64,
            first_position,
            req.events.len() as u64,
            Timestamp::now().as_micros()
        ])?;
    Ok(inserted == 1)
}

/// Appends a command's events after the highest position `head`. The
/// command record is written first, so a repeated command id stops there;
/// a conflict or failure further on rolls it back with the rest of the job.
fn append_tx(conn: &Connection, req: &AppendRequest, head: u64) -> Result<AppendOutcome, StoreError> {
    if let Some(mark) = &req.mark {
        write_mark(conn, mark)?;
    }
    let command_id = req.command_id.to_string();
    // A new row's rowid is one more than the highest (SQLite's rule without
    // AUTOINCREMENT); the writer tracks the highest, and the record is
    // corrected below should the first event land elsewhere.
    let first_position = (!req.events.is_empty()).then_some(head + 1);
    if !record_command(conn, req, &command_id, first_position)? {
        return match prior_command(conn, req.command_id)? {
            Some(prior) => Ok(AppendOutcome::Duplicate(prior)),
            None => Err(StoreError::Database(format!("command {command_id} is recorded but cannot be read"))),
        };
    }
    let stream = &req.stream;
    let version = req.expected_version;
    let mut public_seq = match claim_versions(conn, req)? {
        Some(seq) => seq,
        None => {
            let actual = stream_head(conn, stream)?.map_or(0, |(v, _)| v);
            return Err(StoreError::Conflict { stream: stream.clone(), expected: version, actual });
        }
    };
    let mut envelopes = Vec::with_capacity(req.events.len());
    {
        let mut insert_event = conn.prepare_cached(
            "INSERT INTO events (event_id, context, aggregate_type, aggregate_id, version, public_seq, event_type, \
             schema_version, occurred_at, correlation_id, causation_id, command_id, payload) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let mut insert_outbox = conn.prepare_cached("INSERT INTO outbox (position) VALUES (?1)")?;
        for (i, e) in req.events.iter().enumerate() {
            let seq = if e.public {
                public_seq += 1;
                Some(public_seq)
            } else {
                None
            };
            let event_version = version + 1 + i as u64;
            insert_event.execute(params![
                e.event_id.to_string(),
                req.context,
                stream.aggregate_type,
                stream.aggregate_id.as_str(),
                event_version,
                seq,
                e.event_type,
                e.schema_version,
                e.occurred_at.as_micros(),
                e.correlation_id.to_string(),
                e.causation_id.to_string(),
                command_id,
                serde_json::to_string(&e.payload)?,
            ])?;
            let position = conn.last_insert_rowid() as u64;
            if e.public {
                insert_outbox.execute([position])?;
            }
            envelopes.push(Envelope {
                event_id: e.event_id,
                context: req.context.clone(),
                stream: stream.clone(),
                version: event_version,
                position,
                public_seq: seq,
                event_type: e.event_type.clone(),
                schema_version: e.schema_version,
                occurred_at: e.occurred_at,
                correlation_id: e.correlation_id,
                causation_id: e.causation_id,
                command_id: req.command_id,
                payload: e.payload.clone(),
            });
        }
    }
    let first = envelopes.first().map(|e| e.position);
    if first != first_position {
        conn.prepare_cached("UPDATE commands SET first_position = ?2 WHERE command_id = ?1")?
            .execute(params![command_id, first])?;
    }
    if let Some(snap) = &req.snapshot {
        conn.prepare_cached(
            "INSERT INTO snapshots (aggregate_type, aggregate_id, version, state_schema_version, \
             state, taken_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO UPDATE SET \
             version = excluded.version, state_schema_version = excluded.state_schema_version, \
             state = excluded.state, taken_at = excluded.taken_at",
        )?
        .execute(params![
            stream.aggregate_type,
            stream.aggregate_id.as_str(),
            snap.version,
            snap.state_schema_version,
            serde_json::to_string(&snap.state)?,
            Timestamp::now().as_micros()
        ])?;
    }
    if let (Some(first), Some(last)) = (envelopes.first(), envelopes.last()) {
        for projection in req.projections.iter() {
            let name = projection_checkpoint(projection.name());
            // A projection behind the head (new, or being rebuilt) is brought
            // up by its catch-up, which runs on this same writer; applying
            // these events now would apply them out of order.
            if get_checkpoint(conn, &name)? + 1 != first.position {
                continue;
            }
            project(conn, &**projection, &envelopes)?;
            set_checkpoint(conn, &name, last.position)?;
        }
    }
    Ok(AppendOutcome::Appended(envelopes))
}

fn load_doc(conn: &Connection, projection: &str, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
    let doc: Option<String> = conn
        .prepare_cached("SELECT doc FROM read_models WHERE projection = ?1 AND key = ?2")?
        .query_row([projection, key], |r| r.get(0))
        .optional()?;
    Ok(match doc {
        Some(d) => Some(serde_json::from_str(&d)?),
        None => None,
    })
}

/// Applies events to a projection, keeping the documents it touches in memory
/// and writing each once at the end.
fn project(conn: &Connection, projection: &dyn Projection, events: &[Envelope]) -> Result<(), StoreError> {
    let name = projection.name();
    // key -> (document or deleted, changed)
    let mut docs: HashMap<String, (Option<serde_json::Value>, bool)> = HashMap::new();
    for event in events {
        let Some(key) = projection.key(event) else {
            continue;
        };
        let (current, dirty) = match docs.remove(&key) {
            Some(entry) => entry,
            None => (load_doc(conn, name, &key)?, false),
        };
        let entry = match projection.apply(current.clone(), event) {
            ProjectionUpdate::Upsert(doc) => (Some(doc), true),
            ProjectionUpdate::Delete => (None, true),
            ProjectionUpdate::Unchanged => (current, dirty),
        };
        docs.insert(key, entry);
    }
    let mut upsert = conn.prepare_cached(
        "INSERT INTO read_models (projection, key, doc) VALUES (?1, ?2, ?3) \
         ON CONFLICT DO UPDATE SET doc = excluded.doc",
    )?;
    let mut delete = conn.prepare_cached("DELETE FROM read_models WHERE projection = ?1 AND key = ?2")?;
    for (key, (doc, dirty)) in docs {
        if !dirty {
            continue;
        }
        match doc {
            Some(doc) => upsert.execute(params![name, key, serde_json::to_string(&doc)?])?,
            None => delete.execute(params![name, key])?,
        };
    }
    Ok(())
}
