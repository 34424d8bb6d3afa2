//! `squall gen` without building anything: golden snapshots of a small
//! model's workspace, determinism, the escaping of hostile texts, refusal of
//! a model with errors, and `--check`. Building and running generated
//! workspaces is in `gen_workspaces.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use squall::diagnostics::LintLevels;
use squall::r#gen::generate;
use squall::pipeline::{Source, check};
use squall::syntax::Syntax;
use squall::vfs::Ownership;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn model(path: &str) -> squall::model::Model {
    let text = std::fs::read_to_string(repo().join(path)).expect("the model is readable");
    let checked = check(&Source { name: path.into(), text, syntax: Syntax::Yaml }, &LintLevels::default());
    assert!(!checked.has_errors(), "{path} has errors: {:?}", checked.diagnostics);
    checked.model.expect("a model")
}

/// Every file, by path, with its ownership.
fn files(model: &squall::model::Model) -> BTreeMap<PathBuf, (String, Ownership)> {
    let vfs = generate(model).expect("the model generates");
    vfs.files().map(|(p, f)| (p.to_path_buf(), (f.contents.clone(), f.ownership))).collect()
}

#[test]
fn payments_golden_files() {
    let files = files(&model("models/payments.yaml"));
    for (path, (contents, _)) in &files {
        let path = path.to_string_lossy().replace('\\', "/");
        // The runtime and support crates are copies of files kept in this
        // repository, tested where they live.
        if path.starts_with("runtime/") || path.starts_with("support/src/") {
            continue;
        }
        let name = format!("payments__{}", path.replace(['/', '.'], "_"));
        insta::assert_snapshot!(name, contents);
    }
}

#[test]
fn the_same_model_gives_the_same_bytes() {
    let payments = model("models/payments.yaml");
    assert_eq!(files(&payments), files(&payments));
    let text = squall::synthetic::yaml(20);
    let synthetic = check(&Source { name: "synthetic".into(), text, syntax: Syntax::Yaml }, &LintLevels::default());
    let synthetic = synthetic.model.expect("a model");
    assert_eq!(files(&synthetic), files(&synthetic));
}

#[test]
fn every_generated_file_is_marked_and_user_files_are_not() {
    for (path, (contents, ownership)) in files(&model("models/shop.yaml")) {
        let marked = squall::vfs::has_marker(&contents);
        match ownership {
            Ownership::Generated => assert!(marked, "{} lacks the marker", path.display()),
            Ownership::User => assert!(!marked, "{} is the user's but carries the marker", path.display()),
        }
    }
}

#[test]
fn hostile_texts_stay_inside_comments_and_literals() {
    let files = files(&model("tests/fixtures/gen/hostile.yaml"));
    let mut seen = 0;
    for (path, (contents, _)) in &files {
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        for line in contents.lines() {
            if line.contains("injected") || line.contains("panic!()") {
                seen += 1;
                let trimmed = line.trim_start();
                assert!(
                    trimmed.starts_with("///") || trimmed.starts_with("//!"),
                    "{}: hostile text outside a doc comment: {line}",
                    path.display()
                );
            }
            assert!(!line.contains('\u{202e}'), "{}: a bidi override reached the code", path.display());
            assert!(!line.contains("```"), "{}: a code fence reached a doc comment: {line}", path.display());
        }
    }
    assert!(seen > 0, "the hostile descriptions are documented somewhere");
    // Names that would clash are told apart.
    let paths: Vec<String> = files.keys().map(|p| p.to_string_lossy().into_owned()).collect();
    for expected in [
        "contexts/std/src/aggregates/http_server.rs",
        "contexts/std/src/aggregates/http_server_2.rs",
        "contexts/std/src/aggregates/read_models_2.rs",
        "host/tests/decisions/std_/http_server.rs",
    ] {
        assert!(paths.iter().any(|p| p == expected), "{expected} is generated");
    }
}

fn squall(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_squall")).args(args).output().expect("squall runs")
}

#[test]
fn a_model_with_errors_generates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("broken.yaml");
    std::fs::write(&model, "system: Broken\ncontexts:\n  A:\n    policies:\n      P: { on: Nowhere, then: Nothing }\n")
        .unwrap();
    let out = dir.path().join("out");
    let run = squall(&["gen", model.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stderr).contains("nothing generated"));
    assert!(!out.exists());
}

#[test]
fn check_mode_tells_an_up_to_date_directory_from_a_stale_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("payments");
    let (model, out_arg) = (repo().join("models/payments.yaml"), out.to_str().unwrap().to_owned());
    let model = model.to_str().unwrap();
    let check = || squall(&["gen", model, "--out", &out_arg, "--check"]);
    assert_eq!(check().status.code(), Some(1), "an empty directory is out of date");
    let first = squall(&["gen", model, "--out", &out_arg]);
    assert!(first.status.success());
    assert!(String::from_utf8_lossy(&first.stderr).contains("created (yours from now on)"));
    assert_eq!(check().status.code(), Some(0));

    // The user's files are theirs: editing them keeps the directory up to date.
    let decisions = out.join("contexts/customer/src/decisions/merchant.rs");
    let mut text = std::fs::read_to_string(&decisions).unwrap();
    text.push_str("// a note of mine\n");
    std::fs::write(&decisions, &text).unwrap();
    assert_eq!(check().status.code(), Some(0));
    let again = squall(&["gen", model, "--out", &out_arg]);
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("left alone (yours): contexts/customer/src/decisions/merchant.rs")
    );
    assert_eq!(std::fs::read_to_string(&decisions).unwrap(), text);

    // A generated file edited by hand is out of date; a stale one is removed.
    let lib = out.join("contexts/customer/src/lib.rs");
    let original = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, original.replace("pub mod http;", "pub mod http; // edited")).unwrap();
    assert_eq!(check().status.code(), Some(1));
    std::fs::write(out.join("host/src/old.rs"), "// @generated by squall; do not edit\n").unwrap();
    squall(&["gen", model, "--out", &out_arg]);
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), original);
    assert!(!out.join("host/src/old.rs").exists());
    assert_eq!(check().status.code(), Some(0));
}

#[test]
fn a_large_first_run_names_a_few_files_of_each_kind_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("large.yaml");
    std::fs::write(&model, squall::synthetic::yaml(5)).unwrap();
    let out = dir.path().join("out");
    let run = squall(&["gen", model.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let report = String::from_utf8_lossy(&run.stderr);
    let label = "  created (yours from now on): ";
    let (counts, named): (Vec<&str>, Vec<&str>) =
        report.lines().filter_map(|l| l.strip_prefix(label)).partition(|l| l.starts_with("… and "));
    let rest: usize = counts
        .first()
        .and_then(|l| l.strip_prefix("… and ")?.strip_suffix(" more")?.parse().ok())
        .unwrap_or_else(|| panic!("no count of the files not named:\n{report}"));
    assert_eq!(named.len(), 40, "{report}");
    // The summary: "DIR: N files written, U unchanged, C created for you, …".
    let created: usize = report
        .lines()
        .last()
        .and_then(|l| l.split(" unchanged, ").nth(1)?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no summary line:\n{report}"));
    assert_eq!(named.len() + rest, created);
}
