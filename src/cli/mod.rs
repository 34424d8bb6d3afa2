//! The command line: a thin shell over the library.
//!
//! Each subcommand lives in its own file, which holds its arguments (a clap
//! `Args` struct whose doc comment is the command's help and whose
//! `after_help` shows examples) and a `run` function that calls the library
//! and turns the outcome into an [`Exit`]. Adding a subcommand is writing
//! that file and naming it in the `commands!` list below.
//!
//! Exit codes are part of the interface: 0 when everything is valid, 1 when a
//! model has errors, 2 for usage and I/O errors (see [`Exit`]).
//!
//! Reports for people go through miette with colour only when the stream is
//! a terminal and `NO_COLOR` is unset (or when `--color always` says so).
//! Nothing here panics on what a user gives it: files are read by
//! [`input`], which bounds their size and turns bytes that are not text into
//! a diagnostic, and a closed standard output (`squall export … | head`) ends
//! the run quietly.

mod input;
mod lints;
mod load;
mod output;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::diagnostics::render::Style;

/// Declares the subcommands: one module each, holding `Args` and `run`.
macro_rules! commands {
    ($($module:ident => $variant:ident,)*) => {
        $(mod $module;)*

        #[derive(Subcommand, Debug)]
        enum Command {
            $($variant($module::Args),)*
        }

        impl Command {
            fn run(self, ctx: &Context<'_>) -> Exit {
                match self {
                    $(Command::$variant(args) => $module::run(args, ctx),)*
                }
            }
        }
    };
}

commands! {
    check => Check,
    fmt => Fmt,
    export => Export,
    r#gen => Gen,
    diagram => Diagram,
    schema => Schema,
    explain => Explain,
    completions => Completions,
}

const EXAMPLES: &str = "\
Examples:
  squall check models/payments.yaml          check a model
  squall check -D warnings models/*.yaml     fail on warnings too (as in CI)
  squall fmt models/payments.yaml            rewrite a model in its canonical layout
  squall fmt --to dsl models/payments.yaml   print the model in the Squall DSL
  squall export models/payments.yaml         the canonical model as JSON
  squall gen models/payments.yaml --out pay  a Rust workspace of services
  squall diagram models/payments.yaml -o board.svg   the event-storming board
  squall explain unused-event                what a rule checks and how to fix it
  squall schema > squall.schema.json         JSON Schema for editors

Exit status: 0 valid, 1 model errors, 2 usage or I/O errors.";

/// Squall: event-storming models as the source of truth.
///
/// A model (YAML or the Squall DSL) describes actors, bounded contexts,
/// aggregates, commands, events, policies and read models. Squall checks it
/// against the rules of the format and turns it into canonical JSON.
#[derive(Parser, Debug)]
#[command(name = "squall", version, propagate_version = true, after_help = EXAMPLES)]
struct Cli {
    /// When to colour reports: `auto` colours a terminal unless NO_COLOR is set
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,

    #[command(subcommand)]
    command: Command,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// How a run ends. The numeric values are the process's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Every model is valid (warnings alone do not fail a run).
    Valid = 0,
    /// A model has errors (or a warning that a lint level denies).
    ModelErrors = 1,
    /// A usage error, or a file that could not be read or written.
    Usage = 2,
}

impl Exit {
    /// The worse of two outcomes, for commands that run over several files.
    pub fn and(self, other: Exit) -> Exit {
        self.max(other)
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// What every subcommand gets besides its own arguments.
pub struct Context<'m> {
    color: ColorChoice,
    /// The subcommand's parsed arguments, for what the derived `Args` cannot
    /// say (the order of lint flags).
    matches: &'m ArgMatches,
    /// The subcommand's name, for usage errors.
    name: &'m str,
}

/// The two streams a report can go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Context<'_> {
    /// Whether to colour what goes to `stream`.
    pub fn color(&self, stream: Stream) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                // https://no-color.org: set and not empty means no colour.
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                let terminal = match stream {
                    Stream::Stdout => io::stdout().is_terminal(),
                    Stream::Stderr => io::stderr().is_terminal(),
                };
                terminal && !no_color
            }
        }
    }

    /// How to draw diagnostics on `stream`: its colour, and the terminal's
    /// width when it is one.
    pub fn style(&self, stream: Stream) -> Style {
        let width = match stream {
            Stream::Stdout => terminal_size::terminal_size_of(io::stdout()),
            Stream::Stderr => terminal_size::terminal_size_of(io::stderr()),
        }
        .map_or(Style::PLAIN.width, |(terminal_size::Width(w), _)| usize::from(w).clamp(60, 160));
        Style { color: self.color(stream), width }
    }

    /// Prints a usage error the way clap prints its own (with the
    /// subcommand's usage line) and returns [`Exit::Usage`].
    pub fn usage_error(&self, message: impl std::fmt::Display) -> Exit {
        let mut root = cli_command(self.color);
        root.build();
        let error = match root.find_subcommand_mut(self.name) {
            Some(sub) => sub.error(ErrorKind::ValueValidation, message),
            None => root.error(ErrorKind::ValueValidation, message),
        };
        let _ = error.print();
        Exit::Usage
    }
}

/// The clap command, coloured as asked.
fn cli_command(color: ColorChoice) -> clap::Command {
    let clap_color = match color {
        ColorChoice::Auto => clap::ColorChoice::Auto,
        ColorChoice::Always => clap::ColorChoice::Always,
        ColorChoice::Never => clap::ColorChoice::Never,
    };
    Cli::command().color(clap_color)
}

/// Runs the command line and returns the process's exit code.
pub fn run() -> ExitCode {
    run_with(std::env::args_os()).into()
}

/// Runs the command line on the given arguments (the first is the program
/// name).
pub fn run_with(args: impl IntoIterator<Item = OsString>) -> Exit {
    let args: Vec<OsString> = args.into_iter().collect();
    let color = requested_color(&args);
    let matches = match cli_command(color).try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(error) => {
            let _ = error.print();
            // Help and version are not errors.
            return if error.use_stderr() { Exit::Usage } else { Exit::Valid };
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return Exit::Usage;
        }
    };
    let Some((name, sub_matches)) = matches.subcommand() else {
        // clap requires a subcommand; this is only reached if that changes.
        return Exit::Usage;
    };
    let ctx = Context { color: cli.color, matches: sub_matches, name };
    cli.command.run(&ctx)
}

/// `--color` as written, before clap parses anything, so that clap's own
/// errors and help follow it too.
fn requested_color(args: &[OsString]) -> ColorChoice {
    let mut choice = ColorChoice::Auto;
    let mut iter = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(arg) = iter.next() {
        let value = match arg.strip_prefix("--color") {
            Some("") => iter.next(),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(parsed) = value.and_then(|v| ColorChoice::from_str(v, false).ok()) {
            choice = parsed;
        }
        if arg == "--" {
            break;
        }
    }
    choice
}

/// Writes the product of a command to standard output. A closed pipe
/// (`squall export m.yaml | head`) is not an error worth a message.
pub fn print_stdout(text: &str) -> Exit {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Exit::Valid,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Valid,
        Err(e) => {
            print_error(&format!("cannot write to standard output: {e}"));
            Exit::Usage
        }
    }
}

/// Writes a report to standard error; if even that fails there is nobody
/// left to tell.
pub fn print_stderr(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// `error: <message>` on standard error, for problems of the run itself
/// (a file that cannot be read), as opposed to problems in a model.
pub fn print_error(message: &str) {
    print_stderr(&format!("error: {message}\n"));
}

/// Wraps `text` in an ANSI colour when `on`.
pub fn paint(text: &str, ansi: &str, on: bool) -> String {
    if on { format!("\x1b[{ansi}m{text}\x1b[0m") } else { text.to_string() }
}

/// `1 error`, `2 errors`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_has_help_and_examples() {
        let mut cli = Cli::command();
        cli.build();
        for sub in cli.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            assert!(sub.get_about().is_some(), "`{}` has no help", sub.get_name());
            let examples = sub.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            assert!(examples.contains("squall "), "`{}` has no examples", sub.get_name());
        }
    }

    #[test]
    fn color_is_read_before_parsing() {
        assert_eq!(requested_color(&args(&["squall", "--color", "never", "check"])), ColorChoice::Never);
        assert_eq!(requested_color(&args(&["squall", "check", "--color=always"])), ColorChoice::Always);
        assert_eq!(requested_color(&args(&["squall", "check", "--", "--color=always"])), ColorChoice::Auto);
        assert_eq!(requested_color(&args(&["squall", "--color"])), ColorChoice::Auto);
    }

    #[test]
    fn the_worse_outcome_wins() {
        assert_eq!(Exit::Valid.and(Exit::ModelErrors), Exit::ModelErrors);
        assert_eq!(Exit::Usage.and(Exit::ModelErrors), Exit::Usage);
    }
}
