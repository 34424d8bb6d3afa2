//! Consumer batches: several messages of one consumer, their effects and
//! their marks in one transaction.
//!
//! A consumer that allows it ([`Consumer::batched`](crate::Consumer::batched))
//! has the messages it has already received handled together: on PostgreSQL
//! the runner opens one transaction, handles each message in a savepoint of
//! its own (a failing message undoes only itself), and commits once — one
//! WAL flush for the lot instead of one per message. The marks it hands to
//! the consumer carry a link to the batch, so the store calls made with them
//! (`commit_mark`, `apply_projection`, a command with the mark) join its
//! transaction. On SQLite, and for consumers that do not allow it, a batch
//! is only a grouping: every store call commits on its own, as it always did
//! (the SQLite writer already commits concurrent writes together).

use std::fmt;
#[cfg(feature = "postgres")]
use std::sync::Arc;

use uuid::Uuid;

use super::{Mark, MarkKind, Store};
use crate::envelope::{Envelope, StreamId};
use crate::error::StoreError;

/// Where a message that arrived ahead of a gap ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) enum HoldOutcome {
    /// Held until the gap before it is filled.
    Held,
    /// Processed meanwhile (by another replica): drop it.
    Duplicate,
    /// The gap closed meanwhile (another replica processed the message
    /// before it): it is next in order, process it now.
    Next,
}

/// The link from a mark to the batch whose transaction it joins (only
/// PostgreSQL batches have one).
#[derive(Clone)]
pub(crate) struct BatchLink {
    #[cfg(feature = "postgres")]
    pub(crate) pg: Arc<super::postgres::PgBatch>,
}

impl fmt::Debug for BatchLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BatchLink")
    }
}

impl BatchLink {
    /// Whether the batch's transaction holds locks that a command of this
    /// process may be waiting on: then a command joining it must not wait for
    /// its stream's turn (the holder of the turn may be waiting for this
    /// transaction to end).
    pub(crate) fn holds_locks(&self) -> bool {
        #[cfg(feature = "postgres")]
        return self.pg.holds_locks();
        #[cfg(not(feature = "postgres"))]
        false
    }

    /// Records that a command could not take its stream's turn: the runner
    /// commits what the batch did and handles the message again.
    pub(crate) fn turn_taken(&self) {
        #[cfg(feature = "postgres")]
        self.pg.turn_taken();
    }
}

/// Opens the batches of one consumer and keeps what they reuse (on
/// PostgreSQL, a connection of the consumer's own: a batch never waits for
/// the pool, which its handlers' other store calls may have exhausted).
pub(crate) struct Batcher {
    store: Store,
    /// Whether batches may span several messages (a transaction).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    joined: bool,
    #[cfg(feature = "postgres")]
    conn: Option<super::postgres::Conn>,
}

/// One batch. Dropped without [`Batcher::commit`], its transaction is rolled
/// back (the connection is closed).
pub(crate) struct Batch {
    store: Store,
    link: Option<BatchLink>,
}

impl Store {
    /// The batches of a consumer; `joined` lets a batch's messages share one
    /// transaction where the backend supports it.
    pub(crate) fn batcher(&self, joined: bool) -> Batcher {
        Batcher {
            store: self.clone(),
            joined,
            #[cfg(feature = "postgres")]
            conn: None,
        }
    }
}

impl Batcher {
    /// Starts a batch.
    pub(crate) async fn begin(&mut self) -> Result<Batch, StoreError> {
        #[cfg(feature = "postgres")]
        if let (true, Some(pg)) = (self.joined, self.store.postgres()) {
            let conn = match self.conn.take() {
                Some(c) if !c.is_closed() => c,
                _ => pg.batch_connection().await?,
            };
            let pg = Arc::new(super::postgres::PgBatch::begin(conn));
            return Ok(Batch { store: self.store.clone(), link: Some(BatchLink { pg }) });
        }
        Ok(Batch { store: self.store.clone(), link: None })
    }

    /// Commits the batch: everything it recorded is durable once this
    /// returns `Ok`. Returns the messages now released for `consumer`: for
    /// each `(stream, last)`, the message held at `last + 1`, looked up
    /// after everything the batch wrote (before the commit on PostgreSQL,
    /// in the same flight).
    pub(crate) async fn commit(
        &mut self,
        batch: Batch,
        consumer: &str,
        streams: &[(StreamId, u64)],
    ) -> Result<Vec<Envelope>, StoreError> {
        #[cfg(feature = "postgres")]
        if let (Some(link), Some(pg)) = (&batch.link, self.store.postgres()) {
            let (conn, result) = pg.end_batch(&link.pg, Some((consumer, streams))).await;
            self.conn = conn;
            return result;
        }
        match streams.is_empty() {
            true => Ok(Vec::new()),
            false => batch.store.held_next(consumer, streams).await,
        }
    }

    /// Undoes everything the batch recorded.
    pub(crate) async fn rollback(&mut self, batch: Batch) {
        #[cfg(feature = "postgres")]
        if let (Some(link), Some(pg)) = (&batch.link, self.store.postgres()) {
            let (conn, result) = pg.end_batch(&link.pg, None).await;
            self.conn = conn;
            if let Err(e) = result {
                tracing::debug!("rolling back a consumer batch: {e}");
            }
        }
        let _ = batch;
    }
}

impl Batch {
    /// A mark that joins this batch.
    pub(crate) fn mark(&self, kind: MarkKind) -> Mark {
        Mark { kind, batch: self.link.clone() }
    }

    #[cfg(feature = "postgres")]
    fn pg(&self) -> Option<&super::postgres::PgBatch> {
        self.link.as_ref().map(|l| &*l.pg)
    }

    /// Whether a command joining the batch found its stream's turn taken
    /// (see [`BatchLink::turn_taken`]) since the last call.
    pub(crate) fn take_turn_taken(&self) -> bool {
        #[cfg(feature = "postgres")]
        if let Some(b) = self.pg() {
            return b.take_turn_taken();
        }
        false
    }

    /// Starts a message: what it records until [`Batch::end_message`] is
    /// kept or undone as a whole.
    pub(crate) async fn begin_message(&self) {
        #[cfg(feature = "postgres")]
        if let Some(b) = self.pg() {
            b.savepoint().await;
        }
    }

    /// Ends a message: keeps what it recorded, or undoes it.
    pub(crate) async fn end_message(&self, keep: bool) {
        #[cfg(feature = "postgres")]
        if let Some(b) = self.pg() {
            b.end_savepoint(keep).await;
        }
        let _ = keep;
    }

    /// For each message: whether the consumer recorded its id, and the last
    /// sequence it processed of the message's stream.
    pub(crate) async fn inbox_status(
        &self,
        consumer: &str,
        messages: &[(Uuid, StreamId)],
    ) -> Result<Vec<(bool, u64)>, StoreError> {
        #[cfg(feature = "postgres")]
        if let Some(b) = self.pg() {
            return b.inbox_status(consumer, messages).await;
        }
        self.store.inbox_statuses(consumer, messages).await
    }

    /// Has the next batch's inbox lookup of `messages` sent with this
    /// batch's commit, saving it a round trip (PostgreSQL; elsewhere the
    /// lookup is cheap and this does nothing).
    pub(crate) fn look_up_next(&self, consumer: &str, messages: Vec<(Uuid, StreamId)>) {
        #[cfg(feature = "postgres")]
        if let Some(b) = self.pg() {
            b.look_up_next(consumer, messages);
        }
        #[cfg(not(feature = "postgres"))]
        let _ = (consumer, messages);
    }

    /// Holds a message that arrived ahead of a gap.
    pub(crate) async fn hold(&self, consumer: &str, event: &Envelope) -> Result<HoldOutcome, StoreError> {
        #[cfg(feature = "postgres")]
        if let Some(b) = self.pg() {
            return b.hold(consumer, event).await;
        }
        self.store.hold(consumer, event).await
    }
}
