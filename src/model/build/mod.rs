//! Building the model: from the surface tree to the resolved model.
//!
//! Four steps, each one walk over the file or the arenas, so that building
//! stays linear in the size of the model:
//!
//! 1. [`lower`]: every element into the arenas of [`Model`], with defaults
//!    filled in, field types parsed and enum-like values (actor kinds,
//!    service kinds, lint levels…) read; references are left empty;
//! 2. [`Model::index_names`]: the name index, now that every name is known;
//! 3. [`resolve`]: every reference looked up by the scoping rules of the
//!    format, and relationships read (they are nothing but references);
//! 4. [`graph`]: the causal graph over the resolved model.
//!
//! Problems found on the way are `syntax` (a value that is not one of the
//! allowed words), `invalid-type`, `unknown-reference` and
//! `ambiguous-reference`. What does not resolve is left out of the model, so
//! that the checks can still run on the rest and every problem is reported
//! at once.

#[cfg(test)]
pub(crate) mod fixture;
mod graph;
mod lower;
mod resolve;
#[cfg(test)]
mod tests;

use std::cell::Cell;

use super::Model;
use crate::diagnostics::{Code, Diagnostic, Label, suggest};
use crate::syntax::ast;
use crate::syntax::span::Span;

/// Builds the model of a surface tree, resolving every reference. Problems
/// found on the way (unknown and ambiguous references, invalid types, values
/// of the wrong kind) are returned beside the model, which leaves out what
/// did not resolve.
pub fn build(file: &ast::File) -> (Model, Vec<Diagnostic>) {
    build_with(file, SUGGESTION_BUDGET)
}

/// [`build`], with a budget of "did you mean" comparisons.
fn build_with(file: &ast::File, suggestions: usize) -> (Model, Vec<Diagnostic>) {
    let mut builder = Builder { suggestions: Cell::new(suggestions), ..Builder::default() };
    builder.lower(file);
    builder.model.index_names();
    builder.resolve(file);
    graph::connect(&mut builder.model);
    // Where a reference did not resolve, the model has a hole; checks look
    // here so as not to report the hole again as a problem of its own.
    let holes =
        builder.diagnostics.iter().filter(|d| matches!(d.code, Code::UnknownReference | Code::AmbiguousReference));
    builder.model.unresolved.extend(holes.map(|d| d.label.span));
    (builder.model, builder.diagnostics)
}

/// The model being built, the problems found so far, and, for each element
/// whose references are resolved after lowering, the surface element it came
/// from (parallel to the model's arenas).
#[derive(Default)]
struct Builder<'a> {
    model: Model,
    diagnostics: Vec<Diagnostic>,
    sources: Sources<'a>,
    /// How many more names the "did you mean" of unresolved references may
    /// compare: see `Resolver::closest`.
    suggestions: Cell<usize>,
}

/// Enough comparisons for every typo of a hand-written model (hundreds of
/// unknown names, each compared with the thousands of names of its kind),
/// and a bound (well under a second) on the time a file of nothing but
/// unknown names takes to report.
const SUGGESTION_BUDGET: usize = 2_000_000;

/// Surface elements by arena index: `commands[i]` is where `model.commands[i]`
/// was written.
#[derive(Default)]
struct Sources<'a> {
    commands: Vec<&'a ast::Command>,
    policies: Vec<&'a ast::Policy>,
    read_models: Vec<&'a ast::ReadModel>,
    services: Vec<&'a ast::Service>,
    hotspots: Vec<&'a ast::Hotspot>,
    flows: Vec<&'a ast::Flow>,
}

impl Builder<'_> {
    /// Reads one of a fixed set of words (an actor kind, a role…); anything
    /// else is `syntax`, with the closest word or the whole list as help.
    /// `what` names the set with its article: "an actor kind".
    fn choice<T: Copy>(
        &mut self,
        written: &ast::Text,
        what: &str,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Option<T> {
        if let Some(&found) = all.iter().find(|&&v| name(v) == written.value) {
            return Some(found);
        }
        let names: Vec<&str> = all.iter().map(|&v| name(v)).collect();
        let help = suggest::did_you_mean(&written.value, names.iter().copied())
            .unwrap_or_else(|| format!("{what} is one of {}", one_of(&names)));
        self.diagnostics.push(
            Diagnostic::new(
                Code::Syntax,
                format!("`{}` is not {what}", written.value),
                Label::new(written.span, format!("expected {what}")),
            )
            .with_help(help),
        );
        None
    }
}

/// The span of `text[start..end]` in the file. Only a value written as is
/// has its bytes at known places; for a quoted or escaped one (whose span is
/// longer than its text) the whole value is the best place there is.
fn sub_span(text: &ast::Text, start: usize, end: usize) -> Span {
    if text.span.len == text.value.len() && start <= end && end <= text.value.len() {
        Span::new(text.span.offset + start, end - start)
    } else {
        text.span
    }
}

/// "`a`, `b` or `c`".
fn one_of<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}
