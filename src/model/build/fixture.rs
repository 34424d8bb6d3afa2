//! Surface trees written by hand for tests, with real spans: every text is
//! appended to a pretend source, so that `source.slice(span)` gives back
//! what a span points at, as it would in a file.

use std::cell::RefCell;

use crate::diagnostics::Diagnostic;
use crate::model::Model;
use crate::syntax::ast::{self, Entry, Text, TextList};
use crate::syntax::span::{Span, Spanned};

/// The pretend source the texts of a test tree are written into.
#[derive(Default)]
pub(crate) struct Source {
    text: RefCell<String>,
}

impl Source {
    /// A text, at a span of its own.
    pub fn t(&self, value: &str) -> Text {
        let mut text = self.text.borrow_mut();
        let offset = text.len();
        text.push_str(value);
        text.push(' ');
        Spanned::new(value.to_string(), Span::new(offset, value.len()))
    }

    /// A list whose span covers its items.
    pub fn list(&self, values: &[&str]) -> TextList {
        let items: Vec<Text> = values.iter().map(|v| self.t(v)).collect();
        let span = match (items.first(), items.last()) {
            (Some(first), Some(last)) => first.span.join(last.span),
            _ => self.t("[]").span,
        };
        Spanned::new(items, span)
    }

    /// What a span points at.
    pub fn slice(&self, span: Span) -> String {
        self.text.borrow().get(span.offset..span.end()).unwrap_or("<out of range>").to_string()
    }
}

/// A named entry whose span is its name's.
pub(crate) fn entry<T>(name: Text, body: T) -> Entry<T> {
    Entry { span: name.span, name, body, comments: ast::Comments::default() }
}

/// A field in the short form, `name: type`.
pub(crate) fn field(source: &Source, name: &str, ty: &str) -> Entry<ast::Field> {
    entry(source.t(name), ast::Field { ty: source.t(ty), ..Default::default() })
}

/// An event with the given fields.
pub(crate) fn event(source: &Source, name: &str, fields: Vec<Entry<ast::Field>>) -> Entry<ast::Event> {
    entry(source.t(name), ast::Event { fields, ..Default::default() })
}

/// A command issued by `actor` that emits `emits`.
pub(crate) fn command(source: &Source, name: &str, actor: &str, emits: &[&str]) -> Entry<ast::Command> {
    entry(
        source.t(name),
        ast::Command { actors: Some(source.list(&[actor])), emits: Some(source.list(emits)), ..Default::default() },
    )
}

/// A model with one context `Sales`, an aggregate `Order` whose command
/// `PlaceOrder` emits an event named `event` with a field named `field`, and
/// a service named `service` owning the aggregate: for the checks of names.
pub(crate) fn sample_with_names(event_name: &str, field_name: &str, service: &str) -> (Model, Vec<Diagnostic>) {
    let s = Source::default();
    let file = ast::File {
        system: Some(s.t("Shop")),
        actors: vec![entry(s.t("Buyer"), ast::Actor::default())],
        contexts: vec![entry(
            s.t("Sales"),
            ast::Context {
                aggregates: vec![entry(
                    s.t("Order"),
                    ast::Aggregate {
                        commands: vec![command(&s, "PlaceOrder", "Buyer", &[event_name])],
                        events: vec![event(&s, event_name, vec![field(&s, field_name, "decimal")])],
                        ..Default::default()
                    },
                )],
                services: vec![entry(
                    s.t(service),
                    ast::Service { kind: Some(s.t("api")), owns: Some(s.list(&["Order"])), description: None },
                )],
                ..Default::default()
            },
        )],
        ..Default::default()
    };
    crate::model::build(file)
}
