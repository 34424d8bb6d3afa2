//! The command path: existence, expected versions, idempotency, conflicts
//! under concurrency, policies.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use squall_runtime::{
    AggregateId, CommandContext, CommandError, Envelope, EventBus, InProcessBus, Policy, Runtime, Source, Store,
    StreamId,
};

async fn runtime(name: &str) -> (Runtime, std::path::PathBuf) {
    let dir = temp_dir(name);
    let store = Store::open(dir.join("s.db").to_str().unwrap()).await.unwrap();
    let rt = Runtime::builder(store).max_conflict_retries(10_000).build().await.unwrap();
    (rt, dir)
}

fn open(owner: &str) -> AccountCommand {
    AccountCommand::Open { owner: owner.into() }
}

#[tokio::test]
async fn existence_versions_and_domain_errors() {
    let (rt, dir) = runtime("existence").await;
    let id = AggregateId::new_v7();
    let missing = rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 1 }, CommandContext::new()).await;
    assert!(matches!(missing, Err(CommandError::NotFound)), "{missing:?}");

    let opened = rt.execute::<Account>(id.clone(), open("ada"), CommandContext::new()).await.unwrap();
    assert_eq!((opened.version, opened.events.len()), (1, 1));
    assert_eq!(opened.events[0].position, 1);

    let again = rt.execute::<Account>(id.clone(), open("ada"), CommandContext::new()).await;
    assert!(matches!(again, Err(CommandError::Conflict(_))), "{again:?}");

    let stale = rt
        .execute::<Account>(
            id.clone(),
            AccountCommand::Deposit { amount: 5 },
            CommandContext::new().with_expected_version(0),
        )
        .await;
    assert!(matches!(stale, Err(CommandError::Conflict(_))), "{stale:?}");
    let fresh = rt
        .execute::<Account>(
            id.clone(),
            AccountCommand::Deposit { amount: 5 },
            CommandContext::new().with_expected_version(1),
        )
        .await
        .unwrap();
    assert_eq!(fresh.version, 2);

    let rejected =
        rt.execute::<Account>(id.clone(), AccountCommand::Withdraw { amount: 6 }, CommandContext::new()).await;
    match rejected {
        Err(CommandError::Domain(AccountError::InsufficientFunds { balance: 5, wanted: 6 })) => {}
        other => panic!("{other:?}"),
    }
    // A command that decides nothing succeeds without an event.
    let nothing = rt.execute::<Account>(id.clone(), AccountCommand::Nothing, CommandContext::new()).await.unwrap();
    assert_eq!((nothing.version, nothing.events.len()), (2, 0));

    let loaded = rt.load::<Account>(id.clone()).await.unwrap().unwrap();
    assert_eq!(loaded.version, 2);
    assert_eq!(loaded.state.balance, 5);
    assert!(rt.load::<Account>("nope").await.unwrap().is_none());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_command_id_seen_before_returns_the_first_result_and_appends_nothing() {
    let (rt, dir) = runtime("idempotency").await;
    let id = AggregateId::new_v7();
    rt.execute::<Account>(id.clone(), open("bo"), CommandContext::new()).await.unwrap();
    let ctx = CommandContext::new();
    let first = rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 10 }, ctx.clone()).await.unwrap();
    // Same key, even a different body: the first result, nothing appended.
    let second = rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 99 }, ctx.clone()).await.unwrap();
    assert!(!first.duplicate && second.duplicate);
    assert_eq!(second.version, first.version);
    assert_eq!(second.events, first.events);
    // The same key on another aggregate is a conflict, not a silent success.
    let other = rt.execute::<Account>("other", open("x"), ctx).await;
    assert!(matches!(other, Err(CommandError::Conflict(_))));
    let events = rt.store().read_stream(&StreamId::new("Account", id)).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(replay(&events).balance, 10);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commands_on_one_aggregate() {
    const TASKS: usize = 16;
    const EACH: usize = 20;
    let (rt, dir) = runtime("concurrency").await;
    // Half the tasks go through a second runtime on the same store: within
    // one runtime commands on a stream take turns, across runtimes they race
    // and the store's version check decides.
    let rt2 = Runtime::builder(rt.store().clone()).max_conflict_retries(10_000).build().await.unwrap();
    let id = AggregateId::new_v7();
    rt.execute::<Account>(id.clone(), open("cy"), CommandContext::new()).await.unwrap();
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let rt = if t % 2 == 0 { rt.clone() } else { rt2.clone() };
        let id = id.clone();
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..EACH {
                let amount = (t * EACH + i + 1) as i64;
                let ctx = CommandContext::new();
                ids.push(ctx.command_id);
                let out =
                    rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount }, ctx).await.expect("deposit");
                assert_eq!(out.events.len(), 1);
            }
            ids
        }));
    }
    let mut command_ids = HashSet::new();
    for h in handles {
        command_ids.extend(h.await.unwrap());
    }
    let events = rt.store().read_stream(&StreamId::new("Account", id.clone())).await.unwrap();
    let n = TASKS * EACH;
    assert_eq!(events.len(), n + 1, "no event lost or duplicated");
    // For each version exactly one append won.
    let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=(n as u64 + 1)).collect::<Vec<_>>());
    // Each command appended exactly once.
    let appended: HashSet<_> = events.iter().skip(1).map(|e| e.command_id).collect();
    assert_eq!(appended, command_ids);
    // The final state equals a sequential replay.
    let expected_balance: i64 = (1..=n as i64).sum();
    let state = rt.load::<Account>(id).await.unwrap().unwrap();
    assert_eq!(state.state, replay(&events));
    assert_eq!(state.state.balance, expected_balance);
    assert_eq!(state.version, n as u64 + 1);
    // Global positions are gap-free and increase with versions.
    let positions: Vec<u64> = events.iter().map(|e| e.position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    let _ = std::fs::remove_dir_all(dir);
}

/// Deposits a bonus of 1 on the same account for every deposit of 100 or more.
struct Bonus;

impl Policy for Bonus {
    type Target = Account;
    fn name(&self) -> &str {
        "bonus"
    }
    fn react(&self, event: &Envelope) -> Option<(AggregateId, AccountCommand)> {
        let amount = event.payload["amount"].as_i64()?;
        (event.event_type == "Deposited" && amount >= 100)
            .then(|| (event.stream.aggregate_id.clone(), AccountCommand::Deposit { amount: 1 }))
    }
}

#[tokio::test]
async fn a_policy_acts_once_per_event_even_when_redelivered() {
    let dir = temp_dir("policy");
    let store = Store::open(dir.join("s.db").to_str().unwrap()).await.unwrap();
    let bus = InProcessBus::new();
    let rt = Runtime::builder(store).bus(Arc::new(bus.clone())).build().await.unwrap();
    // The policy lives in another context and hears public events on the bus.
    rt.spawn_policy(Bonus, Source::Bus { context: "rewards".into() }).unwrap();
    let id = AggregateId::new_v7();
    rt.execute::<Account>(id.clone(), open("di"), CommandContext::new()).await.unwrap();
    let out = rt
        .execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 100 }, CommandContext::new())
        .await
        .unwrap();
    // Deliver the deposit three times, by hand and through the relay.
    bus.publish(&out.events).await.unwrap();
    bus.publish(&out.events).await.unwrap();
    rt.spawn_relay();
    let stream = StreamId::new("Account", id.clone());
    assert!(
        wait_until(Duration::from_secs(10), || async {
            rt.store().stats().await.unwrap().outbox == 0 && rt.store().read_stream(&stream).await.unwrap().len() == 3
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let events = rt.store().read_stream(&stream).await.unwrap();
    assert_eq!(events.len(), 3, "one bonus, not three: {events:#?}");
    let bonus = &events[2];
    assert_eq!(bonus.command_id, squall_runtime::policy_command_id(out.events[0].event_id, "bonus"));
    assert_eq!(bonus.causation_id, out.events[0].event_id);
    assert_eq!(bonus.correlation_id, out.events[0].correlation_id);
    assert_eq!(rt.load::<Account>(id).await.unwrap().unwrap().state.balance, 101);
    rt.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_policy_of_its_own_context_follows_the_store() {
    let dir = temp_dir("policy-store");
    let store = Store::open(dir.join("s.db").to_str().unwrap()).await.unwrap();
    let rt = Runtime::builder(store).build().await.unwrap();
    let id = AggregateId::new_v7();
    rt.execute::<Account>(id.clone(), open("el"), CommandContext::new()).await.unwrap();
    for _ in 0..3 {
        rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 150 }, CommandContext::new())
            .await
            .unwrap();
    }
    rt.spawn_policy(Bonus, Source::Store { context: "bank".into() }).unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || async { rt.store().checkpoint("consumer:bonus").await.unwrap() == 7 })
            .await
    );
    let state = rt.load::<Account>(id.clone()).await.unwrap().unwrap();
    assert_eq!((state.state.balance, state.version), (453, 7));
    rt.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_stale_cached_state_costs_a_retry_never_a_wrong_answer() {
    let dir = temp_dir("stale");
    let store = Store::open(dir.join("s.db").to_str().unwrap()).await.unwrap();
    // Two runtimes on one store: each one's cache goes stale behind the other.
    let rt1 = Runtime::builder(store.clone()).build().await.unwrap();
    let rt2 = Runtime::builder(store).build().await.unwrap();
    let id = AggregateId::new_v7();
    rt1.execute::<Account>(id.clone(), open("fa"), CommandContext::new()).await.unwrap();
    rt2.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 10 }, CommandContext::new()).await.unwrap();
    // rt1's cache says balance 0: the overdraft refusal is checked on the store.
    let out = rt1
        .execute::<Account>(id.clone(), AccountCommand::Withdraw { amount: 5 }, CommandContext::new())
        .await
        .unwrap();
    assert_eq!(out.version, 3);
    // rt2's cache (version 2) is stale now: a conflict, then success.
    let out =
        rt2.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 1 }, CommandContext::new()).await.unwrap();
    assert_eq!(out.version, 4);
    // And If-Match is checked against the store, not the cache.
    let ok = rt1
        .execute::<Account>(
            id.clone(),
            AccountCommand::Deposit { amount: 1 },
            CommandContext::new().with_expected_version(4),
        )
        .await
        .unwrap();
    assert_eq!(ok.version, 5);
    let state = rt2.load::<Account>(id).await.unwrap().unwrap();
    assert_eq!((state.state.balance, state.version), (7, 5));
    let _ = std::fs::remove_dir_all(dir);
}
