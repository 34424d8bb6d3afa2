//! Generated workspaces, built and run for real:
//!
//! - every model in `models/` (and the hostile fixture) generates a
//!   workspace that builds with warnings denied and passes its own tests;
//! - the payments host, started as a process, serves its flows over HTTP;
//! - regeneration keeps the user's code and makes the compiler name a new
//!   decision.
//!
//! All workspaces build into one target directory
//! (`target/generated-workspaces`, kept between runs) with the same
//! `RUSTFLAGS`, so their dependencies compile once; the builds run one at a
//! time (the tests share a lock), as the machine has few cores. Each
//! workspace starts from this repository's `Cargo.lock`, so that it resolves
//! to the versions already in the registry cache.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One cargo build at a time.
static BUILDS: Mutex<()> = Mutex::new(());

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shared target directory of every generated workspace.
fn target_dir() -> PathBuf {
    repo().join("target").join("generated-workspaces")
}

/// Generates `model` into a fresh directory named `name` and returns it.
fn generate(model: &Path, name: &str) -> PathBuf {
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
fn payments_as(system: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("models/payments.yaml")).unwrap();
    assert!(text.starts_with("system: Payments\n"), "the payments model changed shape; update this test");
    let dir = target_dir().join("models");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{system}.yaml"));
    std::fs::write(&path, text.replacen("system: Payments", &format!("system: {system}"), 1)).unwrap();
    path
}

fn squall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_squall")).args(args).output().expect("squall runs")
}

/// Runs cargo in a generated workspace, warnings denied.
fn cargo(dir: &Path, args: &[&str]) -> Output {
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

/// The path of binary `name` from the JSON messages of `cargo build`.
fn executable(build: &Output, name: &str) -> PathBuf {
    String::from_utf8_lossy(&build.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo built no binary `{name}`"))
}

fn assert_success(what: &str, out: &Output) {
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(80).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!("{what} failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), tail.join("\n"));
    }
}

#[test]
fn every_model_builds_without_warnings_and_passes_its_tests() {
    let _turn = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let mut models: Vec<PathBuf> = std::fs::read_dir(repo().join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    models.sort();
    models.push(repo().join("tests/fixtures/gen/hostile.yaml"));
    for model in models {
        let name = model.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = generate(&model, &name);
        assert_success(&format!("{name}: cargo build"), &cargo(&dir, &["build", "--workspace", "--all-targets"]));
        let tests = cargo(&dir, &["test"]);
        assert_success(&format!("{name}: cargo test"), &tests);
        let report = String::from_utf8_lossy(&tests.stdout);
        assert!(report.contains("test result: ok"), "{name}: no test ran:\n{report}");
    }
}

// ---- the payments host over HTTP -----------------------------------------

/// The decisions of a merchant as a user would write them: a merchant is
/// checked once; the second check is the domain error `AlreadyChecked`.
const MERCHANT_DECISIONS: &str = r#"
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

/// A response: status, headers (lower-case names) and JSON body.
struct Reply {
    status: u16,
    headers: String,
    body: Value,
}

/// One HTTP/1.1 request on a fresh connection.
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the host accepts connections");
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

/// Polls `path` until `done` holds for its body, for at most ten seconds.
fn eventually(port: u16, path: &str, done: impl Fn(&Reply) -> bool) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = http(port, "GET", path, &[], "");
        if done(&reply) || Instant::now() > deadline {
            return reply;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The host process, killed when the test ends however it ends.
struct Host(Child);

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn the_payments_host_serves_its_flows_over_http() {
    let dir = {
        let _turn = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = generate(&payments_as("PaymentsOverHttp"), "payments-http");
        std::fs::write(dir.join("contexts/customer/src/decisions/merchant.rs"), MERCHANT_DECISIONS).unwrap();
        let build = cargo(&dir, &["build", "-p", "payments-over-http-host", "--message-format", "json"]);
        assert_success("payments: cargo build", &build);
        // Keep the binary of this build: other workspaces build a `host` too.
        std::fs::copy(executable(&build, "host"), dir.join("host-under-test")).unwrap();
        dir
    };
    let port = free_port();
    let data = dir.join("data");
    let _ = std::fs::remove_dir_all(&data);
    let _host = Host(
        Command::new(dir.join("host-under-test"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--database-url", data.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the host starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the host never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(http(port, "GET", "/health", &[], "").body["status"], "ok");
    let openapi = http(port, "GET", "/openapi.json", &[], "").body;
    assert!(openapi["paths"]["/customer/merchant/register-merchant"]["post"].is_object());

    // A merchant registers (creating: 201) and is checked (200); a second
    // check is the domain error of the model (422).
    let created =
        http(port, "POST", "/customer/merchant/register-merchant", &[], r#"{"name":"Ada","email":"ada@example.com"}"#);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["events"][0]["type"], "MerchantRegistered");
    let merchant = created.body["id"].as_str().unwrap().to_owned();
    let checked = http(port, "POST", &format!("/customer/merchant/{merchant}/check-customer"), &[], "");
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert!(checked.headers.contains("etag: \"2\""));
    let again = http(port, "POST", &format!("/customer/merchant/{merchant}/check-customer"), &[], "");
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(again.headers.contains("application/problem+json"));
    assert_eq!(again.body["error"], "AlreadyChecked");
    let state = http(port, "GET", &format!("/customer/merchant/{merchant}"), &[], "");
    assert_eq!((state.body["version"].as_u64(), state.body["state"]["accepted"].as_bool()), (Some(2), Some(true)));

    // Malformed bodies name the field; unknown aggregates are 404; a stale
    // If-Match is a conflict.
    let bad = http(port, "POST", "/customer/merchant/register-merchant", &[], r#"{"name": 5, "email": "x"}"#);
    assert_eq!((bad.status, bad.body["field"].as_str()), (400, Some("name")), "{}", bad.body);
    let missing = http(port, "POST", "/customer/merchant/register-merchant", &[], r#"{"name": "Bo"}"#);
    assert_eq!((missing.status, missing.body["field"].as_str()), (400, Some("email")));
    let nobody = "0190f2a4-7c1b-7a8e-b3d2-6e5f9a0c1d27";
    assert_eq!(http(port, "GET", &format!("/customer/merchant/{nobody}"), &[], "").status, 404);
    assert_eq!(http(port, "POST", &format!("/transactions/payment/{nobody}/complete-payment"), &[], "").status, 404);
    let stale =
        http(port, "POST", &format!("/customer/merchant/{merchant}/check-customer"), &[("if-match", "\"1\"")], "");
    assert_eq!(stale.status, 409, "{}", stale.body);

    // A payment, sent twice with one idempotency key: one payment, one event.
    let body = format!(r#"{{"merchant_id":"{merchant}","amount":"12.50","currency":"EUR"}}"#);
    let key = [("idempotency-key", "payment-1")];
    let first = http(port, "POST", "/transactions/payment/initiate-payment", &key, &body);
    let second = http(port, "POST", "/transactions/payment/initiate-payment", &key, &body);
    assert_eq!((first.status, second.status), (201, 201), "{} {}", first.body, second.body);
    assert_eq!(first.body["id"], second.body["id"]);
    assert_eq!(first.body["events"][0]["id"], second.body["events"][0]["id"]);
    let payment = first.body["id"].as_str().unwrap().to_owned();
    assert_eq!(http(port, "GET", &format!("/transactions/payment/{payment}"), &[], "").body["version"], 1);
    let completed =
        http(port, "POST", &format!("/transactions/payment/{payment}/complete-payment"), &[("if-match", "\"1\"")], "");
    assert_eq!(completed.status, 200, "{}", completed.body);

    // The read models catch up: the accepted merchant crossed from Customer
    // to Transactions; the completed payment was billed by the policy in
    // Billing (the default decisions carry no merchant on a payment, so the
    // balance is keyed by the nil id).
    let accepted =
        eventually(port, &format!("/transactions/read-models/accepted-merchants/{merchant}"), |r| r.status == 200);
    assert_eq!(accepted.body["merchant_id"], merchant.as_str());
    let nil = "00000000-0000-0000-0000-000000000000";
    let balance = eventually(port, &format!("/billing/read-models/merchant-balance/{nil}"), |r| r.status == 200);
    assert_eq!(balance.body["merchant_id"], nil, "{}", balance.body);
    let page = http(port, "GET", "/billing/read-models/merchant-balance?limit=10", &[], "");
    assert_eq!(page.body["items"].as_array().map(Vec::len), Some(1), "{}", page.body);
}

// ---- regeneration ---------------------------------------------------------

#[test]
fn regeneration_keeps_user_code_and_names_the_missing_decision() {
    let _turn = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let model = payments_as("PaymentsRegenerated");
    let model_text = std::fs::read_to_string(&model).unwrap();
    let dir = generate(&model, "regeneration");
    let decisions = dir.join("contexts/customer/src/decisions/merchant.rs");
    let mut mine = std::fs::read_to_string(&decisions).unwrap();
    mine.push_str("\n// A rule of mine that regeneration must keep.\n");
    std::fs::write(&decisions, &mine).unwrap();

    // The model gains a command and its event.
    let grown = model_text
        .replace(
            "            errors: [AlreadyChecked]         # domain errors the command may return\n",
            "            errors: [AlreadyChecked]         # domain errors the command may return\n          SuspendMerchant:\n            actor: Underwriter\n            emits: [MerchantSuspended]\n",
        )
        .replace("          CustomerRejected: {}\n", "          CustomerRejected: {}\n          MerchantSuspended: {}\n");
    assert_ne!(grown, model_text, "the model file changed shape; update this test");
    std::fs::write(&model, &grown).unwrap();
    let (model_arg, dir_arg) = (model.to_str().unwrap(), dir.to_str().unwrap());
    assert_eq!(squall(&["gen", model_arg, "--out", dir_arg, "--check"]).status.code(), Some(1));
    let regenerated = squall(&["gen", model_arg, "--out", dir_arg]);
    assert!(regenerated.status.success());
    let report = String::from_utf8_lossy(&regenerated.stderr);
    assert!(report.contains("left alone (yours): contexts/customer/src/decisions/merchant.rs"), "{report}");
    assert_eq!(std::fs::read_to_string(&decisions).unwrap(), mine, "the user's file is untouched");

    // The compiler names what is missing.
    let build = cargo(&dir, &["build", "-p", "payments-regenerated-customer-context"]);
    assert!(!build.status.success(), "the build must fail until the decision exists");
    let errors = String::from_utf8_lossy(&build.stderr);
    assert!(errors.contains("suspend_merchant"), "the error names the decision:\n{errors}");
    assert!(errors.contains("MerchantSuspended"), "the error names the event evolve misses:\n{errors}");

    // The user writes it; everything builds and the directory is up to date.
    let written = mine
        .replace(
            "    fn evolve(",
            "    fn suspend_merchant(_state: &State, _id: &AggregateId, _command: &commands::SuspendMerchant) -> Result<Vec<Event>, Error> {\n        Ok(vec![Event::MerchantSuspended(events::MerchantSuspended {})])\n    }\n\n    fn evolve(",
        )
        .replace("            Event::CustomerRejected(_) => {}\n", "            Event::CustomerRejected(_) => {}\n            Event::MerchantSuspended(_) => {}\n");
    std::fs::write(&decisions, written).unwrap();
    assert_success(
        "regenerated payments: cargo build",
        &cargo(&dir, &["build", "-p", "payments-regenerated-customer-context"]),
    );
    assert_eq!(squall(&["gen", model_arg, "--out", dir_arg, "--check"]).status.code(), Some(0));
}
