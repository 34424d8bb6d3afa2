//! Crashes of a service on PostgreSQL + NATS JetStream: the test binary
//! starts itself as a child process (the `child` test, driven by environment
//! variables) that runs the service and dies at a fault point, or is killed
//! with SIGKILL; the parent restarts the service and checks that every event
//! reaches each consumer exactly once, in per-aggregate order.
#![cfg(all(feature = "postgres", feature = "nats"))]

mod common;
mod servers;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use servers::{TestSchema, TestStream, nats_url};
use squall_runtime::uuid::Uuid;
use squall_runtime::{
    AggregateId, CommandContext, NatsBus, NatsOptions, Runtime, Source, Store, StreamId, fault::FAULT_EXIT_CODE,
};

const ACCOUNTS: usize = 4;

fn account(i: usize) -> AggregateId {
    AggregateId::new(format!("acc-{i}"))
}

/// What the child needs to run the bank service.
struct Service {
    database_url: String,
    options: NatsOptions,
}

impl Service {
    fn new(schema: &TestSchema, stream: &TestStream, duplicate_window: Duration) -> Service {
        Service { database_url: schema.url(), options: NatsOptions { duplicate_window, ..stream.options() } }
    }

    fn from_env() -> Service {
        let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} not set"));
        Service {
            database_url: var("SQUALL_CHILD_DB"),
            options: NatsOptions {
                stream: var("SQUALL_CHILD_STREAM"),
                subject_prefix: var("SQUALL_CHILD_PREFIX"),
                duplicate_window: Duration::from_millis(var("SQUALL_CHILD_DUPLICATE_WINDOW_MS").parse().expect("ms")),
                ..NatsOptions::default()
            },
        }
    }

    /// This test binary, running only the `child` test in `mode`.
    fn child(&self, mode: &str, fault: Option<&str>) -> Command {
        let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
        cmd.args(["child", "--exact", "--nocapture", "--test-threads=1"])
            .env("SQUALL_CHILD", mode)
            .env("SQUALL_CHILD_DB", &self.database_url)
            .env("SQUALL_CHILD_STREAM", &self.options.stream)
            .env("SQUALL_CHILD_PREFIX", &self.options.subject_prefix)
            .env("SQUALL_CHILD_DUPLICATE_WINDOW_MS", self.options.duplicate_window.as_millis().to_string())
            .env_remove("SQUALL_FAULT")
            .stdin(Stdio::null());
        if let Some(f) = fault {
            cmd.env("SQUALL_FAULT", f);
        }
        cmd
    }

    /// The bank service; with `relay`, its relay runs.
    async fn start(&self, relay: bool) -> Runtime {
        let store = Store::open(&self.database_url).await.expect("open bank store");
        let bus = NatsBus::connect(&nats_url(), self.options.clone()).await.expect("bus").with_store(store.clone());
        let rt = Runtime::builder(store).bus(Arc::new(bus)).max_conflict_retries(1000).build().await.expect("rt");
        if relay {
            rt.spawn_relay();
        }
        rt
    }
}

/// The child side. Without `SQUALL_CHILD` it does nothing (so it passes in a
/// normal run).
#[test]
fn child() {
    let Ok(mode) = std::env::var("SQUALL_CHILD") else { return };
    let service = Service::from_env();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio");
    rt.block_on(async move {
        match mode.as_str() {
            // Deposits from several tasks, relaying meanwhile, printing each
            // acknowledged command id, until a fault point or SIGKILL.
            "commands" => {
                let bank = service.start(true).await;
                open_accounts(&bank).await;
                let mut tasks = Vec::new();
                for t in 0..4 {
                    let bank = bank.clone();
                    tasks.push(tokio::spawn(async move {
                        for n in 0.. {
                            let ctx = CommandContext::new();
                            let id = ctx.command_id;
                            bank.execute::<Account>(
                                account(t % ACCOUNTS),
                                AccountCommand::Deposit { amount: n % 7 + 1 },
                                ctx,
                            )
                            .await
                            .expect("deposit");
                            println!("ACK {id}");
                        }
                    }));
                }
                for t in tasks {
                    let _ = t.await;
                }
            }
            // Only the relay, over a backlog; the after-publish fault point
            // stops it before its checkpoint.
            "relay" => {
                let _bank = service.start(true).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                panic!("the after-publish fault point was never reached");
            }
            other => panic!("unknown child mode {other}"),
        }
    });
}

async fn open_accounts(rt: &Runtime) {
    for i in 0..ACCOUNTS {
        // Idempotent, so a restarted service may do it again.
        let ctx =
            CommandContext::new().with_command_id(Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("open-{i}").as_bytes()));
        rt.execute::<Account>(account(i), AccountCommand::Open { owner: format!("o{i}") }, ctx).await.expect("open");
    }
}

/// The consuming service: two bus projections.
async fn audit(schema: &TestSchema, stream: &TestStream, duplicate_window: Duration) -> Runtime {
    let store = Store::open(&schema.url()).await.expect("open audit store");
    let options = NatsOptions { duplicate_window, ..stream.options() };
    let bus = NatsBus::connect(&nats_url(), options).await.expect("bus").with_store(store.clone());
    let rt = Runtime::builder(store).bus(Arc::new(bus)).build().await.expect("audit rt");
    for name in ["audit", "audit2"] {
        rt.spawn_projection(Ledger(name), Source::Bus { context: "audit".into() }).expect("subscribe");
    }
    rt
}

/// Every public event of the bank store reaches both projections, once each,
/// in per-account order.
async fn assert_delivered_once_in_order(bank: &Store, audit: &Store) {
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for i in 0..ACCOUNTS {
        let events = bank.read_stream(&StreamId::new("Account", account(i))).await.expect("stream");
        expected.insert(
            account(i).to_string(),
            events.iter().filter(|e| e.public_seq.is_some()).map(|e| e.event_id.to_string()).collect(),
        );
    }
    for projection in ["audit", "audit2"] {
        let arrived = wait_until(Duration::from_secs(60), || async {
            for (id, want) in &expected {
                let doc = audit.read_model(projection, id).await.expect("read");
                if doc.and_then(|d| d["ids"].as_array().map(Vec::len)) != Some(want.len()) {
                    return false;
                }
            }
            true
        })
        .await;
        assert!(arrived, "{projection}: not every event arrived");
        for (id, want) in &expected {
            let doc = audit.read_model(projection, id).await.expect("read").expect("doc");
            let got: Vec<&str> = doc["ids"].as_array().expect("ids").iter().filter_map(|v| v.as_str()).collect();
            assert_eq!(got, want.iter().map(String::as_str).collect::<Vec<_>>(), "{projection} {id}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_commit_and_publish_every_event_is_delivered_once() {
    let (bank_schema, audit_schema) = (TestSchema::new("cc_bank").await, TestSchema::new("cc_audit").await);
    let stream = TestStream::new("cc").await;
    let window = Duration::from_secs(120);
    let service = Service::new(&bank_schema, &stream, window);
    let audit = audit(&audit_schema, &stream, window).await;
    let status = service.child("commands", Some("after-commit:40")).stdout(Stdio::null()).status().expect("child");
    assert_eq!(status.code(), Some(FAULT_EXIT_CODE), "the child stops at the fault point");
    let bank = service.start(true).await;
    let events = bank.store().stats().await.expect("stats").events;
    assert!(events >= 40, "every committed append is there, the unanswered last one too ({events})");
    assert_delivered_once_in_order(bank.store(), audit.store()).await;
    bank.shutdown();
    audit.shutdown();
}

/// The relay dies after the bus acknowledged a batch and before it saved its
/// checkpoint, so the restarted relay publishes the batch again. With a long
/// duplicate window the server drops the copies; with a window already
/// passed it stores them again and the consumers' inboxes drop them.
async fn killed_between_publish_and_checkpoint(duplicate_window: Duration, label: &str) {
    let (bank_schema, audit_schema) =
        (TestSchema::new(&format!("{label}_bank")).await, TestSchema::new(&format!("{label}_audit")).await);
    let stream = TestStream::new(label).await;
    let service = Service::new(&bank_schema, &stream, duplicate_window);
    {
        // The backlog, appended without a relay.
        let bank = service.start(false).await;
        open_accounts(&bank).await;
        for n in 0..10 {
            for i in 0..ACCOUNTS {
                bank.execute::<Account>(account(i), AccountCommand::Deposit { amount: n + 1 }, CommandContext::new())
                    .await
                    .expect("deposit");
            }
        }
    }
    let audit = audit(&audit_schema, &stream, duplicate_window).await;
    let status = service.child("relay", Some("after-publish")).stdout(Stdio::null()).status().expect("child");
    assert_eq!(status.code(), Some(FAULT_EXIT_CODE), "the relay stops after publishing");
    let bank = service.start(false).await;
    assert_eq!(bank.store().checkpoint("relay").await.expect("checkpoint"), 0, "no checkpoint was saved");
    assert_eq!(bank.store().stats().await.expect("stats").outbox, 44);
    // Let the consumers take the first copies before the republication.
    assert_delivered_once_in_order(bank.store(), audit.store()).await;
    tokio::time::sleep(duplicate_window.min(Duration::from_secs(1)) + Duration::from_millis(200)).await;
    bank.spawn_relay();
    assert!(
        wait_until(Duration::from_secs(20), || async {
            bank.store().stats().await.map(|s| s.outbox == 0).unwrap_or(false)
        })
        .await,
        "the restarted relay drains the outbox"
    );
    let client = async_nats::connect(nats_url()).await.expect("nats");
    let mut s = async_nats::jetstream::new(client).get_stream(&stream.stream).await.expect("stream");
    let stored = s.info().await.expect("info").state.messages;
    if duplicate_window >= Duration::from_secs(60) {
        assert_eq!(stored, 44, "the server dropped the republished copies");
    } else {
        assert_eq!(stored, 88, "the copies were stored again (window passed)");
    }
    // Give the copies time to arrive, then check nothing was applied twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_delivered_once_in_order(bank.store(), audit.store()).await;
    bank.shutdown();
    audit.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_publish_and_checkpoint_the_server_drops_the_copies() {
    killed_between_publish_and_checkpoint(Duration::from_secs(120), "pc_server").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_publish_and_checkpoint_the_inbox_drops_the_copies() {
    killed_between_publish_and_checkpoint(Duration::from_millis(100), "pc_inbox").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_in_the_middle_of_commands_loses_no_acknowledged_command() {
    let (bank_schema, audit_schema) = (TestSchema::new("k9_bank").await, TestSchema::new("k9_audit").await);
    let stream = TestStream::new("k9").await;
    let window = Duration::from_secs(120);
    let service = Service::new(&bank_schema, &stream, window);
    let audit = audit(&audit_schema, &stream, window).await;
    let mut child = service.child("commands", None).stdout(Stdio::piped()).spawn().expect("child");
    let stdout = child.stdout.take().expect("stdout");
    let acked = tokio::task::spawn_blocking(move || {
        let mut acked = HashSet::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(id) = line.strip_prefix("ACK ") {
                acked.insert(Uuid::parse_str(id.trim()).expect("uuid"));
                if acked.len() == 60 {
                    child.kill().expect("SIGKILL");
                }
            }
        }
        let _ = child.wait();
        acked
    })
    .await
    .expect("reader");
    assert!(acked.len() >= 60);
    let bank = service.start(true).await;
    let mut stored = HashSet::new();
    for i in 0..ACCOUNTS {
        for e in bank.store().read_stream(&StreamId::new("Account", account(i))).await.expect("stream") {
            stored.insert(e.command_id);
        }
    }
    assert!(acked.is_subset(&stored), "every acknowledged command is in the store");
    assert_delivered_once_in_order(bank.store(), audit.store()).await;
    bank.shutdown();
    audit.shutdown();
}
