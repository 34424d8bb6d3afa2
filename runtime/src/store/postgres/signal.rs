//! Commit signals across replicas: LISTEN/NOTIFY, and the wait for the
//! reading horizon.
//!
//! Every store keeps one dedicated connection that
//!
//! * `LISTEN`s on the store's channel, so that a commit by any replica wakes
//!   this process's relay and store-following consumers (through
//!   [`Store::commits`](crate::Store::commits));
//! * sends the `NOTIFY` for this process's own commits. It is sent after the
//!   commit, outside the appending transaction (a transaction that notifies
//!   takes a database-wide lock while it commits, which would serialize every
//!   append's WAL flush), without waiting for its own flush, and coalesced to
//!   one per 2 ms (each NOTIFY wakes every listening session of the
//!   database). Readers in this process are woken at once, without it, and a
//!   process alone with its store sends none ([`others_listen`]). A
//!   notification lost to a crash right after the commit only delays other
//!   processes' readers until their fallback poll;
//! * watches the reading horizon (see the module docs of the store): a
//!   committed position is readable only once every older transaction has
//!   finished. While a notified position is not yet below the horizon, it
//!   polls the horizon every few milliseconds and wakes the readers again when
//!   it passes — whether the older transaction committed (it also notifies) or
//!   rolled back (which notifies nobody).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_postgres::{AsyncMessage, Config, NoTls};

use super::{HORIZON_SQL, pg_error, quote_ident};
use crate::error::StoreError;

/// How often the horizon is polled while a committed position is behind it.
const HORIZON_POLL: Duration = Duration::from_millis(2);
/// Least time between two NOTIFYs of one process.
const NOTIFY_INTERVAL: Duration = Duration::from_millis(2);
/// How often the connection looks for other processes listening to the
/// store's channel.
const PEERS_INTERVAL: Duration = Duration::from_secs(1);
/// Pause before reconnecting the signal connection.
const RECONNECT: Duration = Duration::from_millis(200);

/// The sending side, held by the store.
pub(crate) struct Signals {
    /// The highest position known committed (by any replica); readers wait on
    /// changes.
    pub(crate) commits: Arc<watch::Sender<u64>>,
    /// The highest position this process committed, for the notifier.
    local: watch::Sender<u64>,
}

impl Signals {
    /// Starts the signal task; it ends when `stop` is dropped.
    pub(crate) fn start(config: Config, channel: String, head: u64, stop: watch::Receiver<()>) -> Signals {
        let commits = Arc::new(watch::channel(head).0);
        let (local, local_rx) = watch::channel(head);
        tokio::spawn(run(config, channel, commits.clone(), local_rx, stop));
        Signals { commits, local }
    }

    /// Called after a local commit whose last event is at `position`.
    pub(crate) fn committed(&self, position: u64) {
        let raise = |head: &mut u64| {
            let higher = position > *head;
            if higher {
                *head = position;
            }
            higher
        };
        self.commits.send_if_modified(raise);
        self.local.send_if_modified(raise);
    }
}

async fn run(
    config: Config,
    channel: String,
    commits: Arc<watch::Sender<u64>>,
    mut local: watch::Receiver<u64>,
    mut stop: watch::Receiver<()>,
) {
    loop {
        match session(&config, &channel, &commits, &mut local, &mut stop).await {
            Ok(()) => return,
            Err(e) => tracing::warn!("store signal connection lost (reconnecting): {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RECONNECT) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One connection's life. `Ok` when the store is dropped.
async fn session(
    config: &Config,
    channel: &str,
    commits: &watch::Sender<u64>,
    local: &mut watch::Receiver<u64>,
    stop: &mut watch::Receiver<()>,
) -> Result<(), StoreError> {
    let (client, mut connection) = config.connect(NoTls).await.map_err(pg_error)?;
    // The connection is polled here rather than in a plain spawned future so
    // that its notifications can be taken out.
    let (notes_tx, mut notes) = mpsc::unbounded_channel::<u64>();
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if let Ok(position) = n.payload().parse::<u64>() {
                        let _ = notes_tx.send(position);
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!("store signal connection: {e}");
                    break;
                }
            }
        }
    });
    let _abort = AbortOnDrop(driver);
    // A NOTIFY is a transaction of its own and takes a transaction id, so
    // its commit would wait for a WAL flush; it needs no durability (a lost
    // notification only delays readers until their poll).
    client
        .batch_execute(&format!("SET synchronous_commit TO off; LISTEN {}", quote_ident(channel)))
        .await
        .map_err(pg_error)?;
    // Notifications may have been missed while disconnected.
    let mut waiting = true;
    let mut woken_at = 0u64;
    let mut sent = *local.borrow_and_update();
    let mut notify_due = Instant::now();
    // A deadline kept across iterations: a sleep made afresh in each one would
    // never end while commits or notifications come faster than the interval.
    let mut poll_due = Instant::now();
    // No other process listens to the channel (checked every
    // PEERS_INTERVAL): then there is nobody to notify.
    let mut alone = false;
    let mut peers_due = Instant::now();
    loop {
        // Polling the horizon serves only readers in this process.
        let poll_horizon = waiting && commits.receiver_count() > 0;
        let unsent = *local.borrow() > sent;
        tokio::select! {
            note = notes.recv() => {
                let Some(position) = note else {
                    return Err(StoreError::Database("signal connection closed".into()));
                };
                commits.send_if_modified(|head| {
                    let higher = position > *head;
                    if higher {
                        *head = position;
                    }
                    higher
                });
                waiting = true;
            }
            changed = local.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                local.borrow_and_update();
                waiting = true;
            }
            _ = tokio::time::sleep_until(notify_due), if unsent && !alone => {
                // Every listener in the database is woken by every NOTIFY, so
                // they are coalesced: at most one per NOTIFY_INTERVAL.
                let position = *local.borrow();
                client
                    .execute("SELECT pg_notify($1, $2)", &[&channel, &position.to_string()])
                    .await
                    .map_err(pg_error)?;
                sent = position;
                notify_due = Instant::now() + NOTIFY_INTERVAL;
            }
            _ = tokio::time::sleep_until(poll_due), if poll_horizon => {
                let row = client.query_one(HORIZON_SQL, &[]).await.map_err(pg_error)?;
                poll_due = Instant::now() + HORIZON_POLL;
                let horizon = row.get::<_, i64>(0) as u64;
                // Under steady load the newest commit is nearly always behind
                // some transaction in flight, so readers are woken whenever
                // the horizon moves on, not only once it passes everything.
                if horizon > woken_at {
                    woken_at = horizon;
                    commits.send_modify(|_| {});
                }
                waiting = horizon <= *commits.borrow();
            }
            _ = tokio::time::sleep_until(peers_due) => {
                alone = !others_listen(&client).await;
                peers_due = Instant::now() + PEERS_INTERVAL;
            }
            _ = stop.changed() => return Ok(()),
        }
    }
}

/// The name the signal connection of a store of `schema` gives itself, so
/// that the other processes of the store can tell it is there.
pub(crate) fn application_name(schema: &str) -> String {
    // The server keeps 63 bytes of it; schemas are ASCII.
    format!("{APPLICATION}:{schema}").chars().take(63).collect()
}

const APPLICATION: &str = "squall-signal";

/// Whether another session (another process of this store, or one whose
/// store cannot be told: it predates the naming) may be listening to this
/// connection's channel. Every NOTIFY wakes every listening session of the
/// database, and takes a database-wide lock while it commits: a process
/// alone with its store sends none (its own readers are woken without one).
/// A process that joins is noticed within [`PEERS_INTERVAL`]; until then its
/// readers fall back on their poll, as after a lost notification. In doubt
/// (the query fails), it is not alone.
async fn others_listen(client: &tokio_postgres::Client) -> bool {
    let others = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid() \
             AND datname = current_database() \
             AND application_name IN (current_setting('application_name'), $1))",
            &[&APPLICATION],
        )
        .await;
    !matches!(others, Ok(row) if !row.get::<_, bool>(0))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
