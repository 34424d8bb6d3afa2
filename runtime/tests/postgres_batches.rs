//! Consumer batches on PostgreSQL: the messages a consumer has received are
//! handled in one transaction, with duplicates dropped, gaps held and
//! released, rejected messages dead-lettered, and the commands of the batch
//! never waiting for a command that waits for the batch.
#![cfg(all(feature = "postgres", feature = "nats"))]

mod common;
mod servers;

use std::collections::HashSet;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use servers::TestSchema;
use squall_runtime::serde_json::json;
use squall_runtime::uuid::Uuid;
use squall_runtime::{
    AggregateId, CommandContext, ConsumeError, Consumer, ConsumerOptions, Envelope, EventBus, InProcessBus, Mark,
    Policy, Runtime, Source, Store, StoreError, StreamId, Timestamp,
};

/// A public event of another context ("shop") as it would come off the bus:
/// the `seq`-th of stream `stream`, asking for a deposit of `amount`.
fn message(stream: &str, seq: u64, amount: i64) -> Envelope {
    Envelope {
        event_id: Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("{stream}/{seq}").as_bytes()),
        context: "shop".into(),
        stream: StreamId::new("Order", AggregateId::new(stream)),
        version: seq,
        position: seq,
        public_seq: Some(seq),
        event_type: "Paid".into(),
        schema_version: 1,
        occurred_at: Timestamp::now(),
        correlation_id: Uuid::nil(),
        causation_id: Uuid::nil(),
        command_id: Uuid::nil(),
        payload: json!({ "amount": amount }),
    }
}

/// The account a stream of orders credits.
fn credited(stream: &str) -> AggregateId {
    AggregateId::new(format!("credit-{stream}"))
}

/// Credits each paid order's amount to the account of its stream (a zero
/// amount is refused by the account: the message is rejected; a negative one
/// is ignored: the policy only records the message). Before
/// reacting to the message named in `gate`, the first time, it says so and
/// waits until told to go on.
struct Credit {
    gate: Option<Gate>,
}

struct Gate {
    message: Uuid,
    reached: mpsc::Sender<()>,
    go: Mutex<Option<mpsc::Receiver<()>>>,
}

impl Policy for Credit {
    type Target = Account;
    fn name(&self) -> &str {
        "credit"
    }
    fn react(&self, event: &Envelope) -> Option<(AggregateId, AccountCommand)> {
        if let Some(gate) = self.gate.as_ref().filter(|g| g.message == event.event_id) {
            let go = gate.go.lock().ok().and_then(|mut go| go.take());
            if let Some(go) = go {
                let _ = gate.reached.send(());
                let _ = go.recv_timeout(Duration::from_secs(20));
            }
        }
        let amount = event.payload["amount"].as_i64().unwrap_or(0);
        (amount >= 0).then(|| (credited(event.stream.aggregate_id.as_str()), AccountCommand::Deposit { amount }))
    }
}

async fn setup(schema: &TestSchema, streams: &[&str], gate: Option<Gate>) -> (Runtime, InProcessBus) {
    let store = Store::open(&schema.url()).await.expect("open store");
    let bus = InProcessBus::new();
    let rt = Runtime::builder(store).bus(Arc::new(bus.clone())).build().await.expect("runtime");
    for s in streams {
        let open = AccountCommand::Open { owner: (*s).to_owned() };
        rt.execute::<Account>(credited(s), open, CommandContext::new()).await.expect("open");
    }
    rt.spawn_policy(Credit { gate }, Source::Bus { context: "bank".into() }).expect("subscribe");
    (rt, bus)
}

/// The amounts deposited on the account of `stream`, in order.
async fn deposits(rt: &Runtime, stream: &str) -> Vec<i64> {
    let events = rt.store().read_stream(&StreamId::new("Account", credited(stream))).await.expect("stream");
    events.iter().filter(|e| e.event_type == "Deposited").filter_map(|e| e.payload["amount"].as_i64()).collect()
}

/// How many transactions appended the deposits on the accounts of `streams`.
async fn deposit_transactions(schema: &TestSchema, streams: &[&str]) -> i64 {
    let ids: Vec<String> = streams.iter().map(|s| credited(s).to_string()).collect();
    let row = schema
        .client()
        .await
        .query_one(
            "SELECT count(DISTINCT tx_id::text) FROM events WHERE event_type = 'Deposited' AND aggregate_id = ANY($1)",
            &[&ids],
        )
        .await
        .expect("count");
    row.get(0)
}

async fn count(schema: &TestSchema, table: &str) -> i64 {
    let row = schema.client().await.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.expect("count");
    row.get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_duplicates_and_gaps_is_applied_once_in_order_in_one_transaction() {
    let schema = TestSchema::new("batch_order").await;
    let (rt, bus) = setup(&schema, &["a", "b"], None).await;
    // One delivery: stream a arrives as 1, 3, 1, 2, 4 and stream b as 2, 1.
    let delivery =
        vec![message("a", 1, 1), message("a", 3, 3), message("a", 1, 1), message("a", 2, 2), message("b", 2, 20)];
    let delivery: Vec<Envelope> = delivery.into_iter().chain([message("b", 1, 10), message("a", 4, 4)]).collect();
    bus.publish(&delivery).await.expect("publish");
    assert_eq!(deposits(&rt, "a").await, vec![1, 2, 3, 4]);
    assert_eq!(deposits(&rt, "b").await, vec![10, 20]);
    assert_eq!(deposit_transactions(&schema, &["a", "b"]).await, 1, "the batch committed once");
    assert_eq!(count(&schema, "inbox_held").await, 0, "the held messages were released");
    assert_eq!(count(&schema, "inbox").await, 6);
    // Delivered again, in another order: nothing happens.
    let again: Vec<Envelope> = delivery.iter().rev().cloned().collect();
    bus.publish(&again).await.expect("publish again");
    assert_eq!(deposits(&rt, "a").await, vec![1, 2, 3, 4]);
    assert_eq!(deposits(&rt, "b").await, vec![10, 20]);
    rt.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_closed_by_a_later_delivery_is_released_before_that_delivery_is_acknowledged() {
    let schema = TestSchema::new("batch_gap").await;
    let (rt, bus) = setup(&schema, &["c"], None).await;
    bus.publish(&[message("c", 2, 2), message("c", 3, 3)]).await.expect("publish");
    assert_eq!(deposits(&rt, "c").await, Vec::<i64>::new(), "held behind the gap");
    assert_eq!(count(&schema, "inbox_held").await, 2);
    // The publisher hears back only once the held messages are applied too.
    bus.publish(&[message("c", 1, 1)]).await.expect("publish");
    assert_eq!(deposits(&rt, "c").await, vec![1, 2, 3]);
    assert_eq!(count(&schema, "inbox_held").await, 0);
    rt.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_message_is_dead_lettered_in_the_batch_and_its_stream_goes_on() {
    let schema = TestSchema::new("batch_dead").await;
    let (rt, bus) = setup(&schema, &["d"], None).await;
    // The account refuses a deposit of 0: the policy's command is rejected.
    let delivery = [message("d", 1, 1), message("d", 3, 3), message("d", 2, 0), message("d", 4, 4)];
    bus.publish(&delivery).await.expect("publish");
    assert_eq!(deposits(&rt, "d").await, vec![1, 3, 4]);
    let dead = rt.store().dead_letters(Some("credit")).await.expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].envelope, delivery[2]);
    assert_eq!(dead[0].attempts, 1, "a rejection is not retried");
    assert_eq!(deposit_transactions(&schema, &["d"]).await, 1);
    rt.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_without_effects_are_recorded_by_the_batch_commit_in_order() {
    let schema = TestSchema::new("batch_marks").await;
    let (rt, bus) = setup(&schema, &["e", "f"], None).await;
    // e: 1 and 3 credit, 2 is ignored; f: only ignored messages, 2 before 1.
    let delivery = [message("e", 1, 1), message("f", 2, -1), message("e", 2, -1), message("f", 1, -1)];
    bus.publish(&delivery).await.expect("publish");
    bus.publish(&[message("e", 3, 3), message("f", 3, -1), message("e", 2, -1)]).await.expect("publish");
    assert_eq!(deposits(&rt, "e").await, vec![1, 3]);
    assert_eq!(count(&schema, "inbox").await, 6, "every message recorded once");
    assert_eq!(count(&schema, "inbox_held").await, 0);
    let client = schema.client().await;
    let seqs = client
        .query("SELECT aggregate_id, seq FROM inbox_streams ORDER BY aggregate_id", &[])
        .await
        .expect("streams")
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect::<Vec<_>>();
    assert_eq!(seqs, vec![("e".to_owned(), 3), ("f".to_owned(), 3)]);
    rt.shutdown();
}

/// Records each message with nothing else, but fails the first attempt at
/// every message after making its mark; notes the messages it handled.
struct Flaky {
    failed: Mutex<HashSet<Uuid>>,
    handled: Arc<Mutex<HashSet<Uuid>>>,
}

impl Consumer for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }
    async fn handle(&self, rt: &Runtime, event: &Envelope, mark: Mark) -> Result<(), ConsumeError> {
        match rt.store().commit_mark(mark).await {
            Ok(()) | Err(StoreError::DuplicateMessage) => {}
            Err(e) => return Err(ConsumeError::Retry(e.to_string())),
        }
        let first = self.failed.lock().map(|mut f| f.insert(event.event_id)).unwrap_or(false);
        if first {
            return Err(ConsumeError::Retry("not this time".into()));
        }
        if let Ok(mut handled) = self.handled.lock() {
            handled.insert(event.event_id);
        }
        Ok(())
    }
    fn batched(&self) -> bool {
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_attempt_undoes_the_mark_it_made() {
    let schema = TestSchema::new("batch_undo").await;
    let store = Store::open(&schema.url()).await.expect("open store");
    let bus = InProcessBus::new();
    let options = ConsumerOptions { max_attempts: 3, retry_backoff: Duration::from_millis(1) };
    let rt = Runtime::builder(store).bus(Arc::new(bus.clone())).consumer_options(options).build().await.expect("rt");
    let handled = Arc::new(Mutex::new(HashSet::new()));
    let flaky = Flaky { failed: Mutex::new(HashSet::new()), handled: handled.clone() };
    rt.spawn_consumer(flaky, Source::Bus { context: "bank".into() }).expect("subscribe");
    let delivery = [message("g", 1, 1), message("g", 2, 2)];
    bus.publish(&delivery).await.expect("publish");
    // Had the failed attempt's mark stayed, the message would count as
    // handled and its second attempt would be dropped as a duplicate.
    let handled = handled.lock().map(|h| h.clone()).unwrap_or_default();
    assert_eq!(handled, delivery.iter().map(|m| m.event_id).collect::<HashSet<_>>());
    assert_eq!(count(&schema, "inbox").await, 2);
    assert!(rt.store().dead_letters(None).await.expect("dead letters").is_empty());
    rt.shutdown();
}

/// A command outside the consumer (say, an HTTP request) waits for the row of
/// an account the batch changed, holding that account's turn in this
/// process; the batch's next command on the account must not wait for the
/// turn (they would wait for each other for ever): the batch commits what it
/// did, the outside command goes through, and the message is handled again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_command_of_a_batch_never_waits_for_a_command_waiting_for_the_batch() {
    let schema = TestSchema::new("batch_turn").await;
    let (reached_tx, reached) = mpsc::channel();
    let (go, go_rx) = mpsc::channel();
    let second = message("x", 2, 2);
    let gate = Gate { message: second.event_id, reached: reached_tx, go: Mutex::new(Some(go_rx)) };
    let (rt, bus) = setup(&schema, &["x"], Some(gate)).await;
    let publishing = tokio::spawn(async move { bus.publish(&[message("x", 1, 1), second]).await });
    // The first message's deposit is in the batch, not committed.
    tokio::task::spawn_blocking(move || reached.recv_timeout(Duration::from_secs(20)))
        .await
        .expect("wait")
        .expect("the policy reached the second message");
    let outside = {
        let rt = rt.clone();
        tokio::spawn(async move {
            rt.execute::<Account>(credited("x"), AccountCommand::Deposit { amount: 100 }, CommandContext::new()).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!outside.is_finished(), "the outside command waits for the batch");
    go.send(()).expect("go");
    let published = tokio::time::timeout(Duration::from_secs(20), publishing).await;
    assert!(matches!(published, Ok(Ok(Ok(())))), "the batch went on: {published:?}");
    let outside = tokio::time::timeout(Duration::from_secs(20), outside).await;
    assert!(matches!(outside, Ok(Ok(Ok(_)))), "the outside command went through");
    assert_eq!(deposits(&rt, "x").await, vec![1, 100, 2]);
    assert!(rt.store().dead_letters(None).await.expect("dead letters").is_empty());
    rt.shutdown();
}

/// Records each message with nothing else, noting every message it is handed.
/// Before handling the message named in `gate`, the first time, it says so
/// and waits until told to go on.
struct Recorder {
    gate: Gate,
    handed: Arc<Mutex<Vec<Uuid>>>,
}

impl Consumer for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    async fn handle(&self, rt: &Runtime, event: &Envelope, mark: Mark) -> Result<(), ConsumeError> {
        if self.gate.message == event.event_id {
            let go = self.gate.go.lock().ok().and_then(|mut go| go.take());
            if let Some(go) = go {
                let _ = self.gate.reached.send(());
                let _ = go.recv_timeout(Duration::from_secs(20));
            }
        }
        if let Ok(mut handed) = self.handed.lock() {
            handed.push(event.event_id);
        }
        match rt.store().commit_mark(mark).await {
            Ok(()) | Err(StoreError::DuplicateMessage) => Ok(()),
            Err(e) => Err(ConsumeError::Retry(e.to_string())),
        }
    }
    fn batched(&self) -> bool {
        true
    }
}

/// The deliveries that arrive while a batch is under way are looked up in
/// its commit flight, behind its marks and its COMMIT: the next batch sees
/// what this one recorded, so a repeat is dropped rather than handed over
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batch_looked_up_with_a_commit_sees_what_that_commit_recorded() {
    let schema = TestSchema::new("batch_next").await;
    let store = Store::open(&schema.url()).await.expect("open store");
    let bus = InProcessBus::new();
    let rt = Runtime::builder(store).bus(Arc::new(bus.clone())).build().await.expect("runtime");
    let (reached_tx, reached) = mpsc::channel();
    let (go, go_rx) = mpsc::channel();
    let first = message("n", 1, 1);
    let gate = Gate { message: first.event_id, reached: reached_tx, go: Mutex::new(Some(go_rx)) };
    let handed = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder { gate, handed: handed.clone() };
    rt.spawn_consumer(recorder, Source::Bus { context: "bank".into() }).expect("subscribe");
    let publisher = bus.clone();
    let one = tokio::spawn(async move { publisher.publish(&[message("n", 1, 1)]).await });
    let waited = tokio::task::spawn_blocking(move || reached.recv_timeout(Duration::from_secs(20))).await;
    assert!(matches!(waited, Ok(Ok(()))), "the first batch never started");
    // While the first batch waits: the same message again, and the next.
    let publisher = bus.clone();
    let two = tokio::spawn(async move { publisher.publish(&[message("n", 1, 1), message("n", 2, 2)]).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = go.send(());
    one.await.expect("first publisher").expect("first delivery");
    two.await.expect("second publisher").expect("second delivery");
    let handed = handed.lock().map(|h| h.clone()).unwrap_or_default();
    assert_eq!(handed, vec![message("n", 1, 1).event_id, message("n", 2, 2).event_id]);
    assert_eq!(count(&schema, "inbox").await, 2);
    rt.shutdown();
}
