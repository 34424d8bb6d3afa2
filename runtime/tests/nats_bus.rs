//! Services on PostgreSQL talking through NATS JetStream, against the real
//! servers: replicas of a service and of its consumers, a bus outage, the
//! relay's leader lock under connection churn, and dead letters after the
//! last delivery.
#![cfg(all(feature = "postgres", feature = "nats"))]

mod common;
mod servers;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use servers::{TestSchema, TestStream, nats_url};
use squall_runtime::bus::SubscribeOptions;
use squall_runtime::serde_json::json;
use squall_runtime::uuid::Uuid;
use squall_runtime::{
    AggregateId, CommandContext, Envelope, EventBus, NatsBus, NatsOptions, Runtime, Source, Store, StreamId, Timestamp,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// One replica of the bank service: store, bus, relay.
async fn bank_replica(schema: &TestSchema, bus: NatsBus) -> Runtime {
    let store = Store::open(&schema.url()).await.expect("open bank store");
    let rt = Runtime::builder(store.clone())
        .bus(Arc::new(bus.with_store(store)))
        .max_conflict_retries(1000)
        .build()
        .await
        .expect("bank runtime");
    rt.spawn_relay();
    rt
}

/// One replica of the audit service: two bus projections of bank events.
async fn audit_replica(schema: &TestSchema, bus: NatsBus) -> Runtime {
    let store = Store::open(&schema.url()).await.expect("open audit store");
    let rt = Runtime::builder(store.clone()).bus(Arc::new(bus.with_store(store))).build().await.expect("audit rt");
    for name in ["audit", "audit2"] {
        rt.spawn_projection(Ledger(name), Source::Bus { context: "audit".into() }).expect("subscribe");
    }
    rt
}

async fn open_accounts(rt: &Runtime, n: usize) -> Vec<AggregateId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = AggregateId::new(format!("acc-{i}"));
        rt.execute::<Account>(id.clone(), AccountCommand::Open { owner: format!("o{i}") }, CommandContext::new())
            .await
            .expect("open");
        ids.push(id);
    }
    ids
}

/// Waits until every public event of the bank store reached both audit
/// projections, then checks: each exactly once, in per-account order.
async fn assert_delivered_once_in_order(bank: &Store, audit: &Store, ids: &[AggregateId]) {
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in ids {
        let events = bank.read_stream(&StreamId::new("Account", id.clone())).await.expect("stream");
        let public: Vec<String> =
            events.iter().filter(|e| e.public_seq.is_some()).map(|e| e.event_id.to_string()).collect();
        expected.insert(id.to_string(), public);
    }
    for projection in ["audit", "audit2"] {
        let done = common::wait_until(Duration::from_secs(60), || async {
            for (id, want) in &expected {
                let doc = audit.read_model(projection, id).await.expect("read");
                if doc.and_then(|d| d["ids"].as_array().map(Vec::len)) != Some(want.len()) {
                    return false;
                }
            }
            true
        })
        .await;
        assert!(done, "{projection}: not every event arrived");
        for (id, want) in &expected {
            let doc = audit.read_model(projection, id).await.expect("read").expect("doc");
            let got: Vec<String> =
                doc["ids"].as_array().expect("ids").iter().map(|v| v.as_str().unwrap_or("").to_owned()).collect();
            assert_eq!(&got, want, "{projection} {id}: every event once, in order");
            let seqs: Vec<u64> = doc["seqs"].as_array().expect("seqs").iter().filter_map(|v| v.as_u64()).collect();
            assert_eq!(seqs, (1..=want.len() as u64).collect::<Vec<_>>());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_of_a_service_and_of_its_consumers() {
    let (bank_schema, audit_schema) = (TestSchema::new("rep_bank").await, TestSchema::new("rep_audit").await);
    let stream = TestStream::new("rep").await;
    let banks =
        [bank_replica(&bank_schema, stream.bus().await).await, bank_replica(&bank_schema, stream.bus().await).await];
    let audits = [
        audit_replica(&audit_schema, stream.bus().await).await,
        audit_replica(&audit_schema, stream.bus().await).await,
    ];
    let ids = open_accounts(&banks[0], 6).await;
    // Concurrent clients, each talking to either replica.
    let mut clients = JoinSet::new();
    for c in 0..8usize {
        let (rts, ids) = (banks.clone(), ids.clone());
        clients.spawn(async move {
            for n in 0..20usize {
                let rt = &rts[(c + n) % 2];
                let id = ids[(c * 7 + n * 3) % ids.len()].clone();
                rt.execute::<Account>(id, AccountCommand::Deposit { amount: (n + 1) as i64 }, CommandContext::new())
                    .await
                    .expect("deposit");
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done.expect("client");
    }
    assert_delivered_once_in_order(banks[0].store(), audits[0].store(), &ids).await;
    // Exactly one relay leads.
    let client = bank_schema.client().await;
    let leaders: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1",
            &[&format!("squall-relay:{}", bank_schema.name)],
        )
        .await
        .expect("locks")
        .get(0);
    assert_eq!(leaders, 1);
    let stats = banks[1].store().stats().await.expect("stats");
    assert!(
        common::wait_until(Duration::from_secs(10), || async {
            banks[1].store().stats().await.map(|s| s.outbox == 0).unwrap_or(false)
        })
        .await
    );
    assert_eq!(stats.events, 6 + 160);
    for rt in banks.iter().chain(audits.iter()) {
        rt.shutdown();
    }
}

/// A TCP forwarder to the NATS server that can be stopped (dropping every
/// connection) and started again on the same port.
struct Proxy {
    port: u16,
    tasks: Option<JoinSet<()>>,
}

impl Proxy {
    /// Reserves a port where nothing listens yet.
    async fn reserve() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        Proxy { port, tasks: None }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    async fn start(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.expect("rebind the proxy port");
        let target = nats_url().trim_start_matches("nats://").to_owned();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                conns.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        self.tasks = Some(tasks);
    }

    /// Stops listening and cuts every forwarded connection.
    async fn stop(&mut self) {
        if let Some(mut tasks) = self.tasks.take() {
            tasks.shutdown().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_nats_is_down_commands_succeed_and_the_outbox_drains_in_order_later() {
    let (bank_schema, audit_schema) = (TestSchema::new("down_bank").await, TestSchema::new("down_audit").await);
    let stream = TestStream::new("down").await;
    let mut proxy = Proxy::reserve().await;
    // The bank service points at a port where nothing listens.
    let bank_bus = NatsBus::connect(&proxy.url(), stream.options()).await.expect("connect returns at once");
    let bank = bank_replica(&bank_schema, bank_bus).await;
    let audit = audit_replica(&audit_schema, stream.bus().await).await;

    let ids = open_accounts(&bank, 3).await;
    let deposit_round = async |bank: &Runtime| {
        for n in 0..10 {
            for id in &ids {
                bank.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: n + 1 }, CommandContext::new())
                    .await
                    .expect("commands succeed without the bus");
            }
        }
    };
    deposit_round(&bank).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(bank.store().stats().await.expect("stats").outbox, 33, "the outbox backs up");
    assert_eq!(audit.store().read_model("audit", "acc-0").await.expect("read"), None);

    // The bus comes up: the outbox drains.
    proxy.start().await;
    assert_delivered_once_in_order(bank.store(), audit.store(), &ids).await;
    // It goes down again, cutting the live connection, and comes back.
    proxy.stop().await;
    deposit_round(&bank).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(bank.store().stats().await.expect("stats").outbox >= 30, "the outbox backs up again");
    proxy.start().await;
    assert_delivered_once_in_order(bank.store(), audit.store(), &ids).await;
    assert!(
        common::wait_until(Duration::from_secs(10), || async {
            bank.store().stats().await.map(|s| s.outbox == 0).unwrap_or(false)
        })
        .await
    );

    // The stream holds every event once, in position order.
    let client = async_nats::connect(nats_url()).await.expect("nats");
    let js = async_nats::jetstream::new(client);
    let mut s = js.get_stream(&stream.stream).await.expect("stream");
    let count = s.info().await.expect("info").state.messages;
    assert_eq!(count, 63, "published once each (duplicates dropped by message id)");
    let mut last = 0;
    for seq in 1..=count {
        let message = s.get_raw_message(seq).await.expect("message");
        let event: Envelope = squall_runtime::serde_json::from_slice(&message.payload).expect("envelope");
        assert!(event.position > last, "published in position order");
        last = event.position;
    }
    proxy.stop().await;
    bank.shutdown();
    audit.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_leader_lock_survives_connection_churn() {
    let (bank_schema, audit_schema) = (TestSchema::new("lock_bank").await, TestSchema::new("lock_audit").await);
    let stream = TestStream::new("lock").await;
    let banks =
        [bank_replica(&bank_schema, stream.bus().await).await, bank_replica(&bank_schema, stream.bus().await).await];
    let audit = audit_replica(&audit_schema, stream.bus().await).await;
    let ids = open_accounts(&banks[0], 2).await;
    let admin = bank_schema.client().await;
    let app = format!("squall-relay:{}", bank_schema.name);
    let leader_pids = async || -> Vec<i32> {
        admin
            .query(
                "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1",
                &[&app],
            )
            .await
            .expect("locks")
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    for round in 0..3i64 {
        let mut pids = leader_pids().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while pids.len() != 1 {
            assert!(tokio::time::Instant::now() < deadline, "round {round}: one leader, found {pids:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
            pids = leader_pids().await;
        }
        // Cut the leader's lock connection (as a network failure would).
        admin.execute("SELECT pg_terminate_backend($1)", &[&pids[0]]).await.expect("terminate");
        for (i, id) in ids.iter().enumerate() {
            banks[i % 2]
                .execute::<Account>(id.clone(), AccountCommand::Deposit { amount: round + 1 }, CommandContext::new())
                .await
                .expect("deposit");
        }
        assert_delivered_once_in_order(banks[0].store(), audit.store(), &ids).await;
    }
    for rt in banks.iter().chain([&audit]) {
        rt.shutdown();
    }
}

fn event(context: &str, aggregate: &str, seq: u64) -> Envelope {
    let id = Uuid::now_v7();
    Envelope {
        event_id: id,
        context: context.into(),
        stream: StreamId::new("Account", aggregate),
        version: seq,
        position: seq,
        public_seq: Some(seq),
        event_type: "Deposited".into(),
        schema_version: 1,
        occurred_at: Timestamp::now(),
        correlation_id: id,
        causation_id: id,
        command_id: id,
        payload: json!({"type": "Deposited", "amount": 1}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_never_acknowledged_is_dead_lettered_after_its_last_delivery() {
    let schema = TestSchema::new("dlq").await;
    let stream = TestStream::new("dlq").await;
    let store = Store::open(&schema.url()).await.expect("open");
    let options = NatsOptions { max_deliver: 3, ack_wait: Duration::from_millis(500), ..stream.options() };
    let bus = NatsBus::connect(&nats_url(), options).await.expect("bus").with_store(store.clone());
    let events = [event("bank", "a", 1), event("bank", "a", 2), event("bank", "b", 1)];
    bus.publish(&events).await.expect("publish");
    // Our own context's events are not delivered to us.
    bus.publish(&[event("audit", "c", 1)]).await.expect("publish");
    let mut subscription =
        bus.subscribe(SubscribeOptions { consumer: "stubborn".into(), context: "audit".into() }).expect("subscribe");
    // Drop every delivery unacknowledged: each message comes max_deliver - 1
    // times, then lands in the dead-letter table.
    let mut deliveries = 0;
    let consumed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let dead = store.dead_letters(Some("stubborn")).await.expect("dead letters");
            if dead.len() == events.len() {
                return dead;
            }
            if let Ok(Some(delivery)) = tokio::time::timeout(Duration::from_millis(100), subscription.next()).await {
                assert!(delivery.events.iter().all(|e| e.context == "bank"));
                deliveries += 1;
                drop(delivery);
            }
        }
    })
    .await
    .expect("every message is dead-lettered");
    assert_eq!(deliveries, 2 * events.len(), "each message is handed over max_deliver - 1 times");
    let dead: HashSet<Uuid> = consumed.iter().map(|d| d.envelope.event_id).collect();
    assert_eq!(dead, events.iter().map(|e| e.event_id).collect());
    assert!(consumed.iter().all(|d| d.attempts == 3 && d.consumer == "stubborn"));
    // Dead-lettered messages are acknowledged: they do not come again.
    let again = tokio::time::timeout(Duration::from_millis(1500), subscription.next()).await;
    assert!(again.is_err(), "a dead-lettered message was delivered again");
}
