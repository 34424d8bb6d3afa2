//! Snapshot + tail equals full replay; snapshots of another state schema are
//! ignored.

mod common;

use common::*;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use squall_runtime::{Aggregate, AggregateId, CommandContext, Runtime, Store, StreamId};

fn command() -> impl Strategy<Value = AccountCommand> {
    prop_oneof![
        (1i64..50).prop_map(|amount| AccountCommand::Deposit { amount }),
        (1i64..80).prop_map(|amount| AccountCommand::Withdraw { amount }),
        "[a-z]{0,3}".prop_map(|text| AccountCommand::Note { text }),
        Just(AccountCommand::Nothing),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn snapshot_plus_tail_equals_full_replay(
        commands in proptest::collection::vec(command(), 0..60),
        every in 1u64..8,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = temp_dir("prop");
            let store = Store::open(dir.join("s.db").to_str().unwrap()).await.unwrap();
            let runtime = Runtime::builder(store).snapshot_every(every).build().await.unwrap();
            let id = AggregateId::new_v7();
            runtime.execute::<Account>(id.clone(), AccountCommand::Open { owner: "p".into() }, CommandContext::new()).await.unwrap();
            for c in commands {
                // Domain rejections (overdraft) are part of the sequence.
                let _ = runtime.execute::<Account>(id.clone(), c, CommandContext::new()).await;
            }
            let loaded = runtime.load::<Account>(id.clone()).await.unwrap().unwrap();
            let events = runtime.store().read_stream(&StreamId::new("Account", id.clone())).await.unwrap();
            prop_assert_eq!(&loaded.state, &replay(&events));
            prop_assert_eq!(loaded.version, events.len() as u64);
            // The snapshot really was used when there was one: a runtime without
            // snapshots agrees too.
            let plain = Runtime::builder(runtime.store().clone()).snapshot_every(0).build().await.unwrap();
            let loaded_plain = plain.load::<Account>(id).await.unwrap().unwrap();
            prop_assert_eq!(loaded_plain.state, loaded.state);
            let _ = std::fs::remove_dir_all(dir);
            Ok(())
        })?;
    }
}

/// The same stream type with a new state schema (a different state shape).
struct AccountV2;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct StateV2 {
    total_in: i64,
    total_out: i64,
}

impl Aggregate for AccountV2 {
    const CONTEXT: &'static str = "bank";
    const TYPE: &'static str = "Account";
    const STATE_SCHEMA_VERSION: u32 = 2;
    type State = StateV2;
    type Command = AccountCommand;
    type Event = AccountEvent;
    type Error = AccountError;
    fn decide(_: &StateV2, _: &AggregateId, _: &AccountCommand) -> Result<Vec<AccountEvent>, AccountError> {
        Ok(vec![])
    }
    fn evolve(mut s: StateV2, e: &AccountEvent) -> StateV2 {
        match e {
            AccountEvent::Deposited { amount } => s.total_in += amount,
            AccountEvent::Withdrawn { amount } => s.total_out += amount,
            _ => {}
        }
        s
    }
}

#[tokio::test]
async fn a_snapshot_of_an_older_state_schema_is_ignored() {
    let dir = temp_dir("schema");
    let store = Store::open(dir.join("s.db").to_str().unwrap()).await.unwrap();
    let rt = Runtime::builder(store).snapshot_every(2).build().await.unwrap();
    let id = AggregateId::new_v7();
    rt.execute::<Account>(id.clone(), AccountCommand::Open { owner: "s".into() }, CommandContext::new()).await.unwrap();
    for amount in [5, 6, 7] {
        rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount }, CommandContext::new()).await.unwrap();
    }
    rt.execute::<Account>(id.clone(), AccountCommand::Withdraw { amount: 4 }, CommandContext::new()).await.unwrap();
    // A v1 snapshot exists at version 4; loading as v2 must replay everything.
    let v2 = rt.load::<AccountV2>(id.clone()).await.unwrap().unwrap();
    assert_eq!(v2.state, StateV2 { total_in: 18, total_out: 4 });
    assert_eq!(v2.version, 5);
    let _ = std::fs::remove_dir_all(dir);
}
