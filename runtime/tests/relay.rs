//! The relay on SQLite: what it publishes when the file has another writer
//! (the relay keeps the newest outbox rows in memory, and must not skip rows
//! it did not see committed).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use squall_runtime::bus::SubscribeOptions;
use squall_runtime::{AggregateId, CommandContext, EventBus, InProcessBus, Runtime, Store};

async fn runtime(db: &str, bus: Option<&InProcessBus>) -> Runtime {
    let store = Store::open(db).await.expect("open");
    let mut builder = Runtime::builder(store);
    if let Some(bus) = bus {
        builder = builder.bus(Arc::new(bus.clone()));
    }
    builder.build().await.expect("runtime")
}

async fn deposit(rt: &Runtime, account: &str) {
    rt.execute::<Account>(
        AggregateId::new(account.to_owned()),
        AccountCommand::Deposit { amount: 1 },
        CommandContext::new(),
    )
    .await
    .expect("deposit");
}

async fn open(rt: &Runtime, account: &str) {
    let owner = account.to_owned();
    rt.execute::<Account>(AggregateId::new(account.to_owned()), AccountCommand::Open { owner }, CommandContext::new())
        .await
        .expect("open");
}

/// Positions of the public events in the store.
async fn public_positions(store: &Store) -> Vec<u64> {
    let events = store.read_all(0, 10_000).await.expect("read");
    events.iter().filter(|e| e.is_public()).map(|e| e.position).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_another_writer_commits_are_relayed_too() {
    let dir = temp_dir("relay-two-writers");
    let db = dir.join("shared.db");
    let db = db.to_str().expect("utf-8 path");
    let bus = InProcessBus::new();
    let relaying = runtime(db, Some(&bus)).await;
    // A second store on the same file: another writer, as another process
    // would be (its commits do not wake the first one's relay).
    let other = runtime(db, None).await;

    let received: Arc<Mutex<Vec<u64>>> = Arc::default();
    let mut sub =
        bus.subscribe(SubscribeOptions { consumer: "probe".into(), context: "elsewhere".into() }).expect("sub");
    {
        let received = received.clone();
        tokio::spawn(async move {
            while let Some(d) = sub.next().await {
                received.lock().expect("lock").extend(d.events.iter().map(|e| e.position));
                d.ack();
            }
        });
    }
    relaying.spawn_relay();
    let store = relaying.store().clone();
    let all_received = || {
        let received = received.clone();
        let store = store.clone();
        async move {
            let want = public_positions(&store).await;
            let got = received.lock().expect("lock").clone();
            got.len() >= want.len()
        }
    };

    // The relay follows its own writer's commits...
    open(&relaying, "a").await;
    open(&other, "b").await;
    for _ in 0..3 {
        deposit(&relaying, "a").await;
    }
    assert!(wait_until(Duration::from_secs(5), all_received).await, "own commits relayed");
    // ... and the other writer's, between its own...
    for _ in 0..3 {
        deposit(&other, "b").await;
        deposit(&relaying, "a").await;
    }
    assert!(wait_until(Duration::from_secs(5), all_received).await, "interleaved commits relayed");
    // ... and while its own writer is idle.
    deposit(&other, "b").await;
    assert!(wait_until(Duration::from_secs(5), all_received).await, "other writer's commit relayed");

    let got = received.lock().expect("lock").clone();
    assert_eq!(got, public_positions(&store).await, "every public event once, in position order");
    relaying.shutdown();
    other.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}
