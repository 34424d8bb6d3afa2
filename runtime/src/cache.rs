//! A bounded in-memory cache of aggregate states.
//!
//! The command path decides on the cached state and appends with the cached
//! version as the expected version: the store's optimistic concurrency check
//! is what keeps this correct, so a stale entry costs only a retry. On the
//! happy path a command therefore does no read at all, only its write.
//! Negative answers (domain errors, not found, version mismatch) are never
//! given from the cache: the runtime reloads from the store and decides again
//! first.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::envelope::StreamId;

struct Entry {
    schema: u32,
    version: u64,
    state: Arc<dyn Any + Send + Sync>,
}

pub(crate) struct StateCache {
    entries: Mutex<HashMap<StreamId, Entry>>,
    capacity: usize,
}

impl StateCache {
    pub(crate) fn new(capacity: usize) -> Self {
        StateCache { entries: Mutex::new(HashMap::new()), capacity }
    }

    /// The cached state of `stream`, if it was cached under `schema`.
    pub(crate) fn get<S: Clone + 'static>(&self, stream: &StreamId, schema: u32) -> Option<(S, u64)> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(stream)?;
        if entry.schema != schema {
            return None;
        }
        let state = entry.state.downcast_ref::<S>()?;
        Some((state.clone(), entry.version))
    }

    /// Caches a state, unless a newer version is cached already.
    pub(crate) fn put<S: Send + Sync + 'static>(&self, stream: &StreamId, schema: u32, version: u64, state: S) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if let Some(existing) = entries.get(stream) {
            if existing.schema == schema && existing.version >= version {
                return;
            }
        } else if entries.len() >= self.capacity {
            // Crude but bounded: start over rather than track recency.
            entries.clear();
        }
        entries.insert(stream.clone(), Entry { schema, version, state: Arc::new(state) });
    }

    pub(crate) fn remove(&self, stream: &StreamId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(stream);
        }
    }
}
