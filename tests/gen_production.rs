//! A generated workspace as it runs in production: the payments model built
//! with `--features postgres,nats`, each service a process of its own on
//! PostgreSQL (one schema per context) and NATS JetStream, with replicas,
//! driven over HTTP like the host in `gen_workspaces.rs`.
//!
//! Each run isolates itself: its schemas carry a prefix of their own
//! (`schema_prefix=` on the database URL) and its bus a stream and subject
//! prefix of their own (`?stream=…&subject_prefix=…` on the NATS URL); all
//! are removed at the end, also when the test fails. The servers are
//! `SQUALL_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
//! and `SQUALL_TEST_NATS_URL` (default `nats://127.0.0.1:4222`). When one
//! cannot be reached the test is skipped with a message, unless
//! `SQUALL_REQUIRE_TOOLS=1` (CI), where it fails.

mod generated;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use generated::*;

/// The contexts of the payments model: path segment and schema stem.
const CONTEXTS: [&str; 3] = ["customer", "transactions", "billing"];

/// The system name, so that this workspace's packages are its own.
const SYSTEM: &str = "PaymentsInProduction";
const PACKAGES: &str = "payments-in-production";

/// Payments completed beyond the one `drive_payments` completes.
const MORE_PAYMENTS: usize = 3;

#[test]
fn the_payments_services_run_on_postgres_and_nats_as_separate_processes() {
    let Some(servers) = Servers::reach() else { return };
    let clock = Instant::now();
    let (dir, binaries) = build();
    let built = clock.elapsed();
    let run = servers.isolate();

    // The features are in: a misspelt bus parameter is still refused before
    // anything starts, and the host will not put every context in one schema.
    let typo = Command::new(&binaries.host).args(["--nats-url", "nats://127.0.0.1:4222?steam=X"]).output().unwrap();
    assert_eq!(typo.status.code(), Some(2), "{}", String::from_utf8_lossy(&typo.stderr));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("steam"));
    let one_schema = format!("{}{}schema={}one", servers.database_url, query_joint(&servers.database_url), run.prefix);
    let refused = Command::new(&binaries.host).args(["--database-url", &one_schema, "replay"]).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("schema_prefix"), "{refused:?}");

    // Each service as its own process, two replicas of transactions and of
    // billing, and the host, which runs every context, as one more replica
    // of each. They all share one database URL and one NATS URL.
    let logs = dir.join("logs");
    let mut processes = Vec::new();
    let mut ports: Vec<(&str, Vec<u16>)> = Vec::new();
    for (context, replicas) in [("customer", 1), ("transactions", 2), ("billing", 2)] {
        let mut serving = Vec::new();
        for replica in 1..=replicas {
            let port = free_port();
            let name = format!("{context}-{replica}");
            processes.push((Running::spawn(&name, run.command(&binaries.service(context), port), &logs), port));
            serving.push(port);
        }
        ports.push((context, serving));
    }
    let host_port = free_port();
    processes.push((Running::spawn("host", run.command(&binaries.host, host_port), &logs), host_port));
    for (_, serving) in &mut ports {
        serving.push(host_port);
    }
    for (process, port) in &mut processes {
        process.wait_listening(*port);
    }
    let at = Endpoints::new(&ports.iter().map(|(c, p)| (*c, p.as_slice())).collect::<Vec<_>>());

    let payments = drive_payments(&at);
    for _ in 0..MORE_PAYMENTS {
        complete_payment(&at, &payments.merchant);
    }
    let completed = payments.completed + MORE_PAYMENTS;

    // Every completed payment is billed once by the policy, whichever replica
    // consumed it; every outbox drains; nothing is dead-lettered; the stream
    // of this run holds each public event once (the merchant's acceptance and
    // the completed payments), however many relays competed.
    let expected = [
        ("transactions", "PaymentCompleted", completed),
        ("billing", "InvoiceLineAdded", completed),
        ("customer", "CustomerAccepted", 1),
    ];
    let deadline = Instant::now() + PATIENCE;
    loop {
        let counts: Vec<i64> = expected.iter().map(|(c, e, _)| run.count_events(c, e)).collect();
        let outboxes: i64 = CONTEXTS.iter().map(|c| run.count(c, "outbox")).sum();
        let settled = expected.iter().zip(&counts).all(|((_, _, n), got)| *got == *n as i64) && outboxes == 0;
        if settled {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after {PATIENCE:?}: events {counts:?} of {expected:?}, {outboxes} in outboxes"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for context in CONTEXTS {
        assert_eq!(run.count(context, "dead_letters"), 0, "dead letters in {context}");
    }
    assert_eq!(run.stream_messages(), 1 + completed as u64, "messages in stream {}", run.stream);

    // The host finds the services' schemas: its replay rebuilds the read
    // models there, and they answer as before.
    let replay = Command::new(&binaries.host).args(["--database-url", &run.database_url(), "replay"]).output().unwrap();
    assert_success("host replay", &replay);
    let accepted = at.eventually(&format!("/transactions/read-models/accepted-merchants/{}", payments.merchant), |r| {
        r.status == 200
    });
    assert_eq!(accepted.body["merchant_id"], payments.merchant.as_str());
    let page = at.request("GET", "/billing/read-models/merchant-balance?limit=10", &[], "");
    assert_eq!(page.body["items"].as_array().map(Vec::len), Some(1), "{}", page.body);

    drop(processes);
    eprintln!("built in {built:?}; ran in {:?}", clock.elapsed() - built);
}

/// The binaries of the workspace built with both features.
struct Binaries {
    dir: PathBuf,
    host: PathBuf,
}

impl Binaries {
    fn service(&self, context: &str) -> PathBuf {
        self.dir.join(format!("{PACKAGES}-{context}-service"))
    }
}

/// Generates the payments workspace and builds all of it, tests included,
/// with `--features postgres,nats` and warnings denied.
fn build() -> (PathBuf, Binaries) {
    let _turn = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = payments_workspace(SYSTEM, "payments-production");
    let build = cargo(
        &dir,
        &["build", "--workspace", "--all-targets", "--features", "postgres,nats", "--message-format", "json"],
    );
    assert_success("payments with postgres,nats: cargo build", &build);
    // The workspace's own tests pass in this feature set too: the flows, and
    // the command line of `support`, whose refusals depend on the features.
    let tests =
        cargo(&dir, &["test", "--features", "postgres,nats", "-p", "support", "-p", &format!("{PACKAGES}-host")]);
    assert_success("payments with postgres,nats: cargo test", &tests);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // Kept apart from the target directory: other workspaces build a `host`
    // too.
    let keep = |name: &str| {
        let to = bin.join(name);
        std::fs::copy(executable(&build, name), &to).unwrap();
        to
    };
    let host = keep("host");
    for context in CONTEXTS {
        keep(&format!("{PACKAGES}-{context}-service"));
    }
    (dir, Binaries { dir: bin, host })
}

fn query_joint(url: &str) -> char {
    if url.contains('?') { '&' } else { '?' }
}

// ---- the servers -----------------------------------------------------------

/// Connections to the PostgreSQL and NATS servers the processes use, for
/// setting up, inspecting and removing what a run creates.
struct Servers {
    database_url: String,
    nats_url: String,
    runtime: tokio::runtime::Runtime,
    sql: tokio_postgres::Client,
    jetstream: async_nats::jetstream::Context,
}

impl Servers {
    /// Both servers, or `None` (with a message) when one is unreachable and
    /// the environment does not require them.
    fn reach() -> Option<Servers> {
        let database_url = std::env::var("SQUALL_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let nats_url = std::env::var("SQUALL_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let reached = runtime.block_on(async {
            let (sql, connection) = tokio_postgres::connect(&database_url, tokio_postgres::NoTls)
                .await
                .map_err(|e| format!("PostgreSQL at {database_url}: {e}"))?;
            tokio::spawn(connection);
            let nats = async_nats::ConnectOptions::new()
                .connection_timeout(Duration::from_secs(3))
                .connect(&nats_url)
                .await
                .map_err(|e| format!("NATS at {nats_url}: {e}"))?;
            Ok::<_, String>((sql, async_nats::jetstream::new(nats)))
        });
        match reached {
            Ok((sql, jetstream)) => Some(Servers { database_url, nats_url, runtime, sql, jetstream }),
            Err(e) if std::env::var_os("SQUALL_REQUIRE_TOOLS").is_some() => {
                panic!("SQUALL_REQUIRE_TOOLS is set and a server is unreachable: {e}")
            }
            Err(e) => {
                eprintln!("skipped: {e}");
                None
            }
        }
    }

    /// Names of this run's own: schemas and stream, removed when the guard is
    /// dropped.
    fn isolate(&self) -> Run<'_> {
        let id =
            format!("{:x}{:x}", std::process::id(), std::time::UNIX_EPOCH.elapsed().unwrap_or_default().as_millis());
        Run {
            servers: self,
            prefix: format!("gp_{id}_"),
            stream: format!("GP_{}", id.to_uppercase()),
            subjects: format!("gp_{id}"),
        }
    }
}

/// One run's schemas (`<prefix><context>`), stream and subject prefix.
struct Run<'a> {
    servers: &'a Servers,
    prefix: String,
    stream: String,
    subjects: String,
}

impl Run<'_> {
    /// The database URL every process of the run is given: its schema
    /// prefix, and a small pool per store (several processes share the
    /// server's connections).
    fn database_url(&self) -> String {
        let url = &self.servers.database_url;
        format!("{url}{}schema_prefix={}&pool_size=2", query_joint(url), self.prefix)
    }

    fn nats_url(&self) -> String {
        let url = &self.servers.nats_url;
        format!("{url}{}stream={}&subject_prefix={}", query_joint(url), self.stream, self.subjects)
    }

    /// A binary of the workspace started on this run's servers.
    fn command(&self, binary: &Path, port: u16) -> Command {
        let mut command = Command::new(binary);
        command
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", &self.database_url()])
            .args(["--nats-url", &self.nats_url()])
            .env_remove("SQUALL_DATABASE_URL")
            .env_remove("SQUALL_NATS_URL")
            .env("SQUALL_LOG", "info");
        command
    }

    fn query_count(&self, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> i64 {
        let row = self.servers.runtime.block_on(self.servers.sql.query_one(sql, params));
        // A table the processes have not created yet counts as empty.
        row.map(|r| r.get(0)).unwrap_or(0)
    }

    /// Rows of `table` in the schema of `context`.
    fn count(&self, context: &str, table: &str) -> i64 {
        self.query_count(&format!("SELECT count(*) FROM {}{context}.{table}", self.prefix), &[])
    }

    /// Events of type `event_type` in the store of `context`.
    fn count_events(&self, context: &str, event_type: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM {}{context}.events WHERE event_type = $1", self.prefix);
        self.query_count(&sql, &[&event_type])
    }

    /// Messages in this run's stream.
    fn stream_messages(&self) -> u64 {
        self.servers.runtime.block_on(async {
            let mut stream = self.servers.jetstream.get_stream(&self.stream).await.expect("the run's stream exists");
            stream.info().await.expect("stream info").state.messages
        })
    }
}

impl Drop for Run<'_> {
    fn drop(&mut self) {
        let servers = self.servers;
        if std::thread::panicking() {
            // Readers of every store wait for the oldest transaction on the
            // server: name any that stayed open, the usual cause of a stall.
            let open = "SELECT pid, datname, state, (now() - xact_start)::text, left(query, 80) \
                        FROM pg_stat_activity WHERE xact_start < now() - interval '2 seconds'";
            for row in servers.runtime.block_on(servers.sql.query(open, &[])).unwrap_or_default() {
                let (pid, db, state, age, query): (i32, Option<String>, Option<String>, String, Option<String>) =
                    (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
                eprintln!("open transaction on the server: pid {pid} in {db:?}, {state:?} for {age}: {query:?}");
            }
        }
        for context in CONTEXTS {
            let drop_schema = format!("DROP SCHEMA IF EXISTS {}{context} CASCADE", self.prefix);
            if let Err(e) = servers.runtime.block_on(servers.sql.batch_execute(&drop_schema)) {
                eprintln!("{drop_schema}: {e}");
            }
        }
        // A run that failed before any process published has no stream.
        let deleted = servers.runtime.block_on(servers.jetstream.delete_stream(&self.stream));
        if let Err(e) = deleted
            && servers.runtime.block_on(servers.jetstream.get_stream(&self.stream)).is_ok()
        {
            eprintln!("deleting stream {}: {e}", self.stream);
        }
    }
}
