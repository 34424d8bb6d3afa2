//! Helpers of the generated tests: given/when/then on an aggregate's pure
//! functions, and a bounded wait for events that arrive eventually.

use std::time::{Duration, Instant};

use squall_runtime::uuid::Uuid;
use squall_runtime::{Aggregate, AggregateId, Envelope, Store};

/// Given these past events, when this command arrives: the events the
/// aggregate decides, or its domain error. Pure: no store is involved.
pub fn given_when<A: Aggregate>(
    given: &[A::Event],
    id: &AggregateId,
    command: &A::Command,
) -> Result<Vec<A::Event>, A::Error> {
    let state = given.iter().fold(A::State::default(), A::evolve);
    A::decide(&state, id, command)
}

/// How long [`wait_for_flow`] waits for policies and read models to catch up.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// Waits until the events of `steps` — (context, event type) pairs, in flow
/// order — have appeared with the given correlation id, each context's in
/// increasing position order. Returns the matched envelopes, or after
/// [`PATIENCE`] a description of the first step that never came.
pub async fn wait_for_flow(
    stores: &[(&str, &Store)],
    correlation: Uuid,
    steps: &[(&str, &str)],
) -> Result<Vec<Envelope>, String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut seen: Vec<(&str, Vec<Envelope>)> = Vec::new();
        for (context, store) in stores {
            let events = read_everything(store).await.map_err(|e| format!("cannot read {context}: {e}"))?;
            seen.push((context, events.into_iter().filter(|e| e.correlation_id == correlation).collect()));
        }
        match match_steps(&seen, steps) {
            Ok(found) => return Ok(found),
            Err(missing) if Instant::now() >= deadline => {
                return Err(format!("after {PATIENCE:?}: {missing}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
}

async fn read_everything(store: &Store) -> Result<Vec<Envelope>, squall_runtime::StoreError> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map_or(0, |e: &Envelope| e.position);
        let batch = store.read_all(after, 1024).await?;
        if batch.is_empty() {
            return Ok(all);
        }
        all.extend(batch);
    }
}

fn match_steps(seen: &[(&str, Vec<Envelope>)], steps: &[(&str, &str)]) -> Result<Vec<Envelope>, String> {
    let mut cursor: Vec<u64> = vec![0; seen.len()];
    let mut found = Vec::new();
    for (i, (context, event_type)) in steps.iter().enumerate() {
        let Some(c) = seen.iter().position(|(name, _)| name == context) else {
            return Err(format!("step {}: no store for context {context}", i + 1));
        };
        let next = seen[c].1.iter().find(|e| e.position > cursor[c] && e.event_type == *event_type);
        let Some(event) = next else {
            return Err(format!("step {}: {context}.{event_type} has not appeared", i + 1));
        };
        cursor[c] = event.position;
        found.push(event.clone());
    }
    Ok(found)
}

/// Waits until an aggregate of `aggregate_type` in `context` has an event
/// with the correlation id (one that a policy made along a flow) and returns
/// its id, or after [`PATIENCE`] says it never came.
pub async fn find_aggregate(
    stores: &[(&str, &Store)],
    correlation: Uuid,
    context: &str,
    aggregate_type: &str,
) -> Result<AggregateId, String> {
    let Some((_, store)) = stores.iter().find(|(name, _)| *name == context) else {
        return Err(format!("no store for context {context}"));
    };
    let deadline = Instant::now() + PATIENCE;
    loop {
        let events = read_everything(store).await.map_err(|e| format!("cannot read {context}: {e}"))?;
        let found = events
            .iter()
            .rev()
            .find(|e| e.correlation_id == correlation && e.stream.aggregate_type == aggregate_type);
        if let Some(event) = found {
            return Ok(event.stream.aggregate_id.clone());
        }
        if Instant::now() >= deadline {
            return Err(format!("after {PATIENCE:?}: no {context}.{aggregate_type} appeared"));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
