//! `squall export MODEL --format json`: the canonical model, for tools and
//! for comparing models (see [`crate::export::json`] for the shape).
//!
//! Only a valid model is exported: one with errors is refused with its
//! diagnostics on standard error (exit 1), so that nothing downstream ever
//! reads half a model. Warnings do not stop an export.

use std::path::PathBuf;

use clap::ValueEnum;

use super::input::SyntaxArg;
use super::{Context, Exit, load, print_stdout};
use crate::export;

const EXAMPLES: &str = "\
Examples:
  squall export models/payments.yaml > payments.json
  squall export --format json models/payments.squall | jq '.contexts | keys'
  diff <(squall export a.yaml) <(squall export b.squall)   same model?

Exit status: 0 exported, 1 the model has errors (nothing is exported),
2 usage or I/O errors.";

/// Print the canonical model as JSON (deterministic: same model, same bytes)
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The model file (`.yaml`, `.yml`, `.squall`), or `-` for standard input
    #[arg(value_name = "MODEL")]
    model: PathBuf,

    /// What to export
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,

    /// The syntax of the model (default: by extension; YAML for `-`)
    #[arg(long, value_enum)]
    syntax: Option<SyntaxArg>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The canonical model
    Json,
}

pub fn run(args: Args, ctx: &Context<'_>) -> Exit {
    let model = match load::model(ctx, &args.model, args.syntax, "not exported") {
        Ok((_, model)) => model,
        Err(exit) => return exit,
    };
    match args.format {
        Format::Json => print_stdout(&export::json::to_string(&model)),
    }
}
