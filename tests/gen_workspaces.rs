//! Generated workspaces, built and run for real, with the default features
//! (SQLite and the in-process bus; `gen_production.rs` runs them on
//! PostgreSQL and NATS JetStream):
//!
//! - every model in `models/` (and the hostile fixture) generates a
//!   workspace that builds with warnings denied and passes its own tests;
//! - the payments host, started as a process, serves its flows over HTTP,
//!   and refuses, naming the cargo feature, the backends it was built
//!   without;
//! - regeneration keeps the user's code and makes the compiler name a new
//!   decision.
//!
//! The builds run one at a time (the tests share a lock), in the shared
//! target directory of `generated/`.

mod generated;

use std::path::PathBuf;
use std::process::Command;

use generated::*;

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

#[test]
fn the_payments_host_serves_its_flows_over_http() {
    let dir = {
        let _turn = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = payments_workspace("PaymentsOverHttp", "payments-http");
        let build = cargo(&dir, &["build", "-p", "payments-over-http-host", "--message-format", "json"]);
        assert_success("payments: cargo build", &build);
        // The command line's own tests, whose refusals depend on the features.
        assert_success("payments: cargo test -p support", &cargo(&dir, &["test", "-p", "support"]));
        // Keep the binary of this build: other workspaces build a `host` too.
        std::fs::copy(executable(&build, "host"), dir.join("host-under-test")).unwrap();
        dir
    };

    // PostgreSQL and NATS are features this build leaves out: asked for
    // them, the host says which feature to enable (exit 2), and never
    // starts.
    for (flag, url, feature) in [
        ("--database-url", "postgres://postgres:secret@127.0.0.1:5432/test", "--features postgres"),
        ("--nats-url", "nats://127.0.0.1:4222", "--features nats"),
    ] {
        let refused = Command::new(dir.join("host-under-test")).args([flag, url]).output().unwrap();
        let message = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{flag}: {message}");
        assert!(message.contains(feature) && !message.contains("secret"), "{flag}: {message}");
    }

    let port = free_port();
    let data = dir.join("data");
    let _ = std::fs::remove_dir_all(&data);
    let mut command = Command::new(dir.join("host-under-test"));
    command.args(["--listen", &format!("127.0.0.1:{port}"), "--database-url", data.to_str().unwrap()]);
    let mut host = Running::spawn("host", command, &dir.join("logs"));
    host.wait_listening(port);
    drive_payments(&Endpoints::one(port));
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
