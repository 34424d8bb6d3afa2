//! Consumers on the bus: duplicates, out-of-order delivery, poison messages.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use squall_runtime::serde_json::{Value, json};
use squall_runtime::uuid::Uuid;
use squall_runtime::{
    AggregateId, ConsumeError, Consumer, ConsumerOptions, Envelope, EventBus, InProcessBus, Mark, Runtime, Source,
    Store, StoreError, StreamId, Timestamp,
};

/// A public event of another context ("shop") as it would come off the bus.
fn message(stream: &str, seq: u64, payload: Value) -> Envelope {
    Envelope {
        event_id: Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("{stream}/{seq}").as_bytes()),
        context: "shop".into(),
        stream: StreamId::new("Account", AggregateId::new(stream)),
        version: seq,
        position: seq,
        public_seq: Some(seq),
        event_type: "Deposited".into(),
        schema_version: 1,
        occurred_at: Timestamp::now(),
        correlation_id: Uuid::nil(),
        causation_id: Uuid::nil(),
        command_id: Uuid::nil(),
        payload,
    }
}

async fn setup(name: &str, options: ConsumerOptions) -> (Runtime, InProcessBus, std::path::PathBuf) {
    let dir = temp_dir(name);
    let store = Store::open(dir.join("s.db").to_str().unwrap()).await.unwrap();
    let bus = InProcessBus::new();
    let rt = Runtime::builder(store).bus(Arc::new(bus.clone())).consumer_options(options).build().await.unwrap();
    (rt, bus, dir)
}

async fn seqs(rt: &Runtime, projection: &str, key: &str) -> Vec<u64> {
    match rt.store().read_model(projection, key).await.unwrap() {
        Some(doc) => doc["seqs"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect(),
        None => Vec::new(),
    }
}

#[tokio::test]
async fn duplicate_and_out_of_order_delivery_has_effects_once_and_in_order() {
    let (rt, bus, dir) = setup("reorder", ConsumerOptions::default()).await;
    rt.spawn_projection(Ledger("ledger"), Source::Bus { context: "bank-reports".into() }).unwrap();
    let m = |s: &str, n: u64| message(s, n, json!({"amount": n}));
    // Stream a: 1, 3, 3, 2, 1, 5, 4, 2 — stream b: 2, 1, 1.
    let deliveries: Vec<Vec<Envelope>> = vec![
        vec![m("a", 1), m("a", 3)],
        vec![m("b", 2)],
        vec![m("a", 3), m("a", 2), m("b", 1)],
        vec![m("a", 1)],
        vec![m("a", 5), m("b", 1)],
        vec![m("a", 4), m("a", 2)],
    ];
    for d in &deliveries {
        bus.publish(d).await.unwrap();
    }
    assert_eq!(seqs(&rt, "ledger", "a").await, vec![1, 2, 3, 4, 5]);
    assert_eq!(seqs(&rt, "ledger", "b").await, vec![1, 2]);
    let a = rt.store().read_model("ledger", "a").await.unwrap().unwrap();
    assert_eq!(a["balance"], json!(15));
    // Redelivering everything changes nothing.
    for d in &deliveries {
        bus.publish(d).await.unwrap();
    }
    assert_eq!(seqs(&rt, "ledger", "a").await, vec![1, 2, 3, 4, 5]);
    assert_eq!(seqs(&rt, "ledger", "b").await, vec![1, 2]);
    rt.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}

/// Applies messages to the ledger, but always fails on `{"poison": true}`.
struct Picky;

impl Consumer for Picky {
    fn name(&self) -> &str {
        "picky"
    }
    async fn handle(&self, rt: &Runtime, event: &Envelope, mark: Mark) -> Result<(), ConsumeError> {
        if event.payload["poison"] == json!(true) {
            return Err(ConsumeError::Retry("cannot digest this".into()));
        }
        match rt.store().apply_projection(Arc::new(Ledger("picky_ledger")), event.clone(), mark).await {
            Ok(()) | Err(StoreError::DuplicateMessage) => Ok(()),
            Err(e) => Err(ConsumeError::Retry(e.to_string())),
        }
    }
}

#[tokio::test]
async fn a_poison_message_is_dead_lettered_and_the_consumer_goes_on() {
    let options = ConsumerOptions { max_attempts: 3, retry_backoff: Duration::from_millis(1) };
    let (rt, bus, dir) = setup("poison", options).await;
    rt.spawn_consumer(Picky, Source::Bus { context: "audit".into() }).unwrap();
    let batch = vec![
        message("p", 1, json!({"amount": 1})),
        message("p", 2, json!({"poison": true})),
        message("p", 3, json!({"amount": 3})),
        message("q", 1, json!({"amount": 7})),
    ];
    bus.publish(&batch).await.unwrap();
    assert_eq!(seqs(&rt, "picky_ledger", "p").await, vec![1, 3]);
    assert_eq!(seqs(&rt, "picky_ledger", "q").await, vec![1]);
    let dead = rt.store().dead_letters(Some("picky")).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].envelope, batch[1]);
    assert_eq!(dead[0].attempts, 3);
    assert!(dead[0].error.contains("cannot digest"));
    // Redelivery of the poison message does not dead-letter it twice.
    bus.publish(&batch[1..2]).await.unwrap();
    assert_eq!(rt.store().dead_letters(None).await.unwrap().len(), 1);
    // And the consumer is still alive.
    bus.publish(&[message("p", 4, json!({"amount": 4}))]).await.unwrap();
    assert_eq!(seqs(&rt, "picky_ledger", "p").await, vec![1, 3, 4]);
    rt.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}
