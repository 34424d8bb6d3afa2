//! `squall diagram MODEL --kind KIND --format FORMAT [--context NAME…] [-o FILE]`:
//! the context map, the flow or the event-storming board of a model, in
//! SVG, DOT, Mermaid, PlantUML or a self-contained HTML page.
//!
//! Like `export`, only a model without errors is drawn (see [`super::load`]).
//! A picture is written whole or not at all (see [`super::output`]).

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::input::SyntaxArg;
use super::output::write_atomically;
use super::{Context, Exit, load, print_error, print_stdout};
use crate::diagram;
use crate::model::{ContextId, Model};

const EXAMPLES: &str = "\
Examples:
  squall diagram models/payments.yaml --kind board -o board.svg
  squall diagram models/payments.yaml --kind context-map --format mermaid
  squall diagram models/payments.yaml --kind board --format html -o board.html
  squall diagram models/payments.yaml --kind flow --format dot | dot -Tpng > flow.png
  squall diagram models/payments.yaml --kind board --context Billing

Exit status: 0 drawn, 1 the model has errors (nothing is drawn),
2 usage or I/O errors.";

/// Draw a context map, the flow, or the event-storming board of a model
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The model file (`.yaml`, `.yml`, `.squall`), or `-` for standard input
    #[arg(value_name = "MODEL")]
    model: PathBuf,

    /// What to draw
    #[arg(long, value_enum, default_value_t = KindArg::Board)]
    kind: KindArg,

    /// How to write it
    #[arg(long, value_enum, default_value_t = FormatArg::Svg)]
    format: FormatArg,

    /// Show only these contexts and their direct neighbours (repeatable)
    #[arg(long = "context", value_name = "NAME")]
    contexts: Vec<String>,

    /// Write to this file instead of standard output (`-` for standard
    /// output); an existing file is replaced
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// The syntax of the model (default: by extension; YAML for `-`)
    #[arg(long, value_enum)]
    syntax: Option<SyntaxArg>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum KindArg {
    /// Bounded contexts and their relationships
    ContextMap,
    /// actor → command → event → policy → command, across contexts
    Flow,
    /// The event-storming board: a swimlane per context, time left to right
    Board,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// A picture laid out by squall (nothing else to install)
    Svg,
    /// Graphviz
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown)
    Mermaid,
    /// PlantUML
    Plantuml,
    /// One self-contained page with pan, zoom, a context filter and details
    Html,
}

impl From<KindArg> for diagram::Kind {
    fn from(kind: KindArg) -> diagram::Kind {
        match kind {
            KindArg::ContextMap => diagram::Kind::ContextMap,
            KindArg::Flow => diagram::Kind::Flow,
            KindArg::Board => diagram::Kind::Board,
        }
    }
}

impl From<FormatArg> for diagram::Format {
    fn from(format: FormatArg) -> diagram::Format {
        match format {
            FormatArg::Svg => diagram::Format::Svg,
            FormatArg::Dot => diagram::Format::Dot,
            FormatArg::Mermaid => diagram::Format::Mermaid,
            FormatArg::Plantuml => diagram::Format::Plantuml,
            FormatArg::Html => diagram::Format::Html,
        }
    }
}

pub fn run(args: Args, ctx: &Context<'_>) -> Exit {
    let model = match load::model(ctx, &args.model, args.syntax, "not drawn") {
        Ok((_, model)) => model,
        Err(exit) => return exit,
    };
    let focus = match focus(&model, &args.contexts) {
        Ok(focus) => focus,
        Err(message) => return ctx.usage_error(message),
    };
    let picture = diagram::render(&model, args.kind.into(), args.format.into(), &focus);
    match args.output.as_deref() {
        // `-o -` is standard output, as for `fmt`.
        None => print_stdout(&picture),
        Some(path) if path == Path::new("-") => print_stdout(&picture),
        Some(path) => match write_atomically(path, &picture) {
            Ok(()) => Exit::Valid,
            Err(e) => {
                print_error(&format!("cannot write `{}`: {e}", path.display()));
                Exit::Usage
            }
        },
    }
}

/// The contexts `--context` names; `Err` names one that does not exist,
/// with the closest that does.
fn focus(model: &Model, names: &[String]) -> Result<Vec<ContextId>, String> {
    names
        .iter()
        .map(|name| {
            match model.contexts.iter().position(|c| c.name.value == *name) {
                Some(i) => Ok(ContextId(i as u32)),
                None => {
                    let known = model.contexts.iter().map(|c| c.name.value.as_str());
                    let hint = crate::diagnostics::suggest::closest(name, known)
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    Err(format!("`--context {name}`: the model has no context `{name}`{hint}"))
                }
            }
        })
        .collect()
}
