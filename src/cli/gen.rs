//! `squall gen MODEL --out DIR`: the model becomes a Cargo workspace of
//! event-sourced services (see [`crate::r#gen`] and
//! `docs/generated-workspace.md`).
//!
//! A model with errors is refused with its diagnostics (exit 1), so nothing
//! is ever generated from half a model. Generated files are rewritten only
//! when their bytes change; files that belong to the user are created once
//! and listed as left alone afterwards. `--check` writes nothing and fails
//! when DIR is not what `gen` would write (for CI).

use std::path::{Path, PathBuf};

use super::input::SyntaxArg;
use super::{Context, Exit, count, load, print_error, print_stderr};
use crate::r#gen;
use crate::vfs::Outcome;

const EXAMPLES: &str = "\
Examples:
  squall gen models/payments.yaml --out payments     generate, then `cd payments && cargo run`
  squall gen models/payments.yaml --out payments     again after a model change: your files stay
  squall gen models/payments.yaml --out payments --check    fail if payments/ is out of date

Exit status: 0 generated (or up to date with --check), 1 the model has
errors (nothing is written) or --check found DIR out of date, 2 usage or
I/O errors.";

/// Generate a Rust workspace of event-sourced services from a model
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The model file (`.yaml`, `.yml`, `.squall`), or `-` for standard input
    #[arg(value_name = "MODEL")]
    model: PathBuf,

    /// The directory of the workspace (created if need be)
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,

    /// Write nothing; exit 1 when DIR differs from what would be generated
    #[arg(long)]
    check: bool,

    /// The syntax of the model (default: by extension; YAML for `-`)
    #[arg(long, value_enum)]
    syntax: Option<SyntaxArg>,
}

pub fn run(args: Args, ctx: &Context<'_>) -> Exit {
    let (source, model) = match load::model(ctx, &args.model, args.syntax, "nothing generated") {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    let files = match r#gen::generate(&model) {
        Ok(files) => files,
        Err(e) => {
            print_error(&format!("{}: {e}", source.name));
            return Exit::Usage;
        }
    };
    let outcome = if args.check { files.check(&args.out) } else { files.write(&args.out) };
    match outcome {
        Ok(outcome) => report(&outcome, &args.out, args.check),
        Err(e) => {
            print_error(&e.to_string());
            Exit::Usage
        }
    }
}

/// How many paths of each kind the report names.
const LISTED: usize = 40;

/// What was written (or would be), on standard error: the product is the
/// directory, the report is for the person who ran the command.
fn report(outcome: &Outcome, dir: &Path, check: bool) -> Exit {
    // A first run over a large model creates thousands of files: the first
    // few of each kind say what happened, the count says the rest.
    let show = |label: &str, paths: &[PathBuf]| {
        for path in paths.iter().take(LISTED) {
            print_stderr(&format!("  {label} {}\n", path.display()));
        }
        if paths.len() > LISTED {
            print_stderr(&format!("  {label} … and {} more\n", paths.len() - LISTED));
        }
    };
    if check {
        show("out of date:", &outcome.written);
        show("missing:", &outcome.created_for_user);
        show("stale:", &outcome.removed);
        show("taken over (no marker, left alone):", &outcome.conflicts);
        if outcome.is_up_to_date() {
            print_stderr(&format!("{}: up to date\n", dir.display()));
            return Exit::Valid;
        }
        print_stderr(&format!("{}: out of date; run `squall gen` without --check\n", dir.display()));
        return Exit::ModelErrors;
    }
    show("created (yours from now on):", &outcome.created_for_user);
    show("left alone (yours):", &outcome.left_alone);
    show("removed (no longer generated):", &outcome.removed);
    show("taken over (no marker, left alone):", &outcome.conflicts);
    print_stderr(&format!(
        "{}: {} written, {} unchanged, {} created for you, {} of yours left alone\n",
        dir.display(),
        count(outcome.written.len(), "file", "files"),
        outcome.unchanged.len(),
        outcome.created_for_user.len(),
        outcome.left_alone.len(),
    ));
    Exit::Valid
}
