//! Projections: inline updates, replay, catch-up.

mod common;

use std::sync::Arc;

use common::*;
use squall_runtime::serde_json::json;
use squall_runtime::{AggregateId, CommandContext, Projection, Runtime, Source, Store};

async fn all_docs(rt: &Runtime, projection: &str) -> Vec<(String, squall_runtime::serde_json::Value)> {
    rt.store().read_models(projection, None, 10_000).await.unwrap()
}

#[tokio::test]
async fn replaying_projections_twice_gives_identical_state_and_publishes_nothing() {
    let dir = temp_dir("replay");
    let store = Store::open(dir.join("s.db").to_str().unwrap()).await.unwrap();
    let rt = Runtime::builder(store).inline_projection(Ledger("ledger")).build().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..20 {
        let id = AggregateId::new_v7();
        rt.execute::<Account>(id.clone(), AccountCommand::Open { owner: format!("o{i}") }, CommandContext::new())
            .await
            .unwrap();
        for k in 0..(i % 5) {
            rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: k + 1 }, CommandContext::new())
                .await
                .unwrap();
            rt.execute::<Account>(id.clone(), AccountCommand::Note { text: "n".into() }, CommandContext::new())
                .await
                .unwrap();
        }
        ids.push(id);
    }
    // The inline projection is up to date right after each command.
    let live = all_docs(&rt, "ledger").await;
    assert_eq!(live.len(), 20);
    let first = ids[4].to_string();
    let doc = rt.store().read_model("ledger", &first).await.unwrap().unwrap();
    assert_eq!(doc["balance"], json!(1 + 2 + 3 + 4));

    // A policy that would fire on every event, to prove a replay triggers none.
    let before = rt.store().stats().await.unwrap();
    let head = rt.store().head_position();
    let projection: Arc<dyn Projection> = rt.inline_projection("ledger").unwrap();
    let n1 = rt.rebuild_projection(projection.clone()).await.unwrap();
    let once = all_docs(&rt, "ledger").await;
    let n2 = rt.rebuild_projection(projection.clone()).await.unwrap();
    let twice = all_docs(&rt, "ledger").await;
    assert_eq!(n1, head);
    assert_eq!(n2, head);
    assert_eq!(once, live, "replay equals the live projection");
    assert_eq!(twice, once, "two replays agree");
    let after = rt.store().stats().await.unwrap();
    assert_eq!(after, before, "a replay writes no event, no outbox row, no command");
    assert_eq!(rt.store().checkpoint("projection:ledger").await.unwrap(), head);

    // After a rebuild the inline projection keeps up with new commands.
    rt.execute::<Account>(ids[0].clone(), AccountCommand::Deposit { amount: 7 }, CommandContext::new()).await.unwrap();
    let doc = rt.store().read_model("ledger", ids[0].as_str()).await.unwrap().unwrap();
    assert_eq!(doc["balance"], json!(7));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_projection_added_later_catches_up_at_build() {
    let dir = temp_dir("late");
    let url = dir.join("s.db");
    let url = url.to_str().unwrap();
    let id = AggregateId::new_v7();
    {
        let rt = Runtime::builder(Store::open(url).await.unwrap()).build().await.unwrap();
        rt.execute::<Account>(id.clone(), AccountCommand::Open { owner: "x".into() }, CommandContext::new())
            .await
            .unwrap();
        rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 3 }, CommandContext::new()).await.unwrap();
    }
    let rt = Runtime::builder(Store::open(url).await.unwrap()).inline_projection(Ledger("late")).build().await.unwrap();
    let doc = rt.store().read_model("late", id.as_str()).await.unwrap().unwrap();
    assert_eq!(doc["seqs"], json!([1, 2]));
    rt.execute::<Account>(id.clone(), AccountCommand::Deposit { amount: 4 }, CommandContext::new()).await.unwrap();
    let doc = rt.store().read_model("late", id.as_str()).await.unwrap().unwrap();
    assert_eq!(doc["seqs"], json!([1, 2, 3]));
    assert_eq!(doc["balance"], json!(7));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_store_following_projection_sees_private_events_of_its_context() {
    let dir = temp_dir("own");
    let rt = Runtime::builder(Store::open(dir.join("s.db").to_str().unwrap()).await.unwrap()).build().await.unwrap();
    let id = AggregateId::new_v7();
    rt.execute::<Account>(id.clone(), AccountCommand::Open { owner: "x".into() }, CommandContext::new()).await.unwrap();
    rt.execute::<Account>(id.clone(), AccountCommand::Note { text: "private".into() }, CommandContext::new())
        .await
        .unwrap();
    rt.spawn_projection(Ledger("own"), Source::Store { context: "bank".into() }).unwrap();
    rt.spawn_projection(Ledger("foreign"), Source::Store { context: "elsewhere".into() }).unwrap();
    assert!(
        wait_until(std::time::Duration::from_secs(5), || async {
            rt.store().read_model("own", id.as_str()).await.unwrap().is_some_and(|d| d["seqs"] == json!([1, 2]))
        })
        .await
    );
    assert!(rt.store().read_model("foreign", id.as_str()).await.unwrap().is_none());
    // Only the public event reached the outbox.
    assert_eq!(rt.store().stats().await.unwrap().outbox, 1);
    rt.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}
