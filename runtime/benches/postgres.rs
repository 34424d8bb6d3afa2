//! Benchmarks of the PostgreSQL store and the NATS JetStream bus, against the
//! real servers (`SQUALL_TEST_DATABASE_URL`, `SQUALL_TEST_NATS_URL`; the
//! local defaults otherwise). Prints its figures:
//!
//! 1. commands per second (one event and its outbox row each) through the
//!    runtime at 1 and 16 concurrent clients, against PostgreSQL's raw rate
//!    for the same single-row insert transactions (an equivalent
//!    tokio-postgres client loop, same concurrency, same run, alternating
//!    rounds), sent as a transaction block (`BEGIN`, insert, `COMMIT`) and as
//!    one statement;
//! 2. commit-to-consumer latency across contexts through JetStream at a
//!    steady 1,000 events/s (p50, p99);
//! 3. relay throughput from a backlog of 100,000 events.
//!
//! `cargo bench -p squall-runtime --features postgres,nats --bench postgres`
//! (`-- --quick` shortens every phase, `-- --part N` runs one part,
//! `-- --consumer-replicas K` sets the consuming context's replicas, default 1,
//! `-- --rate R` the paced rate of part 2, default 1,000/s).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use squall_runtime::serde_json::json;
use squall_runtime::uuid::Uuid;
use squall_runtime::{
    Aggregate, AggregateId, CommandContext, CommandMeta, ConsumeError, Consumer, Envelope, EventMeta, Mark, NatsBus,
    NatsOptions, Runtime, Source, Store, StoreError, Timestamp,
};
use tokio_postgres::NoTls;

struct Counter;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct CounterState {
    n: u64,
}

#[derive(Serialize, Deserialize)]
struct Add {
    by: u64,
    /// The first command of a counter creates it.
    create: bool,
}

impl CommandMeta for Add {
    fn command_type(&self) -> &'static str {
        "Add"
    }
    fn is_creation(&self) -> bool {
        self.create
    }
}

#[derive(Serialize, Deserialize)]
struct Added {
    by: u64,
}

impl EventMeta for Added {
    fn event_type(&self) -> &'static str {
        "Added"
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
    type Command = Add;
    type Event = Added;
    type Error = Never;
    fn decide(_: &CounterState, _: &AggregateId, c: &Add) -> Result<Vec<Added>, Never> {
        Ok(vec![Added { by: c.by }])
    }
    fn evolve(s: CounterState, e: &Added) -> CounterState {
        CounterState { n: s.n + e.by }
    }
}

fn database_url() -> String {
    std::env::var("SQUALL_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn nats_url() -> String {
    std::env::var("SQUALL_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

async fn admin() -> tokio_postgres::Client {
    let url = database_url();
    let (client, conn) =
        tokio_postgres::connect(&url, NoTls).await.unwrap_or_else(|e| panic!("PostgreSQL is required at {url}: {e}"));
    tokio::spawn(conn);
    client
}

/// The value after `--name` on the command line.
fn arg<T: std::str::FromStr>(name: &str) -> Option<T> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Commands per second through the runtime with `clients` concurrent
/// callers, each on its own counter (no conflicts), for `secs`.
async fn runtime_rate(rt: &Runtime, clients: usize, secs: f64) -> f64 {
    let mut ids = Vec::new();
    for _ in 0..clients {
        let id = AggregateId::new_v7();
        // Streams exist before timing: the first command is a creation.
        let ctx = CommandContext::new();
        let _ = rt.execute::<Counter>(id.clone(), Add { by: 0, create: true }, ctx).await;
        ids.push(id);
    }
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for id in ids {
        let rt = rt.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                rt.execute::<Counter>(id.clone(), Add { by: 1, create: false }, CommandContext::new())
                    .await
                    .expect("command");
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// How the raw loop sends its transactions.
#[derive(Clone, Copy)]
enum Raw {
    /// `BEGIN` and the insert in one flight, then `COMMIT`: a transaction as a
    /// client library runs one (two round trips).
    Block,
    /// The insert alone, outside a transaction block: a transaction of its
    /// own, one round trip (as the store sends a plain append).
    Statement,
}

/// The same rows (one event, one outbox row) inserted by a bare client loop,
/// one transaction each. The clients connect before the clock starts.
async fn raw_rate(schema: &str, clients: usize, secs: f64, mode: Raw) -> f64 {
    let mut connected = Vec::new();
    for _ in 0..clients {
        let client = admin().await;
        client.batch_execute(&format!("SET search_path TO {schema}")).await.expect("path");
        let insert = client
            .prepare(
                "WITH e AS (INSERT INTO raw_events (position, tx_id, event_id, context, aggregate_type, \
                 aggregate_id, version, public_seq, event_type, schema_version, occurred_at, correlation_id, \
                 causation_id, command_id, payload) VALUES (pg_current_xact_id()::text::bigint << 16, \
                 pg_current_xact_id(), $1, 'bench', 'Counter', $2, $3, $3, 'Added', 1, $4, $1, $1, $1, $5) \
                 RETURNING position) INSERT INTO raw_outbox (position) SELECT position FROM e",
            )
            .await
            .expect("prepare");
        connected.push((client, insert));
    }
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (client, insert) in connected {
        tasks.push(tokio::spawn(async move {
            let stream = Uuid::now_v7().to_string();
            let mut n = 0i64;
            while Instant::now() < deadline {
                n += 1;
                let id = Uuid::now_v7();
                let payload = json!({"type": "Added", "by": 1});
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
                    [&id, &stream, &n, &Timestamp::now().as_micros(), &payload];
                match mode {
                    Raw::Block => {
                        let (begin, insert) =
                            futures_util::future::join(client.batch_execute("BEGIN"), client.execute(&insert, &params))
                                .await;
                        begin.expect("begin");
                        insert.expect("insert");
                        client.batch_execute("COMMIT").await.expect("commit");
                    }
                    Raw::Statement => {
                        client.execute(&insert, &params).await.expect("insert");
                    }
                }
            }
            n as u64
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// When each measured event was committed (its command returned) and when
/// it reached the consumer.
#[derive(Default)]
struct Timings {
    /// Command start (the event's `occurred_at`) to consumer, ms.
    from_command: Vec<f64>,
    /// Consumer arrival, by event id.
    arrived: HashMap<Uuid, Instant>,
    /// Commit (the command returned), by event id.
    committed: HashMap<Uuid, Instant>,
}

/// Records how long after its command each event reached the consumer.
struct Stopwatch(Arc<Mutex<Timings>>, Arc<std::sync::atomic::AtomicUsize>);

impl Consumer for Stopwatch {
    fn name(&self) -> &str {
        "stopwatch"
    }
    async fn handle(&self, rt: &Runtime, event: &Envelope, mark: Mark) -> Result<(), ConsumeError> {
        // occurred_at is taken before the append: that figure includes the
        // commit itself. Creations (warm-up) are not counted.
        let ms = (Timestamp::now().as_micros() - event.occurred_at.as_micros()) as f64 / 1000.0;
        if event.payload["by"] == json!(1) {
            if let Ok(mut t) = self.0.lock() {
                t.from_command.push(ms);
                t.arrived.entry(event.event_id).or_insert_with(Instant::now);
            }
        } else {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        match rt.store().commit_mark(mark).await {
            Ok(()) | Err(StoreError::DuplicateMessage) => Ok(()),
            Err(e) => Err(ConsumeError::Retry(e.to_string())),
        }
    }

    /// Its only effect is the mark.
    fn batched(&self) -> bool {
        true
    }
}

async fn nats_bus(options: &NatsOptions, store: &Store) -> NatsBus {
    NatsBus::connect(&nats_url(), options.clone()).await.expect("nats").with_store(store.clone())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    // `--part N` runs only part N.
    let only: Option<u32> = arg("--part");
    let part = |n: u32| only.is_none_or(|o| o == n);
    let secs = if quick { 1.0 } else { 4.0 };
    let id = Uuid::now_v7().simple().to_string()[20..].to_owned();
    let (bank_schema, audit_schema) = (format!("bench_bank_{id}"), format!("bench_audit_{id}"));
    let options =
        NatsOptions { stream: format!("BENCH_{id}"), subject_prefix: format!("bench_{id}"), ..NatsOptions::default() };
    let url = |schema: &str| format!("{}?schema={schema}&pool_size=20", database_url());

    println!("PostgreSQL + NATS JetStream benchmark ({})", if quick { "quick" } else { "full" });
    let bank_store = Store::open(&url(&bank_schema)).await.expect("open bank store");
    let client = admin().await;
    client
        .batch_execute(&format!(
            "SET search_path TO {bank_schema}; CREATE TABLE raw_events (LIKE events INCLUDING ALL); \
             CREATE TABLE raw_outbox (LIKE outbox INCLUDING ALL);"
        ))
        .await
        .expect("raw tables");

    // 1. Commands per second vs the raw insert rate.
    if part(1) {
        let rt = Runtime::builder(bank_store.clone()).build().await.expect("runtime");
        // The three loops alternate in short rounds, so that load from other
        // processes on the machine (and the disk's changing fsync time) hits
        // them alike; the median round ratios are reported.
        const ROUNDS: usize = 5;
        let round = secs / ROUNDS as f64;
        println!("\n1. commands/s (one event + outbox row each), {ROUNDS} alternating rounds of {round} s");
        for clients in [1, 16] {
            let (mut ours, mut block, mut statement) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..ROUNDS {
                block.push(raw_rate(&bank_schema, clients, round, Raw::Block).await);
                statement.push(raw_rate(&bank_schema, clients, round, Raw::Statement).await);
                ours.push(runtime_rate(&rt, clients, round).await);
            }
            let ratio = |raw: &[f64]| median(ours.iter().zip(raw).map(|(o, r)| o / r).collect());
            println!(
                "   {clients:>2} client(s): runtime {:>6.0}/s   raw BEGIN..COMMIT {:>6.0}/s (ratio {:.2})   \
                 raw one statement {:>6.0}/s (ratio {:.2})   (medians; goal >= 0.70)",
                median(ours.clone()),
                median(block.clone()),
                ratio(&block),
                median(statement.clone()),
                ratio(&statement),
            );
        }
        rt.shutdown();
    }

    // 2. Commit-to-consumer latency across contexts at 1,000 events/s.
    if part(2) {
        // A consumer applies every message it has fetched in one transaction,
        // so one replica keeps up with 1,000/s; more replicas share the
        // durable consumer (for availability) but, all in this one process on
        // the same cores, each adds its own fetches and commits.
        let replicas: usize = arg("--consumer-replicas").unwrap_or(1);
        let timings = Arc::new(Mutex::new(Timings::default()));
        let warmed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut audits = Vec::new();
        for _ in 0..replicas {
            let store = Store::open(&format!("{}?schema={audit_schema}&pool_size=2", database_url()))
                .await
                .expect("open audit store");
            let audit = Runtime::builder(store.clone())
                .bus(Arc::new(nats_bus(&options, &store).await))
                .build()
                .await
                .expect("audit runtime");
            audit
                .spawn_consumer(Stopwatch(timings.clone(), warmed.clone()), Source::Bus { context: "audit".into() })
                .expect("subscribe");
            audits.push(audit);
        }
        // The bank starts relaying from here: skip the backlog of part 1.
        client
            .batch_execute(&format!(
                "INSERT INTO {bank_schema}.checkpoints (name, position) SELECT 'relay', coalesce(max(position), 0) \
                 FROM {bank_schema}.events ON CONFLICT (name) DO UPDATE SET position = excluded.position; \
                 DELETE FROM {bank_schema}.outbox;"
            ))
            .await
            .expect("skip backlog");
        let bank = Runtime::builder(bank_store.clone())
            .bus(Arc::new(nats_bus(&options, &bank_store).await))
            .build()
            .await
            .expect("bank runtime");
        bank.spawn_relay();
        let rate: u64 = arg("--rate").unwrap_or(1000);
        let total: usize = if quick { 2000 } else { 10_000 };
        const PRODUCERS: usize = 8;
        const COUNTERS: usize = 100; // per producer: one aggregate's events arrive ~1 s apart
        let mut producers = Vec::new();
        // Pacing starts once the consumers have taken the creations.
        let (go_tx, go) = tokio::sync::watch::channel(false);
        for _ in 0..PRODUCERS {
            let (bank, mut go, timings) = (bank.clone(), go.clone(), timings.clone());
            producers.push(tokio::spawn(async move {
                let ids: Vec<AggregateId> = (0..COUNTERS).map(|_| AggregateId::new_v7()).collect();
                for id in &ids {
                    let add = Add { by: 0, create: true };
                    bank.execute::<Counter>(id.clone(), add, CommandContext::new()).await.expect("create");
                }
                let _ = go.wait_for(|g| *g).await;
                let began = Instant::now();
                // 8 producers of rate/8 commands/s each.
                let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 * PRODUCERS as u64 / rate));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                for n in 0..total / PRODUCERS {
                    tick.tick().await;
                    let add = Add { by: 1, create: false };
                    let done = bank
                        .execute::<Counter>(ids[n % COUNTERS].clone(), add, CommandContext::new())
                        .await
                        .expect("command");
                    let now = Instant::now();
                    if let Ok(mut t) = timings.lock() {
                        for e in &done.events {
                            t.committed.insert(e.event_id, now);
                        }
                    }
                }
                began.elapsed()
            }));
        }
        drop(go);
        let warm_deadline = Instant::now() + Duration::from_secs(60);
        while warmed.load(std::sync::atomic::Ordering::Relaxed) < PRODUCERS * COUNTERS && Instant::now() < warm_deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        go_tx.send_replace(true);
        let mut took = Duration::ZERO;
        for p in producers {
            took = took.max(p.await.expect("producer"));
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while timings.lock().map(|t| t.from_command.len()).unwrap_or(0) < total && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (mut from_command, mut from_commit) = match timings.lock() {
            Ok(t) => {
                // An event can reach the consumer before its command's task
                // has been told of the commit: that counts as no delay.
                let from_commit = t
                    .arrived
                    .iter()
                    .filter_map(|(id, at)| t.committed.get(id).map(|c| at.saturating_duration_since(*c)))
                    .map(|d| d.as_secs_f64() * 1000.0)
                    .collect();
                (t.from_command.clone(), from_commit)
            }
            Err(_) => (Vec::new(), Vec::new()),
        };
        from_command.sort_by(f64::total_cmp);
        from_commit.sort_by(f64::total_cmp);
        println!(
            "\n2. commit -> consumer in another context through JetStream ({replicas} consumer replicas), \
             {total} events paced at {rate}/s (achieved {:.0}/s)",
            total as f64 / took.as_secs_f64()
        );
        println!(
            "   received {} of {total}; from the commit (the command returned): p50 {:.2} ms   p99 {:.2} ms \
             (goal < 20)   max {:.2} ms",
            from_commit.len(),
            percentile(&from_commit, 0.5),
            percentile(&from_commit, 0.99),
            from_commit.last().copied().unwrap_or(f64::NAN)
        );
        println!(
            "   from the command's start (its commit included): p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
            percentile(&from_command, 0.5),
            percentile(&from_command, 0.99),
            from_command.last().copied().unwrap_or(f64::NAN)
        );
        bank.shutdown();
        for audit in &audits {
            audit.shutdown();
        }
    }

    // 3. Relay throughput from a backlog.
    if part(3) {
        let backlog: i64 = if quick { 20_000 } else { 100_000 };
        let relay_options = NatsOptions {
            stream: format!("{}_RELAY", options.stream),
            subject_prefix: format!("{}_relay", options.subject_prefix),
            ..options.clone()
        };
        // Seed in transactions of 10,000 (positions share a transaction id).
        let seeding = Instant::now();
        for batch in 0..backlog / 10_000 {
            client
                .batch_execute(&format!(
                    "SET search_path TO {bank_schema}; BEGIN;
                     INSERT INTO events (position, tx_id, event_id, context, aggregate_type, aggregate_id, version,
                       public_seq, event_type, schema_version, occurred_at, correlation_id, causation_id,
                       command_id, payload)
                     SELECT (pg_current_xact_id()::text::bigint << 16) + g, pg_current_xact_id(), u, 'bench',
                       'Seed', 'seed-' || (g % 100), {batch} * 100 + g / 100 + 1, {batch} * 100 + g / 100 + 1,
                       'Added', 1, 0, u, u, u, '{{\"type\":\"Added\",\"by\":1}}'::jsonb
                     FROM generate_series(0, 9999) g, LATERAL (SELECT gen_random_uuid() AS u) r;
                     INSERT INTO outbox (position) SELECT position FROM events WHERE tx_id = pg_current_xact_id();
                     COMMIT;"
                ))
                .await
                .expect("seed");
        }
        let outbox = bank_store.stats().await.expect("stats").outbox;
        println!(
            "\n3. relay throughput from a backlog of {outbox} events (seeded in {:.1} s)",
            seeding.elapsed().as_secs_f64()
        );
        let last: i64 = client
            .query_one(&format!("SELECT max(position) FROM {bank_schema}.outbox"), &[])
            .await
            .expect("max")
            .get(0);
        let bank = Runtime::builder(bank_store.clone())
            .bus(Arc::new(nats_bus(&relay_options, &bank_store).await))
            .build()
            .await
            .expect("bank runtime");
        // Create the stream before timing.
        let js = async_nats::jetstream::new(async_nats::connect(nats_url()).await.expect("nats"));
        let start = Instant::now();
        bank.spawn_relay();
        loop {
            let cp = bank_store.checkpoint("relay").await.expect("checkpoint");
            if cp as i64 >= last {
                break;
            }
            if start.elapsed() > Duration::from_secs(120) {
                println!("   relay did not finish within 120 s (checkpoint {cp})");
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        println!(
            "   {:.0} events/s ({outbox} in {elapsed:.2} s, checkpoint saved) (goal >= 10,000/s)",
            outbox as f64 / elapsed
        );
        bank.shutdown();
        let _ = js.delete_stream(&relay_options.stream).await;
    }

    tokio::time::sleep(Duration::from_millis(300)).await;
    if let Ok(nats) = async_nats::connect(nats_url()).await {
        let _ = async_nats::jetstream::new(nats).delete_stream(&options.stream).await;
    }

    drop(bank_store);
    tokio::time::sleep(Duration::from_millis(300)).await;
    client
        .batch_execute(&format!("DROP SCHEMA {bank_schema} CASCADE; DROP SCHEMA IF EXISTS {audit_schema} CASCADE;"))
        .await
        .expect("drop schemas");
}
