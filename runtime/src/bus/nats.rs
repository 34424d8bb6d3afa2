//! The NATS JetStream bus (feature `nats`): public events between services
//! that run as separate processes.
//!
//! * **Publishing.** Each event goes to the subject
//!   `<prefix>.<context>.<aggregate type>.<aggregate id>` (one subject per
//!   aggregate, so per-aggregate order is visible to any consumer that filters
//!   or partitions by subject) with the header `Nats-Msg-Id` = event id. The
//!   relay publishes a batch and [`EventBus::publish`] resolves only once the
//!   server acknowledged every message of it, i.e. stored it; the server drops
//!   a message whose id it saw within the stream's duplicate window, so a
//!   batch republished after a crash or a lost acknowledgement is stored once.
//! * **The stream** is created by whichever side comes first, with durable
//!   settings ([`NatsOptions`], documented in `docs/postgres.md`): file
//!   storage, limits retention, a duplicate window, and as many replicas as
//!   configured.
//! * **Consuming.** Each consumer is a durable pull consumer named after the
//!   runtime's consumer (replicas of a service share it and split its
//!   messages), with explicit acks: a message is acknowledged after the
//!   consumer recorded it in its inbox, negatively acknowledged (redelivered
//!   after a pause) when it could not be. JetStream delivers a message at most
//!   `max_deliver` times; on its last delivery the message is written to the
//!   store's dead-letter table instead of being handed to the consumer once
//!   more (when the bus knows the store: [`NatsBus::with_store`]).
//! * **Outages.** The client reconnects by itself; publishing fails meanwhile,
//!   the relay keeps its checkpoint and retries, and the outbox backs up in
//!   the store. Consumers resume from the server's record of what they
//!   acknowledged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

use super::{BoxFuture, BusError, Delivery, EventBus, SubscribeOptions, Subscription};
use crate::envelope::Envelope;
use crate::error::StoreError;
use crate::store::{HoldOutcome, Mark, MarkKind, Store};

/// Settings of the bus: names, and the stream's and consumers' durability
/// and redelivery limits.
#[derive(Clone, Debug)]
pub struct NatsOptions {
    /// The JetStream stream all contexts publish to (default `SQUALL`).
    pub stream: String,
    /// The first token of every subject (default `squall`).
    pub subject_prefix: String,
    /// Copies the server cluster keeps of each message (default 1; use 3 on a
    /// cluster, so that an acknowledged publish survives the loss of a node).
    pub replicas: usize,
    /// How long the server remembers message ids to drop republished events
    /// (default 2 minutes). Must exceed the longest time a relay may take to
    /// republish after a crash.
    pub duplicate_window: Duration,
    /// How long messages are kept in the stream (default 7 days): a consumer
    /// offline for longer misses them (rebuild it from the source store).
    pub max_age: Duration,
    /// How long the server waits for a consumer's acknowledgement before
    /// delivering the message again (default 30 s).
    pub ack_wait: Duration,
    /// Deliveries of one message before it is dead-lettered (default 10).
    pub max_deliver: i64,
    /// Messages a consumer may have delivered but not yet acknowledged
    /// (default 1024): bounds memory and in-flight work.
    pub max_ack_pending: i64,
    /// Time allowed for one publish to be acknowledged (default 10 s).
    pub publish_timeout: Duration,
    /// Pause before a negatively acknowledged message is redelivered
    /// (default 1 s).
    pub redelivery_delay: Duration,
}

impl Default for NatsOptions {
    fn default() -> Self {
        NatsOptions {
            stream: "SQUALL".into(),
            subject_prefix: "squall".into(),
            replicas: 1,
            duplicate_window: Duration::from_secs(120),
            max_age: Duration::from_secs(7 * 24 * 3600),
            ack_wait: Duration::from_secs(30),
            max_deliver: 10,
            max_ack_pending: 1024,
            publish_timeout: Duration::from_secs(10),
            redelivery_delay: Duration::from_secs(1),
        }
    }
}

/// Deliveries (one message each) queued towards one subscriber: what a
/// consumer may take into one batch.
const QUEUE: usize = 256;
/// Pause before re-creating a consumer after an error.
const BACKOFF: Duration = Duration::from_millis(250);

struct Inner {
    client: async_nats::Client,
    js: jetstream::Context,
    options: NatsOptions,
    stream_ready: AtomicBool,
    store: Option<Store>,
}

/// An [`EventBus`] on NATS JetStream. Cheap to clone.
#[derive(Clone)]
pub struct NatsBus {
    inner: Arc<Inner>,
}

impl NatsBus {
    /// Connects to the NATS server(s) at `url` (`nats://host:port`, several
    /// separated by commas). Returns at once even if no server is reachable
    /// yet: the client keeps trying in the background, and publishing fails
    /// (the outbox backs up) until it gets through.
    pub async fn connect(url: &str, options: NatsOptions) -> Result<NatsBus, BusError> {
        let client = async_nats::ConnectOptions::new()
            .name("squall")
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(2))
            .reconnect_delay_callback(|attempts| Duration::from_millis((attempts as u64 * 100).min(2_000)))
            .connect(url)
            .await
            .map_err(|e| BusError::Other(format!("nats {url}: {e}")))?;
        let mut js = jetstream::new(client.clone());
        js.set_timeout(options.publish_timeout);
        Ok(NatsBus {
            inner: Arc::new(Inner { client, js, options, stream_ready: AtomicBool::new(false), store: None }),
        })
    }

    /// Lets the bus dead-letter, in `store`, messages that were delivered
    /// `max_deliver` times without being acknowledged (for instance because
    /// they crash the consumer's process each time).
    pub fn with_store(self, store: Store) -> NatsBus {
        let inner = &self.inner;
        NatsBus {
            inner: Arc::new(Inner {
                client: inner.client.clone(),
                js: inner.js.clone(),
                options: inner.options.clone(),
                stream_ready: AtomicBool::new(inner.stream_ready.load(Ordering::Relaxed)),
                store: Some(store),
            }),
        }
    }

    /// The options the bus runs with.
    pub fn options(&self) -> &NatsOptions {
        &self.inner.options
    }

    /// The JetStream context (for tools and tests that inspect the stream).
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.inner.js
    }

    /// The subject an event is published to.
    pub fn subject(&self, event: &Envelope) -> String {
        subject(&self.inner.options.subject_prefix, event)
    }
}

/// One subject token: characters NATS gives a meaning to (`.`, `*`, `>`,
/// whitespace) become `_`. Two ids that differ only there share a subject,
/// which costs nothing but a shared ordering.
fn token(s: &str) -> String {
    if s.is_empty() {
        return "_".into();
    }
    s.chars()
        .map(|c| if c == '.' || c == '*' || c == '>' || c.is_whitespace() || c.is_control() { '_' } else { c })
        .collect()
}

fn subject(prefix: &str, e: &Envelope) -> String {
    format!(
        "{prefix}.{}.{}.{}",
        token(&e.context),
        token(&e.stream.aggregate_type),
        token(e.stream.aggregate_id.as_str())
    )
}

/// A durable consumer name for a runtime consumer name (which may hold
/// characters JetStream refuses, such as `:`); a hash of the original keeps
/// two names that clean to the same text apart.
fn durable_name(consumer: &str) -> String {
    let clean: String =
        consumer.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let mut hash: u32 = 0x811c_9dc5;
    for b in consumer.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{clean}-{hash:08x}")
}

impl Inner {
    fn stream_config(&self) -> stream::Config {
        let o = &self.options;
        stream::Config {
            name: o.stream.clone(),
            subjects: vec![format!("{}.>", o.subject_prefix)],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::Old,
            num_replicas: o.replicas.max(1),
            duplicate_window: o.duplicate_window,
            max_age: o.max_age,
            ..Default::default()
        }
    }

    async fn stream(&self) -> Result<stream::Stream, BusError> {
        let s = self
            .js
            .get_or_create_stream(self.stream_config())
            .await
            .map_err(|e| BusError::Other(format!("stream {}: {e}", self.options.stream)))?;
        self.stream_ready.store(true, Ordering::Relaxed);
        Ok(s)
    }

    async fn publish(&self, events: &[Envelope]) -> Result<(), BusError> {
        if !self.stream_ready.load(Ordering::Relaxed) {
            self.stream().await?;
        }
        let timeout = self.options.publish_timeout;
        let mut acks = Vec::with_capacity(events.len());
        // Send the whole batch, then collect the acknowledgements: one round
        // trip per batch, not per event.
        for event in events.iter().filter(|e| e.is_public()) {
            let payload = serde_json::to_vec(event).map_err(|e| BusError::Other(e.to_string()))?;
            let message = jetstream::message::PublishMessage::build()
                .payload(payload.into())
                .message_id(event.event_id.to_string());
            let sent = tokio::time::timeout(
                timeout,
                self.js.send_publish(subject(&self.options.subject_prefix, event), message),
            )
            .await
            .map_err(|_| BusError::Other("publish timed out".into()))?;
            acks.push(sent.map_err(|e| self.publish_failed(e))?);
        }
        for ack in acks {
            tokio::time::timeout(timeout, ack)
                .await
                .map_err(|_| BusError::Other("publish acknowledgement timed out".into()))?
                .map_err(|e| self.publish_failed(e))?;
        }
        Ok(())
    }

    fn publish_failed(&self, e: impl std::fmt::Display) -> BusError {
        // The stream may have been deleted: make sure of it next time.
        self.stream_ready.store(false, Ordering::Relaxed);
        BusError::Other(format!("publish: {e}"))
    }

    async fn consumer(&self, durable: &str) -> Result<consumer::PullConsumer, BusError> {
        let stream = self.stream().await?;
        let o = &self.options;
        let config = consumer::pull::Config {
            durable_name: Some(durable.to_owned()),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: o.ack_wait,
            max_deliver: o.max_deliver,
            max_ack_pending: o.max_ack_pending,
            deliver_policy: consumer::DeliverPolicy::All,
            filter_subject: format!("{}.>", o.subject_prefix),
            ..Default::default()
        };
        stream
            .get_or_create_consumer(durable, config)
            .await
            .map_err(|e| BusError::Other(format!("consumer {durable}: {e}")))
    }
}

impl EventBus for NatsBus {
    fn publish<'a>(&'a self, events: &'a [Envelope]) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(self.inner.publish(events))
    }

    fn subscribe(&self, options: SubscribeOptions) -> Result<Subscription, BusError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(pump(self.inner.clone(), options, tx));
        Ok(Subscription::from_channel(rx))
    }
}

/// Feeds one subscriber from its durable consumer until the subscriber goes
/// away; re-creates the consumer's message stream after errors (the server
/// keeps the consumer's position, so nothing is lost or skipped).
async fn pump(inner: Arc<Inner>, options: SubscribeOptions, tx: mpsc::Sender<Delivery>) {
    let durable = durable_name(&options.consumer);
    loop {
        let consumer = tokio::select! {
            c = inner.consumer(&durable) => c,
            _ = tx.closed() => return,
        };
        let messages = match consumer {
            Ok(c) => c.stream().max_messages_per_batch(256).heartbeat(Duration::from_secs(5)).messages().await,
            Err(e) => {
                tracing::warn!(consumer = %options.consumer, "cannot set up the consumer (retrying): {e}");
                tokio::select! {
                    _ = tokio::time::sleep(BACKOFF) => continue,
                    _ = tx.closed() => return,
                }
            }
        };
        let mut messages = match messages {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(consumer = %options.consumer, "cannot pull messages (retrying): {e}");
                tokio::time::sleep(BACKOFF).await;
                continue;
            }
        };
        loop {
            let next = tokio::select! {
                m = messages.next() => m,
                _ = tx.closed() => return,
            };
            match next {
                Some(Ok(message)) => {
                    if !deliver(&inner, &options, &tx, message).await {
                        return;
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(consumer = %options.consumer, "pulling messages failed (resuming): {e}");
                    tokio::time::sleep(BACKOFF).await;
                    break;
                }
                None => break,
            }
        }
    }
}

/// Hands one message to the subscriber and acknowledges it once the
/// subscriber did. `false` once the subscriber is gone.
async fn deliver(
    inner: &Arc<Inner>,
    options: &SubscribeOptions,
    tx: &mpsc::Sender<Delivery>,
    message: jetstream::Message,
) -> bool {
    let event: Envelope = match serde_json::from_slice(&message.payload) {
        Ok(e) => e,
        Err(e) => {
            // Not an event of ours: it will never parse, so stop its delivery.
            tracing::error!(consumer = %options.consumer, subject = %message.subject, "unreadable message dropped: {e}");
            let _ = message.ack_with(jetstream::AckKind::Term).await;
            return true;
        }
    };
    if event.context == options.context {
        // A context reads its own events from its store, not from the bus.
        let _ = message.ack().await;
        return true;
    }
    let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
    if let Some(store) = &inner.store {
        if delivered >= inner.options.max_deliver {
            let outcome = dead_letter_exhausted(store, &options.consumer, &event, delivered).await;
            match outcome {
                Ok(()) => {
                    let _ = message.ack().await;
                }
                Err(e) => {
                    // The server delivers it no more: the error is all we have.
                    tracing::error!(consumer = %options.consumer, event = %event.event_id, "cannot dead-letter an exhausted message: {e}");
                    let _ = message.ack_with(jetstream::AckKind::Term).await;
                }
            }
            return true;
        }
    }
    let (ack_tx, ack_rx) = oneshot::channel();
    if tx.send(Delivery::new(Arc::from([event]), ack_tx)).await.is_err() {
        return false;
    }
    let redelivery = inner.options.redelivery_delay;
    tokio::spawn(async move {
        let kind = match ack_rx.await {
            Ok(()) => jetstream::AckKind::Ack,
            Err(_) => jetstream::AckKind::Nak(Some(redelivery)),
        };
        if let Err(e) = message.ack_with(kind).await {
            // Unacknowledged: the server delivers it again after `ack_wait`,
            // and the inbox drops it if it was processed.
            tracing::debug!("acknowledgement not sent: {e}");
        }
    });
    true
}

/// Writes a message that was never acknowledged within `max_deliver`
/// deliveries to the dead-letter table, with the consumer's inbox mark so that
/// the consumer goes on with the rest of its stream — unless it turns out to
/// be processed already, or out of order (then it is held like any other).
async fn dead_letter_exhausted(
    store: &Store,
    consumer: &str,
    event: &Envelope,
    delivered: i64,
) -> Result<(), StoreError> {
    let mut attempt = 0;
    loop {
        let result = async {
            let status = store.inbox_statuses(consumer, &[(event.event_id, event.stream.clone())]).await?;
            let (seen, last) = status.first().copied().unwrap_or((false, 0));
            if seen {
                return Ok(());
            }
            let seq = match event.public_seq {
                Some(seq) if seq <= last => return Ok(()),
                Some(seq) if seq > last + 1 => match store.hold(consumer, event).await? {
                    HoldOutcome::Held | HoldOutcome::Duplicate => return Ok(()),
                    // The gap closed meanwhile: it is next, dead-letter it.
                    HoldOutcome::Next => Some(seq),
                },
                other => other,
            };
            let mark = Mark::new(MarkKind::Inbox {
                consumer: consumer.to_owned(),
                message_id: event.event_id,
                stream: event.stream.clone(),
                seq,
            });
            let error = format!("not acknowledged after {} deliveries", delivered - 1);
            match store.dead_letter(consumer, event, error, delivered.max(0) as u32, mark).await {
                Ok(()) | Err(StoreError::DuplicateMessage) => Ok(()),
                Err(e) => Err(e),
            }
        }
        .await;
        attempt += 1;
        match result {
            Err(e) if attempt < 5 => {
                tracing::warn!("dead-lettering failed (retrying): {e}");
                tokio::time::sleep(BACKOFF * attempt).await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_tokens_never_carry_wildcards_or_separators() {
        assert_eq!(token("a.b*c>d e"), "a_b_c_d_e");
        assert_eq!(token(""), "_");
        assert_eq!(token("0190-ab"), "0190-ab");
    }

    #[test]
    fn durable_names_are_valid_and_distinct() {
        let a = durable_name("projection:audit");
        assert!(a.starts_with("projection_audit-"), "{a}");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(durable_name("projection:audit"), durable_name("projection_audit"));
    }
}
