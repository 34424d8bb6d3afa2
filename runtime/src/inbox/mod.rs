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
//!
//! The messages a consumer has received and not handled yet are handled in
//! batches ([`runner`]): for a consumer that allows it
//! ([`Consumer::batched`]), on PostgreSQL, one transaction per batch.

mod runner;

use std::future::Future;

use tokio::task::JoinHandle;

use crate::bus::{BusError, SubscribeOptions};
use crate::envelope::Envelope;
use crate::runtime::Runtime;
use crate::store::Mark;

use self::runner::Runner;

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
    /// [`StoreError::DuplicateMessage`](crate::StoreError::DuplicateMessage)
    /// from those means it was already handled: return `Ok`.
    fn handle(
        &self,
        rt: &Runtime,
        event: &Envelope,
        mark: Mark,
    ) -> impl Future<Output = Result<(), ConsumeError>> + Send;

    /// Whether the runtime may commit several of this consumer's messages in
    /// one transaction (on PostgreSQL: one WAL flush for a batch instead of
    /// one per message). The store calls made with a batch's marks join its
    /// transaction and are committed when the whole batch is; a message that
    /// fails undoes only its own effects.
    ///
    /// Return `true` only if every effect of [`Consumer::handle`] is written
    /// with its mark, and `handle` never waits for its effects to be
    /// committed: it must not read them back through other store calls, nor
    /// issue a command *without* the mark on an aggregate it changed with it
    /// (that command would wait for the batch, which waits for `handle`).
    /// Policies and projections run by the runtime return `true`; the
    /// default, `false`, commits each message on its own.
    fn batched(&self) -> bool {
        false
    }
}

impl Runtime {
    /// Starts a consumer. With [`Source::Bus`] it subscribes at once (before
    /// returning), so spawn bus consumers before [`Runtime::spawn_relay`].
    pub fn spawn_consumer<C: Consumer>(&self, consumer: C, source: Source) -> Result<JoinHandle<()>, BusError> {
        let runner = Runner::new(self.clone(), consumer);
        let shutdown = self.shutdown_signal();
        match source {
            Source::Bus { context } => {
                let subscription =
                    self.bus().subscribe(SubscribeOptions { consumer: runner.name().to_owned(), context })?;
                Ok(tokio::spawn(runner.run_bus(subscription, shutdown)))
            }
            Source::Store { context } => Ok(tokio::spawn(runner.run_store(context, shutdown))),
        }
    }
}
