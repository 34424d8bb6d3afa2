//! The PostgreSQL event store against the real server: optimistic
//! concurrency between replicas, idempotency, migrations, inline
//! projections, and the reading horizon under a held transaction.
#![cfg(all(feature = "postgres", feature = "nats"))]

mod common;
mod servers;

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use common::*;
use servers::TestSchema;
use squall_runtime::serde_json::{Value, json};
use squall_runtime::uuid::Uuid;
use squall_runtime::{
    AggregateId, CommandContext, CommandError, Envelope, Projection, ProjectionUpdate, Runtime, Source, Store, StreamId,
};

async fn runtime(url: &str) -> Runtime {
    let store = Store::open(url).await.expect("open store");
    Runtime::builder(store).max_conflict_retries(1000).build().await.expect("runtime")
}

async fn open_account(rt: &Runtime, id: &AggregateId) {
    rt.execute::<Account>(id.clone(), AccountCommand::Open { owner: "ada".into() }, CommandContext::new())
        .await
        .expect("open account");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_append_load_and_read_back() {
    let schema = TestSchema::new("basic").await;
    let rt = runtime(&schema.url()).await;
    let id = AggregateId::new_v7();
    open_account(&rt, &id).await;
    let out = rt
        .execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 5 }, CommandContext::new())
        .await
        .expect("deposit");
    assert_eq!(out.version, 2);
    rt.execute::<Account>(id.clone(), AccountCommand::Note { text: "private".into() }, CommandContext::new())
        .await
        .expect("note");
    let err = rt.execute::<Account>(id.clone(), AccountCommand::Withdraw { amount: 50 }, CommandContext::new()).await;
    assert!(matches!(err, Err(CommandError::Domain(AccountError::InsufficientFunds { .. }))));
    let missing = rt.execute::<Account>("nobody", AccountCommand::Deposit { amount: 1 }, CommandContext::new()).await;
    assert!(matches!(missing, Err(CommandError::NotFound)));

    let state = rt.load::<Account>(id.clone()).await.expect("load").expect("exists");
    assert_eq!((state.state.balance, state.state.notes, state.version), (5, 1, 3));
    let stream = rt.store().read_stream(&StreamId::new("Account", id.clone())).await.expect("stream");
    assert_eq!(stream.iter().map(|e| e.version).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(replay(&stream), state.state);
    // Public events only in the outbox; positions increase in reading order.
    // Readable once no older transaction on the server is in flight (a
    // parallel test may hold one for a moment).
    let store = rt.store();
    assert!(
        wait_until(Duration::from_secs(15), || async { store.read_all(0, 100).await.expect("read").len() == 3 }).await
    );
    let all = store.read_all(0, 100).await.expect("read_all");
    assert_eq!(all.len(), 3);
    assert!(all.windows(2).all(|w| w[0].position < w[1].position));
    let stats = rt.store().stats().await.expect("stats");
    assert_eq!((stats.events, stats.outbox, stats.commands), (3, 2, 3));
    assert_eq!(all.iter().filter(|e| e.public_seq.is_some()).count(), 2);
    assert_eq!(rt.store().path(), None);
}

/// Replicas of a service: separate stores (pools) on one schema.
async fn replicas(url: &str, n: usize) -> Vec<Runtime> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(runtime(url).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_expected_version_exactly_one_append_wins_every_time() {
    let schema = TestSchema::new("race").await;
    let rts = replicas(&schema.url(), 2).await;
    let id = AggregateId::new_v7();
    open_account(&rts[0], &id).await;
    const ROUNDS: u64 = 40;
    const RACERS: usize = 6;
    for round in 0..ROUNDS {
        let version = 1 + round;
        let mut tasks = Vec::new();
        for r in 0..RACERS {
            let rt = rts[r % rts.len()].clone();
            let id = id.clone();
            tasks.push(tokio::spawn(async move {
                let ctx = CommandContext::new().with_expected_version(version);
                rt.execute::<Account>(id, AccountCommand::Deposit { amount: 1 }, ctx).await
            }));
        }
        let mut wins = 0;
        for t in tasks {
            match t.await.expect("task") {
                Ok(out) => {
                    assert_eq!(out.version, version + 1);
                    wins += 1;
                }
                Err(CommandError::Conflict(_)) => {}
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one append wins");
    }
    let stream = rts[1].store().read_stream(&StreamId::new("Account", id.clone())).await.expect("stream");
    assert_eq!(stream.len() as u64, ROUNDS + 1);
    assert!(stream.iter().enumerate().all(|(i, e)| e.version == i as u64 + 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_appends_from_two_replicas_are_never_lost() {
    let schema = TestSchema::new("lost").await;
    let rts = replicas(&schema.url(), 2).await;
    let id = AggregateId::new_v7();
    open_account(&rts[0], &id).await;
    const TASKS: usize = 8;
    const EACH: i64 = 15;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let rt = rts[t % 2].clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..EACH {
                let amount = (t as i64) * 100 + n + 1;
                rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount }, CommandContext::new())
                    .await
                    .expect("deposit eventually wins");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let expected: i64 = (0..TASKS as i64).flat_map(|t| (0..EACH).map(move |n| t * 100 + n + 1)).sum();
    let stream = rts[0].store().read_stream(&StreamId::new("Account", id.clone())).await.expect("stream");
    assert_eq!(stream.len(), 1 + TASKS * EACH as usize);
    assert_eq!(replay(&stream).balance, expected);
    for rt in &rts {
        // Each replica's cached state may be stale; a reload agrees.
        let loaded = rt.load::<Account>(id.clone()).await.expect("load").expect("exists");
        assert_eq!(loaded.state.balance, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_command_id_appends_once_across_replicas() {
    let schema = TestSchema::new("idem").await;
    let rts = replicas(&schema.url(), 2).await;
    let id = AggregateId::new_v7();
    open_account(&rts[0], &id).await;
    for _ in 0..10 {
        let command_id = Uuid::now_v7();
        let mut tasks = Vec::new();
        for r in 0..4 {
            let rt = rts[r % 2].clone();
            let id = id.clone();
            tasks.push(tokio::spawn(async move {
                let ctx = CommandContext::new().with_command_id(command_id);
                rt.execute::<Account>(id, AccountCommand::Deposit { amount: 3 }, ctx).await.expect("deposit")
            }));
        }
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.expect("task"));
        }
        assert_eq!(outcomes.iter().filter(|o| !o.duplicate).count(), 1);
        let first = &outcomes[0];
        assert!(outcomes.iter().all(|o| o.version == first.version && o.events == first.events));
    }
    let state = rts[1].load::<Account>(id).await.expect("load").expect("exists");
    assert_eq!(state.state.balance, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_once_when_replicas_start_together() {
    let schema = TestSchema::new("migrate").await;
    let url = schema.url();
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::open(&url).await })
        })
        .collect();
    for open in opens {
        open.await.expect("task").expect("every replica opens the store");
    }
    let client = schema.client().await;
    let rows = client.query("SELECT version FROM squall_schema_version", &[]).await.expect("versions");
    assert_eq!(rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>(), vec![1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_projections_commit_with_the_events_and_rebuild_identically() {
    let schema = TestSchema::new("inline").await;
    let store = Store::open(&schema.url()).await.expect("open");
    let rt = Runtime::builder(store.clone()).inline_projection(Ledger("ledger")).build().await.expect("runtime");
    let other = Runtime::builder(Store::open(&schema.url()).await.expect("open"))
        .inline_projection(Ledger("ledger"))
        .build()
        .await
        .expect("second replica");
    let ids: Vec<AggregateId> = (0..3).map(|_| AggregateId::new_v7()).collect();
    for id in &ids {
        open_account(&rt, id).await;
    }
    let mut tasks = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        for r in [&rt, &other] {
            let (rt, id) = (r.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                for n in 0..10 {
                    rt.execute::<Account>(
                        id.clone(),
                        AccountCommand::Deposit { amount: (i * 10 + n + 1) as i64 },
                        CommandContext::new(),
                    )
                    .await
                    .expect("deposit");
                }
            }));
        }
    }
    for t in tasks {
        t.await.expect("task");
    }
    let mut before = Vec::new();
    for id in &ids {
        let doc = store.read_model("ledger", id.as_str()).await.expect("read").expect("doc");
        let stream = store.read_stream(&StreamId::new("Account", id.clone())).await.expect("stream");
        assert_eq!(doc["balance"], json!(replay(&stream).balance));
        assert_eq!(doc["ids"].as_array().map(Vec::len), Some(21));
        before.push(doc);
    }
    rt.rebuild_projection(rt.inline_projection("ledger").expect("registered")).await.expect("rebuild");
    for (id, old) in ids.iter().zip(&before) {
        let doc = store.read_model("ledger", id.as_str()).await.expect("read").expect("doc");
        // The rebuild replays in position order, the live updates ran in
        // commit order; per account the two agree.
        assert_eq!(doc["balance"], old["balance"]);
        let mut a: Vec<Value> = doc["ids"].as_array().cloned().unwrap_or_default();
        let mut b: Vec<Value> = old["ids"].as_array().cloned().unwrap_or_default();
        assert_eq!(doc["seqs"], old["seqs"]);
        a.sort_by_key(|v| v.to_string());
        b.sort_by_key(|v| v.to_string());
        assert_eq!(a, b);
    }
    // The rebuild wrote no outbox row.
    assert_eq!(store.stats().await.expect("stats").outbox, 3 + 60);
}

/// A projection whose `apply` blocks, for the account named "held", until the
/// test lets it go: the append that calls it stays open, events inserted,
/// transaction not committed.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<GateState>, Condvar)>);

#[derive(Default)]
struct GateState {
    entered: bool,
    release: Option<bool>, // Some(true): go on and commit; Some(false): crash (roll back)
}

impl Gate {
    fn wait_entered(&self) {
        let (lock, cv) = &*self.0;
        let mut s = lock.lock().expect("gate");
        while !s.entered {
            let (guard, timeout) = cv.wait_timeout(s, Duration::from_secs(20)).expect("gate");
            s = guard;
            assert!(!timeout.timed_out() || s.entered, "the held append never reached the projection");
        }
    }
    fn release(&self, commit: bool) {
        let (lock, cv) = &*self.0;
        lock.lock().expect("gate").release = Some(commit);
        cv.notify_all();
    }
}

struct Blocking(Gate);

impl Projection for Blocking {
    fn name(&self) -> &str {
        "blocking"
    }
    fn apply(&self, _current: Option<Value>, event: &Envelope) -> ProjectionUpdate {
        if event.stream.aggregate_id.as_str() == "held" && event.event_type == "Deposited" {
            let (lock, cv) = &*(self.0).0;
            let mut s = lock.lock().expect("gate");
            s.entered = true;
            cv.notify_all();
            while s.release.is_none() {
                s = cv.wait(s).expect("gate");
            }
            if s.release == Some(false) {
                // The replica dies in the middle of its transaction.
                panic!("simulated crash inside the append");
            }
        }
        ProjectionUpdate::Upsert(json!({"seen": event.version}))
    }
}

/// Runs one held deposit on a replica of its own (own thread, own runtime,
/// own pool). Returns whether it committed.
fn spawn_held_append(url: String, gate: Gate) -> std::thread::JoinHandle<bool> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async move {
                let store = Store::open(&url).await.expect("open");
                let replica = Runtime::builder(store).inline_projection(Blocking(gate)).build().await.expect("rt");
                replica
                    .execute::<Account>("held", AccountCommand::Deposit { amount: 7 }, CommandContext::new())
                    .await
                    .is_ok()
            })
        }));
        // Dropping the runtime closes the crashed replica's connections: the
        // server rolls its transaction back.
        drop(rt);
        result.unwrap_or(false)
    })
}

async fn held_transaction_scenario(commit: bool) {
    let schema = TestSchema::new(if commit { "held_c" } else { "held_r" }).await;
    let url = schema.url();
    let store = Store::open(&url).await.expect("open");
    let rt =
        Runtime::builder(store.clone()).inline_projection(Blocking(Gate::default())).build().await.expect("runtime");
    open_account(&rt, &AggregateId::new("held")).await;
    // A projection that follows the store through the reading horizon.
    rt.spawn_projection(Ledger("follower"), Source::Store { context: "bank".into() }).expect("follower");
    let gate = Gate::default();
    let held = spawn_held_append(url.clone(), gate.clone());
    tokio::task::spawn_blocking({
        let gate = gate.clone();
        move || gate.wait_entered()
    })
    .await
    .expect("gate");
    // Later appends commit while the held one is open.
    let later: Vec<AggregateId> = (0..3).map(|i| AggregateId::new(format!("later-{i}"))).collect();
    for id in &later {
        open_account(&rt, id).await;
        rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 1 }, CommandContext::new())
            .await
            .expect("later deposit commits");
    }
    // Readers must not pass the held transaction: its position is lower.
    tokio::time::sleep(Duration::from_millis(600)).await;
    // (Only what committed before it may be readable; another test's open
    // transaction on the same server may hold the horizon back further.)
    let visible = store.read_all(0, 1000).await.expect("read");
    assert!(
        visible.iter().all(|e| e.stream.aggregate_id.as_str() == "held"),
        "a reader passed the held transaction: {visible:?}"
    );
    for id in &later {
        assert_eq!(store.read_model("follower", id.as_str()).await.expect("read"), None, "the follower passed");
    }
    let held_before = store.read_model("follower", "held").await.expect("read");
    assert!(held_before.is_none_or(|d| d["ids"].as_array().map(Vec::len) == Some(1)));

    gate.release(commit);
    let committed = tokio::task::spawn_blocking(move || held.join().expect("held thread")).await.expect("join");
    assert_eq!(committed, commit);
    // Caught up (committed) or not stalled (rolled back). The bound is loose
    // because parallel tests hold transactions of their own on the server.
    let caught_up = wait_until(Duration::from_secs(15), || async {
        let mut ok = true;
        for id in &later {
            ok &= store.read_model("follower", id.as_str()).await.ok().flatten().is_some();
        }
        ok &= store.read_model("follower", "held").await.ok().flatten().is_some();
        ok
    })
    .await;
    assert!(caught_up, "the follower is stalled after the held transaction ended");
    let held_doc = store.read_model("follower", "held").await.expect("read").expect("doc");
    let expected = if commit { 2 } else { 1 };
    assert_eq!(held_doc["ids"].as_array().map(Vec::len), Some(expected));
    let all = store.read_all(0, 1000).await.expect("read");
    assert_eq!(all.len(), 1 + 6 + usize::from(commit));
    assert!(all.windows(2).all(|w| w[0].position < w[1].position));
    if commit {
        // The held event sorts before every later one.
        let held_pos = all.iter().find(|e| e.stream.aggregate_id.as_str() == "held" && e.version == 2);
        let first_later = all.iter().find(|e| e.stream.aggregate_id.as_str().starts_with("later"));
        assert!(held_pos.expect("held event").position < first_later.expect("later event").position);
    }
    rt.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_transaction_holds_readers_back_until_it_commits() {
    held_transaction_scenario(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_transaction_does_not_stall_readers() {
    held_transaction_scenario(false).await;
}

/// A process alone with its store sends no NOTIFY (its own readers are woken
/// without one); a replica that starts later is noticed, and the first one's
/// commits wake it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_starts_later_is_woken_by_the_commits_of_the_first() {
    let schema = TestSchema::new("signal_join").await;
    let first = runtime(&schema.url()).await;
    let id = AggregateId::new_v7();
    open_account(&first, &id).await;
    // Long enough for the first process to find itself alone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = Store::open(&schema.url()).await.expect("open the second replica");
    let mut commits = second.commits();
    let mut woken = false;
    for _ in 0..100 {
        let deposit = AccountCommand::Deposit { amount: 1 };
        let done = first.execute::<Account>(id.clone(), deposit, CommandContext::new()).await.expect("deposit");
        let position = done.events.last().map_or(0, |e| e.position);
        // The head the second replica knows of moves only when it is told.
        let told = commits.wait_for(|head| *head >= position);
        if tokio::time::timeout(Duration::from_millis(100), told).await.is_ok_and(|r| r.is_ok()) {
            woken = true;
            break;
        }
    }
    assert!(woken, "the second replica never heard of the first one's commits");
    first.shutdown();
}
