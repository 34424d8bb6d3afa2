//! `squall check MODEL…`: parse, resolve and check models, and report every
//! problem found.
//!
//! The report is the command's product, so it goes to standard output:
//! diagnostics as people read them (miette, with the source snippet) and a
//! summary line per file, or one JSON document with `--format json` (the
//! shape is in `docs/diagnostics-json.md`). Files that cannot be read are
//! reported on standard error (and, with `--format json`, as an `io` entry
//! of the document) and make the run end with exit 2; the other files are
//! still checked.

use std::path::PathBuf;

use clap::ValueEnum;

use super::input::{Input, ReadError, SyntaxArg};
use super::lints::LintArgs;
use super::{Context, Exit, Stream, count, paint, print_error, print_stdout};
use crate::diagnostics::{Diagnostic, json, render};
use crate::model::Model;
use crate::pipeline;

const EXAMPLES: &str = "\
Examples:
  squall check models/payments.yaml
  squall check models/*.yaml models/*.squall
  squall check -D warnings -A event-tense models/payments.yaml
  squall check --format json models/payments.yaml | jq '.diagnostics[].code'
  cat model.squall | squall check --syntax dsl -

Exit status: 0 valid (warnings alone do not fail), 1 a model has errors
(or a denied warning), 2 usage or I/O errors.";

/// Check models: parse, resolve references and apply every rule
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Model files (`.yaml`, `.yml`, `.squall`), or `-` for standard input
    #[arg(value_name = "MODEL", required = true)]
    models: Vec<PathBuf>,

    /// The syntax of the models (default: by extension; YAML for `-`)
    #[arg(long, value_enum)]
    syntax: Option<SyntaxArg>,

    /// How to print the report
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    #[command(flatten)]
    lints: LintArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Diagnostics with source snippets, and a summary line per file
    Human,
    /// One JSON document (see docs/diagnostics-json.md)
    Json,
}

/// One file's outcome.
struct Checked {
    name: String,
    text: String,
    diagnostics: Vec<Diagnostic>,
    /// What the model holds, when it could be built.
    stats: Option<String>,
    /// For a file that is not text: a short excerpt and the diagnostic
    /// pointing into it, shown to people instead of the whole file.
    excerpt: Option<(String, Diagnostic)>,
}

/// One named file's place in the report.
enum Outcome {
    Checked(Checked),
    /// The file could not be read: the message already printed on
    /// standard error.
    Unreadable {
        name: String,
        message: String,
    },
}

pub fn run(args: Args, ctx: &Context<'_>) -> Exit {
    let levels = match args.lints.levels(ctx.matches) {
        Ok(levels) => levels,
        Err(message) => return ctx.usage_error(message),
    };
    let inputs: Vec<Input> = args.models.iter().map(|m| Input::new(m)).collect();
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        return ctx.usage_error("standard input (`-`) can be named only once");
    }
    // Every name is checked before any file is read: a usage error does not
    // leave half a report behind.
    let mut syntaxes = Vec::with_capacity(inputs.len());
    for input in &inputs {
        match input.syntax(args.syntax) {
            Ok(syntax) => syntaxes.push(syntax),
            Err(message) => return ctx.usage_error(message),
        }
    }

    let color = ctx.color(Stream::Stdout);
    let style = ctx.style(Stream::Stdout);
    let mut exit = Exit::Valid;
    let mut report = Vec::new();
    for (input, syntax) in inputs.iter().zip(syntaxes) {
        let file = match input.read(syntax) {
            Ok(source) => {
                let result = pipeline::check(&source, &levels);
                let stats = result.model.as_ref().map(stats);
                Checked { name: source.name, text: source.text, diagnostics: result.diagnostics, stats, excerpt: None }
            }
            Err(ReadError::Io(message)) => {
                print_error(&message);
                exit = exit.and(Exit::Usage);
                report.push(Outcome::Unreadable { name: input.name(), message });
                continue;
            }
            Err(ReadError::NotText(bad)) => Checked {
                name: bad.name,
                text: bad.text,
                diagnostics: vec![bad.diagnostic],
                stats: None,
                excerpt: Some((bad.excerpt, bad.excerpt_diagnostic)),
            },
        };
        let (errors, warnings) = render::summary(&file.diagnostics);
        if errors > 0 {
            exit = exit.and(Exit::ModelErrors);
        }
        if args.format == Format::Human {
            let mut out = match &file.excerpt {
                Some((excerpt, shown)) => render::render(std::slice::from_ref(shown), &file.name, excerpt, style),
                None => render::render(&file.diagnostics, &file.name, &file.text, style),
            };
            out.push_str(&summary_line(&file.name, errors, warnings, file.stats.as_deref(), color));
            exit = exit.and(print_stdout(&out));
        }
        report.push(Outcome::Checked(file));
    }

    if args.format == Format::Json {
        let files: Vec<(&str, json::Outcome<'_>)> = report
            .iter()
            .map(|outcome| match outcome {
                Outcome::Checked(f) => {
                    (f.name.as_str(), json::Outcome::Checked { source: &f.text, diagnostics: &f.diagnostics })
                }
                Outcome::Unreadable { name, message } => (name.as_str(), json::Outcome::Unreadable { message }),
            })
            .collect();
        match serde_json::to_string_pretty(&json::report(&files)) {
            Ok(mut text) => {
                text.push('\n');
                exit = exit.and(print_stdout(&text));
            }
            Err(e) => {
                print_error(&format!("cannot write the JSON report: {e}"));
                exit = exit.and(Exit::Usage);
            }
        }
    }
    exit
}

/// `✓ payments.yaml: valid (3 contexts, 4 aggregates, …)` or
/// `payments.yaml: 2 errors, 1 warning`.
fn summary_line(name: &str, errors: usize, warnings: usize, stats: Option<&str>, color: bool) -> String {
    if errors > 0 {
        let mut line = format!("{name}: {}", paint(&count(errors, "error", "errors"), "1;31", color));
        if warnings > 0 {
            line.push_str(&format!(", {}", paint(&count(warnings, "warning", "warnings"), "1;33", color)));
        }
        return line + "\n";
    }
    let mut line = format!("{} {name}: valid", paint("✓", "1;32", color));
    if warnings > 0 {
        line.push_str(&format!(" with {}", paint(&count(warnings, "warning", "warnings"), "1;33", color)));
    }
    if let Some(stats) = stats {
        line.push_str(&format!(" ({stats})"));
    }
    line + "\n"
}

/// What a model holds, for the summary line.
fn stats(model: &Model) -> String {
    [
        count(model.contexts.len(), "context", "contexts"),
        count(model.aggregates.len(), "aggregate", "aggregates"),
        count(model.commands.len(), "command", "commands"),
        count(model.events.len(), "event", "events"),
        count(model.policies.len(), "policy", "policies"),
        count(model.read_models.len(), "read model", "read models"),
    ]
    .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines() {
        assert_eq!(summary_line("p.yaml", 2, 1, None, false), "p.yaml: 2 errors, 1 warning\n");
        assert_eq!(summary_line("p.yaml", 1, 0, Some("x"), false), "p.yaml: 1 error\n");
        assert_eq!(summary_line("p.yaml", 0, 0, Some("1 context"), false), "✓ p.yaml: valid (1 context)\n");
        assert_eq!(summary_line("p.yaml", 0, 2, None, false), "✓ p.yaml: valid with 2 warnings\n");
        assert!(summary_line("p.yaml", 0, 0, None, true).contains("\x1b[1;32m✓\x1b[0m"));
    }

    #[test]
    fn stats_count_each_kind() {
        assert_eq!(
            stats(&Model::default()),
            "0 contexts, 0 aggregates, 0 commands, 0 events, 0 policies, 0 read models"
        );
    }
}
