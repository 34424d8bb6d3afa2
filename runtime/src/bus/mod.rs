//! The event bus: how public events travel from a context's outbox relay to
//! the consumers of other contexts.
//!
//! [`EventBus`] is object-safe so that the runtime holds an
//! `Arc<dyn EventBus>` chosen at start-up: [`InProcessBus`], or NATS
//! JetStream with the `nats` feature (`NatsBus`). Delivery is at least once: a
//! [`Delivery`] that is dropped without [`Delivery::ack`] makes `publish` fail,
//! the relay keeps its checkpoint, and the events come again; consumers' inboxes
//! drop the repeats.

pub mod in_process;
#[cfg(feature = "nats")]
pub mod nats;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::envelope::Envelope;

pub use in_process::InProcessBus;
#[cfg(feature = "nats")]
pub use nats::{NatsBus, NatsOptions};

/// A boxed, sendable future (keeps [`EventBus`] object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A bus failure. The relay retries the batch later.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BusError {
    /// A subscriber dropped a delivery without acknowledging it.
    #[error("delivery to {0} was not acknowledged")]
    NotAcknowledged(String),
    /// The bus is shut down.
    #[error("the bus is closed")]
    Closed,
    /// A broker error (remote buses).
    #[error("bus error: {0}")]
    Other(String),
}

/// Who subscribes, for routing.
#[derive(Clone, Debug)]
pub struct SubscribeOptions {
    /// The consuming component's unique name (also its inbox name).
    pub consumer: String,
    /// The subscriber's own context: its own events are not delivered to it
    /// on the bus (consumers read their own context's events from the store).
    pub context: String,
}

/// A transport for public events between contexts.
pub trait EventBus: Send + Sync + 'static {
    /// Publishes events in the given order. Resolves once the bus has taken
    /// responsibility for them: for the in-process bus, once every subscriber
    /// has acknowledged (processed) them; for a broker, once it has stored
    /// them. Awaiting is the back-pressure.
    fn publish<'a>(&'a self, events: &'a [Envelope]) -> BoxFuture<'a, Result<(), BusError>>;

    /// Registers a subscriber. Subscribe before the relay starts: the
    /// in-process bus keeps nothing for subscribers that do not exist yet.
    fn subscribe(&self, options: SubscribeOptions) -> Result<Subscription, BusError>;
}

/// A batch of events handed to one subscriber.
#[derive(Debug)]
pub struct Delivery {
    /// The events, in publication (global position) order.
    pub events: Arc<[Envelope]>,
    ack: Option<oneshot::Sender<()>>,
}

impl Delivery {
    /// A delivery whose acknowledgement is reported on `ack`.
    pub fn new(events: Arc<[Envelope]>, ack: oneshot::Sender<()>) -> Self {
        Delivery { events, ack: Some(ack) }
    }

    /// Acknowledges the delivery: every event in it was durably processed.
    pub fn ack(mut self) {
        if let Some(ack) = self.ack.take() {
            let _ = ack.send(());
        }
    }
}

/// The receiving end of a subscription: a bounded queue of deliveries.
#[derive(Debug)]
pub struct Subscription {
    rx: mpsc::Receiver<Delivery>,
}

impl Subscription {
    /// Wraps a channel a bus implementation feeds.
    pub fn from_channel(rx: mpsc::Receiver<Delivery>) -> Self {
        Subscription { rx }
    }

    /// The next delivery; `None` once the bus is gone.
    pub async fn next(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }

    /// The next delivery if one is queued already (never waits).
    pub fn try_next(&mut self) -> Option<Delivery> {
        self.rx.try_recv().ok()
    }
}
