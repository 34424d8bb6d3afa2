//! Diagrams of every model in `models/`: every kind in every format, the
//! SVG well-formed with no overlapping box and no text outside its box, the
//! same bytes every time, the text formats as in their snapshots, and the
//! DOT read by Graphviz where it is installed, and the HTML board in a real
//! browser (`browser`).
//!
//! `SQUALL_REQUIRE_TOOLS=1` turns a missing Graphviz or Chromium into a
//! failure, for CI.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use squall::diagnostics::{LintLevels, Severity};
use squall::diagram::{self, Format, Kind, layout};
use squall::model::{ContextId, Model};
use squall::pipeline::{Source, check};
use squall::syntax::Syntax;

#[path = "diagram/browser.rs"]
mod browser;

/// A model whose free text holds every character some format treats as
/// syntax.
const AWKWARD: &str = r#"system: Awkward
description: "Free text: \"quotes\" <tags> & ampersands"
actors:
  Clerk: { kind: person, description: "Says <hi> & \"bye\"" }
contexts:
  Left:
    team: "Team \"Q\" <&> \\ {x} [y] #1 `z` ünï ✓ 漢字"
    description: "Line one\nline two -- **not bold** %% not a comment"
    aggregates:
      Thing:
        commands:
          DoThing: { actor: Clerk, creates: true, emits: [ThingHappened] }
        events:
          ThingHappened: { public: true, fields: { thing_id: uuid } }
    hotspots:
      - { text: "Is <this> \"right\" & ok? -> @enduml }|[]#;`\\ \\N", on: ThingHappened }
  Right:
    team: "line one\nline two"
    read_models:
      Things: { from: [Left.ThingHappened], key: thing_id, fields: { thing_id: uuid } }
relationships:
  - { kind: partnership, between: [Left, Right] }
hotspots:
  - "System-wide: 100% ünïcödé — 漢字 </script>"
"#;

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn load(name: &str, text: String, syntax: Syntax) -> Model {
    let checked = check(&Source { name: name.to_string(), text, syntax }, &LintLevels::default());
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{name} has errors: {errors:#?}");
    checked.model.unwrap_or_else(|| panic!("{name} built no model"))
}

/// Every model in `models/`, in both syntaxes, and the awkward one.
fn models() -> Vec<(String, Model)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(models_dir())
        .expect("models/ is readable")
        .map(|entry| entry.expect("models/ lists").path())
        .filter(|path| Syntax::from_path(path).is_some())
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "models/ has no models");
    let mut models: Vec<(String, Model)> = paths
        .iter()
        .map(|path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let text = std::fs::read_to_string(path).expect("a model is readable");
            let syntax = Syntax::from_path(path).expect("filtered above");
            let model = load(&name, text, syntax);
            (name, model)
        })
        .collect();
    models.push(("awkward.yaml".into(), awkward()));
    models
}

fn awkward() -> Model {
    load("awkward.yaml", AWKWARD.to_string(), Syntax::Yaml)
}

fn payments() -> Model {
    let text = std::fs::read_to_string(models_dir().join("payments.yaml")).expect("payments.yaml is readable");
    load("payments.yaml", text, Syntax::Yaml)
}

#[test]
fn svg_is_well_formed_and_every_box_keeps_to_itself() {
    for (name, model) in models() {
        for kind in Kind::ALL {
            let scene = diagram::scene(&model, kind, &[]);
            let geometry = layout::lay_out(&scene);
            let problems = geometry.problems();
            assert!(problems.is_empty(), "{name} {kind:?}:\n{}", problems.join("\n"));

            let svg = diagram::render(&model, kind, Format::Svg, &[]);
            let document = roxmltree::Document::parse(&svg)
                .unwrap_or_else(|error| panic!("{name} {kind:?}: the SVG is not well-formed XML: {error}"));
            let stickies = document.descendants().filter(|n| n.attribute("data-element").is_some()).count();
            assert_eq!(stickies, scene.nodes.len(), "{name} {kind:?}: one sticky per node");
        }
    }
}

#[test]
fn every_kind_renders_in_every_format_the_same_every_time() {
    for (name, model) in models() {
        for kind in Kind::ALL {
            for format in Format::ALL {
                let first = diagram::render(&model, kind, format, &[]);
                assert!(first.len() > 100, "{name} {kind:?} {format:?} is nearly empty");
                let second = diagram::render(&model, kind, format, &[]);
                assert!(first == second, "{name} {kind:?} {format:?} differs between two runs");
            }
        }
    }
}

#[test]
fn the_model_names_are_all_on_the_board() {
    for (name, model) in models() {
        let svg = diagram::render(&model, Kind::Board, Format::Svg, &[]);
        let document = roxmltree::Document::parse(&svg).expect("well-formed");
        let on_board: std::collections::BTreeSet<&str> =
            document.descendants().filter_map(|n| n.attribute("data-element")).collect();
        for expected in element_keys(&model) {
            assert!(on_board.contains(expected.as_str()), "{name}: {expected} is not on the board");
        }
    }
}

/// The `data-element` of every element a board shows.
fn element_keys(model: &Model) -> Vec<String> {
    use squall::model::*;
    let mut keys: Vec<String> = Vec::new();
    let mut add = |element: Element| keys.push(model.qualified_name(element));
    (0..model.actors.len()).for_each(|i| add(Element::Actor(ActorId(i as u32))));
    (0..model.aggregates.len()).for_each(|i| add(Element::Aggregate(AggregateId(i as u32))));
    (0..model.commands.len()).for_each(|i| add(Element::Command(CommandId(i as u32))));
    (0..model.events.len()).for_each(|i| add(Element::Event(EventId(i as u32))));
    (0..model.policies.len()).for_each(|i| add(Element::Policy(PolicyId(i as u32))));
    (0..model.read_models.len()).for_each(|i| add(Element::ReadModel(ReadModelId(i as u32))));
    keys
}

#[test]
fn text_formats_match_their_snapshots() {
    let model = payments();
    for kind in Kind::ALL {
        for format in [Format::Dot, Format::Mermaid, Format::Plantuml] {
            let text = diagram::render(&model, kind, format, &[]);
            insta::assert_snapshot!(format!("payments-{}.{}", kind.as_str(), format.extension()), text);
        }
    }
    let model = awkward();
    for kind in [Kind::ContextMap, Kind::Board] {
        for format in [Format::Dot, Format::Mermaid, Format::Plantuml] {
            let text = diagram::render(&model, kind, format, &[]);
            insta::assert_snapshot!(format!("awkward-{}.{}", kind.as_str(), format.extension()), text);
        }
    }
}

#[test]
fn focus_keeps_the_named_contexts_and_their_neighbours() {
    let model = payments();
    let billing = model.contexts.iter().position(|c| c.name.value == "Billing").expect("Billing exists");
    let board = diagram::render(&model, Kind::Board, Format::Svg, &[ContextId(billing as u32)]);
    assert!(board.contains("data-element=\"Billing.AddInvoiceLine\""));
    assert!(board.contains("data-element=\"Transactions.PaymentCompleted\""), "a neighbour is shown");
    assert!(!board.contains("data-context=\"Customer\""), "a context two steps away is not");
    let map = diagram::render(&model, Kind::ContextMap, Format::Mermaid, &[ContextId(billing as u32)]);
    assert!(map.contains("Transactions") && !map.contains("Customer"), "{map}");
}

/// Graphviz, when it is installed (or required).
fn graphviz() -> Option<&'static str> {
    let found = Command::new("dot").arg("-V").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !found && std::env::var_os("SQUALL_REQUIRE_TOOLS").is_some() {
        panic!("SQUALL_REQUIRE_TOOLS is set but Graphviz's `dot` is not on PATH");
    }
    found.then_some("dot")
}

#[test]
fn graphviz_reads_every_dot_file() {
    let Some(dot) = graphviz() else {
        eprintln!("skipped: Graphviz's `dot` is not installed");
        return;
    };
    for (name, model) in models() {
        for kind in Kind::ALL {
            let text = diagram::render(&model, kind, Format::Dot, &[]);
            let mut child = Command::new(dot)
                .arg("-Tsvg")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("dot starts");
            {
                use std::io::Write;
                let mut stdin = child.stdin.take().expect("dot has a standard input");
                stdin.write_all(text.as_bytes()).expect("dot reads its input");
            }
            let output = child.wait_with_output().expect("dot ends");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() && stderr.trim().is_empty(),
                "{name} {kind:?}: dot says:\n{stderr}\n{text}"
            );
        }
    }
}
