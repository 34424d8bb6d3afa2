//! Golden tests of the rules: every file in `examples/` is a small model that
//! breaks one rule, in YAML (`<code>.yaml`) and in the DSL (`<code>.squall`).
//! Each is checked through the whole pipeline and its diagnostics rendered
//! exactly as `squall check` shows them to a user; the text is compared with
//! a reviewed snapshot in `tests/snapshots/`.
//!
//! Beside the snapshot, each example must report its own code, and no code
//! other than the ones listed in [`ALSO_REPORTED`]: an example that drifts
//! into breaking other rules stops documenting its own.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use squall::diagnostics::render::{Style, render};
use squall::diagnostics::{Code, LintLevels};
use squall::pipeline::{Source, check};
use squall::syntax::Syntax;

/// Codes an example reports on purpose besides its own, because the mistake
/// cannot be made without them.
const ALSO_REPORTED: &[(Code, &[Code])] = &[
    // Personal data can only reach a read model of another context through a
    // public event, which is itself a warning.
    (Code::PiiCopied, &[Code::PiiInPublicEvent]),
];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn example_path(code: Code, syntax: Syntax) -> PathBuf {
    examples_dir().join(format!("{code}.{}", syntax.extension()))
}

/// Checks the example of `code` in `syntax` and returns what a user sees.
fn golden(code: Code, syntax: Syntax) -> String {
    let path = example_path(code, syntax);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read the example {}: {error}", path.display()));
    let name = format!("examples/{code}.{}", syntax.extension());
    let source = Source { name: name.clone(), text, syntax };
    let checked = check(&source, &LintLevels::default());

    let reported: BTreeSet<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    let expected: BTreeSet<Code> = std::iter::once(code)
        .chain(ALSO_REPORTED.iter().filter(|(own, _)| *own == code).flat_map(|(_, also)| also.iter().copied()))
        .collect();
    let rendered = render(&checked.diagnostics, &name, &source.text, Style::PLAIN);
    assert_eq!(reported, expected, "{name} should report exactly {expected:?}; it shows:\n{rendered}");
    rendered
}

/// One module per rule, with a test for each syntax; the snapshot is named
/// after the example file.
macro_rules! examples {
    ($($module:ident => $code:ident,)*) => {
        $(
            mod $module {
                use super::*;

                #[test]
                fn yaml() {
                    let rendered = golden(Code::$code, Syntax::Yaml);
                    insta::assert_snapshot!(format!("{}.yaml", Code::$code), rendered);
                }

                #[test]
                fn dsl() {
                    let rendered = golden(Code::$code, Syntax::Dsl);
                    insta::assert_snapshot!(format!("{}.squall", Code::$code), rendered);
                }
            }
        )*

        /// The codes that have a golden test above.
        const TESTED: &[Code] = &[$(Code::$code,)*];
    };
}

examples! {
    syntax => Syntax,
    duplicate_name => DuplicateName,
    invalid_name => InvalidName,
    reserved_name => ReservedName,
    unknown_reference => UnknownReference,
    ambiguous_reference => AmbiguousReference,
    invalid_type => InvalidType,
    unkeyed_read_model => UnkeyedReadModel,
    uncorrelated_policy => UncorrelatedPolicy,
    foreign_event => ForeignEvent,
    command_without_event => CommandWithoutEvent,
    cross_context_command => CrossContextCommand,
    private_event_consumed => PrivateEventConsumed,
    undeclared_dependency => UndeclaredDependency,
    relationship_role_conflict => RelationshipRoleConflict,
    schedule_without_timer => ScheduleWithoutTimer,
    timer_without_schedule => TimerWithoutSchedule,
    service_ownership => ServiceOwnership,
    broken_flow => BrokenFlow,
    policy_cycle => PolicyCycle,
    orphan_event => OrphanEvent,
    unused_event => UnusedEvent,
    unused_actor => UnusedActor,
    unreachable_command => UnreachableCommand,
    uncreatable_aggregate => UncreatableAggregate,
    unused_relationship => UnusedRelationship,
    upstream_cycle => UpstreamCycle,
    pii_in_public_event => PiiInPublicEvent,
    pii_copied => PiiCopied,
    event_tense => EventTense,
    command_mood => CommandMood,
    empty_context => EmptyContext,
}

#[test]
fn every_code_has_an_example_in_both_syntaxes() {
    let mut missing = Vec::new();
    for &code in Code::ALL {
        for syntax in [Syntax::Yaml, Syntax::Dsl] {
            let path = example_path(code, syntax);
            if !path.is_file() {
                missing.push(path.display().to_string());
            }
        }
    }
    assert!(missing.is_empty(), "examples missing: {missing:#?}");
}

#[test]
fn every_code_has_a_golden_test() {
    let untested: Vec<Code> = Code::ALL.iter().copied().filter(|code| !TESTED.contains(code)).collect();
    assert!(untested.is_empty(), "no golden test for {untested:?}");
}

#[test]
fn every_example_is_named_after_a_code() {
    let entries = std::fs::read_dir(examples_dir()).expect("examples/ is readable");
    let mut strays = Vec::new();
    for entry in entries {
        let path = entry.expect("examples/ lists").path();
        let known = path.file_stem().and_then(|stem| stem.to_str()).is_some_and(|stem| stem.parse::<Code>().is_ok())
            && path.extension().and_then(|ext| ext.to_str()).is_some_and(|ext| ext == "yaml" || ext == "squall");
        if !known {
            strays.push(path.display().to_string());
        }
    }
    assert!(strays.is_empty(), "files in examples/ that are not `<code>.yaml` or `<code>.squall`: {strays:#?}");
}

#[test]
fn every_example_says_what_is_wrong_on_top() {
    for &code in Code::ALL {
        // Both syntaxes start comments with `#`.
        for syntax in [Syntax::Yaml, Syntax::Dsl] {
            let path = example_path(code, syntax);
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let expected = format!("# {code}:");
            assert!(text.starts_with(&expected), "{} should start with `{expected} <what is wrong>`", path.display());
        }
    }
}
