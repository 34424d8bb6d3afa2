//! Commands per second over HTTP into the generated payments host, at 16
//! concurrent clients, against the runtime's own rate for the same kind of
//! command in the same run: goal at least 0.5×.
//!
//! The command is `InitiatePayment` (it creates a payment and appends one
//! private event). The runtime's figure runs the same shape of command
//! (creating, one private event, the same fields) through
//! `Runtime::execute` in-process, with 16 concurrent tasks on a
//! multi-threaded tokio runtime like the host's. The host is built in the
//! release profile into `target/generated-workspaces` and started as a
//! process; each client keeps one HTTP/1.1 connection open.
//!
//! Run: `cargo bench --bench http` (`SQUALL_BENCH_SECS` per figure, default 5;
//! `SQUALL_BENCH_CLIENTS`, default 16).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use squall_runtime::uuid::Uuid;
use squall_runtime::{Aggregate, AggregateId, CommandContext, CommandMeta, EventMeta, Runtime, Store};

// ---- the runtime's own rate ---------------------------------------------------

struct Payment;

#[derive(Clone, Default, Serialize, Deserialize)]
struct PaymentState;

#[derive(Serialize, Deserialize)]
#[serde(tag = "type")]
enum PaymentCommand {
    InitiatePayment { merchant_id: Uuid, amount: String, currency: String },
}

impl CommandMeta for PaymentCommand {
    fn command_type(&self) -> &'static str {
        "InitiatePayment"
    }
    fn is_creation(&self) -> bool {
        true
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type")]
enum PaymentEvent {
    PaymentInitiated { merchant_id: Uuid, amount: String, currency: String },
}

impl EventMeta for PaymentEvent {
    fn event_type(&self) -> &'static str {
        "PaymentInitiated"
    }
    fn is_public(&self) -> bool {
        false
    }
}

#[derive(Debug, Serialize)]
enum Never {}

impl std::fmt::Display for Never {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {}
    }
}

impl std::error::Error for Never {}

impl Aggregate for Payment {
    const CONTEXT: &'static str = "Transactions";
    const TYPE: &'static str = "Payment";
    const STATE_SCHEMA_VERSION: u32 = 1;
    type State = PaymentState;
    type Command = PaymentCommand;
    type Event = PaymentEvent;
    type Error = Never;

    fn decide(_: &PaymentState, _: &AggregateId, command: &PaymentCommand) -> Result<Vec<PaymentEvent>, Never> {
        let PaymentCommand::InitiatePayment { merchant_id, amount, currency } = command;
        Ok(vec![PaymentEvent::PaymentInitiated {
            merchant_id: *merchant_id,
            amount: amount.clone(),
            currency: currency.clone(),
        }])
    }

    fn evolve(state: PaymentState, _: &PaymentEvent) -> PaymentState {
        state
    }
}

fn runtime_rate(dir: &Path, clients: usize, secs: f64) -> f64 {
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    tokio.block_on(async {
        let store = Store::open(&dir.join("runtime.db").to_string_lossy()).await.expect("the store opens");
        let rt = Runtime::builder(store).build().await.expect("the runtime starts");
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        let start = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let rt = rt.clone();
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        let command = PaymentCommand::InitiatePayment {
                            merchant_id: Uuid::now_v7(),
                            amount: "12.50".into(),
                            currency: "EUR".into(),
                        };
                        rt.execute::<Payment>(AggregateId::new_v7(), command, CommandContext::new())
                            .await
                            .expect("accepted");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("a client task");
        }
        rt.shutdown();
        total as f64 / start.elapsed().as_secs_f64()
    })
}

// ---- the host over HTTP -------------------------------------------------------

struct Host(Child);

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn build_host(repo: &Path) -> PathBuf {
    let dir = repo.join("target/generated-sources/payments-bench");
    let _ = std::fs::remove_dir_all(&dir);
    let squall = PathBuf::from(env!("CARGO_BIN_EXE_squall"));
    // Its own system name, so that its packages do not share artifacts with
    // the test suite's payments workspaces.
    let text = std::fs::read_to_string(repo.join("models/payments.yaml")).expect("the model reads");
    std::fs::create_dir_all(&dir).expect("the directory is created");
    let model = dir.join("payments-bench.yaml");
    std::fs::write(&model, text.replacen("system: Payments", "system: PaymentsBench", 1)).expect("the model writes");
    let generated = Command::new(&squall)
        .args(["gen", &model.to_string_lossy(), "--out", &dir.to_string_lossy()])
        .output()
        .expect("squall runs");
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    std::fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock")).expect("the lock file copies");
    let target = repo.join("target/generated-workspaces");
    let build = Command::new("cargo")
        .args(["build", "--release", "-p", "payments-bench-host", "--message-format", "json"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTFLAGS", "-D warnings")
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(build.status.success(), "the host builds");
    // The binary of this build (other workspaces build a `host` too).
    let built = String::from_utf8_lossy(&build.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "host")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo built the host");
    let binary = dir.join("host-bench");
    std::fs::copy(built, &binary).expect("the host binary copies");
    binary
}

/// One keep-alive connection posting creating commands until the deadline.
fn client(port: u16, deadline: Instant) -> u64 {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream.set_nodelay(true).expect("nodelay");
    let mut writer = stream.try_clone().expect("clones");
    let mut reader = BufReader::new(stream);
    let mut n = 0;
    let mut line = String::new();
    while Instant::now() < deadline {
        let body = format!(r#"{{"merchant_id":"{}","amount":"12.50","currency":"EUR"}}"#, Uuid::now_v7());
        let request = format!(
            "POST /transactions/payment/initiate-payment HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        writer.write_all(request.as_bytes()).expect("sends");
        let mut length = 0;
        line.clear();
        reader.read_line(&mut line).expect("reads the status");
        assert!(line.contains(" 201 "), "unexpected answer: {line}");
        loop {
            line.clear();
            reader.read_line(&mut line).expect("reads a header");
            if line == "\r\n" {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().expect("a length");
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("reads the body");
        n += 1;
    }
    n
}

fn http_rate(binary: &Path, dir: &Path, clients: usize, secs: f64) -> f64 {
    let port = TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("an address").port();
    let _host = Host(
        Command::new(binary)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--database-url", &dir.join("host").to_string_lossy()])
            .env("SQUALL_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the host starts"),
    );
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the host never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let threads: Vec<_> = (0..clients).map(|_| std::thread::spawn(move || client(port, deadline))).collect();
    let total: u64 = threads.into_iter().map(|t| t.join().expect("a client")).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let secs: f64 = std::env::var("SQUALL_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let clients: usize = std::env::var("SQUALL_BENCH_CLIENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(16);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = build_host(repo);
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let runtime = runtime_rate(scratch.path(), clients, secs);
    let http = http_rate(&binary, scratch.path(), clients, secs);
    println!(
        "commands/s at {clients} concurrent clients, {secs} s each ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("  runtime, in-process:   {runtime:>8.0}");
    println!("  host over HTTP:        {http:>8.0}   ({:.2}x the runtime; goal 0.5x)", http / runtime);
}
