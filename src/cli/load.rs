//! Reading a model for the commands that make something from it (`export`,
//! `diagram`, `gen`): a file that cannot be read, that is not text, or whose
//! model has errors is refused with its reasons on standard error, and the
//! command gets the exit status to end with instead of a model.
//!
//! Only a model without errors is handed on: whatever is made from half a
//! model would look right and be wrong. Warnings do not stop it.

use std::path::Path;

use super::input::{Input, ReadError, SyntaxArg};
use super::{Context, Exit, Stream, count, print_error, print_stderr};
use crate::diagnostics::render::{self, Style};
use crate::diagnostics::{LintLevels, Severity};
use crate::model::Model;
use crate::pipeline::{self, Source};
use crate::syntax::Syntax;

/// The model at `path` (or `-`), read and checked: its source, for
/// messages that name the file, and the model. `refused` as for [`read`].
pub fn model(
    ctx: &Context<'_>,
    path: &Path,
    syntax: Option<SyntaxArg>,
    refused: &str,
) -> Result<(Source, Model), Exit> {
    let input = Input::new(path);
    let syntax = input.syntax(syntax).map_err(|message| ctx.usage_error(message))?;
    let style = ctx.style(Stream::Stderr);
    let source = read(&input, syntax, style, refused)?;
    let model = valid_model(&source, style, refused)?;
    Ok((source, model))
}

/// Reads the model's text. `refused` ends the line that says why nothing
/// was made: "not drawn", "not exported".
pub fn read(input: &Input, syntax: Syntax, style: Style, refused: &str) -> Result<Source, Exit> {
    match input.read(syntax) {
        Ok(source) => Ok(source),
        Err(ReadError::Io(message)) => {
            print_error(&message);
            Err(Exit::Usage)
        }
        Err(ReadError::NotText(bad)) => {
            print_stderr(&render::render(
                std::slice::from_ref(&bad.excerpt_diagnostic),
                &bad.name,
                &bad.excerpt,
                style,
            ));
            print_stderr(&format!("{}: {refused}: it is not a text file\n", bad.name));
            Err(Exit::ModelErrors)
        }
    }
}

/// The checked model, or its errors printed (exit 1).
pub fn valid_model(source: &Source, style: Style, refused: &str) -> Result<Model, Exit> {
    let checked = pipeline::check(source, &LintLevels::default());
    match checked.model {
        Some(model) if !checked.has_errors() => Ok(model),
        _ => {
            let errors: Vec<_> = checked.diagnostics.into_iter().filter(|d| d.severity == Severity::Error).collect();
            print_stderr(&render::render(&errors, &source.name, &source.text, style));
            print_stderr(&format!(
                "{}: {refused}: {} (run `squall check` for the full report)\n",
                source.name,
                count(errors.len(), "error", "errors")
            ));
            Err(Exit::ModelErrors)
        }
    }
}
