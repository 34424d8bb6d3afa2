//! Runs a consumer: the messages it has received are handled in batches.
//!
//! A batch takes every message already waiting (up to [`MAX_BATCH`]) and
//! handles them in order, each in a savepoint of its own
//! ([`Batch::begin_message`]): the inbox is consulted once for all of them,
//! duplicates are dropped, messages ahead of a gap are held and released as
//! soon as the gap closes — within the batch when the missing message is in
//! it — and everything is committed once. Deliveries are acknowledged only
//! after the commit that recorded all their messages.
//!
//! A message whose handler fails is undone alone; the batch stops there and
//! commits what came before it, so that the pause before the next attempt
//! holds no transaction open. After `max_attempts` failures (or at once when
//! rejected) the message is dead-lettered, with its mark, in the batch of its
//! last attempt, and the consumer goes on.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

use super::{ConsumeError, Consumer};
use crate::bus::{Delivery, Subscription};
use crate::envelope::{Envelope, StreamId};
use crate::error::StoreError;
use crate::runtime::Runtime;
use crate::store::{Batch, Batcher, HoldOutcome, MarkKind};

/// Most messages handled in one batch.
const MAX_BATCH: usize = 256;
/// Events read from the store at a time by store-following consumers.
const STORE_BATCH: usize = 256;
/// Safety-net poll of store-following consumers (they are woken by commits).
const POLL: Duration = Duration::from_secs(1);
/// Pause after the store failed.
const STORE_BACKOFF: Duration = Duration::from_millis(200);
/// Longest pause between two attempts at a message.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A message waiting to be handled.
struct Item {
    event: Envelope,
    /// The delivery it came in (bus messages); `None` for a held message
    /// released from the store, and for store events.
    delivery: Option<usize>,
    /// Failed attempts so far.
    attempts: u32,
}

impl Item {
    fn new(event: Envelope, delivery: Option<usize>) -> Item {
        Item { event, delivery, attempts: 0 }
    }
}

/// What became of a message in a batch.
enum Handled {
    /// Its outcome (effects, hold, dead letter, or nothing for a duplicate)
    /// is recorded in the batch.
    Recorded,
    /// Undone: commit the batch up to it, pause this long, then handle it
    /// again.
    Again(Duration),
}

pub(super) struct Runner<C> {
    rt: Runtime,
    consumer: Arc<C>,
    name: String,
}

impl<C: Consumer> Runner<C> {
    pub(super) fn new(rt: Runtime, consumer: C) -> Self {
        Runner { rt, name: consumer.name().to_owned(), consumer: Arc::new(consumer) }
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// One attempt at a message inside `batch`, and its dead letter when the
    /// attempts are used up.
    async fn attempt(&self, batch: &Batch, item: &mut Item, mark: MarkKind) -> Result<Handled, StoreError> {
        let event = &item.event;
        let mark = batch.mark(mark);
        batch.begin_message().await;
        let result = self.consumer.handle(&self.rt, event, mark.clone()).await;
        batch.end_message(result.is_ok()).await;
        let error = match result {
            Ok(()) => return Ok(Handled::Recorded),
            // Not the message's fault: a command found its stream's turn
            // taken while the batch held locks. Not counted as an attempt.
            Err(_) if batch.take_turn_taken() => return Ok(Handled::Again(Duration::ZERO)),
            Err(ConsumeError::Reject(e)) => {
                item.attempts += 1;
                e
            }
            Err(ConsumeError::Retry(e)) => {
                item.attempts += 1;
                let opts = self.rt.inner.consumer_options;
                if item.attempts < opts.max_attempts.max(1) {
                    tracing::debug!(consumer = %self.name, attempts = item.attempts, "retrying: {e}");
                    let doubled = 2u32.saturating_pow(item.attempts - 1);
                    let pause = opts.retry_backoff.saturating_mul(doubled);
                    return Ok(Handled::Again(if item.attempts == 1 { pause } else { pause.min(MAX_BACKOFF) }));
                }
                e
            }
        };
        let attempts = item.attempts;
        tracing::warn!(consumer = %self.name, event = %event.event_id, attempts, "dead-lettered: {error}");
        match self.rt.store().dead_letter(&self.name, event, error, attempts, mark).await {
            Ok(()) | Err(StoreError::DuplicateMessage) => Ok(Handled::Recorded),
            Err(e) => Err(e),
        }
    }

    // ---- messages from the bus --------------------------------------------

    /// Takes deliveries as they come, with everything queued behind them.
    pub(super) async fn run_bus(self, mut subscription: Subscription, mut shutdown: watch::Receiver<bool>) {
        let mut batcher = self.rt.store().batcher(self.consumer.batched());
        // Deliveries taken while the last batch committed.
        let mut taken = Vec::new();
        loop {
            if *shutdown.borrow() {
                return;
            }
            if taken.is_empty() {
                let first = tokio::select! {
                    d = subscription.next() => d,
                    _ = shutdown.changed() => None,
                };
                let Some(first) = first else { return };
                taken.push(first);
                take_queued(&mut subscription, &mut taken);
            }
            let deliveries = std::mem::take(&mut taken);
            if let Err(e) = self.deliveries(&mut batcher, deliveries, &mut subscription, &mut taken).await {
                // What was not acknowledged comes again.
                tracing::warn!(consumer = %self.name, "cannot record messages: {e}");
                tokio::time::sleep(STORE_BACKOFF).await;
            }
        }
    }

    /// Handles the messages of `deliveries` in as few batches as it can,
    /// acknowledging each delivery after the commit that recorded the last of
    /// its messages. The deliveries that arrived meanwhile are taken into
    /// `next` as the last batch commits, and looked up in its commit flight
    /// (the next batch then starts without a round trip of its own).
    async fn deliveries(
        &self,
        batcher: &mut Batcher,
        deliveries: Vec<Delivery>,
        subscription: &mut Subscription,
        next: &mut Vec<Delivery>,
    ) -> Result<(), StoreError> {
        let mut outstanding: Vec<usize> = deliveries.iter().map(|d| d.events.len()).collect();
        let mut queue: VecDeque<Item> = deliveries
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.events.iter().map(move |e| Item::new(e.clone(), Some(i))))
            .collect();
        let mut deliveries: Vec<Option<Delivery>> = deliveries.into_iter().map(Some).collect();
        let mut ack = |outstanding: &mut Vec<usize>, recorded: &[Item]| {
            for i in recorded.iter().filter_map(|item| item.delivery) {
                outstanding[i] -= 1;
            }
            for (i, d) in deliveries.iter_mut().enumerate() {
                if outstanding[i] == 0 {
                    if let Some(d) = d.take() {
                        d.ack();
                    }
                }
            }
        };
        ack(&mut outstanding, &[]);
        // Recorded and committed, but acknowledged only once the messages
        // their commits released are recorded too: an in-process publisher
        // learns of the whole effect of what it published.
        let mut unacked = Vec::new();
        while !queue.is_empty() {
            let batch = batcher.begin().await?;
            let mut order = Order::default();
            let pause = match self.bus_batch(&batch, &mut queue, &mut order, &mut unacked).await {
                Ok(pause) => pause,
                Err(e) => {
                    batcher.rollback(batch).await;
                    return Err(e);
                }
            };
            if queue.is_empty() && pause.is_none() && next.is_empty() {
                take_queued(subscription, next);
                if !next.is_empty() {
                    let messages =
                        next.iter().flat_map(|d| d.events.iter().map(|e| (e.event_id, e.stream.clone()))).collect();
                    batch.look_up_next(&self.name, messages);
                }
            }
            // The messages held for the streams seen here that are next now:
            // first in line for the next batch (after a message to retry, of
            // another stream or the same message).
            let released = batcher.commit(batch, &self.name, &order.touched()).await?;
            if released.is_empty() {
                ack(&mut outstanding, &unacked);
                unacked.clear();
            }
            let retry = if pause.is_some() { queue.pop_front() } else { None };
            for event in released.into_iter().rev() {
                queue.push_front(Item::new(event, None));
            }
            if let Some(item) = retry {
                queue.push_front(item);
            }
            if let Some(pause) = pause {
                tokio::time::sleep(pause).await;
            }
        }
        Ok(())
    }

    /// One batch of bus messages from the front of `queue`. Returns the pause
    /// before the next batch if it stopped at a failing message (left at the
    /// front of `queue`).
    async fn bus_batch(
        &self,
        batch: &Batch,
        queue: &mut VecDeque<Item>,
        order: &mut Order,
        recorded: &mut Vec<Item>,
    ) -> Result<Option<Duration>, StoreError> {
        let keys: Vec<(Uuid, StreamId)> = queue.iter().map(|i| (i.event.event_id, i.event.stream.clone())).collect();
        let status = batch.inbox_status(&self.name, &keys).await?;
        for ((id, stream), (seen, last)) in keys.into_iter().zip(status) {
            if seen {
                order.seen.insert(id);
            }
            order.last.entry(stream).or_insert(last);
        }
        // A held message released within the batch goes first: it is next in
        // its stream.
        let mut front: VecDeque<Item> = VecDeque::new();
        while let Some(mut item) = front.pop_front().or_else(|| queue.pop_front()) {
            match self.bus_message(batch, &mut item, order, &mut front).await? {
                Handled::Recorded => recorded.push(item),
                Handled::Again(pause) => {
                    for later in front.into_iter().rev() {
                        queue.push_front(later);
                    }
                    queue.push_front(item);
                    return Ok(Some(pause));
                }
            }
        }
        Ok(None)
    }

    /// One bus message: dropped as a duplicate, held, or handled.
    async fn bus_message(
        &self,
        batch: &Batch,
        item: &mut Item,
        order: &mut Order,
        front: &mut VecDeque<Item>,
    ) -> Result<Handled, StoreError> {
        let event = &item.event;
        if order.seen.contains(&event.event_id) {
            return Ok(Handled::Recorded);
        }
        if let Some(seq) = event.public_seq {
            // Also after a duplicate or a hold: a message held behind a gap
            // that is closed meanwhile (after a failure) is released.
            order.touched.insert(event.stream.clone());
            let last = order.last.get(&event.stream).copied().unwrap_or(0);
            if seq <= last {
                return Ok(Handled::Recorded);
            }
            if seq > last + 1 {
                match batch.hold(&self.name, event).await? {
                    HoldOutcome::Held => {
                        tracing::debug!(consumer = %self.name, stream = %event.stream, seq, last, "holding until the gap is filled");
                        order.held.entry(event.stream.clone()).or_default().insert(seq, event.clone());
                        return Ok(Handled::Recorded);
                    }
                    HoldOutcome::Duplicate => return Ok(Handled::Recorded),
                    HoldOutcome::Next => {}
                }
            }
        }
        let mark = MarkKind::Inbox {
            consumer: self.name.clone(),
            message_id: event.event_id,
            stream: event.stream.clone(),
            seq: event.public_seq,
        };
        let handled = self.attempt(batch, item, mark).await?;
        if let Handled::Recorded = handled {
            let event = &item.event;
            order.seen.insert(event.event_id);
            if let Some(seq) = event.public_seq {
                order.last.insert(event.stream.clone(), seq);
                let next = order.held.get_mut(&event.stream).and_then(|h| h.remove(&(seq + 1)));
                if let Some(next) = next {
                    front.push_front(Item::new(next, None));
                }
            }
        }
        Ok(handled)
    }

    // ---- events from the store ----------------------------------------------

    /// Follows the store from the consumer's checkpoint, woken by commits.
    pub(super) async fn run_store(self, context: String, mut shutdown: watch::Receiver<bool>) {
        let store = self.rt.store().clone();
        let checkpoint = format!("consumer:{}", self.name);
        let mut batcher = store.batcher(self.consumer.batched());
        let mut commits = store.commits();
        let mut position = loop {
            match store.checkpoint(&checkpoint).await {
                Ok(p) => break p,
                Err(e) => {
                    tracing::warn!(consumer = %self.name, "cannot read checkpoint: {e}");
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
                    tracing::warn!(consumer = %self.name, "cannot read events: {e}");
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
            let mut queue: VecDeque<Item> = events.into_iter().map(|e| Item::new(e, None)).collect();
            while !queue.is_empty() {
                match self.store_batch(&mut batcher, &context, &checkpoint, &mut queue).await {
                    Ok((reached, pause)) => {
                        position = position.max(reached);
                        if let Some(pause) = pause {
                            tokio::time::sleep(pause).await;
                        }
                    }
                    Err(e) => {
                        // Read again from what was committed.
                        tracing::warn!(consumer = %self.name, "cannot record message: {e}");
                        tokio::time::sleep(STORE_BACKOFF).await;
                        break;
                    }
                }
            }
        }
    }

    /// One committed batch of store events from the front of `queue`: the
    /// position reached, and the pause before the next batch if it stopped at
    /// a failing event.
    async fn store_batch(
        &self,
        batcher: &mut Batcher,
        context: &str,
        checkpoint: &str,
        queue: &mut VecDeque<Item>,
    ) -> Result<(u64, Option<Duration>), StoreError> {
        let batch = batcher.begin().await?;
        let mut reached = 0;
        let mut pause = None;
        while let Some(mut item) = queue.pop_front() {
            if item.event.context != context {
                // Another context's event: not ours to see. The checkpoint
                // moves with our next event.
                reached = item.event.position;
                continue;
            }
            let mark = MarkKind::Checkpoint { name: checkpoint.to_owned(), position: item.event.position };
            match self.attempt(&batch, &mut item, mark).await {
                Ok(Handled::Recorded) => reached = item.event.position,
                Ok(Handled::Again(p)) => {
                    queue.push_front(item);
                    pause = Some(p);
                    break;
                }
                Err(e) => {
                    batcher.rollback(batch).await;
                    return Err(e);
                }
            }
        }
        batcher.commit(batch, &self.name, &[]).await?;
        Ok((reached, pause))
    }
}

/// Adds the deliveries queued already (never waits) to `taken`, up to
/// [`MAX_BATCH`] messages in all.
fn take_queued(subscription: &mut Subscription, taken: &mut Vec<Delivery>) {
    let mut count: usize = taken.iter().map(|d| d.events.len()).sum();
    while count < MAX_BATCH {
        let Some(more) = subscription.try_next() else { break };
        count += more.events.len();
        taken.push(more);
    }
}

/// What a batch knows of the order of its messages' streams.
#[derive(Default)]
struct Order {
    /// Message ids recorded (before or in this batch).
    seen: HashSet<Uuid>,
    /// Per stream, the last sequence processed.
    last: HashMap<StreamId, u64>,
    /// Messages this batch held, per stream and sequence.
    held: HashMap<StreamId, BTreeMap<u64, Envelope>>,
    /// Streams whose held messages are to be looked up at the commit.
    touched: HashSet<StreamId>,
}

impl Order {
    /// The streams touched, each with its last sequence.
    fn touched(&self) -> Vec<(StreamId, u64)> {
        self.touched.iter().map(|s| (s.clone(), self.last.get(s).copied().unwrap_or(0))).collect()
    }
}
