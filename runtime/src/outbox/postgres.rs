//! The relay on PostgreSQL: one active relay per store across replicas.
//!
//! Every replica of a service starts a relay; only the one holding the
//! store's leader lock publishes. The lock is a session-level advisory lock
//! (`pg_try_advisory_lock`) on a dedicated connection: the server releases
//! it the moment that connection ends — a crashed or partitioned leader
//! loses it without any timeout, and another replica takes over within its
//! retry interval. A leader whose lock connection drops stops publishing
//! (before its next batch) and competes for the lock again on a new
//! connection, so the lock survives connection churn.
//!
//! A stale leader can publish at most the batch in its hands when it loses
//! the lock; the bus drops such repeats by message id and consumers' inboxes
//! drop any that get through. The checkpoint never moves backwards (the store
//! keeps the greatest), and it moves only past events the bus acknowledged.
//!
//! The leader is woken by commits of any replica (LISTEN/NOTIFY, through
//! [`Store::commits`]), with a slow poll as a safety net.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_postgres::Client;

use crate::bus::{BoxFuture, BusError, EventBus};
use crate::envelope::Envelope;
use crate::error::StoreError;
use crate::fault;
use crate::outbox::relay::RELAY_CHECKPOINT;
use crate::store::Store;
use crate::store::postgres::connect;

/// Most events published in one batch.
const BATCH: usize = 1024;
/// Safety-net poll interval, and how often the leader checks its lock.
const POLL: Duration = Duration::from_secs(1);
/// How often a follower tries to take the lock.
const FOLLOW: Duration = Duration::from_millis(500);
/// Least time between two checkpoint saves.
const SAVE_INTERVAL: Duration = Duration::from_millis(20);
/// Pause after a failure before trying again.
const BACKOFF: Duration = Duration::from_millis(100);

/// Runs the relay until `shutdown` turns true. `store` must be a PostgreSQL
/// store.
pub(crate) async fn run(store: Store, bus: Arc<dyn EventBus>, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        let Some(lock) = LeaderLock::acquire(&store, &mut shutdown).await else { return };
        tracing::info!("relay: took the leader lock");
        lead(&store, &bus, &lock, &mut shutdown).await;
        if !*shutdown.borrow() {
            tracing::warn!("relay: lost the leader lock; competing for it again");
        }
    }
}

/// The leader lock, held for as long as its connection lives.
struct LeaderLock {
    client: Client,
    key: (i32, i32),
}

impl LeaderLock {
    /// Waits until this replica holds the lock; `None` on shutdown.
    async fn acquire(store: &Store, shutdown: &mut watch::Receiver<bool>) -> Option<LeaderLock> {
        let pg = store.postgres()?;
        let key = pg.keys().relay();
        let config = pg.dedicated_config(&format!("squall-relay:{}", pg.schema()));
        let mut client: Option<Client> = None;
        loop {
            if *shutdown.borrow() {
                return None;
            }
            let attempt = async {
                let c = match client.take() {
                    Some(c) if !c.is_closed() => c,
                    _ => connect(&config).await?,
                };
                let got: bool = c.query_one("SELECT pg_try_advisory_lock($1, $2)", &[&key.0, &key.1]).await?.get(0);
                Ok::<_, tokio_postgres::Error>((c, got))
            };
            match attempt.await {
                Ok((c, true)) => return Some(LeaderLock { client: c, key }),
                Ok((c, false)) => client = Some(c),
                Err(e) => tracing::warn!("relay: cannot reach the store for the leader lock: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(FOLLOW) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Cheap: whether the lock's connection is still open.
    fn alive(&self) -> bool {
        !self.client.is_closed()
    }

    /// Asks the server whether this session still holds the lock.
    async fn confirm(&self) -> bool {
        let held = self
            .client
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() \
                 AND classid::bigint = ($1::int4::bigint & 4294967295) \
                 AND objid::bigint = ($2::int4::bigint & 4294967295) AND objsubid = 2 AND granted",
                &[&self.key.0, &self.key.1],
            )
            .await;
        matches!(held, Ok(row) if row.get::<_, i64>(0) == 1)
    }
}

/// Relays while the lock is held.
///
/// One batch is published at a time, in position order, and the checkpoint
/// moves only past what the bus acknowledged. Meanwhile the outbox is read
/// again whenever a commit lands (one read in flight at a time): the events
/// committed while a batch was being published are at hand the moment it is
/// acknowledged, instead of one read later.
async fn lead(store: &Store, bus: &Arc<dyn EventBus>, lock: &LeaderLock, shutdown: &mut watch::Receiver<bool>) {
    // Read afresh: the previous leader may have moved it.
    let mut checkpoint = loop {
        match store.checkpoint(RELAY_CHECKPOINT).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!("relay cannot read its checkpoint: {e}");
                if *shutdown.borrow() || !lock.alive() {
                    return;
                }
                tokio::time::sleep(BACKOFF).await;
            }
        }
    };
    let mut commits = store.commits();
    // Checkpoints are saved by a companion task so that publishing does not
    // wait for that commit; it saves the latest acknowledged position.
    let (published_tx, published_rx) = watch::channel(checkpoint);
    let saver = tokio::spawn(save_checkpoints(store.clone(), published_rx, checkpoint));
    let mut confirmed_at = Instant::now();
    // Read, not yet published, in position order; `read_upto` is the last
    // position read.
    let mut ready: VecDeque<Envelope> = VecDeque::new();
    let mut read_upto = checkpoint;
    let mut reading: Option<BoxFuture<'static, Result<Vec<Envelope>, StoreError>>> = None;
    let mut publishing: Option<BoxFuture<'static, (u64, Result<(), BusError>)>> = None;
    // Something may have been committed since the last read began.
    let mut unread = true;
    let poll = tokio::time::sleep(POLL);
    tokio::pin!(poll);
    loop {
        if *shutdown.borrow() || !lock.alive() {
            break; // another replica may be leading already
        }
        if publishing.is_none() && confirmed_at.elapsed() >= POLL {
            if !lock.confirm().await {
                break;
            }
            confirmed_at = Instant::now();
        }
        if reading.is_none() && unread && ready.len() < BATCH {
            unread = false;
            // Seen before reading: a commit landing after the read still
            // wakes the relay.
            commits.borrow_and_update();
            let (store, after) = (store.clone(), read_upto);
            reading = Some(Box::pin(async move { store.read_outbox(after, BATCH).await }));
        }
        if publishing.is_none() && !ready.is_empty() {
            let batch: Vec<Envelope> = ready.drain(..ready.len().min(BATCH)).collect();
            let last = batch.last().map_or(checkpoint, |e| e.position);
            let bus = bus.clone();
            publishing = Some(Box::pin(async move { (last, bus.publish(&batch).await) }));
        }
        tokio::select! {
            (last, published) = in_flight(&mut publishing) => {
                publishing = None;
                match published {
                    Ok(()) => {
                        fault::point("after-publish");
                        checkpoint = last;
                        published_tx.send_replace(last);
                    }
                    Err(e) => {
                        tracing::warn!("relay could not publish (will retry): {e}");
                        // Start again from the checkpoint.
                        if let Some(read) = reading.take() {
                            let _ = read.await;
                        }
                        ready.clear();
                        read_upto = checkpoint;
                        unread = true;
                        tokio::select! {
                            _ = tokio::time::sleep(BACKOFF) => {}
                            _ = shutdown.changed() => {}
                        }
                    }
                }
            }
            read = in_flight(&mut reading) => {
                reading = None;
                match read {
                    Ok(events) => {
                        // A full batch: more is waiting.
                        unread |= events.len() == BATCH;
                        if let Some(last) = events.last() {
                            read_upto = last.position;
                        }
                        ready.extend(events);
                    }
                    Err(e) => {
                        tracing::warn!("relay cannot read the outbox: {e}");
                        unread = true;
                        tokio::select! {
                            _ = tokio::time::sleep(BACKOFF) => {}
                            _ = shutdown.changed() => {}
                        }
                    }
                }
            }
            changed = commits.changed() => {
                if changed.is_err() {
                    break; // the store is closing
                }
                unread = true;
            }
            _ = shutdown.changed() => {}
            _ = &mut poll => {
                unread = true;
                poll.as_mut().reset(Instant::now() + POLL);
            }
        }
    }
    if let Some(publish) = publishing.take() {
        // Let an acknowledgement under way move the checkpoint.
        if let (last, Ok(())) = publish.await {
            published_tx.send_replace(last);
        }
    }
    drop(published_tx);
    let _ = saver.await;
}

/// The output of a future in flight; never, if there is none.
async fn in_flight<T>(future: &mut Option<BoxFuture<'static, T>>) -> T {
    match future {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

/// Saves the checkpoint as publications are acknowledged, at most once per
/// [`SAVE_INTERVAL`]: each save is a commit (a WAL flush, during which its
/// transaction holds every reader's horizon back), and a checkpoint saved a
/// little late only means a few more republished events after a crash,
/// which the bus and the inboxes drop.
async fn save_checkpoints(store: Store, mut published: watch::Receiver<u64>, mut saved: u64) {
    loop {
        // A position acknowledged but not saved (the last save failed) is
        // saved again without waiting for the next publication.
        let closed = if *published.borrow() > saved {
            published.has_changed().is_err()
        } else {
            published.changed().await.is_err()
        };
        let upto = *published.borrow_and_update();
        let mut pause = SAVE_INTERVAL;
        if upto > saved {
            match store.ack_outbox(RELAY_CHECKPOINT, upto).await {
                Ok(()) => saved = upto,
                Err(StoreError::Closed) => return,
                Err(e) => {
                    tracing::warn!("relay could not save its checkpoint: {e}");
                    pause = BACKOFF;
                }
            }
        }
        if closed {
            return;
        }
        tokio::time::sleep(pause).await;
    }
}
