//! `squall fmt MODEL…`: rewrite models in their canonical layout, check that
//! they are, or convert one between YAML and the DSL.
//!
//! A user's file is never lost:
//!
//! - a file with syntax errors is not formatted (its diagnostics are
//!   printed, exit 1), since a tree read past an error may miss part of it;
//! - a file is rewritten through a temporary file in its own directory that
//!   is then renamed over it, so a crash leaves either the old file or the
//!   new one, never half of one; a file already in its layout is not touched;
//! - a conversion (`--to`) never writes in place: it prints to standard
//!   output, or writes `-o FILE`, and `-o` does not replace an existing file
//!   unless `--force` says so.
//!
//! Only the surface tree is involved: formatting needs a model that parses,
//! not one that checks.

use std::fs;
use std::path::{Path, PathBuf};

use super::input::{Input, SyntaxArg};
use super::output::write_atomically;
use super::{Context, Exit, Stream, load, print_error, print_stderr, print_stdout};
use crate::diagnostics::{Code, Diagnostic, Severity, render};
use crate::pipeline::Source;
use crate::syntax::{self, Syntax};

const EXAMPLES: &str = "\
Examples:
  squall fmt models/payments.yaml                      rewrite in place, canonical layout
  squall fmt --check models/*.yaml models/*.squall     exit 1 if any file is not formatted
  squall fmt --to dsl models/payments.yaml             print the model in the DSL
  squall fmt models/payments.yaml -o payments.squall   convert (the syntax follows the extension)
  squall fmt --to yaml payments.squall -o p.yaml --force   replace an existing file
  cat m.yaml | squall fmt -                            format standard input to standard output

Exit status: 0 done, 1 a model has syntax errors (or is not formatted, with
--check), 2 usage or I/O errors.";

/// Format models in their canonical layout, or convert between YAML and the DSL
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Model files (`.yaml`, `.yml`, `.squall`), or `-` for standard input
    #[arg(value_name = "MODEL", required = true)]
    models: Vec<PathBuf>,

    /// Convert to this syntax; the result goes to standard output or `-o`,
    /// never over the input
    #[arg(long, value_enum)]
    to: Option<SyntaxArg>,

    /// Change nothing; list the files that are not formatted and exit 1 if
    /// there are any
    #[arg(long, conflicts_with_all = ["to", "output"])]
    check: bool,

    /// Write the result to FILE (`-` for standard output); its extension
    /// picks the syntax when `--to` is not given
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Let `-o` replace an existing file
    #[arg(long, requires = "output")]
    force: bool,

    /// The syntax of the models (default: by extension; YAML for `-`)
    #[arg(long, value_enum)]
    syntax: Option<SyntaxArg>,
}

/// Where the formatted text goes.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// Back into the file it came from.
    InPlace,
    Stdout,
    File(PathBuf),
    /// Nowhere: `--check`.
    Check,
}

pub fn run(args: Args, ctx: &Context<'_>) -> Exit {
    let inputs: Vec<Input> = args.models.iter().map(|m| Input::new(m)).collect();
    let converting = args.to.is_some() || args.output.is_some();
    if converting && inputs.len() != 1 {
        return ctx.usage_error("`--to` and `-o` take exactly one MODEL");
    }
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        return ctx.usage_error("standard input (`-`) can be named only once");
    }
    let output_syntax = match args.output.as_deref() {
        Some(path) if path != Path::new("-") => Syntax::from_path(path),
        _ => None,
    };
    if let (Some(to), Some(by_extension)) = (args.to.map(Syntax::from), output_syntax)
        && to != by_extension
    {
        return ctx.usage_error(format!(
            "`--to {}` does not match the extension of `-o` (`.{}`)",
            name(to),
            by_extension.extension()
        ));
    }
    if let Some(out) = args.output.as_deref()
        && out != Path::new("-")
        && !args.force
        && fs::symlink_metadata(out).is_ok()
    {
        return ctx.usage_error(format!(
            "`{}` exists; squall does not replace a file unless `--force` says so",
            out.display()
        ));
    }

    let mut plan = Vec::with_capacity(inputs.len());
    for input in inputs {
        let syntax = match input.syntax(args.syntax) {
            Ok(syntax) => syntax,
            Err(message) => return ctx.usage_error(message),
        };
        let target = match (&args.output, &input) {
            _ if args.check => Target::Check,
            (Some(out), _) if out == Path::new("-") => Target::Stdout,
            (Some(out), _) => Target::File(out.clone()),
            (None, _) if args.to.is_some() => Target::Stdout,
            (None, Input::Stdin) => Target::Stdout,
            (None, Input::File(_)) => Target::InPlace,
        };
        let to = args.to.map(Syntax::from).or(output_syntax).unwrap_or(syntax);
        plan.push((input, syntax, to, target));
    }

    let mut exit = Exit::Valid;
    for (input, syntax, to, target) in plan {
        exit = exit.and(format_one(&input, syntax, to, &target, ctx));
    }
    exit
}

fn name(syntax: Syntax) -> &'static str {
    match syntax {
        Syntax::Yaml => "yaml",
        Syntax::Dsl => "dsl",
    }
}

fn format_one(input: &Input, syntax: Syntax, to: Syntax, target: &Target, ctx: &Context<'_>) -> Exit {
    let source = match load::read(input, syntax, ctx.style(Stream::Stderr), "not formatted") {
        Ok(source) => source,
        Err(exit) => return exit,
    };
    let formatted = match format_source(&source, to) {
        Ok(formatted) => formatted,
        Err(diagnostics) => return refuse(&source, &diagnostics, ctx),
    };

    match target {
        Target::Check => {
            if formatted == source.text {
                Exit::Valid
            } else {
                print_stdout(&format!("would reformat {}\n", source.name)).and(Exit::ModelErrors)
            }
        }
        Target::Stdout => print_stdout(&formatted),
        Target::InPlace => {
            let Input::File(path) = input else { return print_stdout(&formatted) };
            if formatted == source.text {
                return Exit::Valid;
            }
            match write_atomically(path, &formatted) {
                Ok(()) => {
                    print_stderr(&format!("formatted {}\n", source.name));
                    Exit::Valid
                }
                Err(e) => {
                    print_error(&format!("cannot write `{}`: {e}", path.display()));
                    Exit::Usage
                }
            }
        }
        Target::File(out) => match write_atomically(out, &formatted) {
            Ok(()) => Exit::Valid,
            Err(e) => {
                print_error(&format!("cannot write `{}`: {e}", out.display()));
                Exit::Usage
            }
        },
    }
}

/// The model in the canonical layout of `to`, or the diagnostics of a file
/// with syntax errors (nothing may then be written from it).
fn format_source(source: &Source, to: Syntax) -> Result<String, Vec<Diagnostic>> {
    let parsed = syntax::parse(&source.text, source.syntax);
    let broken = parsed.diagnostics.iter().any(|d| d.code == Code::Syntax && d.severity == Severity::Error);
    match parsed.file {
        Some(file) if !broken => Ok(syntax::print(&file, to)),
        _ => Err(parsed.diagnostics),
    }
}

/// Says why a file is not formatted.
fn refuse(source: &Source, diagnostics: &[Diagnostic], ctx: &Context<'_>) -> Exit {
    print_stderr(&render::render(diagnostics, &source.name, &source.text, ctx.style(Stream::Stderr)));
    let why = match diagnostics.iter().filter(|d| d.code == Code::Syntax).count() {
        0 => "it is not a model".to_string(),
        1 => "it has a syntax error".to_string(),
        n => format!("it has {n} syntax errors"),
    };
    print_stderr(&format!("{}: not formatted: {why}\n", source.name));
    Exit::ModelErrors
}
