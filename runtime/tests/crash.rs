//! Crash tests: the test binary spawns itself as a child process (the
//! `child` test, driven by environment variables), which crashes at a fault
//! point or is killed with SIGKILL; the parent then restarts the runtime on
//! the same file and checks what survived.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use squall_runtime::uuid::Uuid;
use squall_runtime::{
    AggregateId, CommandContext, InProcessBus, Runtime, Source, Store, StreamId, fault::FAULT_EXIT_CODE,
};

const ACCOUNTS: usize = 4;

fn account(i: usize) -> AggregateId {
    AggregateId::new(format!("acc-{i}"))
}

/// Spawns this test binary running only the `child` test.
fn spawn_child(mode: &str, db: &Path, fault: Option<&str>) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
    cmd.args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env("SQUALL_CHILD", mode)
        .env("SQUALL_CHILD_DB", db)
        .env_remove("SQUALL_FAULT")
        .stdin(Stdio::null());
    if let Some(f) = fault {
        cmd.env("SQUALL_FAULT", f);
    }
    cmd
}

async fn build(db: &Path, bus: &InProcessBus) -> Runtime {
    let store = Store::open(db.to_str().expect("utf-8 path")).await.expect("open");
    Runtime::builder(store).bus(Arc::new(bus.clone())).max_conflict_retries(1000).build().await.expect("runtime")
}

/// The child side. Without `SQUALL_CHILD` it does nothing (so it passes in a
/// normal run).
#[test]
fn child() {
    let Ok(mode) = std::env::var("SQUALL_CHILD") else {
        return;
    };
    let db = std::path::PathBuf::from(std::env::var("SQUALL_CHILD_DB").expect("db"));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio");
    rt.block_on(async move {
        let bus = InProcessBus::new();
        let runtime = build(&db, &bus).await;
        match mode.as_str() {
            // Opens the accounts, then deposits until a fault point stops us;
            // the relay and a bus consumer run meanwhile.
            "deposit-with-relay" => {
                runtime.spawn_projection(Ledger("audit"), Source::Bus { context: "audit".into() }).expect("subscribe");
                runtime.spawn_relay();
                deposits(&runtime, 1_000_000).await;
            }
            // Appends 30 events without a relay, then starts consumer and
            // relay, which crashes after publishing (before its checkpoint).
            "publish-then-crash" => {
                deposits(&runtime, 6).await;
                runtime.spawn_projection(Ledger("audit"), Source::Bus { context: "audit".into() }).expect("subscribe");
                runtime.spawn_relay();
                tokio::time::sleep(Duration::from_secs(30)).await;
                panic!("the after-publish fault point was never reached");
            }
            // Many concurrent tasks issuing commands; prints each
            // acknowledged command id. Killed with SIGKILL by the parent.
            "ack-forever" => {
                open_accounts(&runtime).await;
                let mut tasks = Vec::new();
                for t in 0..8 {
                    let runtime = runtime.clone();
                    tasks.push(tokio::spawn(async move {
                        for n in 0.. {
                            let ctx = CommandContext::new();
                            let id = ctx.command_id;
                            let amount = (n % 7) + 1;
                            runtime
                                .execute::<Account>(account(t % ACCOUNTS), AccountCommand::Deposit { amount }, ctx)
                                .await
                                .expect("deposit");
                            println!("ACK {id} {}", t % ACCOUNTS);
                        }
                    }));
                }
                for t in tasks {
                    let _ = t.await;
                }
            }
            other => panic!("unknown child mode {other}"),
        }
    });
}

async fn open_accounts(rt: &Runtime) {
    for i in 0..ACCOUNTS {
        let cmd = AccountCommand::Open { owner: format!("o{i}") };
        // Idempotent, so a restarted child may call it again.
        let ctx =
            CommandContext::new().with_command_id(Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("open-{i}").as_bytes()));
        let _ = rt.execute::<Account>(account(i), cmd, ctx).await;
    }
}

async fn deposits(rt: &Runtime, rounds: usize) {
    open_accounts(rt).await;
    for r in 0..rounds {
        for i in 0..ACCOUNTS {
            rt.execute::<Account>(
                account(i),
                AccountCommand::Deposit { amount: (r % 5 + 1) as i64 },
                CommandContext::new(),
            )
            .await
            .expect("deposit");
            if r % 3 == 0 {
                // A private event now and then: it must never reach the bus.
                rt.execute::<Account>(account(i), AccountCommand::Note { text: "p".into() }, CommandContext::new())
                    .await
                    .expect("note");
            }
        }
    }
}

/// Restarts on `db` with the audit consumer and the relay, waits until the
/// outbox is drained, and checks that the consumer applied every public event
/// exactly once and in per-stream order.
async fn restart_and_check(db: &Path) -> usize {
    let bus = InProcessBus::new();
    let rt = build(db, &bus).await;
    rt.spawn_projection(Ledger("audit"), Source::Bus { context: "audit".into() }).expect("subscribe");
    rt.spawn_relay();
    let store = rt.store().clone();
    assert!(
        wait_until(Duration::from_secs(20), || async { store.stats().await.unwrap().outbox == 0 }).await,
        "the relay did not drain the outbox"
    );
    let mut public = 0;
    for i in 0..ACCOUNTS {
        let events = store.read_stream(&StreamId::new("Account", account(i))).await.unwrap();
        let expected_ids: Vec<String> =
            events.iter().filter(|e| e.is_public()).map(|e| e.event_id.to_string()).collect();
        public += expected_ids.len();
        let doc = store.read_model("audit", account(i).as_str()).await.unwrap();
        let (ids, seqs): (Vec<String>, Vec<u64>) = match doc {
            Some(doc) => (
                doc["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect(),
                doc["seqs"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect(),
            ),
            None => (vec![], vec![]),
        };
        assert_eq!(ids, expected_ids, "account {i}: every public event applied exactly once, in order");
        assert_eq!(seqs, (1..=expected_ids.len() as u64).collect::<Vec<_>>());
    }
    rt.shutdown();
    public
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_commit_and_publish() {
    let dir = temp_dir("crash-commit");
    let db = dir.join("s.db");
    // Crash at the 40th commit: the first open the accounts, then deposits
    // (the relay's checkpoints are commits too).
    let status = spawn_child("deposit-with-relay", &db, Some("after-commit:40"))
        .stdout(Stdio::null())
        .status()
        .expect("spawn child");
    assert_eq!(status.code(), Some(FAULT_EXIT_CODE), "the child stops at the fault point");
    // The last commit happened but was never published.
    {
        let store = Store::open(db.to_str().unwrap()).await.unwrap();
        let stats = store.stats().await.unwrap();
        assert!(stats.events > 0);
        assert!(stats.outbox > 0, "something committed was left unpublished: {stats:?}");
    }
    let public = restart_and_check(&db).await;
    assert!(public > 0);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_publish_before_the_relay_checkpoint() {
    let dir = temp_dir("crash-publish");
    let db = dir.join("s.db");
    let status = spawn_child("publish-then-crash", &db, Some("after-publish"))
        .stdout(Stdio::null())
        .status()
        .expect("spawn child");
    assert_eq!(status.code(), Some(FAULT_EXIT_CODE));
    // The consumer processed the batch, but the relay's checkpoint did not move.
    {
        let store = Store::open(db.to_str().unwrap()).await.unwrap();
        assert_eq!(store.checkpoint("relay").await.unwrap(), 0);
        let stats = store.stats().await.unwrap();
        assert!(stats.outbox > 0);
        let doc = store.read_model("audit", account(0).as_str()).await.unwrap();
        assert!(doc.is_some(), "the consumer had processed the batch before the crash");
    }
    // On restart everything is republished; the inbox drops all of it.
    let public = restart_and_check(&db).await;
    assert_eq!(public, ACCOUNTS * 7, "open + 6 deposits per account");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_a_stream_of_commands() {
    let dir = temp_dir("kill9");
    let db = dir.join("s.db");
    let mut proc = spawn_child("ack-forever", &db, None)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = proc.stdout.take().expect("stdout");
    // Read acknowledgements until enough, then SIGKILL mid-stream.
    let acked: Vec<(Uuid, usize)> = tokio::task::spawn_blocking(move || {
        let mut acked = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("ACK ") {
                let (id, acc) = rest.split_once(' ').expect("ack line");
                acked.push((id.parse().expect("uuid"), acc.parse().expect("account")));
                if acked.len() == 300 {
                    proc.kill().expect("kill -9");
                }
            }
        }
        let _ = proc.wait();
        acked
    })
    .await
    .unwrap();
    assert!(acked.len() >= 300, "got {} acks", acked.len());
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let mut by_account: HashMap<usize, HashSet<Uuid>> = HashMap::new();
    for i in 0..ACCOUNTS {
        let events = store.read_stream(&StreamId::new("Account", account(i))).await.unwrap();
        // Versions stay contiguous after the kill.
        assert!(events.iter().enumerate().all(|(n, e)| e.version == n as u64 + 1));
        by_account.insert(i, events.iter().map(|e| e.command_id).collect());
    }
    for (id, acc) in &acked {
        assert!(by_account[acc].contains(id), "acknowledged command {id} lost");
    }
    let _ = std::fs::remove_dir_all(dir);
}
