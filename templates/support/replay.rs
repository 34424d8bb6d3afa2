//! Rebuilding read models. A read model's own context's events are in its
//! own store and replay with [`Runtime::rebuild_projection`]; the public
//! events of other contexts it is built from are not, so the host (which has
//! every context's store at hand) reads them from their contexts' stores.

use std::sync::Arc;

use squall_runtime::uuid::Uuid;
use squall_runtime::{Mark, Projection, Runtime, Store, StoreError};

const BATCH: usize = 1024;

/// Applies the public events of `upstream` (another context's store) that the
/// projection keys to the projection's documents in `rt`'s store. Each event
/// is recorded under a checkpoint of this run only, so that a replay never
/// collides with the live consumer's inbox. Returns the number applied.
pub async fn from_upstream(rt: &Runtime, upstream: &Store, projection: Arc<dyn Projection>) -> Result<u64, StoreError> {
    let checkpoint = format!("replay:{}:{}", projection.name(), Uuid::now_v7());
    let mut after = 0;
    let mut applied = 0;
    loop {
        let events = upstream.read_all(after, BATCH).await?;
        let Some(last) = events.last() else { return Ok(applied) };
        after = last.position;
        for event in events {
            if !event.is_public() || projection.key(&event).is_none() {
                continue;
            }
            let mark = Mark::checkpoint(checkpoint.clone(), event.position);
            rt.store().apply_projection(projection.clone(), event, mark).await?;
            applied += 1;
        }
    }
}
