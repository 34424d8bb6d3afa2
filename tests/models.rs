//! The models in `models/` are the realistic examples users start from: each
//! must check with no diagnostic at all (not even a warning), in YAML and in
//! the DSL, and the two files of a model must mean the same model (the same
//! canonical JSON).

use std::path::{Path, PathBuf};

use squall::diagnostics::LintLevels;
use squall::diagnostics::render::{Style, render};
use squall::pipeline::{Checked, Source, check};
use squall::syntax::Syntax;

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// The models, by file stem, in a stable order.
fn model_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(models_dir())
        .expect("models/ is readable")
        .map(|entry| entry.expect("models/ lists").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .filter_map(|path| path.file_stem().and_then(|stem| stem.to_str()).map(str::to_string))
        .collect();
    names.sort();
    names
}

fn read(name: &str, syntax: Syntax) -> Source {
    let file = format!("{name}.{}", syntax.extension());
    let path = models_dir().join(&file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read the model {}: {error}", path.display()));
    Source { name: format!("models/{file}"), text, syntax }
}

/// Checks a model; `Err` holds the diagnostics as a user would see them.
fn check_clean(source: &Source) -> Result<Checked, String> {
    let checked = check(source, &LintLevels::default());
    if checked.diagnostics.is_empty() {
        Ok(checked)
    } else {
        Err(format!(
            "{} should check with no diagnostic; it shows:\n{}",
            source.name,
            render(&checked.diagnostics, &source.name, &source.text, Style::PLAIN)
        ))
    }
}

/// Checks every model in one syntax and reports all that fail at once.
fn assert_all_clean(syntax: Syntax) {
    let failures: Vec<String> =
        model_names().iter().filter_map(|name| check_clean(&read(name, syntax)).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_spec_example_and_at_least_four_domains_are_there() {
    let names = model_names();
    assert!(names.iter().any(|name| name == "payments"), "models/payments.yaml is missing");
    assert!(names.len() >= 5, "expected the payments example and four more models, found {names:?}");
}

#[test]
fn every_yaml_model_checks_clean() {
    assert_all_clean(Syntax::Yaml);
}

#[test]
fn every_dsl_model_checks_clean() {
    assert_all_clean(Syntax::Dsl);
}

#[test]
fn yaml_and_dsl_of_a_model_export_the_same_json() {
    for name in model_names() {
        let exported = [Syntax::Yaml, Syntax::Dsl].map(|syntax| {
            let checked = check_clean(&read(&name, syntax)).unwrap_or_else(|failure| panic!("{failure}"));
            let model = checked.model.unwrap_or_else(|| panic!("models/{name}: no model was built"));
            squall::export::json::to_string(&model)
        });
        assert_eq!(exported[0], exported[1], "models/{name}.yaml and models/{name}.squall mean different models");
    }
}
