//! Benchmarks of the runtime, printed as figures and ratios (never asserted).
//!
//! ```sh
//! cargo bench -p squall-runtime
//! SQUALL_BENCH_EVENTS=100000 SQUALL_BENCH_SECS=2 cargo bench -p squall-runtime
//! SQUALL_BENCH_ONLY=relay cargo bench -p squall-runtime --bench runtime
//! ```
//!
//! `SQUALL_BENCH_ONLY` picks figures by name, comma-separated: `append`,
//! `relay`, `catch-up` (default: all). The store files go to the system's
//! temporary directory (`TMPDIR`): on a RAM disk, fsync costs nothing and
//! the append ratios show the runtime's own overhead alone.
//!
//! * appends/s of one event (with its outbox row) through `Runtime::execute`,
//!   at 1 and 16 concurrent callers, against raw SQLite inserting the same
//!   rows one transaction each with the same pragmas, in the same run, both
//!   on files warmed up past their first checkpoint ([`WARM_UP_EVENTS`]);
//! * relay latency from commit to a bus subscriber, at a steady 1,000 events/s
//!   (the commit's time is when a thread of its own, woken by the commit,
//!   sees it: a floor of one wake-up, so a relay that is one wake-up away
//!   shows a p50 near zero, and its tail shows the wake-ups that came late);
//! * projection catch-up over `SQUALL_BENCH_EVENTS` stored events (default
//!   1,000,000).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use squall_runtime::serde_json::{Value, json};
use squall_runtime::uuid::Uuid;
use squall_runtime::{
    Aggregate, AggregateId, CommandContext, CommandMeta, Envelope, EventBus, EventMeta, InProcessBus, Projection,
    ProjectionUpdate, Runtime, Store, Timestamp, bus::SubscribeOptions,
};

struct Counter;

#[derive(Clone, Default, Serialize, Deserialize)]
struct CounterState {
    value: i64,
}

#[derive(Serialize, Deserialize)]
enum CounterCommand {
    Create,
    Add(i64),
    Bulk(u32),
}

impl CommandMeta for CounterCommand {
    fn command_type(&self) -> &'static str {
        "Counter"
    }
    fn is_creation(&self) -> bool {
        !matches!(self, CounterCommand::Add(_))
    }
}

#[derive(Serialize, Deserialize)]
enum CounterEvent {
    Created,
    Added { amount: i64 },
}

impl EventMeta for CounterEvent {
    fn event_type(&self) -> &'static str {
        match self {
            CounterEvent::Created => "Created",
            CounterEvent::Added { .. } => "Added",
        }
    }
    fn is_public(&self) -> bool {
        true
    }
}

#[derive(Debug, Serialize)]
struct Never;
impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("never")
    }
}
impl std::error::Error for Never {}

impl Aggregate for Counter {
    const CONTEXT: &'static str = "bench";
    const TYPE: &'static str = "Counter";
    const STATE_SCHEMA_VERSION: u32 = 1;
    type State = CounterState;
    type Command = CounterCommand;
    type Event = CounterEvent;
    type Error = Never;
    fn decide(_: &CounterState, _: &AggregateId, c: &CounterCommand) -> Result<Vec<CounterEvent>, Never> {
        Ok(match c {
            CounterCommand::Create => vec![CounterEvent::Created],
            CounterCommand::Add(n) => vec![CounterEvent::Added { amount: *n }],
            CounterCommand::Bulk(n) => (0..*n).map(|i| CounterEvent::Added { amount: i64::from(i) }).collect(),
        })
    }
    fn evolve(mut s: CounterState, e: &CounterEvent) -> CounterState {
        if let CounterEvent::Added { amount } = e {
            s.value += amount;
        }
        s
    }
}

struct Totals;

impl Projection for Totals {
    fn name(&self) -> &str {
        "totals"
    }
    fn apply(&self, current: Option<Value>, event: &Envelope) -> ProjectionUpdate {
        let mut doc = current.unwrap_or_else(|| json!({"count": 0, "sum": 0}));
        doc["count"] = json!(doc["count"].as_i64().unwrap_or(0) + 1);
        doc["sum"] = json!(doc["sum"].as_i64().unwrap_or(0) + event.payload["Added"]["amount"].as_i64().unwrap_or(0));
        ProjectionUpdate::Upsert(doc)
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("squall-bench-{name}-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir
}

/// Events written in one transaction before an append figure is measured.
/// The write-ahead log grows past SQLite's checkpoint threshold, so the
/// measured commits overwrite log pages already on disk, as a running
/// service's do. (Without it, a fresh file's first commits also extend the
/// log, and an fsync that must write the file's new size costs several times
/// one that does not: the side with fewer pages per commit stays longer in
/// that slow phase, and the ratio measures the file system.)
const WARM_UP_EVENTS: u32 = 20_000;

const RAW_INSERT_EVENT: &str = "INSERT INTO events (event_id, context, aggregate_type, aggregate_id, version, \
     public_seq, event_type, schema_version, occurred_at, correlation_id, causation_id, command_id, payload) \
     VALUES (?1, 'bench', 'Counter', ?2, ?3, ?3, 'Added', 1, ?4, ?5, ?5, ?5, ?6)";

/// Inserts one event and its outbox row (in the caller's transaction).
fn raw_insert(conn: &Connection, stream: &str, version: u64, payload: &str) {
    conn.prepare_cached(RAW_INSERT_EVENT)
        .expect("prepare")
        .execute(params![
            Uuid::now_v7().to_string(),
            stream,
            version,
            Timestamp::now().as_micros(),
            Uuid::now_v7().to_string(),
            payload
        ])
        .expect("insert");
    let pos = conn.last_insert_rowid();
    conn.prepare_cached("INSERT INTO outbox (position) VALUES (?1)").expect("prepare").execute([pos]).expect("outbox");
}

fn raw_connection(db: &Path) -> Connection {
    let conn = Connection::open(db).expect("open");
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(())).expect("wal");
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;").expect("pragmas");
    conn
}

/// Raw SQLite: the same event and outbox rows, one transaction each, same
/// pragmas, each caller a thread with its own connection. The file is kept
/// open (its write-ahead log with it) across the rounds of one figure.
struct RawStore {
    db: PathBuf,
    _open: Connection,
    rounds: usize,
}

impl RawStore {
    fn new(dir: &Path, callers: usize) -> RawStore {
        let db = dir.join(format!("raw-{callers}-{}.db", Uuid::now_v7()));
        let conn = raw_connection(&db);
        conn.execute_batch(include_str!("../src/store/schema.sql")).expect("schema");
        let payload = json!({"Added": {"amount": 1}}).to_string();
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        for v in 1..=u64::from(WARM_UP_EVENTS) {
            raw_insert(&conn, "warm-up", v, &payload);
        }
        conn.execute_batch("COMMIT").expect("commit");
        RawStore { db, _open: conn, rounds: 0 }
    }

    fn rate(&mut self, callers: usize, secs: f64) -> f64 {
        self.rounds += 1;
        let round = self.rounds;
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        let start = Instant::now();
        let threads: Vec<_> = (0..callers)
            .map(|t| {
                let db = self.db.clone();
                std::thread::spawn(move || {
                    let conn = raw_connection(&db);
                    let payload = json!({"Added": {"amount": 1}}).to_string();
                    let stream = format!("raw-{round}-{t}");
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        n += 1;
                        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
                        raw_insert(&conn, &stream, n, &payload);
                        conn.execute_batch("COMMIT").expect("commit");
                    }
                    n
                })
            })
            .collect();
        let total: u64 = threads.into_iter().map(|t| t.join().expect("thread")).sum();
        total as f64 / start.elapsed().as_secs_f64()
    }
}

/// A runtime with one aggregate per caller, warmed up like [`RawStore`].
async fn runtime_store(dir: &Path, callers: usize) -> Runtime {
    let db = dir.join(format!("rt-{callers}-{}.db", Uuid::now_v7()));
    let store = Store::open(db.to_str().expect("path")).await.expect("store");
    let rt = Runtime::builder(store).build().await.expect("runtime");
    rt.execute::<Counter>("warm-up", CounterCommand::Bulk(WARM_UP_EVENTS), CommandContext::new())
        .await
        .expect("warm up");
    for c in 0..callers {
        rt.execute::<Counter>(format!("c{c}"), CounterCommand::Create, CommandContext::new()).await.expect("create");
    }
    rt
}

async fn runtime_rate(rt: &Runtime, callers: usize, secs: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let rt = rt.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    rt.execute::<Counter>(format!("c{c}"), CounterCommand::Add(1), CommandContext::new())
                        .await
                        .expect("add");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

async fn relay_latency(dir: &Path, secs: f64) {
    let store = Store::open(dir.join("latency.db").to_str().expect("path")).await.expect("store");
    let bus = InProcessBus::new();
    let rt = Runtime::builder(store.clone()).bus(Arc::new(bus.clone())).build().await.expect("runtime");
    // When each position became visible as committed (the commit watch),
    // seen from a thread of its own: the writer wakes it directly, so the
    // time does not wait for a free worker of the runtime under test.
    let committed: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    {
        let committed = committed.clone();
        let mut commits = store.commits();
        std::thread::spawn(move || {
            let watcher = tokio::runtime::Builder::new_current_thread().build().expect("watcher runtime");
            watcher.block_on(async move {
                while commits.changed().await.is_ok() {
                    let head = *commits.borrow_and_update();
                    if let Ok(mut c) = committed.lock() {
                        c.push((head, Instant::now()));
                    }
                }
            });
        });
    }
    let received: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let mut sub =
        bus.subscribe(SubscribeOptions { consumer: "probe".into(), context: "elsewhere".into() }).expect("subscribe");
    {
        let received = received.clone();
        tokio::spawn(async move {
            while let Some(d) = sub.next().await {
                let now = Instant::now();
                if let Ok(mut r) = received.lock() {
                    for e in d.events.iter() {
                        r.insert(e.position, now);
                    }
                }
                d.ack();
            }
        });
    }
    rt.spawn_relay();
    // Commands are issued at a steady rate, each on its own task (the
    // producer does not wait for one to finish before the next tick), over a
    // few aggregates so that they rarely conflict.
    const AGGREGATES: usize = 32;
    for a in 0..AGGREGATES {
        rt.execute::<Counter>(format!("lat{a}"), CounterCommand::Create, CommandContext::new()).await.expect("create");
    }
    let total = (secs * 1000.0) as usize;
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(total);
    let start = Instant::now();
    for i in 0..total {
        ticker.tick().await;
        let rt = rt.clone();
        tasks.push(tokio::spawn(async move {
            let t0 = Instant::now();
            let out = rt
                .execute::<Counter>(format!("lat{}", i % AGGREGATES), CounterCommand::Add(1), CommandContext::new())
                .await
                .expect("add");
            (out.events[0].position, t0)
        }));
    }
    let mut sent = Vec::with_capacity(total);
    for t in tasks {
        sent.push(t.await.expect("task"));
    }
    let elapsed = start.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let committed = committed.lock().expect("lock").clone();
    let received = received.lock().expect("lock").clone();
    let mut from_commit = Vec::new();
    let mut from_command = Vec::new();
    for (pos, t0) in &sent {
        let Some(rx) = received.get(pos) else { continue };
        // The first commit notification covering this position.
        let idx = committed.partition_point(|(head, _)| head < pos);
        if let Some((_, tc)) = committed.get(idx) {
            from_commit.push(rx.saturating_duration_since(*tc));
        }
        from_command.push(rx.saturating_duration_since(*t0));
    }
    from_commit.sort();
    from_command.sort();
    println!(
        "relay latency at {:.0} events/s ({} events, {} received): commit->subscriber p50 {:?} p99 {:?} max {:?}; \
         command start->subscriber p50 {:?} p99 {:?}",
        sent.len() as f64 / elapsed.as_secs_f64(),
        sent.len(),
        received.len(),
        percentile(&from_commit, 0.5),
        percentile(&from_commit, 0.99),
        from_commit.last().copied().unwrap_or_default(),
        percentile(&from_command, 0.5),
        percentile(&from_command, 0.99),
    );
    println!(
        "  goal p99 < 10 ms: {}",
        if percentile(&from_commit, 0.99) < Duration::from_millis(10) { "met" } else { "NOT met" }
    );
    rt.shutdown();
}

async fn catch_up(dir: &Path, events: u64) {
    let store = Store::open(dir.join("catchup.db").to_str().expect("path")).await.expect("store");
    let rt = Runtime::builder(store).snapshot_every(0).build().await.expect("runtime");
    let per_command = 1000u64.min(events.max(1));
    let commands = events.div_ceil(per_command);
    let fill = Instant::now();
    for c in 0..commands {
        rt.execute::<Counter>(format!("bulk{c}"), CounterCommand::Bulk(per_command as u32), CommandContext::new())
            .await
            .expect("bulk");
    }
    let stored = rt.store().head_position();
    println!("catch-up: stored {stored} events in {:.1?}", fill.elapsed());
    let start = Instant::now();
    let n = rt.catch_up(Arc::new(Totals)).await.expect("catch up");
    let secs = start.elapsed().as_secs_f64();
    println!(
        "projection catch-up: {n} events in {secs:.2} s = {:.0} events/s (goal >= 100,000/s: {})",
        n as f64 / secs,
        if n as f64 / secs >= 100_000.0 { "met" } else { "NOT met" }
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let secs =
        std::env::var("SQUALL_BENCH_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(if quick { 0.2 } else { 3.0 });
    let events = env_u64("SQUALL_BENCH_EVENTS", if quick { 2_000 } else { 1_000_000 });
    let dir = fresh_dir("run");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    let only = std::env::var("SQUALL_BENCH_ONLY").unwrap_or_default();
    let wanted = |figure: &str| only.is_empty() || only.split(',').any(|o| o.trim() == figure);
    println!("squall-runtime bench ({} s per append figure, {} events for catch-up)", secs, events);
    // Raw and runtime runs alternate in short rounds, so that load from other
    // processes on the machine hits both alike; the median round ratio is
    // reported with the overall rates.
    const ROUNDS: usize = 5;
    let append_callers: &[usize] = if wanted("append") { &[1, 16] } else { &[] };
    for &callers in append_callers {
        let (mut raw_total, mut ours_total, mut ratios) = (0.0, 0.0, Vec::new());
        let mut raw_store = RawStore::new(&dir, callers);
        let ours_store = rt.block_on(runtime_store(&dir, callers));
        for _ in 0..ROUNDS {
            let raw = raw_store.rate(callers, secs / ROUNDS as f64);
            let ours = rt.block_on(runtime_rate(&ours_store, callers, secs / ROUNDS as f64));
            raw_total += raw;
            ours_total += ours;
            ratios.push(ours / raw);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "appends/s at {callers:>2} caller(s): runtime {:>8.0}  raw sqlite {:>8.0}  median ratio {:.2} \
             (rounds {:.2?}; goal >= 0.70)",
            ours_total / ROUNDS as f64,
            raw_total / ROUNDS as f64,
            ratios[ROUNDS / 2],
            ratios,
        );
    }
    if wanted("relay") {
        rt.block_on(relay_latency(&dir, secs.max(1.0)));
    }
    if wanted("catch-up") {
        rt.block_on(catch_up(&dir, events));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
