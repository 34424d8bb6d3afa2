//! What the tests of generated workspaces share: generating and building a
//! workspace, running its binaries as processes, and driving the payments
//! system over HTTP.
//!
//! All workspaces build into one target directory
//! (`target/generated-workspaces`, kept between runs) with the same
//! `RUSTFLAGS`, so their dependencies compile once. Each workspace starts
//! from this repository's `Cargo.lock`, so that it resolves to the versions
//! already in the registry cache.
// Each test file uses the part it needs.
#![allow(dead_code)]

use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One cargo build at a time: the machine has few cores.
pub static BUILDS: Mutex<()> = Mutex::new(());

/// How long a read model or a policy may take to catch up. Generous: on
/// PostgreSQL a long transaction of anyone else's on the server holds every
/// store-following reader back (see the runtime's `docs/postgres.md`).
pub const PATIENCE: Duration = Duration::from_secs(60);

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shared target directory of every generated workspace.
pub fn target_dir() -> PathBuf {
    repo().join("target").join("generated-workspaces")
}

/// Generates `model` into a fresh directory named `name` and returns it.
pub fn generate(model: &Path, name: &str) -> PathBuf {
    // Outside the target directory: cargo records the sources of a crate
    // built under it relative to it.
    let dir = repo().join("target").join("generated-sources").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let out = squall(&["gen", model.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "squall gen {name}: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::copy(repo().join("Cargo.lock"), dir.join("Cargo.lock")).expect("the lock file copies");
    dir
}

/// The payments model under another system name. Workspaces that share a
/// target directory need distinct system names: their packages are named
/// after it, and cargo's artifact names do not depend on where a workspace
/// lives.
pub fn payments_as(system: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("models/payments.yaml")).unwrap();
    assert!(text.starts_with("system: Payments\n"), "the payments model changed shape; update this test");
    let dir = target_dir().join("models");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{system}.yaml"));
    std::fs::write(&path, text.replacen("system: Payments", &format!("system: {system}"), 1)).unwrap();
    path
}

pub fn squall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_squall")).args(args).output().expect("squall runs")
}

/// Runs cargo in a generated workspace, warnings denied.
pub fn cargo(dir: &Path, args: &[&str]) -> Output {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("RUSTFLAGS", "-D warnings")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .output()
        .expect("cargo runs")
}

/// The path of binary `name` from the JSON messages of `cargo build` (the
/// binary itself, not its unit-test harness).
pub fn executable(build: &Output, name: &str) -> PathBuf {
    String::from_utf8_lossy(&build.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name && m["profile"]["test"] == false)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo built no binary `{name}`"))
}

pub fn assert_success(what: &str, out: &Output) {
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(80).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!("{what} failed:\n{}\n{}", readable(&out.stdout), tail.join("\n"));
    }
}

/// Standard output of a cargo command for people: with
/// `--message-format json`, the compiler's diagnostics as it renders them,
/// without the artifact messages around them.
fn readable(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    let mut shown = String::new();
    for line in text.lines() {
        match serde_json::from_str::<Value>(line) {
            Ok(message) => {
                if let Some(rendered) = message["message"]["rendered"].as_str() {
                    shown.push_str(rendered);
                }
            }
            Err(_) => {
                shown.push_str(line);
                shown.push('\n');
            }
        }
    }
    shown
}

/// The decisions of a merchant as a user would write them: a merchant is
/// checked once; the second check is the domain error `AlreadyChecked`.
pub const MERCHANT_DECISIONS: &str = r#"
use squall_runtime::AggregateId;

use crate::aggregates::merchant::{Decide, Error, Event, Root, State, commands, events};

impl Decide for Root {
    fn register_merchant(_state: &State, _id: &AggregateId, command: &commands::RegisterMerchant) -> Result<Vec<Event>, Error> {
        Ok(vec![Event::MerchantRegistered(events::MerchantRegistered {
            name: command.name.clone(),
            email: command.email.clone(),
        })])
    }

    fn check_customer(state: &State, id: &AggregateId, _command: &commands::CheckCustomer) -> Result<Vec<Event>, Error> {
        if state.accepted {
            return Err(Error::AlreadyChecked);
        }
        let merchant_id = squall_runtime::uuid::Uuid::parse_str(id.as_str()).unwrap_or_default();
        Ok(vec![Event::CustomerAccepted(events::CustomerAccepted { merchant_id })])
    }

    fn evolve(mut state: State, event: &Event) -> State {
        match event {
            Event::MerchantRegistered(e) => {
                state.name = e.name.clone();
                state.email = e.email.clone();
            }
            Event::CustomerAccepted(_) => state.accepted = true,
            Event::CustomerRejected(_) => {}
        }
        state
    }
}
"#;

/// Generates the payments model as `system` into `name`, with the merchant
/// decisions above written in.
pub fn payments_workspace(system: &str, name: &str) -> PathBuf {
    let dir = generate(&payments_as(system), name);
    std::fs::write(dir.join("contexts/customer/src/decisions/merchant.rs"), MERCHANT_DECISIONS).unwrap();
    dir
}

// ---- processes -------------------------------------------------------------

/// A binary of a generated workspace running as a process, killed when the
/// guard is dropped, however the test ends. Its standard error goes to a log
/// file, whose end is printed when the test fails.
pub struct Running {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Running {
    /// Starts `command`, logging to `<log_dir>/<name>.log`.
    pub fn spawn(name: &str, mut command: Command, log_dir: &Path) -> Running {
        std::fs::create_dir_all(log_dir).unwrap();
        let log = log_dir.join(format!("{name}.log"));
        let file = File::create(&log).expect("the log file opens");
        let child =
            command.stdout(Stdio::null()).stderr(file).spawn().unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        Running { name: name.to_owned(), child, log }
    }

    /// Waits until the process accepts connections on `port`; fails if it
    /// exits or takes longer than twenty seconds.
    pub fn wait_listening(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}) before listening:\n{}", self.name, self.log_tail());
            }
            assert!(Instant::now() < deadline, "{} never listened on {port}:\n{}", self.name, self.log_tail());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last lines of the process's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("---- {} (last lines of {}):\n{}", self.name, self.log.display(), self.log_tail());
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

// ---- HTTP ------------------------------------------------------------------

/// A response: status, headers (lower-case names) and JSON body.
pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: Value,
}

/// One HTTP/1.1 request on a fresh connection.
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the process accepts connections");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Reply { status, headers: head.to_ascii_lowercase(), body: serde_json::from_str(body).unwrap_or(Value::Null) }
}

/// Where each context is served: the ports of the processes that serve it.
/// A request goes to the processes of its path's context (the path's first
/// segment) in turn, so that consecutive requests land on different
/// replicas.
pub struct Endpoints {
    /// (context path segment, ports, whose turn it is); the segment `""`
    /// serves every path.
    contexts: Vec<(String, Vec<u16>, Cell<usize>)>,
}

impl Endpoints {
    /// One process serves every context (the host).
    pub fn one(port: u16) -> Endpoints {
        Endpoints::new(&[("", &[port])])
    }

    /// The ports of each context, by the first segment of its paths.
    pub fn new(contexts: &[(&str, &[u16])]) -> Endpoints {
        let contexts =
            contexts.iter().map(|(name, ports)| ((*name).to_owned(), ports.to_vec(), Cell::new(0))).collect();
        Endpoints { contexts }
    }

    /// Every port, each once.
    pub fn ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self.contexts.iter().flat_map(|(_, p, _)| p.iter().copied()).collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }

    fn context(&self, path: &str) -> &(String, Vec<u16>, Cell<usize>) {
        let segment = path.trim_start_matches('/').split(['/', '?']).next().unwrap_or("");
        self.contexts
            .iter()
            .find(|(name, _, _)| name == segment)
            .or_else(|| self.contexts.iter().find(|(name, _, _)| name.is_empty()))
            .unwrap_or_else(|| panic!("no process serves {path}"))
    }

    /// The processes serving the context of `path`.
    pub fn serving(&self, path: &str) -> &[u16] {
        &self.context(path).1
    }

    /// The next process, in turn, serving the context of `path`.
    pub fn port(&self, path: &str) -> u16 {
        let (_, ports, turn) = self.context(path);
        let next = turn.get();
        turn.set(next + 1);
        ports[next % ports.len()]
    }

    /// A request to the next process serving its path.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        http(self.port(path), method, path, headers, body)
    }

    /// Polls `path` on every process serving it until `done` holds for each
    /// answer, for at most [`PATIENCE`]; returns the last answer.
    pub fn eventually(&self, path: &str, done: impl Fn(&Reply) -> bool) -> Reply {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let replies: Vec<Reply> = self.serving(path).iter().map(|port| http(*port, "GET", path, &[], "")).collect();
            let all = replies.iter().all(&done);
            let last = replies.into_iter().last().expect("a process serves the path");
            if all || Instant::now() > deadline {
                return last;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

// ---- the payments flows ----------------------------------------------------

/// What [`drive_payments`] created.
pub struct PaymentsRun {
    /// The accepted merchant.
    pub merchant: String,
    /// Payments completed (each billed by the policy).
    pub completed: usize,
}

/// Drives the payments system over HTTP as its users would, and checks each
/// answer: a merchant registers and is checked, a second check is the
/// model's domain error, bad bodies name their field, a payment sent twice
/// with one idempotency key is one payment, a stale `If-Match` is a
/// conflict; then waits until the read models of other contexts and the
/// billing policy have caught up.
pub fn drive_payments(at: &Endpoints) -> PaymentsRun {
    for port in at.ports() {
        assert_eq!(http(port, "GET", "/health", &[], "").body["status"], "ok");
    }
    let register = "/customer/merchant/register-merchant";
    let openapi = http(at.port(register), "GET", "/openapi.json", &[], "").body;
    assert!(openapi["paths"][register]["post"].is_object());

    // A merchant registers (creating: 201) and is checked (200); a second
    // check is the domain error of the model (422).
    let created = at.request("POST", register, &[], r#"{"name":"Ada","email":"ada@example.com"}"#);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["events"][0]["type"], "MerchantRegistered");
    let merchant = created.body["id"].as_str().unwrap().to_owned();
    let check = format!("/customer/merchant/{merchant}/check-customer");
    let checked = at.request("POST", &check, &[], "");
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert!(checked.headers.contains("etag: \"2\""));
    let again = at.request("POST", &check, &[], "");
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(again.headers.contains("application/problem+json"));
    assert_eq!(again.body["error"], "AlreadyChecked");
    for port in at.serving(&check) {
        let state = http(*port, "GET", &format!("/customer/merchant/{merchant}"), &[], "");
        assert_eq!((state.body["version"].as_u64(), state.body["state"]["accepted"].as_bool()), (Some(2), Some(true)));
    }

    // Malformed bodies name the field; unknown aggregates are 404; a stale
    // If-Match is a conflict.
    let bad = at.request("POST", register, &[], r#"{"name": 5, "email": "x"}"#);
    assert_eq!((bad.status, bad.body["field"].as_str()), (400, Some("name")), "{}", bad.body);
    let missing = at.request("POST", register, &[], r#"{"name": "Bo"}"#);
    assert_eq!((missing.status, missing.body["field"].as_str()), (400, Some("email")));
    let nobody = "0190f2a4-7c1b-7a8e-b3d2-6e5f9a0c1d27";
    assert_eq!(at.request("GET", &format!("/customer/merchant/{nobody}"), &[], "").status, 404);
    assert_eq!(at.request("POST", &format!("/transactions/payment/{nobody}/complete-payment"), &[], "").status, 404);
    let stale = at.request("POST", &check, &[("if-match", "\"1\"")], "");
    assert_eq!(stale.status, 409, "{}", stale.body);

    // A payment, sent twice with one idempotency key: one payment, one event.
    let body = format!(r#"{{"merchant_id":"{merchant}","amount":"12.50","currency":"EUR"}}"#);
    let key = [("idempotency-key", "payment-1")];
    let initiate = "/transactions/payment/initiate-payment";
    let first = at.request("POST", initiate, &key, &body);
    let second = at.request("POST", initiate, &key, &body);
    assert_eq!((first.status, second.status), (201, 201), "{} {}", first.body, second.body);
    assert_eq!(first.body["id"], second.body["id"]);
    assert_eq!(first.body["events"][0]["id"], second.body["events"][0]["id"]);
    let payment = first.body["id"].as_str().unwrap().to_owned();
    assert_eq!(at.request("GET", &format!("/transactions/payment/{payment}"), &[], "").body["version"], 1);
    let completed =
        at.request("POST", &format!("/transactions/payment/{payment}/complete-payment"), &[("if-match", "\"1\"")], "");
    assert_eq!(completed.status, 200, "{}", completed.body);

    // The read models catch up: the accepted merchant crossed from Customer
    // to Transactions; the completed payment was billed by the policy in
    // Billing (the default decisions carry no merchant on a payment, so the
    // balance is keyed by the nil id).
    let accepted =
        at.eventually(&format!("/transactions/read-models/accepted-merchants/{merchant}"), |r| r.status == 200);
    assert_eq!(accepted.body["merchant_id"], merchant.as_str());
    let nil = "00000000-0000-0000-0000-000000000000";
    let balance = at.eventually(&format!("/billing/read-models/merchant-balance/{nil}"), |r| r.status == 200);
    assert_eq!(balance.body["merchant_id"], nil, "{}", balance.body);
    let page = at.request("GET", "/billing/read-models/merchant-balance?limit=10", &[], "");
    assert_eq!(page.body["items"].as_array().map(Vec::len), Some(1), "{}", page.body);
    PaymentsRun { merchant, completed: 1 }
}

/// Initiates and completes one more payment for `merchant`.
pub fn complete_payment(at: &Endpoints, merchant: &str) {
    let body = format!(r#"{{"merchant_id":"{merchant}","amount":"3.20","currency":"EUR"}}"#);
    let created = at.request("POST", "/transactions/payment/initiate-payment", &[], &body);
    assert_eq!(created.status, 201, "{}", created.body);
    let payment = created.body["id"].as_str().unwrap();
    let completed = at.request("POST", &format!("/transactions/payment/{payment}/complete-payment"), &[], "");
    assert_eq!(completed.status, 200, "{}", completed.body);
}
