//! The [`Runtime`]: one handle that ties the store, the bus, the inline
//! projections and the hooks together. Generated code builds one at start-up
//! and goes through it for everything.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::bus::{EventBus, InProcessBus};
use crate::cache::StateCache;
use crate::envelope::StreamId;
use crate::error::StoreError;
use crate::outbox::relay;
use crate::projection::Projection;
use crate::store::Store;

/// Who issues a command: filled in by the HTTP layer from the caller's
/// credentials, checked by the [`Authorizer`] hook.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    /// The caller's id.
    pub id: String,
    /// The caller's roles, matched against the actors a model allows for a
    /// command.
    pub roles: Vec<String>,
}

/// What the [`Authorizer`] is asked about.
#[derive(Clone, Copy, Debug)]
pub struct AuthRequest<'a> {
    /// The aggregate's context.
    pub context: &'a str,
    /// The aggregate type.
    pub aggregate_type: &'a str,
    /// The command type.
    pub command_type: &'a str,
    /// The caller, if known.
    pub actor: Option<&'a Actor>,
}

/// Hook: may the caller issue this command? (The generator will implement it
/// from the actors the model names for each command.)
pub trait Authorizer: Send + Sync + 'static {
    /// `Err(reason)` refuses the command with
    /// [`CommandError::Forbidden`](crate::CommandError::Forbidden).
    fn authorize(&self, request: &AuthRequest<'_>) -> Result<(), String>;
}

/// The default [`Authorizer`]: allows everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(&self, _request: &AuthRequest<'_>) -> Result<(), String> {
        Ok(())
    }
}

/// Hook on the payload path, e.g. to encrypt `pii` fields with a per-aggregate
/// key (crypto-shredding). `encode` runs before an event is stored, `decode`
/// after it is loaded for an aggregate. Projections and consumers receive the
/// stored form.
pub trait PayloadCodec: Send + Sync + 'static {
    /// Transforms a payload before it is stored.
    fn encode(
        &self,
        stream: &StreamId,
        event_type: &str,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, String>;
    /// Reverses [`encode`](PayloadCodec::encode) after loading.
    fn decode(
        &self,
        stream: &StreamId,
        event_type: &str,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, String>;
}

/// The default [`PayloadCodec`]: stores payloads as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlainPayload;

impl PayloadCodec for PlainPayload {
    fn encode(&self, _: &StreamId, _: &str, payload: serde_json::Value) -> Result<serde_json::Value, String> {
        Ok(payload)
    }
    fn decode(&self, _: &StreamId, _: &str, payload: serde_json::Value) -> Result<serde_json::Value, String> {
        Ok(payload)
    }
}

/// How consumers retry.
#[derive(Clone, Copy, Debug)]
pub struct ConsumerOptions {
    /// Attempts at one message before it is dead-lettered.
    pub max_attempts: u32,
    /// Pause after the first failed attempt; doubled after each further one.
    pub retry_backoff: std::time::Duration,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        ConsumerOptions { max_attempts: 5, retry_backoff: std::time::Duration::from_millis(20) }
    }
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) bus: Arc<dyn EventBus>,
    pub(crate) inline: Arc<[Arc<dyn Projection>]>,
    pub(crate) snapshot_every: u64,
    pub(crate) max_conflict_retries: u32,
    pub(crate) consumer_options: ConsumerOptions,
    pub(crate) authorizer: Arc<dyn Authorizer>,
    pub(crate) codec: Arc<dyn PayloadCodec>,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) states: StateCache,
    /// Commands on one stream from this runtime take turns (striped by hash):
    /// with group commit, letting them race would make all but one per
    /// commit conflict and retry. Conflicts remain possible (and handled)
    /// between runtimes or processes sharing a store.
    pub(crate) stream_locks: Box<[tokio::sync::Mutex<()>]>,
}

/// Number of lock stripes for per-stream command serialization.
const STREAM_LOCKS: usize = 1024;

impl Inner {
    pub(crate) fn stream_lock(&self, stream: &StreamId) -> &tokio::sync::Mutex<()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(stream);
        &self.stream_locks[(hash % self.stream_locks.len() as u64) as usize]
    }
}

/// The runtime handle: cheap to clone, shared by HTTP handlers and tasks.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<Inner>,
}

/// Configures a [`Runtime`].
pub struct RuntimeBuilder {
    store: Store,
    bus: Option<Arc<dyn EventBus>>,
    inline: Vec<Arc<dyn Projection>>,
    snapshot_every: u64,
    max_conflict_retries: u32,
    consumer_options: ConsumerOptions,
    authorizer: Arc<dyn Authorizer>,
    codec: Arc<dyn PayloadCodec>,
    state_cache: usize,
}

impl RuntimeBuilder {
    /// How many aggregate states to keep in memory (default 10,000; 0 turns
    /// the cache off). Commands on a cached aggregate skip the load.
    pub fn state_cache(mut self, entries: usize) -> Self {
        self.state_cache = entries;
        self
    }

    /// The bus public events are relayed to (default: a new [`InProcessBus`]).
    pub fn bus(mut self, bus: Arc<dyn EventBus>) -> Self {
        self.bus = Some(bus);
        self
    }

    /// Adds a projection updated in the same transaction as the events it
    /// reads (it sees the events of every context in this store).
    pub fn inline_projection(mut self, projection: impl Projection) -> Self {
        self.inline.push(Arc::new(projection));
        self
    }

    /// Writes a snapshot when a stream crosses a multiple of `n` events
    /// (default 100; 0 turns snapshots off).
    pub fn snapshot_every(mut self, n: u64) -> Self {
        self.snapshot_every = n;
        self
    }

    /// How often a command is decided again after a version conflict
    /// (default 10).
    pub fn max_conflict_retries(mut self, n: u32) -> Self {
        self.max_conflict_retries = n;
        self
    }

    /// Retry policy of consumers (policies, bus projections).
    pub fn consumer_options(mut self, options: ConsumerOptions) -> Self {
        self.consumer_options = options;
        self
    }

    /// The authorization hook (default [`AllowAll`]).
    pub fn authorizer(mut self, authorizer: impl Authorizer) -> Self {
        self.authorizer = Arc::new(authorizer);
        self
    }

    /// The payload hook (default [`PlainPayload`]).
    pub fn payload_codec(mut self, codec: impl PayloadCodec) -> Self {
        self.codec = Arc::new(codec);
        self
    }

    /// Builds the runtime and brings every inline projection up to the head of
    /// the store (a projection added to an existing store is filled here).
    pub async fn build(self) -> Result<Runtime, StoreError> {
        let (shutdown, _) = watch::channel(false);
        let rt = Runtime {
            inner: Arc::new(Inner {
                store: self.store,
                bus: self.bus.unwrap_or_else(|| Arc::new(InProcessBus::new()) as Arc<dyn EventBus>),
                inline: self.inline.into(),
                snapshot_every: self.snapshot_every,
                max_conflict_retries: self.max_conflict_retries,
                consumer_options: self.consumer_options,
                authorizer: self.authorizer,
                codec: self.codec,
                shutdown,
                states: StateCache::new(self.state_cache),
                stream_locks: (0..STREAM_LOCKS).map(|_| tokio::sync::Mutex::new(())).collect(),
            }),
        };
        for projection in rt.inner.inline.iter() {
            rt.catch_up(projection.clone()).await?;
        }
        Ok(rt)
    }
}

impl Runtime {
    /// Starts configuring a runtime over `store`.
    pub fn builder(store: Store) -> RuntimeBuilder {
        RuntimeBuilder {
            store,
            bus: None,
            inline: Vec::new(),
            snapshot_every: 100,
            max_conflict_retries: 10,
            consumer_options: ConsumerOptions::default(),
            authorizer: Arc::new(AllowAll),
            codec: Arc::new(PlainPayload),
            state_cache: 10_000,
        }
    }

    /// The store (read models, checkpoints, dead letters).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The bus.
    pub fn bus(&self) -> &Arc<dyn EventBus> {
        &self.inner.bus
    }

    /// Starts the outbox relay. Start it after the bus subscribers (consumers
    /// with [`Source::Bus`](crate::Source::Bus)) are spawned.
    pub fn spawn_relay(&self) -> JoinHandle<()> {
        tokio::spawn(relay::run(self.inner.store.clone(), self.inner.bus.clone(), self.shutdown_signal()))
    }

    /// Asks every task this runtime spawned to stop after its current message.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// Replays the store into a projection until it reaches the head; returns
    /// the number of events read. Each batch and the checkpoint commit
    /// together.
    pub async fn catch_up(&self, projection: Arc<dyn Projection>) -> Result<u64, StoreError> {
        const BATCH: usize = 16_384;
        self.inner.store.catch_up(projection, BATCH).await
    }

    /// Deletes a projection's documents and replays the whole store into it.
    /// A replay writes only documents and the checkpoint: no outbox row, no
    /// policy runs. Works for inline projections while commands run (they
    /// skip the projection until the replay reaches the head).
    pub async fn rebuild_projection(&self, projection: Arc<dyn Projection>) -> Result<u64, StoreError> {
        self.inner.store.reset_projection(projection.name()).await?;
        self.catch_up(projection).await
    }

    /// The inline projection registered under `name`.
    pub fn inline_projection(&self, name: &str) -> Option<Arc<dyn Projection>> {
        self.inner.inline.iter().find(|p| p.name() == name).cloned()
    }
}
