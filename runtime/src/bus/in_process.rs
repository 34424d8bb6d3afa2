//! The in-process bus: subscribers in the same process, bounded queues, and
//! publication that completes only when every subscriber has acknowledged.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::{BoxFuture, BusError, Delivery, EventBus, SubscribeOptions, Subscription};
use crate::envelope::Envelope;

/// Queue length (in deliveries) per subscriber. The relay awaits every ack
/// before publishing more, so at most one delivery per subscriber is in
/// flight from one relay; the bound matters when several relays share a bus.
const QUEUE: usize = 8;

struct Subscriber {
    options: SubscribeOptions,
    tx: mpsc::Sender<Delivery>,
}

/// An [`EventBus`] within one process. Memory stays bounded: publishers wait
/// for subscribers (back-pressure) rather than queueing without limit.
#[derive(Clone, Default)]
pub struct InProcessBus {
    subscribers: Arc<Mutex<Vec<Subscriber>>>,
}

impl InProcessBus {
    /// A bus with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    fn targets(&self) -> Vec<(SubscribeOptions, mpsc::Sender<Delivery>)> {
        match self.subscribers.lock() {
            Ok(subs) => subs.iter().map(|s| (s.options.clone(), s.tx.clone())).collect(),
            Err(_) => Vec::new(),
        }
    }

    fn remove(&self, consumer: &str) {
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.retain(|s| s.options.consumer != consumer);
        }
    }
}

impl EventBus for InProcessBus {
    fn publish<'a>(&'a self, events: &'a [Envelope]) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            let mut pending = Vec::new();
            for (options, tx) in self.targets() {
                let wanted: Arc<[Envelope]> =
                    events.iter().filter(|e| e.is_public() && e.context != options.context).cloned().collect();
                if wanted.is_empty() {
                    continue;
                }
                let (ack_tx, ack_rx) = oneshot::channel();
                if tx.send(Delivery::new(wanted, ack_tx)).await.is_err() {
                    // The subscriber's task ended (shutdown): forget it.
                    tracing::warn!(consumer = %options.consumer, "subscriber gone; unsubscribed");
                    self.remove(&options.consumer);
                    continue;
                }
                pending.push((options.consumer, ack_rx));
            }
            for (consumer, ack) in pending {
                ack.await.map_err(|_| BusError::NotAcknowledged(consumer))?;
            }
            Ok(())
        })
    }

    fn subscribe(&self, options: SubscribeOptions) -> Result<Subscription, BusError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let mut subs = self.subscribers.lock().map_err(|_| BusError::Closed)?;
        // Re-subscribing under the same name replaces the old subscription.
        subs.retain(|s| s.options.consumer != options.consumer);
        subs.push(Subscriber { options, tx });
        Ok(Subscription::from_channel(rx))
    }
}
