//! Consumers and their inbox.
//!
//! A consumer (a policy, a projection of another context, or custom code)
//! receives events either
//!
//! * from the **store** ([`Source::Store`]): the events of its own context,
//!   private ones included, in global-position order; its checkpoint is its
//!   inbox; or
//! * from the **bus** ([`Source::Bus`]): the public events of other contexts.
//!   Each message's id is recorded in the `inbox` table in the transaction of
//!   its effects, so a redelivered message is dropped. Per source stream, a
//!   message whose `public_seq` is at or below the last one processed is a
//!   duplicate, and one beyond the next is held (in `inbox_held`) until the
//!   gap is filled.
//!
//! A message that keeps failing is written to `dead_letters` after
//! [`ConsumerOptions::max_attempts`](crate::ConsumerOptions) attempts (at
//! once for a [`ConsumeError::Reject`]), with the consumer's mark, and the
//! consumer goes on with the rest.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::bus::{BusError, SubscribeOptions};
use crate::envelope::Envelope;
use crate::error::StoreError;
use crate::runtime::Runtime;
use crate::store::{Mark, MarkKind};

/// Where a consumer's events come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The events of `context` (the consumer's own), read from the store.
    Store {
        /// The consumer's context.
        context: String,
    },
    /// Public events of contexts other than `context`, from the bus.
    Bus {
        /// The consumer's context.
        context: String,
    },
}

/// Why a consumer could not handle a message.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ConsumeError {
    /// A failure that may pass (storage, conflict): try again.
    #[error("{0}")]
    Retry(String),
    /// A failure that will not pass (domain rejection, bad payload):
    /// dead-letter at once.
    #[error("{0}")]
    Reject(String),
}

/// A consumer of events.
pub trait Consumer: Send + Sync + 'static {
    /// A unique name: names the inbox, the checkpoint and dead letters.
    fn name(&self) -> &str;

    /// Handles one event. The consumer must commit `mark` in the same
    /// transaction as its effects — [`CommandContext::with_mark`](crate::CommandContext::with_mark),
    /// [`Store::apply_projection`](crate::Store::apply_projection) — or, with
    /// no effects, alone with [`Store::commit_mark`](crate::Store::commit_mark).
    /// [`StoreError::DuplicateMessage`] from those means it was already
    /// handled: return `Ok`.
    fn handle(
        &self,
        rt: &Runtime,
        event: &Envelope,
        mark: Mark,
    ) -> impl Future<Output = Result<(), ConsumeError>> + Send;
}

const STORE_BATCH: usize = 256;
const POLL: Duration = Duration::from_secs(1);
const STORE_BACKOFF: Duration = Duration::from_millis(200);

struct Runner<C> {
    rt: Runtime,
    consumer: Arc<C>,
    name: String,
}

impl<C: Consumer> Runner<C> {
    /// Handles one message with bounded retries; dead-letters it when they are
    /// exhausted. `Err` only if the store cannot record the outcome at all.
    async fn process(&self, event: &Envelope, mark: Mark) -> Result<(), StoreError> {
        let opts = self.rt.inner.consumer_options;
        let mut backoff = opts.retry_backoff;
        let mut attempts = 0;
        let error = loop {
            attempts += 1;
            match self.consumer.handle(&self.rt, event, mark.clone()).await {
                Ok(()) => return Ok(()),
                Err(ConsumeError::Reject(e)) => break e,
                Err(ConsumeError::Retry(e)) if attempts >= opts.max_attempts.max(1) => break e,
                Err(ConsumeError::Retry(e)) => {
                    tracing::debug!(consumer = %self.name, attempts, "retrying: {e}");
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2).min(Duration::from_secs(5));
                }
            }
        };
        tracing::warn!(consumer = %self.name, event = %event.event_id, attempts, "dead-lettered: {error}");
        match self.rt.store().dead_letter(&self.name, event, error, attempts, mark).await {
            Ok(()) | Err(StoreError::DuplicateMessage) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn inbox_mark(&self, event: &Envelope, seq: Option<u64>) -> Mark {
        Mark {
            kind: MarkKind::Inbox {
                consumer: self.name.clone(),
                message_id: event.event_id,
                stream: event.stream.clone(),
                seq,
            },
        }
    }

    /// One message from the bus, through the inbox.
    async fn on_bus_message(&self, event: &Envelope) -> Result<(), StoreError> {
        let store = self.rt.store();
        let (seen, last) = store.inbox_status(&self.name, event.event_id, &event.stream).await?;
        if seen {
            return Ok(());
        }
        let Some(seq) = event.public_seq else {
            // Not ordered (should not travel on the bus): de-duplicate by id only.
            return self.process(event, self.inbox_mark(event, None)).await;
        };
        if seq <= last {
            return Ok(());
        }
        if seq > last + 1 {
            tracing::debug!(consumer = %self.name, stream = %event.stream, seq, last, "holding until the gap is filled");
            return store.hold(&self.name, event).await;
        }
        self.process(event, self.inbox_mark(event, Some(seq))).await?;
        // Release what was held behind this message, in order.
        let mut next = seq + 1;
        while let Some(held) = store.held(&self.name, &event.stream, next).await? {
            self.process(&held, self.inbox_mark(&held, Some(next))).await?;
            next += 1;
        }
        Ok(())
    }
}

impl Runtime {
    /// Starts a consumer. With [`Source::Bus`] it subscribes at once (before
    /// returning), so spawn bus consumers before [`Runtime::spawn_relay`].
    pub fn spawn_consumer<C: Consumer>(&self, consumer: C, source: Source) -> Result<JoinHandle<()>, BusError> {
        let runner = Runner { rt: self.clone(), name: consumer.name().to_owned(), consumer: Arc::new(consumer) };
        let mut shutdown = self.shutdown_signal();
        match source {
            Source::Bus { context } => {
                let mut subscription =
                    self.bus().subscribe(SubscribeOptions { consumer: runner.name.clone(), context })?;
                Ok(tokio::spawn(async move {
                    loop {
                        let delivery = tokio::select! {
                            d = subscription.next() => d,
                            _ = shutdown.changed() => None,
                        };
                        let Some(delivery) = delivery else { return };
                        let mut ok = true;
                        for event in delivery.events.iter() {
                            if let Err(e) = runner.on_bus_message(event).await {
                                // Leave the delivery unacknowledged: it comes again.
                                tracing::warn!(consumer = %runner.name, "cannot record message: {e}");
                                ok = false;
                                break;
                            }
                        }
                        if ok {
                            delivery.ack();
                        } else {
                            drop(delivery);
                            tokio::time::sleep(STORE_BACKOFF).await;
                        }
                    }
                }))
            }
            Source::Store { context } => Ok(tokio::spawn(async move {
                let store = runner.rt.store().clone();
                let checkpoint = format!("consumer:{}", runner.name);
                let mut commits = store.commits();
                let mut position = loop {
                    match store.checkpoint(&checkpoint).await {
                        Ok(p) => break p,
                        Err(e) => {
                            tracing::warn!(consumer = %runner.name, "cannot read checkpoint: {e}");
                            tokio::time::sleep(STORE_BACKOFF).await;
                        }
                    }
                };
                loop {
                    if *shutdown.borrow() {
                        return;
                    }
                    commits.borrow_and_update();
                    let events = match store.read_all(position, STORE_BATCH).await {
                        Ok(e) => e,
                        Err(e) => {
                            tracing::warn!(consumer = %runner.name, "cannot read events: {e}");
                            tokio::time::sleep(STORE_BACKOFF).await;
                            continue;
                        }
                    };
                    if events.is_empty() {
                        tokio::select! {
                            _ = commits.changed() => {}
                            _ = shutdown.changed() => {}
                            _ = tokio::time::sleep(POLL) => {}
                        }
                        continue;
                    }
                    for event in &events {
                        if event.context != context {
                            // Another context's event: not ours to see. The
                            // checkpoint moves with our next event.
                            position = event.position;
                            continue;
                        }
                        let mark =
                            Mark { kind: MarkKind::Checkpoint { name: checkpoint.clone(), position: event.position } };
                        if let Err(e) = runner.process(event, mark).await {
                            tracing::warn!(consumer = %runner.name, "cannot record message: {e}");
                            tokio::time::sleep(STORE_BACKOFF).await;
                            break;
                        }
                        position = event.position;
                    }
                }
            })),
        }
    }
}
