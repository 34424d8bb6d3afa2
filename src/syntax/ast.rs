//! The surface tree: what a model file says, before any name is resolved.
//!
//! Both syntaxes (YAML and the DSL) read into this one tree, and both
//! printers (`squall fmt`) write from it, so the two stay equivalent by
//! construction. It is deliberately close to the file: names are plain
//! strings, references are unresolved text, lists keep their order, and
//! maps of named elements are kept as lists so that a duplicate name is
//! still there for the `duplicate-name` check to point at both places.
//!
//! Comments ride along on the entry they stand before, so that converting
//! between the syntaxes keeps them.

use super::span::{Span, Spanned};

/// A string with its span.
pub type Text = Spanned<String>;

/// A list written in the file, with the span of the whole list (or of the
/// single value that stood for a list of one).
pub type TextList = Spanned<Vec<Text>>;

/// Comments attached to an entry: full-line comments just before it, and a
/// comment at the end of its first line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comments {
    /// Full comment lines, without the leading `#` or `//` and one space.
    pub before: Vec<String>,
    /// A comment after the entry on the same line.
    pub trailing: Option<String>,
}

impl Comments {
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.trailing.is_none()
    }
}

/// A named element (`Name: { ... }` in YAML): its name, its body, the span of
/// the whole entry and its comments. Equality ignores the span, as
/// [`Spanned`]'s does, so that trees read from either syntax compare equal.
#[derive(Clone, Debug)]
pub struct Entry<T> {
    pub name: Text,
    pub body: T,
    pub span: Span,
    pub comments: Comments,
}

impl<T: PartialEq> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.body == other.body && self.comments == other.comments
    }
}

impl<T: Eq> Eq for Entry<T> {}

/// A whole model file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct File {
    /// `system`: required; `None` when missing (reported as `syntax`).
    pub system: Option<Text>,
    pub description: Option<Text>,
    /// `lints`: code to level (`allow`, `warn`, `deny`), both as written.
    pub lints: Vec<Entry<Text>>,
    pub actors: Vec<Entry<Actor>>,
    pub contexts: Vec<Entry<Context>>,
    pub relationships: Vec<Relationship>,
    pub flows: Vec<Entry<Flow>>,
    pub hotspots: Vec<Hotspot>,
    /// Comments at the top of the file, before `system`.
    pub header: Vec<String>,
    /// Comments after the last entry.
    pub footer: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    /// `person` (default), `timer`, `external`, `system`, as written.
    pub kind: Option<Text>,
    pub description: Option<Text>,
    pub role: Option<Text>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub description: Option<Text>,
    pub team: Option<Text>,
    pub aggregates: Vec<Entry<Aggregate>>,
    pub policies: Vec<Entry<Policy>>,
    pub read_models: Vec<Entry<ReadModel>>,
    pub hotspots: Vec<Hotspot>,
    pub services: Vec<Entry<Service>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aggregate {
    pub description: Option<Text>,
    /// The type of the aggregate's identity (default `uuid`).
    pub id: Option<Text>,
    pub fields: Vec<Entry<Field>>,
    pub commands: Vec<Entry<Command>>,
    pub events: Vec<Entry<Event>>,
}

/// A field: `name: type` (short form) or `name: { type, pii, description }`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Field {
    /// The type as written (`string`, `list<uuid>`, `decimal?`); checked by
    /// `invalid-type`.
    pub ty: Text,
    pub pii: Option<Spanned<bool>>,
    pub description: Option<Text>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    pub description: Option<Text>,
    /// `actor` (one) or `actors` (several); which key was written is kept in
    /// `actors_key` so that `fmt` writes it back the same way.
    pub actors: Option<TextList>,
    pub actors_key: ActorsKey,
    pub fields: Vec<Entry<Field>>,
    /// `None` when the key is absent (reported as `command-without-event`).
    pub emits: Option<TextList>,
    pub creates: Option<Spanned<bool>>,
    pub errors: Option<TextList>,
    pub schedule: Option<Text>,
}

/// Which key a command's actors were written under.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ActorsKey {
    #[default]
    Actor,
    Actors,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    pub description: Option<Text>,
    pub public: Option<Spanned<bool>>,
    /// Schema version (default 1).
    pub version: Option<Spanned<u32>>,
    pub fields: Vec<Entry<Field>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub description: Option<Text>,
    /// Required; `None` when missing.
    pub on: Option<TextList>,
    /// Required; `None` when missing.
    pub then: Option<Text>,
    pub key: Option<Text>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadModel {
    pub description: Option<Text>,
    /// Required; `None` when missing.
    pub from: Option<TextList>,
    pub key: Option<Text>,
    pub fields: Vec<Entry<Field>>,
}

/// A hot spot: a question or problem on the board, optionally about an
/// element (`on`). Equality ignores the span.
#[derive(Clone, Debug, Default)]
pub struct Hotspot {
    pub text: Text,
    pub on: Option<Text>,
    pub span: Span,
    pub comments: Comments,
}

impl PartialEq for Hotspot {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.on == other.on && self.comments == other.comments
    }
}

impl Eq for Hotspot {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    /// `api`, `worker` or `projector`, as written. Required.
    pub kind: Option<Text>,
    /// Required.
    pub owns: Option<TextList>,
    pub description: Option<Text>,
}

/// A relationship between two contexts. Equality ignores the span.
#[derive(Clone, Debug, Default)]
pub struct Relationship {
    /// `upstream-downstream`, `customer-supplier`, `partnership`,
    /// `shared-kernel`, as written. Required.
    pub kind: Option<Text>,
    pub upstream: Option<Text>,
    pub downstream: Option<Text>,
    pub upstream_roles: Option<TextList>,
    pub downstream_roles: Option<TextList>,
    pub between: Option<TextList>,
    pub description: Option<Text>,
    /// The span of the whole relationship (the list item).
    pub span: Span,
    pub comments: Comments,
}

impl PartialEq for Relationship {
    fn eq(&self, other: &Self) -> bool {
        let Relationship {
            kind,
            upstream,
            downstream,
            upstream_roles,
            downstream_roles,
            between,
            description,
            span: _,
            comments,
        } = self;
        *kind == other.kind
            && *upstream == other.upstream
            && *downstream == other.downstream
            && *upstream_roles == other.upstream_roles
            && *downstream_roles == other.downstream_roles
            && *between == other.between
            && *description == other.description
            && *comments == other.comments
    }
}

impl Eq for Relationship {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flow {
    pub description: Option<Text>,
    /// Required; `None` when missing.
    pub steps: Option<TextList>,
}
