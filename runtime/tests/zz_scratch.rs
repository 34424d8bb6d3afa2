#![cfg(all(feature = "postgres", feature = "nats"))]
mod common;
mod servers;
use std::sync::Arc;
use std::time::{Duration, Instant};
use servers::{TestSchema, TestStream};
use squall_runtime::{Runtime, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scratch_relay_speed() {
    let schema = TestSchema::new("scratch").await;
    let stream = TestStream::new("scratch").await;
    let store = Store::open(&schema.url()).await.unwrap();
    let client = schema.client().await;
    client.batch_execute("BEGIN;
     INSERT INTO events (position, tx_id, event_id, context, aggregate_type, aggregate_id, version,
       public_seq, event_type, schema_version, occurred_at, correlation_id, causation_id,
       command_id, payload)
     SELECT (pg_current_xact_id()::text::bigint << 16) + g, pg_current_xact_id(), u, 'bench',
       'Seed', 'seed-' || (g % 100), g / 100 + 1, g / 100 + 1,
       'Added', 1, 0, u, u, u, '{\"type\":\"Added\",\"by\":1}'::jsonb
     FROM generate_series(0, 9999) g, LATERAL (SELECT gen_random_uuid() AS u) r;
     INSERT INTO outbox (position) SELECT position FROM events WHERE tx_id = pg_current_xact_id();
     COMMIT;").await.unwrap();
    let t = Instant::now();
    let b = store.read_all(0, 1024).await.unwrap();
    eprintln!("read {} in {:?}", b.len(), t.elapsed());
    let bus = stream.bus().await;
    use squall_runtime::EventBus;
    let t = Instant::now();
    bus.publish(&b).await.unwrap();
    eprintln!("publish {} in {:?}", b.len(), t.elapsed());
    let t = Instant::now();
    bus.publish(&b).await.unwrap();
    eprintln!("republish {} in {:?}", b.len(), t.elapsed());
    let rt = Runtime::builder(store.clone()).bus(Arc::new(bus)).build().await.unwrap();
    let t = Instant::now();
    rt.spawn_relay();
    while store.stats().await.unwrap().outbox > 0 && t.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("relay 10000 in {:?}", t.elapsed());
}
