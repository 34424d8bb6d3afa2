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
///
/// The tree is consumed, each context as soon as it is lowered (see
/// [`Builder`]).
pub fn build(file: ast::File) -> (Model, Vec<Diagnostic>) {
    Builder::default().finish(file)
}

/// Builds a model one context at a time, as a reader hands them over
/// ([`Builder::context`]), then from the rest of the file
/// ([`Builder::finish`]).
///
/// Each context is lowered and freed as soon as the reader hands it over,
/// while what the reader wrote is still in the processor's caches; names
/// and texts move into the model rather than being copied. Built from a
/// whole surface tree instead, a large model is lowered from memory the
/// reader wrote long before, and the tree freed after it, both from main
/// memory: at 200 contexts, lowering and freeing the surface tree took 17
/// and 35 times what they took at 20 (`docs/yaml.md`, "Performance").
pub struct Builder {
    model: Model,
    diagnostics: Vec<Diagnostic>,
    sources: Sources,
    /// How many more names the "did you mean" of unresolved references may
    /// compare: see `Resolver::closest`.
    suggestions: Cell<usize>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::with_budget(SUGGESTION_BUDGET)
    }
}

impl Builder {
    /// A builder with a budget of "did you mean" comparisons.
    fn with_budget(suggestions: usize) -> Builder {
        Builder {
            model: Model::default(),
            diagnostics: Vec::new(),
            sources: Sources::default(),
            suggestions: Cell::new(suggestions),
        }
    }

    /// Lowers one context, in the order of the file.
    pub fn context(&mut self, entry: ast::Entry<ast::Context>) {
        self.lower_context(entry);
    }

    /// Lowers the rest of the file (and any contexts it still holds, after
    /// those handed over), then resolves every reference and builds the
    /// graph.
    pub fn finish(mut self, file: ast::File) -> (Model, Vec<Diagnostic>) {
        self.lower(file);
        self.model.index_names();
        self.resolve();
        graph::connect(&mut self.model);
        // Where a reference did not resolve, the model has a hole; checks
        // look here so as not to report the hole again as a problem of its
        // own.
        let holes =
            self.diagnostics.iter().filter(|d| matches!(d.code, Code::UnknownReference | Code::AmbiguousReference));
        self.model.unresolved.extend(holes.map(|d| d.label.span));
        (self.model, self.diagnostics)
    }
}

/// [`build`], with a budget of "did you mean" comparisons.
#[cfg(test)]
fn build_with(file: ast::File, suggestions: usize) -> (Model, Vec<Diagnostic>) {
    Builder::with_budget(suggestions).finish(file)
}

/// Enough comparisons for every typo of a hand-written model (hundreds of
/// unknown names, each compared with the thousands of names of its kind),
/// and a bound (well under a second) on the time a file of nothing but
/// unknown names takes to report.
const SUGGESTION_BUDGET: usize = 2_000_000;

/// The references of each element as written, by arena index:
/// `commands[i]` holds what `model.commands[i]` refers to. Lowering moves
/// them out of the tree; resolving looks them up once every name is known.
#[derive(Default)]
struct Sources {
    /// The lists of references of commands, policies and read models (the
    /// bulk of a model's references), packed.
    packed: Packed,
    commands: Vec<CommandReferences>,
    policies: Vec<PolicyReferences>,
    /// Each read model's `from`.
    read_models: Vec<References>,
    /// Each service's `owns`.
    services: Vec<Option<ast::TextList>>,
    /// Each hot spot's `on`.
    hotspots: Vec<Option<ast::Text>>,
    /// Each flow's `steps`.
    flows: Vec<Option<ast::TextList>>,
    /// Relationships are nothing but references: they are read whole when
    /// resolving.
    relationships: Vec<ast::Relationship>,
}

struct CommandReferences {
    actors: References,
    emits: References,
}

struct PolicyReferences {
    on: References,
    then: Option<ast::Text>,
}

/// References as written, packed side by side: their texts in one string,
/// their ends and spans in one list, rather than a list and a string each.
/// Kept from lowering until every name is known, a large model's
/// references then cost a few blocks, not two per element, and resolving
/// reads them in order instead of from wherever the reader left them.
#[derive(Default)]
struct Packed {
    texts: String,
    /// Where each reference's text ends in `texts`, and its span.
    ends: Vec<(usize, Span)>,
}

/// One list of [`Packed`] references.
#[derive(Clone, Copy, Default)]
struct References {
    first: usize,
    len: usize,
}

impl Packed {
    /// Packs a list of references (none when the key is absent).
    fn pack(&mut self, list: Option<ast::TextList>) -> References {
        let first = self.ends.len();
        for text in list.into_iter().flat_map(|list| list.value) {
            self.texts.push_str(&text.value);
            self.ends.push((self.texts.len(), text.span));
        }
        References { first, len: self.ends.len() - first }
    }

    /// The texts and spans of a list of references.
    fn unpack(&self, list: References) -> impl Iterator<Item = (&str, Span)> {
        let start = list.first.checked_sub(1).and_then(|i| self.ends.get(i)).map_or(0, |&(end, _)| end);
        let ends = self.ends.get(list.first..list.first + list.len).unwrap_or_default();
        ends.iter().scan(start, |at, &(end, span)| {
            let text = self.texts.get(*at..end).unwrap_or_default();
            *at = end;
            Some((text, span))
        })
    }
}

impl Builder {
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
