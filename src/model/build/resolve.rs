//! Resolving references, by the scoping rules of the format ("Names and
//! references"):
//!
//! - a bare name is looked up in the current context, `Context.Name` in that
//!   context; in a top-level flow (which has no current context) a bare name
//!   must be found in exactly one context;
//! - what a reference may name depends on its key; a name of the wrong kind
//!   is `unknown-reference` ("`X` is a read model, not an event");
//! - a bare name found only in another context is `unknown-reference` with
//!   the help "did you mean `Other.Name`?"; otherwise the help is the closest
//!   name of the right kind.
//!
//! Some references resolve although a rule of the check rejects them, so that
//! the rule can say what is wrong rather than "unknown": an `emits` naming an
//! event of another aggregate (`foreign-event`), a `then` naming a command of
//! another context (`cross-context-command`), an `owns` naming an element of
//! another context (`service-ownership`).
//!
//! A hot spot's `on` may name anything: in its context first, then actors,
//! then contexts, then (for a hot spot of the system) an element of exactly
//! one context.

use super::{Builder, one_of, sub_span};
use std::cell::Cell;

use crate::diagnostics::{Code, Diagnostic, Label, suggest};
use crate::model::{
    ActorId, CommandId, ContextId, Element, EventId, Model, Owned, Relationship, RelationshipKind, Role, Step,
};
use crate::syntax::ast::{self, Text, TextList};
use crate::syntax::span::{Span, Spanned};

/// What a key's references may name.
struct Want {
    accepts: fn(Element) -> bool,
    /// With its article: "an event".
    noun: &'static str,
    /// Without: "event".
    kind: &'static str,
    /// Actors and contexts too (a hot spot's `on`).
    anything: bool,
}

const EVENT: Want =
    Want { accepts: |e| matches!(e, Element::Event(_)), noun: "an event", kind: "event", anything: false };

const COMMAND: Want =
    Want { accepts: |e| matches!(e, Element::Command(_)), noun: "a command", kind: "command", anything: false };

const OWNED: Want = Want {
    accepts: |e| matches!(e, Element::Aggregate(_) | Element::Policy(_) | Element::ReadModel(_)),
    noun: "an aggregate, a policy or a read model",
    kind: "aggregate, policy or read model",
    anything: false,
};

const STEP: Want = Want {
    accepts: |e| matches!(e, Element::Command(_) | Element::Event(_) | Element::Policy(_)),
    noun: "a command, an event or a policy",
    kind: "command, event or policy",
    anything: false,
};

const ANYTHING: Want = Want { accepts: |_| true, noun: "an element", kind: "element", anything: true };

impl Builder {
    pub(super) fn resolve(&mut self) {
        let sources = std::mem::take(&mut self.sources);
        let packed = &sources.packed;
        // Each packed reference is looked up as this one text, reused.
        let mut text = Text::default();
        for (i, source) in sources.commands.iter().enumerate() {
            let here = self.model.commands[i].context;
            let mut resolver = self.resolver();
            let actors: Vec<_> =
                packed.unpack(source.actors).filter_map(|t| resolver.actor(here, written(&mut text, t))).collect();
            let emits =
                packed.unpack(source.emits).filter_map(|t| resolver.event(here, written(&mut text, t))).collect();
            if actors.len() < source.actors.len {
                self.model.unresolved_actors.insert(CommandId(i as u32));
            }
            let command = &mut self.model.commands[i];
            command.actors = actors;
            command.emits = emits;
        }
        for (i, source) in sources.policies.iter().enumerate() {
            let here = self.model.policies[i].context;
            let mut resolver = self.resolver();
            let on = packed.unpack(source.on).filter_map(|t| resolver.event(here, written(&mut text, t))).collect();
            let then = source.then.as_ref().and_then(|t| resolver.command(here, t));
            let policy = &mut self.model.policies[i];
            policy.on = on;
            policy.then = then;
        }
        for (i, &from) in sources.read_models.iter().enumerate() {
            let here = self.model.read_models[i].context;
            let mut resolver = self.resolver();
            let from = packed.unpack(from).filter_map(|t| resolver.event(here, written(&mut text, t))).collect();
            self.model.read_models[i].from = from;
        }
        for (i, written) in sources.services.iter().enumerate() {
            let here = self.model.services[i].context;
            let mut resolver = self.resolver();
            let owns: Vec<_> = items(written).filter_map(|t| resolver.owned(here, t)).collect();
            if owns.len() < items(written).count() {
                self.model.unresolved_owns.insert(here);
            }
            self.model.services[i].owns = owns;
        }
        for (i, on) in sources.hotspots.iter().enumerate() {
            let here = self.model.hotspots[i].context;
            let mut resolver = self.resolver();
            let on = on.as_ref().and_then(|t| resolver.element(here, t, &ANYTHING));
            self.model.hotspots[i].on = on;
        }
        for (i, steps) in sources.flows.iter().enumerate() {
            let mut resolver = self.resolver();
            let steps = items(steps).filter_map(|t| resolver.step(t)).collect();
            self.model.flows[i].steps = steps;
        }
        for relationship in &sources.relationships {
            if let Some(relationship) = self.relationship(relationship) {
                self.model.relationships.push(relationship);
            }
        }
    }

    /// A relationship, or `None` when its kind or one of its contexts is
    /// unknown or missing (reported): a relationship with a hole in it
    /// relates nothing.
    ///
    /// The readers check what any relationship needs (`upstream` and
    /// `downstream`, or `between` with two contexts); which of the two a
    /// relationship needs depends on its kind, which only the model reads,
    /// so that is checked here, once per relationship. Roles on a symmetric
    /// relationship are `relationship-role-conflict`'s business.
    fn relationship(&mut self, written: &ast::Relationship) -> Option<Relationship> {
        // A missing kind is reported by the reader.
        let kind_text = written.kind.as_ref()?;
        let kind = self.choice(kind_text, "a relationship kind", &RelationshipKind::ALL, RelationshipKind::as_str)?;
        let kind = Spanned::new(kind, kind_text.span);
        let mut shape_error = |span: Span, related: Option<Span>, message: String, help: String| {
            let mut diagnostic =
                Diagnostic::new(Code::Syntax, message, Label::new(span, "not for this kind of relationship"))
                    .with_related(Label::new(kind.span, "the kind of relationship"))
                    .with_help(help);
            if let Some(related) = related {
                diagnostic = diagnostic.with_related(Label::new(related, "not for this kind either"));
            }
            self.diagnostics.push(diagnostic);
        };
        let (upstream, downstream) = match (&written.between, &written.upstream, &written.downstream) {
            // `between` wins where it belongs (a relationship that also has
            // `upstream` or `downstream` is reported by the YAML reader).
            (Some(between), _, _) if kind.is_symmetric() => match between.value.as_slice() {
                [a, b] => (a, b),
                // Not two contexts: reported by the readers.
                _ => return None,
            },
            (None, Some(upstream), Some(downstream)) if kind.is_symmetric() => {
                // The pair is plain: read it as the two partners, so that the
                // rest of the check still runs on the relationship.
                shape_error(
                    upstream.span,
                    Some(downstream.span),
                    format!(
                        "a relationship of kind `{}` relates two contexts as equals, with no upstream or downstream",
                        kind.as_str()
                    ),
                    format!("name `{}` and `{}` together in `between`", upstream.value, downstream.value),
                );
                (upstream, downstream)
            }
            // Likewise the directed kinds with `between` beside their sides.
            (_, Some(upstream), Some(downstream)) => (upstream, downstream),
            (Some(between), None, None) => {
                let help = match between.value.as_slice() {
                    [a, b] => format!(
                        "say which context is `upstream` and which `downstream` (such as `{}` upstream of `{}`), or make the relationship a `partnership`",
                        a.value, b.value
                    ),
                    _ => "say which context is `upstream` and which `downstream`".to_string(),
                };
                shape_error(
                    between.span,
                    None,
                    format!(
                        "a relationship of kind `{}` has an upstream and a downstream, not `between`",
                        kind.as_str()
                    ),
                    help,
                );
                return None;
            }
            // A missing side: reported by the readers.
            _ => return None,
        };
        let upstream_roles = self.roles(&written.upstream_roles);
        let downstream_roles = self.roles(&written.downstream_roles);
        let mut resolver = self.resolver();
        // Both sides are resolved before giving up, so both are reported.
        let (upstream, downstream) = (resolver.context(upstream), resolver.context(downstream));
        Some(Relationship {
            kind,
            upstream: upstream?,
            downstream: downstream?,
            upstream_roles,
            downstream_roles,
            description: written.description.as_ref().map(|d| d.value.clone()),
            span: written.span,
        })
    }

    /// Roles as written; which side they belong on is the business of
    /// `relationship-role-conflict`.
    fn roles(&mut self, written: &Option<TextList>) -> Vec<Spanned<Role>> {
        items(written)
            .filter_map(|t| self.choice(t, "a role", &Role::ALL, Role::as_str).map(|role| Spanned::new(role, t.span)))
            .collect()
    }
}

/// A packed reference as the text it was written as, in `text`.
fn written<'t>(text: &'t mut Text, (value, span): (&str, Span)) -> &'t Text {
    text.value.clear();
    text.value.push_str(value);
    text.span = span;
    text
}

/// The texts of a list that may be absent.
fn items(list: &Option<TextList>) -> impl Iterator<Item = &Text> {
    list.iter().flat_map(|l| l.value.iter())
}

/// A reference split into its parts: `Context.Name` or `Name`.
struct Reference<'t> {
    text: &'t str,
    span: Span,
    context: Option<(&'t str, Span)>,
    name: &'t str,
    name_span: Span,
}

impl<'t> Reference<'t> {
    fn split(text: &'t Text) -> Result<Reference<'t>, Diagnostic> {
        let value = text.value.as_str();
        let malformed = || {
            Diagnostic::new(
                Code::UnknownReference,
                format!("`{value}` is not a reference"),
                Label::new(text.span, "expected `Name` or `Context.Name`"),
            )
            .with_help("a reference is a bare `Name` (in this context) or `Context.Name` (in that context)")
        };
        match value.split_once('.') {
            None if value.is_empty() => Err(malformed()),
            None => Ok(Reference { text: value, span: text.span, context: None, name: value, name_span: text.span }),
            Some((context, name)) => {
                if context.is_empty() || name.is_empty() || name.contains('.') {
                    return Err(malformed());
                }
                Ok(Reference {
                    text: value,
                    span: text.span,
                    context: Some((context, sub_span(text, 0, context.len()))),
                    name,
                    name_span: sub_span(text, context.len() + 1, value.len()),
                })
            }
        }
    }
}

/// Looks references up in a model whose names are indexed, reporting those
/// that do not resolve.
struct Resolver<'m> {
    model: &'m Model,
    out: &'m mut Vec<Diagnostic>,
    /// How many more names "did you mean" may compare, shared by the whole
    /// build (see [`Builder::suggestions`]).
    suggestions: &'m Cell<usize>,
}

impl Builder {
    fn resolver(&mut self) -> Resolver<'_> {
        Resolver { model: &self.model, out: &mut self.diagnostics, suggestions: &self.suggestions }
    }
}

impl Resolver<'_> {
    /// The closest of `candidates` to a name that did not resolve, while the
    /// build's budget of comparisons lasts. Each unknown name is compared
    /// with every name of its kind, so a file full of them would take time
    /// quadratic in its size; past the budget the help falls back to its
    /// general advice and the report stays linear.
    fn closest<'a>(&self, wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        let left = self.suggestions.get();
        let mut compared = 0;
        let found = suggest::closest(wanted, candidates.into_iter().take(left).inspect(|_| compared += 1));
        self.suggestions.set(left - compared);
        found
    }

    fn did_you_mean<'a>(&self, wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
        self.closest(wanted, candidates).map(|found| format!("did you mean `{found}`?"))
    }

    fn report<T>(&mut self, result: Result<T, Diagnostic>, span: Span) -> Option<Spanned<T>> {
        match result {
            Ok(found) => Some(Spanned::new(found, span)),
            Err(diagnostic) => {
                self.out.push(diagnostic);
                None
            }
        }
    }

    fn element(&mut self, here: Option<ContextId>, text: &Text, want: &Want) -> Option<Spanned<Element>> {
        let result = self.find(here, text, want);
        self.report(result, text.span)
    }

    fn event(&mut self, here: ContextId, text: &Text) -> Option<Spanned<EventId>> {
        let found = self.element(Some(here), text, &EVENT)?;
        match found.value {
            Element::Event(id) => Some(Spanned::new(id, found.span)),
            _ => None,
        }
    }

    fn command(&mut self, here: ContextId, text: &Text) -> Option<Spanned<CommandId>> {
        let found = self.element(Some(here), text, &COMMAND)?;
        match found.value {
            Element::Command(id) => Some(Spanned::new(id, found.span)),
            _ => None,
        }
    }

    fn owned(&mut self, here: ContextId, text: &Text) -> Option<Spanned<Owned>> {
        let found = self.element(Some(here), text, &OWNED)?;
        let owned = match found.value {
            Element::Aggregate(id) => Owned::Aggregate(id),
            Element::Policy(id) => Owned::Policy(id),
            Element::ReadModel(id) => Owned::ReadModel(id),
            _ => return None,
        };
        Some(Spanned::new(owned, found.span))
    }

    /// A step of a top-level flow.
    fn step(&mut self, text: &Text) -> Option<Spanned<Step>> {
        let found = self.element(None, text, &STEP)?;
        let step = match found.value {
            Element::Command(id) => Step::Command(id),
            Element::Event(id) => Step::Event(id),
            Element::Policy(id) => Step::Policy(id),
            _ => return None,
        };
        Some(Spanned::new(step, found.span))
    }

    fn actor(&mut self, here: ContextId, text: &Text) -> Option<Spanned<ActorId>> {
        let result = self.find_actor(here, text);
        self.report(result, text.span)
    }

    fn context(&mut self, text: &Text) -> Option<Spanned<ContextId>> {
        let result = match self.model.find_context(&text.value) {
            Some(found) => Ok(found),
            None => match self.model.find_actor(&text.value) {
                Some(actor) => Err(wrong_kind(text.span, &text.value, Element::Actor(actor), "a context", None)),
                None => Err(self.unknown_context(&text.value, text.span)),
            },
        };
        self.report(result, text.span)
    }

    fn find(&self, here: Option<ContextId>, text: &Text, want: &Want) -> Result<Element, Diagnostic> {
        let reference = Reference::split(text)?;
        if let Some((context, context_span)) = reference.context {
            let Some(context) = self.model.find_context(context) else {
                return Err(self.unknown_context(context, context_span));
            };
            return self.in_context(context, &reference, want, true);
        }
        if want.anything {
            if let Some(found) = here.and_then(|c| self.model.lookup(c, reference.name)) {
                return Ok(found);
            }
            if let Some(actor) = self.model.find_actor(reference.name) {
                return Ok(Element::Actor(actor));
            }
            if let Some(context) = self.model.find_context(reference.name) {
                return Ok(Element::Context(context));
            }
        }
        match here {
            Some(context) => self.in_context(context, &reference, want, false),
            None => self.in_any_context(&reference, want),
        }
    }

    /// `Name` in the current context, or `Context.Name` (`qualified`).
    fn in_context(
        &self,
        context: ContextId,
        reference: &Reference,
        want: &Want,
        qualified: bool,
    ) -> Result<Element, Diagnostic> {
        let model = self.model;
        if let Some(found) = model.lookup(context, reference.name) {
            if (want.accepts)(found) {
                return Ok(found);
            }
            let help = self
                .elsewhere_help(reference.name, want, Some(context))
                .or_else(|| self.closest_in(context, reference.name, want).map(|c| self.spell(context, c, qualified)));
            return Err(wrong_kind(reference.span, reference.text, found, want.noun, help));
        }
        let context_name = &model[context].name.value;
        let elsewhere = self.elsewhere_help(reference.name, want, Some(context));
        if !qualified {
            if let Some(help) = elsewhere {
                return Err(Diagnostic::new(
                    Code::UnknownReference,
                    format!("`{}` is not declared in context `{context_name}`", reference.name),
                    Label::new(reference.span, "declared in another context"),
                )
                .with_help(help));
            }
            if let Some(other) = self.actor_or_context(reference.name) {
                return Err(wrong_kind(reference.span, reference.text, other, want.noun, None));
            }
        }
        let help = self
            .closest_in(context, reference.name, want)
            .map(|c| self.spell(context, c, qualified))
            .or(elsewhere)
            .unwrap_or_else(|| not_found_help(want));
        Err(Diagnostic::new(
            Code::UnknownReference,
            format!("no {} named `{}` in context `{context_name}`", want.kind, reference.name),
            Label::new(reference.name_span, format!("unknown {}", want.kind)),
        )
        .with_help(help))
    }

    /// A bare name outside any context: it must name an element of exactly
    /// one context.
    fn in_any_context(&self, reference: &Reference, want: &Want) -> Result<Element, Diagnostic> {
        let model = self.model;
        let all = model.lookup_everywhere(reference.name);
        let fitting: Vec<Element> = all.iter().copied().filter(|&e| (want.accepts)(e)).collect();
        match fitting.as_slice() {
            [only] => Ok(*only),
            [] => {
                if let Some(other) = all.first().copied().or_else(|| self.actor_or_context(reference.name)) {
                    return Err(wrong_kind(reference.span, reference.text, other, want.noun, None));
                }
                let everything = (0..model.contexts.len() as u32).flat_map(|c| model.elements_of(ContextId(c)));
                let names = everything.filter(|&e| (want.accepts)(e)).map(|e| model.element_name(e));
                let help = self
                    .closest(reference.name, names)
                    .map(|closest| {
                        let candidates = model.lookup_everywhere(closest);
                        match candidates.iter().copied().filter(|&e| (want.accepts)(e)).collect::<Vec<_>>()[..] {
                            [_] => format!("did you mean `{closest}`?"),
                            [first, ..] => format!("did you mean `{}`?", model.qualified_name(first)),
                            [] => format!("did you mean `{closest}`?"),
                        }
                    })
                    .unwrap_or_else(|| not_found_help(want));
                Err(Diagnostic::new(
                    Code::UnknownReference,
                    format!("no {} named `{}` in any context", want.kind, reference.name),
                    Label::new(reference.span, format!("unknown {}", want.kind)),
                )
                .with_help(help))
            }
            several => {
                let candidates: Vec<String> = several.iter().map(|&e| model.qualified_name(e)).collect();
                let mut diagnostic = Diagnostic::new(
                    Code::AmbiguousReference,
                    format!("`{}` is declared in several contexts: {}", reference.name, one_of(&candidates)),
                    Label::new(reference.span, "ambiguous"),
                )
                .with_help(format!("say which with its context: {}", one_of(&candidates)));
                for &candidate in several {
                    diagnostic = diagnostic.with_related(Label::new(
                        model.element_span(candidate),
                        format!("`{}` is declared here", model.qualified_name(candidate)),
                    ));
                }
                Err(diagnostic)
            }
        }
    }

    fn find_actor(&self, here: ContextId, text: &Text) -> Result<ActorId, Diagnostic> {
        let model = self.model;
        if let Some(actor) = model.find_actor(&text.value) {
            return Ok(actor);
        }
        let names = model.actors.iter().map(|a| a.name.value.as_str());
        let help = self.did_you_mean(&text.value, names);
        if let Some(other) =
            model.lookup(here, &text.value).or_else(|| model.find_context(&text.value).map(Element::Context))
        {
            return Err(wrong_kind(text.span, &text.value, other, "an actor", help));
        }
        Err(Diagnostic::new(
            Code::UnknownReference,
            format!("no actor named `{}`", text.value),
            Label::new(text.span, "unknown actor"),
        )
        .with_help(help.unwrap_or_else(|| format!("declare `{}` under `actors`, or correct the name", text.value))))
    }

    fn unknown_context(&self, name: &str, span: Span) -> Diagnostic {
        let names = self.model.contexts.iter().map(|c| c.name.value.as_str());
        let help = self
            .did_you_mean(name, names)
            .unwrap_or_else(|| format!("declare `{name}` under `contexts`, or correct the name"));
        Diagnostic::new(
            Code::UnknownReference,
            format!("no context named `{name}`"),
            Label::new(span, "unknown context"),
        )
        .with_help(help)
    }

    /// "did you mean `Other.Name`?" when `name` is of the right kind in
    /// contexts other than `except`.
    fn elsewhere_help(&self, name: &str, want: &Want, except: Option<ContextId>) -> Option<String> {
        let model = self.model;
        let candidates: Vec<String> = model
            .lookup_everywhere(name)
            .iter()
            .filter(|&&e| (want.accepts)(e) && model.element_context(e) != except)
            .map(|&e| model.qualified_name(e))
            .collect();
        (!candidates.is_empty()).then(|| format!("did you mean {}?", one_of(&candidates)))
    }

    /// The closest name of the right kind in a context.
    fn closest_in(&self, context: ContextId, name: &str, want: &Want) -> Option<&str> {
        let model = self.model;
        let names = model.elements_of(context).filter(|&e| (want.accepts)(e)).map(|e| model.element_name(e));
        self.closest(name, names)
    }

    /// "did you mean `Name`?", qualified with the context when the reference
    /// was.
    fn spell(&self, context: ContextId, name: &str, qualified: bool) -> String {
        if qualified {
            format!("did you mean `{}.{name}`?", self.model[context].name.value)
        } else {
            format!("did you mean `{name}`?")
        }
    }

    fn actor_or_context(&self, name: &str) -> Option<Element> {
        let model = self.model;
        model.find_actor(name).map(Element::Actor).or_else(|| model.find_context(name).map(Element::Context))
    }
}

/// "`X` is a read model, not an event".
fn wrong_kind(span: Span, text: &str, found: Element, wanted: &str, help: Option<String>) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownReference,
        format!("`{text}` is {}, not {wanted}", found.noun()),
        Label::new(span, format!("expected {wanted}")),
    )
    .with_help(help.unwrap_or_else(|| format!("name {wanted} here")))
}

fn not_found_help(want: &Want) -> String {
    format!("declare {} of that name, or correct the name", want.noun)
}
