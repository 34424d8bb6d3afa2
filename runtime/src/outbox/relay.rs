//! The outbox relay: publishes outbox rows to the bus in global-position
//! order, at least once, resuming after a crash from its checkpoint.
//!
//! It is woken by every commit (the store's commit watch), so the latency from
//! commit to publication is a wake-up and a read, not a polling interval; a
//! slow poll remains only as a safety net. On SQLite the read is served from
//! memory when it can be: the writer hands each commit's public events to the
//! store's outbox tail before it announces the commit, and the table is read
//! only where the tail cannot vouch for every row (at start, after a crash,
//! when the relay fell far behind, when another process wrote to the file).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::bus::{BusError, EventBus};
use crate::envelope::Envelope;
use crate::fault;
use crate::store::Store;

/// Name of the relay's checkpoint in the `checkpoints` table.
pub const RELAY_CHECKPOINT: &str = "relay";
/// Most events published in one batch.
const BATCH: usize = 512;
/// Safety-net poll interval (the relay is normally woken by commits).
const POLL: Duration = Duration::from_secs(1);
/// Pause after a failure before trying again.
const BACKOFF: Duration = Duration::from_millis(100);

/// Runs the relay until `shutdown` turns true.
pub async fn run(store: Store, bus: Arc<dyn EventBus>, mut shutdown: watch::Receiver<bool>) {
    // Several replicas share a PostgreSQL store: its relay elects a leader.
    #[cfg(feature = "postgres")]
    if store.postgres().is_some() {
        return super::postgres::run(store, bus, shutdown).await;
    }
    let mut commits = store.commits();
    // Checkpoints are saved by a companion task so that the relay does not
    // wait for that commit (an fsync) before publishing the next batch; it
    // coalesces: while one save is in flight, later positions wait for the
    // next. Published-but-unsaved events are republished after a crash, and
    // dropped by the inboxes.
    let (published_tx, published_rx) = watch::channel(0u64);
    let saver = tokio::spawn(save_checkpoints(store.clone(), published_rx));
    relay_loop(&store, &*bus, &mut commits, &mut shutdown, &published_tx).await;
    drop(published_tx);
    let _ = saver.await;
}

async fn save_checkpoints(store: Store, mut published: watch::Receiver<u64>) {
    let mut saved = 0;
    while published.changed().await.is_ok() {
        let upto = *published.borrow_and_update();
        if upto > saved {
            match store.ack_outbox(RELAY_CHECKPOINT, upto).await {
                Ok(()) => saved = upto,
                Err(e) => tracing::warn!("relay could not save its checkpoint: {e}"),
            }
        }
    }
}

async fn relay_loop(
    store: &Store,
    bus: &dyn EventBus,
    commits: &mut watch::Receiver<u64>,
    shutdown: &mut watch::Receiver<bool>,
    published: &watch::Sender<u64>,
) {
    let mut checkpoint = loop {
        match store.checkpoint(RELAY_CHECKPOINT).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!("relay cannot read its checkpoint: {e}");
                if *shutdown.borrow() {
                    return;
                }
                tokio::time::sleep(BACKOFF).await;
            }
        }
    };
    // The batch read while the previous one was being published.
    let mut next: Option<Vec<Envelope>> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let Some(batch) = next_batch(&mut next, store, commits, checkpoint, BATCH).await else {
            continue;
        };
        let Some(last) = batch.last().map(|e| e.position) else {
            tokio::select! {
                _ = commits.changed() => {}
                _ = shutdown.changed() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
            continue;
        };
        match publish_reading_ahead(store, bus, commits, &batch, last, BATCH).await {
            Ok(ahead) => {
                fault::point("after-publish");
                checkpoint = last;
                published.send_replace(last);
                next = ahead;
            }
            Err(e) => {
                tracing::warn!("relay could not publish (will retry): {e}");
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }
}

/// Publishes `batch` (ending at position `last`) and, while the bus takes
/// it, reads the outbox rows after it: the next batch is at hand as soon as
/// this one is acknowledged. The commits are marked seen before that read, so
/// a commit landing after it still wakes the relay. `Ok(None)` if the read
/// failed (the relay reads again).
/// The batch to publish: the one read ahead, or the outbox after
/// `checkpoint`. `None` after a failed read, once the back-off has passed.
pub(crate) async fn next_batch(
    next: &mut Option<Vec<Envelope>>,
    store: &Store,
    commits: &mut watch::Receiver<u64>,
    checkpoint: u64,
    size: usize,
) -> Option<Vec<Envelope>> {
    if let Some(batch) = next.take() {
        return Some(batch);
    }
    // Mark the current head as seen *before* reading, so a commit that lands
    // after the read still wakes the relay.
    commits.borrow_and_update();
    match store.read_outbox(checkpoint, size).await {
        Ok(batch) => Some(batch),
        Err(e) => {
            tracing::warn!("relay cannot read the outbox: {e}");
            tokio::time::sleep(BACKOFF).await;
            None
        }
    }
}

pub(crate) async fn publish_reading_ahead(
    store: &Store,
    bus: &dyn EventBus,
    commits: &mut watch::Receiver<u64>,
    batch: &[Envelope],
    last: u64,
    limit: usize,
) -> Result<Option<Vec<Envelope>>, BusError> {
    commits.borrow_and_update();
    let (published, ahead) = tokio::join!(bus.publish(batch), store.read_outbox(last, limit));
    published?;
    Ok(ahead.map_err(|e| tracing::warn!("relay cannot read the outbox: {e}")).ok())
}
