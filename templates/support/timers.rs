//! Timers of scheduled commands that act on every aggregate of a type (a
//! `schedule` on a command that does not create). The aggregates are listed
//! by a registry: an inline projection with one empty document per
//! aggregate, written in the transaction that creates it.

use std::time::Duration;

use squall_runtime::serde_json::json;
use squall_runtime::{
    Aggregate, AggregateId, CommandContext, Cron, Envelope, Projection, ProjectionUpdate, Runtime, Timestamp,
    timer_command_id,
};
use tokio::task::JoinHandle;

/// The registry of the aggregates of one type.
pub struct Registry {
    /// The projection's name (unique within the store).
    pub name: &'static str,
    /// The aggregate type it lists.
    pub aggregate_type: &'static str,
}

impl Projection for Registry {
    fn name(&self) -> &str {
        self.name
    }

    fn key(&self, event: &Envelope) -> Option<String> {
        (event.stream.aggregate_type == self.aggregate_type && event.version == 1)
            .then(|| event.stream.aggregate_id.to_string())
    }

    fn apply(&self, current: Option<squall_runtime::serde_json::Value>, _event: &Envelope) -> ProjectionUpdate {
        match current {
            Some(_) => ProjectionUpdate::Unchanged,
            None => ProjectionUpdate::Upsert(json!({})),
        }
    }
}

const PAGE: usize = 500;

/// At every tick of `cron`, issues `make()` on every aggregate the registry
/// lists. Each (tick, aggregate) has its own derived command id, so a tick
/// never acts twice on one aggregate, even from two processes.
pub fn every_aggregate<A: Aggregate>(
    rt: &Runtime,
    name: &'static str,
    cron: Cron,
    registry: &'static str,
    make: fn() -> A::Command,
) -> JoinHandle<()> {
    let rt = rt.clone();
    tokio::spawn(async move {
        let mut after = Timestamp::now();
        loop {
            let Some(tick) = cron.next_after(after) else {
                tracing::warn!(timer = name, "schedule never fires again");
                return;
            };
            let wait = (tick.as_micros() - Timestamp::now().as_micros()).max(0) as u64;
            tokio::time::sleep(Duration::from_micros(wait)).await;
            after = tick;
            let mut last: Option<String> = None;
            loop {
                let page = match rt.store().read_models(registry, last.as_deref(), PAGE).await {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::warn!(timer = name, "cannot list aggregates: {e}");
                        break;
                    }
                };
                for (id, _) in &page {
                    let command_id = timer_command_id(&format!("{name}/{id}"), tick);
                    let ctx = CommandContext::new().with_command_id(command_id);
                    if let Err(e) = rt.execute::<A>(AggregateId::new(id.clone()), make(), ctx).await {
                        tracing::warn!(timer = name, aggregate = %id, "scheduled command failed: {e}");
                    }
                }
                if page.len() < PAGE {
                    break;
                }
                last = page.last().map(|(id, _)| id.clone());
            }
        }
    })
}
