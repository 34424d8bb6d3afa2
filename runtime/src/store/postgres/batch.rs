//! Consumer batches on PostgreSQL: one transaction for several messages (see
//! `store/batch.rs` for what a batch is).
//!
//! The transaction runs on a connection of the consumer's own. Each message
//! runs in a savepoint, and each store call made with the batch's marks in a
//! savepoint of its own within it, so a failing call or message undoes only
//! itself; savepoints travel with the next statement and cost no round trip.
//! Appends of one batch share its transaction id, so each takes the next
//! free range of the transaction's positions (`Conn::append_offset`).
//!
//! Marks committed alone (`Store::commit_mark`, a consumer with no other
//! effect) are not written when they are made but with the commit, in the
//! same flight: a batch of such messages costs two round trips (the inbox
//! lookup, the commit), and holds a transaction id — which holds every
//! reader's horizon back — only while it commits.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::pool::Conn;
use super::{HELD_NEXT, INBOX_STATUS, PgStore, hold_tx, inbox_columns, inbox_status, inbox_statuses};
use crate::envelope::{Envelope, StreamId};
use crate::error::StoreError;
use crate::fault;
use crate::store::{HoldOutcome, MarkKind};
use crate::time::Timestamp;

/// Deferred inbox marks of one consumer, all at once: `$1` consumer, `$2`..`$5`
/// message ids, stream types, ids and sequences (NULL: unordered), `$6` now.
/// A mark found already recorded (another replica got there first) writes
/// nothing: the message was handled once, and had no other effect here.
const INBOX_MARKS: &str = "\
WITH m AS (
    SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int8[]) AS m(id, t, a, seq)
), recorded AS (
    INSERT INTO inbox (consumer, message_id, processed_at) SELECT $1, id, $6::int8 FROM m ON CONFLICT DO NOTHING
), last AS (
    SELECT t, a, max(seq) AS seq FROM m WHERE seq IS NOT NULL GROUP BY t, a
), advanced AS (
    INSERT INTO inbox_streams (consumer, aggregate_type, aggregate_id, seq) SELECT $1, t, a, seq FROM last
    ON CONFLICT (consumer, aggregate_type, aggregate_id) DO UPDATE SET seq = excluded.seq
    WHERE inbox_streams.seq < excluded.seq
)
DELETE FROM inbox_held h USING last
WHERE h.consumer = $1 AND h.aggregate_type = last.t AND h.aggregate_id = last.a AND h.seq <= last.seq";

/// Deferred checkpoint marks: `$1` names, `$2` positions; never backwards.
const CHECKPOINT_MARKS: &str = "\
INSERT INTO checkpoints (name, position) SELECT n, max(p) FROM unnest($1::text[], $2::int8[]) AS c(n, p) GROUP BY n
ON CONFLICT (name) DO UPDATE SET position = excluded.position WHERE checkpoints.position < excluded.position";

/// The consumer and messages of the next batch, to look up with a commit.
type NextLookup = (String, Vec<(Uuid, StreamId)>);

/// The savepoint around one message.
const MESSAGE: &str = "squall_message";
/// The savepoint around one store call within a message.
pub(super) const CALL: &str = "squall_call";

/// An open batch: its connection, inside its transaction (`None` once the
/// batch ended; a mark kept beyond it then commits on its own).
pub(crate) struct PgBatch {
    conn: Mutex<Option<Conn>>,
    /// Marks to write with the commit.
    deferred: std::sync::Mutex<Vec<MarkKind>>,
    /// How many of them came before the current message: undoing the
    /// message drops the ones it deferred.
    message_start: AtomicUsize,
    /// A handler's store call ran in the transaction: it may hold locks.
    wrote: AtomicBool,
    turn_taken: AtomicBool,
    /// The messages of the next batch, to look up in this one's commit flight.
    next: std::sync::Mutex<Option<NextLookup>>,
}

impl PgBatch {
    pub(crate) fn begin(mut conn: Conn) -> PgBatch {
        conn.begin();
        PgBatch {
            conn: Mutex::new(Some(conn)),
            deferred: std::sync::Mutex::new(Vec::new()),
            message_start: AtomicUsize::new(0),
            wrote: AtomicBool::new(false),
            turn_taken: AtomicBool::new(false),
            next: std::sync::Mutex::new(None),
        }
    }

    /// Looks `messages` up for `consumer` in the commit flight, as the first
    /// query of the transaction that then begins on the connection: the next
    /// batch, if it asks for exactly these, has its answer without a round
    /// trip (see [`Conn::commit_with`]).
    pub(crate) fn look_up_next(&self, consumer: &str, messages: Vec<(Uuid, StreamId)>) {
        if let Ok(mut next) = self.next.lock() {
            *next = Some((consumer.to_owned(), messages));
        }
    }

    /// Keeps a mark to write with the commit; `false` if the batch is over
    /// (the mark then commits on its own).
    pub(super) async fn defer(&self, mark: &MarkKind) -> bool {
        let open = self.conn.lock().await;
        match (open.as_ref(), self.deferred.lock()) {
            (Some(_), Ok(mut deferred)) => {
                deferred.push(mark.clone());
                true
            }
            _ => false,
        }
    }

    /// The connection, while the batch is open.
    pub(super) async fn conn(&self) -> MutexGuard<'_, Option<Conn>> {
        self.conn.lock().await
    }

    pub(super) fn wrote(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    pub(crate) fn holds_locks(&self) -> bool {
        self.wrote.load(Ordering::Relaxed)
    }

    pub(crate) fn turn_taken(&self) {
        self.turn_taken.store(true, Ordering::Relaxed);
    }

    pub(crate) fn take_turn_taken(&self) -> bool {
        self.turn_taken.swap(false, Ordering::Relaxed)
    }

    /// Starts a message (its savepoint goes with the next statement).
    pub(crate) async fn savepoint(&self) {
        self.turn_taken.store(false, Ordering::Relaxed);
        if let Some(c) = self.conn.lock().await.as_mut() {
            c.savepoint(MESSAGE);
            let deferred = self.deferred.lock().map(|d| d.len()).unwrap_or(0);
            self.message_start.store(deferred, Ordering::Relaxed);
        }
    }

    /// Ends a message: keeps what it did, or undoes it (the marks it deferred
    /// included).
    pub(crate) async fn end_savepoint(&self, keep: bool) {
        if let Some(c) = self.conn.lock().await.as_mut() {
            c.end_savepoint(MESSAGE, keep);
            if !keep {
                if let Ok(mut deferred) = self.deferred.lock() {
                    deferred.truncate(self.message_start.load(Ordering::Relaxed));
                }
            }
        }
    }

    pub(crate) async fn inbox_status(
        &self,
        consumer: &str,
        messages: &[(Uuid, StreamId)],
    ) -> Result<Vec<(bool, u64)>, StoreError> {
        let mut guard = self.conn.lock().await;
        let c = guard.as_mut().ok_or(StoreError::Closed)?;
        if c.next_begun.is_some() {
            if let Some(rows) = c.take_prefetched(&inbox_key(consumer, messages)) {
                return inbox_statuses(&rows);
            }
        }
        inbox_status(c, consumer, messages).await
    }

    pub(crate) async fn hold(&self, consumer: &str, event: &Envelope) -> Result<HoldOutcome, StoreError> {
        let mut guard = self.conn.lock().await;
        let c = guard.as_mut().ok_or(StoreError::Closed)?;
        c.savepoint(CALL);
        let result = hold_tx(c, consumer, event).await;
        c.end_savepoint(CALL, result.is_ok());
        result
    }
}

impl PgStore {
    /// A connection for one consumer's batches (outside the pool).
    pub(crate) async fn batch_connection(&self) -> Result<Conn, StoreError> {
        Conn::open(&self.dedicated_config("squall-consumer")).await
    }

    /// Commits a batch, or rolls it back (`release` is `None`); hands back
    /// its connection if it can serve the next one.
    ///
    /// Committing writes the deferred marks and looks up the messages held
    /// for the consumer's streams `release` at their last sequence + 1, in
    /// the same flight as the `COMMIT`, after everything the batch wrote: the
    /// batch then holds those streams' rows (it advanced them), so a message
    /// another replica held for them is either committed and seen here, or
    /// its hold waits for this batch and then finds the gap closed.
    pub(crate) async fn end_batch(
        &self,
        batch: &PgBatch,
        release: Option<(&str, &[(StreamId, u64)])>,
    ) -> (Option<Conn>, Result<Vec<Envelope>, StoreError>) {
        let Some(mut conn) = batch.conn.lock().await.take() else {
            return (None, Err(StoreError::Closed));
        };
        let deferred = batch.deferred.lock().map(|mut d| std::mem::take(&mut *d)).unwrap_or_default();
        let appended = conn.last_appended();
        let next = batch.next.lock().ok().and_then(|mut n| n.take());
        let result = match release {
            Some((consumer, streams)) => commit(&mut conn, &deferred, consumer, streams, next).await,
            None => conn.finish::<Vec<Envelope>>(Err(StoreError::Closed)).await.or(Ok(Vec::new())),
        };
        if release.is_some() && result.is_ok() && appended > 0 {
            fault::point("after-commit");
            self.signals.committed(appended);
        }
        (conn.is_idle().then_some(conn), result)
    }
}

/// The commit flight of a batch: its deferred marks, the lookup of released
/// messages, `COMMIT`.
async fn commit(
    conn: &mut Conn,
    deferred: &[MarkKind],
    consumer: &str,
    streams: &[(StreamId, u64)],
    next: Option<NextLookup>,
) -> Result<Vec<Envelope>, StoreError> {
    let mut inbox: Vec<(&str, Uuid, &StreamId, Option<i64>)> = Vec::new();
    let mut checkpoints: Vec<(&str, i64)> = Vec::new();
    for mark in deferred {
        match mark {
            MarkKind::Inbox { consumer, message_id, stream, seq } => {
                inbox.push((consumer, *message_id, stream, seq.map(|s| s as i64)))
            }
            MarkKind::Checkpoint { name, position } => checkpoints.push((name, *position as i64)),
        }
    }
    // A runner's marks all name its consumer; group them by it all the same.
    let mut consumers: Vec<&str> = inbox.iter().map(|m| m.0).collect();
    consumers.sort_unstable();
    consumers.dedup();
    let now = Timestamp::now().as_micros();
    type Columns<'a> = (Vec<Uuid>, Vec<&'a str>, Vec<&'a str>, Vec<Option<i64>>);
    let columns: Vec<(&str, Columns)> = consumers
        .iter()
        .map(|c| {
            let marks = inbox.iter().filter(|m| m.0 == *c);
            let ids = marks.clone().map(|m| m.1).collect();
            let kinds = marks.clone().map(|m| m.2.aggregate_type.as_str()).collect();
            let aggregates = marks.clone().map(|m| m.2.aggregate_id.as_str()).collect();
            let seqs = marks.map(|m| m.3).collect();
            (*c, (ids, kinds, aggregates, seqs))
        })
        .collect();
    let inbox_params: Vec<[&(dyn ToSql + Sync); 6]> = columns
        .iter()
        .map(|(c, (ids, kinds, aggregates, seqs))| {
            [c as &(dyn ToSql + Sync), ids, kinds, aggregates, seqs, &now as &(dyn ToSql + Sync)]
        })
        .collect();
    let names: Vec<&str> = checkpoints.iter().map(|c| c.0).collect();
    let positions: Vec<i64> = checkpoints.iter().map(|c| c.1).collect();
    let checkpoint_params: [&(dyn ToSql + Sync); 2] = [&names, &positions];
    let mut statements: Vec<(&'static str, &[&(dyn ToSql + Sync)])> =
        inbox_params.iter().map(|p| (INBOX_MARKS, &p[..])).collect();
    if !checkpoints.is_empty() {
        statements.push((CHECKPOINT_MARKS, &checkpoint_params[..]));
    }
    let kinds: Vec<&str> = streams.iter().map(|(s, _)| s.aggregate_type.as_str()).collect();
    let aggregates: Vec<&str> = streams.iter().map(|(s, _)| s.aggregate_id.as_str()).collect();
    let lasts: Vec<i64> = streams.iter().map(|(_, last)| *last as i64).collect();
    let held_params: [&(dyn ToSql + Sync); 4] = [&consumer, &kinds, &aggregates, &lasts];
    let query = (!streams.is_empty()).then_some((HELD_NEXT, &held_params[..]));
    let next_columns = next.as_ref().map(|(_, messages)| inbox_columns(messages));
    let next_params: Option<[&(dyn ToSql + Sync); 4]> =
        next.as_ref().zip(next_columns.as_ref()).map(|((c, _), (ids, kinds, aggregates))| {
            [c as &(dyn ToSql + Sync), ids as &(dyn ToSql + Sync), kinds, aggregates]
        });
    let then = next
        .as_ref()
        .zip(next_params.as_ref())
        .map(|((c, messages), params)| (inbox_key(c, messages), INBOX_STATUS, &params[..]));
    let rows = conn.commit_with(&statements, query, then).await?;
    rows.iter().map(|r| Ok(serde_json::from_value(r.try_get(0)?)?)).collect()
}

/// What an inbox lookup asked: its consumer and messages (an id names a
/// message, and so its stream).
fn inbox_key(consumer: &str, messages: &[(Uuid, StreamId)]) -> String {
    let mut key = String::with_capacity(consumer.len() + 37 * messages.len());
    key.push_str(consumer);
    for (id, _) in messages {
        key.push('\n');
        key.push_str(&id.to_string());
    }
    key
}
