//! Reads the YAML node tree into the surface tree ([`ast::File`]).
//!
//! Every problem becomes a `syntax` diagnostic at the exact key or value,
//! and reading goes on: an unknown key is skipped, a value of the wrong
//! shape is left out, so one run reports everything that is wrong. Which
//! keys are allowed where, and which are required, comes from the table in
//! [`super::keys`].
//!
//! Duplicate names in mappings of elements (actors, commands, …) are kept:
//! the `duplicate-name` rule reports them with both places. Anywhere else
//! (fields, lints, structural keys) a duplicate key is `syntax`.

use std::collections::HashMap;
use std::fmt;

use saphyr_parser::ScalarStyle;

use super::comments::{self, Claims};
use super::keys::{self, Shape, ValueKind};
use super::tree::{self, Node, Value};
use crate::diagnostics::{Code, Diagnostic, Label, suggest};
use crate::syntax::Parsed;
use crate::syntax::ast::{
    Actor, ActorsKey, Aggregate, Command, Comments, Context, Entry, Event, Field, File, Flow, Hotspot, Policy,
    ReadModel, Relationship, Service, Text, TextList,
};
use crate::syntax::span::{Span, Spanned};

/// Reads a YAML model.
pub fn read(source: &str) -> Parsed {
    read_streamed(source, None)
}

/// Reads a YAML model, handing each context to `on_context` as soon as it
/// is read, in the order of the file (the file returned holds none), or
/// keeping them in the file when there is no `on_context`.
pub fn read_streamed(source: &str, on_context: Option<&mut dyn FnMut(Entry<Context>)>) -> Parsed {
    let document = match tree::build(source) {
        Ok(document) => document,
        Err(diagnostic) => return Parsed { file: None, diagnostics: vec![dsl_hint(source, *diagnostic)] },
    };
    let Some(root) = &document.root else {
        let diagnostic = Diagnostic::new(Code::Syntax, "the model file is empty", Label::new(Span::new(0, 0), "empty"))
            .with_help("start the model with `system: <Name>`");
        return Parsed { file: None, diagnostics: vec![diagnostic] };
    };
    if !matches!(root.value, Value::Map(_)) {
        let diagnostic = Diagnostic::new(
            Code::Syntax,
            format!("a model is a YAML mapping of keys, found {}", root.describe()),
            Label::new(root.span, "expected a mapping"),
        )
        .with_help("start the model with `system: <Name>` and put every other key beside it");
        return Parsed { file: None, diagnostics: vec![dsl_hint(source, diagnostic)] };
    }
    let mut reader = Reader {
        document: &document,
        diagnostics: Vec::new(),
        claims: Claims::new(comments::scan(source, &document.opaque)),
        extras: Vec::new(),
    };
    let file = reader.file(root, on_context);
    Parsed { file: Some(file), diagnostics: reader.diagnostics }
}

/// A file that is not YAML at all may be a DSL model read as YAML (from
/// standard input, which is YAML unless told otherwise, or misnamed): when
/// its first line reads `system Name`, the help says so.
fn dsl_hint(source: &str, diagnostic: Diagnostic) -> Diagnostic {
    let first = source
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with("//"));
    match first {
        Some(line) if line.starts_with("system ") && !line.contains(':') => diagnostic.with_help(
            "this reads like the Squall DSL (`system Name`), not YAML: name the file `*.squall`, or say `--syntax dsl`",
        ),
        _ => diagnostic,
    }
}

/// The element a mapping belongs to, for messages: "command `Pay`".
#[derive(Clone, Copy)]
struct Owner<'x> {
    shape: &'static Shape,
    name: Option<&'x str>,
}

impl fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            Some(name) => {
                let what = self.shape.what;
                let noun = what.strip_prefix("an ").or_else(|| what.strip_prefix("a ")).unwrap_or(what);
                write!(f, "{noun} `{name}`")
            }
            None => f.write_str(self.shape.what),
        }
    }
}

/// A known key of a mapping, with its value.
struct Keyed<'n, 'a> {
    name: &'static str,
    key: Span,
    value: &'n Node<'a>,
}

struct Reader<'t, 'a> {
    /// The tree being read, which holds the children of its collections.
    document: &'t tree::Document<'a>,
    diagnostics: Vec<Diagnostic>,
    claims: Claims,
    /// Comments beside or above the single-value keys of the element being
    /// read (`creates: true  # …`): they belong to that element.
    extras: Vec<String>,
}

impl<'t, 'a> Reader<'t, 'a> {
    fn error(&mut self, span: Span, message: String, label: &str, help: String) {
        self.diagnostics.push(Diagnostic::new(Code::Syntax, message, Label::new(span, label)).with_help(help));
    }

    fn comments(&mut self, offset: usize) -> Comments {
        let before = self.claims.before(offset);
        let trailing = self.claims.trailing(offset);
        Comments { before, trailing }
    }

    /// Reads an element's body, then gives it the comments found beside its
    /// single-value keys: the first becomes its trailing comment if it has
    /// none, the others lines before it.
    fn with_extras<T>(&mut self, comments: &mut Comments, read: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::take(&mut self.extras);
        let body = read(self);
        let extras = std::mem::replace(&mut self.extras, outer);
        for extra in extras {
            if comments.trailing.is_none() {
                comments.trailing = Some(extra);
            } else {
                comments.before.push(extra);
            }
        }
        body
    }

    /// The known keys of a mapping, first occurrence of each, in file order.
    /// Unknown, duplicate and non-text keys are reported. `None` (after a
    /// diagnostic) when the node is not a mapping; an empty list for null.
    fn keys(&mut self, node: &'t Node<'a>, owner: Owner<'_>) -> Option<Vec<Keyed<'t, 'a>>> {
        if node.is_null() {
            return Some(Vec::new());
        }
        let Some(entries) = self.document.map(node) else {
            let example = owner.shape.example;
            let help = match owner.name {
                Some(name) => format!("write its keys as a mapping: `{name}: {example}`"),
                None => format!("write its keys as a mapping, such as `{example}`"),
            };
            self.error(
                node.span,
                format!("{owner} must be a mapping of keys, found {}", node.describe()),
                "expected a mapping",
                help,
            );
            return None;
        };
        let shape = owner.shape;
        let mut known: Vec<Keyed<'t, 'a>> = Vec::with_capacity(entries.len());
        // Which known keys are written anywhere in this mapping: found in one
        // pass, at the first misspelt key, so that recovering stays linear.
        let mut present: Option<Vec<bool>> = None;
        let mut previous_end = node.span.offset;
        for (key, value) in entries {
            let previous = std::mem::replace(&mut previous_end, value.span.end());
            let previous_end = previous;
            let Some(written) = self.key_text(key) else { continue };
            let Some(spec) = shape.key(written) else {
                let meant = suggest::closest(written, shape.key_names());
                let help = meant.map(|meant| format!("did you mean `{meant}`?")).unwrap_or_else(|| {
                    let all: Vec<String> = shape.key_names().map(|k| format!("`{k}`")).collect();
                    format!("the keys of {} are {}", shape.what, all.join(", "))
                });
                self.error(key.span, format!("unknown key `{written}` in {owner}"), "unknown key", help);
                // Read the value as the key it most likely means, unless
                // that key is written too: a misspelt `emits` is then not
                // also a command that emits nothing, nor a misspelt
                // `commands` a hundred problems with what it held.
                let meant = meant.and_then(|meant| shape.key_names().position(|name| name == meant));
                let present = present.get_or_insert_with(|| {
                    let mut present = vec![false; shape.keys.len()];
                    for written in entries.iter().filter_map(|(key, _)| key.scalar()) {
                        if let Some(i) = shape.key_names().position(|name| name == written) {
                            present[i] = true;
                        }
                    }
                    present
                });
                if let Some(i) = meant
                    && !present.get(i).copied().unwrap_or(true)
                    && let Some(spec) = shape.key_names().nth(i).and_then(|name| shape.key(name))
                    && !known.iter().any(|k| k.name == spec.name)
                {
                    known.push(Keyed { name: spec.name, key: key.span, value });
                }
                continue;
            };
            if let Some(first) = known.iter().find(|k| k.name == spec.name) {
                let first = first.key;
                self.duplicate(key.span, first, written);
                continue;
            }
            if matches!(
                spec.value,
                ValueKind::Text | ValueKind::Word(_) | ValueKind::Bool | ValueKind::Version | ValueKind::List(_)
            ) {
                // Comments above or beside a single-value key belong to the
                // element (they cannot ride on a key that has no entry).
                let mut found = self.claims.lines_within(previous_end, key.span.offset);
                found.extend(self.claims.trailing(value.span.end()));
                self.extras.extend(found);
            }
            known.push(Keyed { name: spec.name, key: key.span, value });
        }
        Some(known)
    }

    /// The text of a key, or `None` after a diagnostic for a key that is a
    /// list or a mapping.
    fn key_text<'n>(&mut self, key: &'n Node<'_>) -> Option<&'n str> {
        let text = key.scalar();
        if text.is_none() {
            self.error(
                key.span,
                format!("a key must be a name, found {}", key.describe()),
                "not a name",
                "write a plain name before the `:`".to_string(),
            );
        }
        text
    }

    fn duplicate(&mut self, second: Span, first: Span, name: &str) {
        self.diagnostics.push(
            Diagnostic::new(
                Code::Syntax,
                format!("the key `{name}` is written twice"),
                Label::new(second, "written again here"),
            )
            .with_related(Label::new(first, "first written here"))
            .with_help("keep one of them"),
        );
    }

    /// Reports the required keys of `owner` that `present` lacks, labelled at
    /// `at` (the element's name, or the mapping).
    fn require(&mut self, present: &[Keyed<'_, '_>], owner: Owner<'_>, at: Span) {
        for spec in owner.shape.keys.iter().filter(|k| k.required) {
            if !present.iter().any(|k| k.name == spec.name) {
                self.error(
                    at,
                    format!("{owner} has no `{}`", spec.name),
                    &format!("`{}` is missing", spec.name),
                    // The key's documentation is a sentence for the JSON
                    // Schema; a help ends without a full stop.
                    format!("add `{}`: {}", spec.name, lowercase_first(spec.doc.trim_end_matches('.'))),
                );
            }
        }
    }

    fn wrong_shape(&mut self, k: &Keyed<'t, 'a>, expected: &str, help: String) {
        let span = if k.value.is_null() { k.key } else { k.value.span };
        let found = k.value.describe();
        self.error(
            span,
            format!("`{}` expects {expected}, found {found}", k.name),
            &format!("expected {expected}"),
            help,
        );
    }

    // ---- values ---------------------------------------------------------

    fn text(&mut self, k: &Keyed<'t, 'a>) -> Option<Text> {
        match &k.value.value {
            Value::Scalar(text, _) if !k.value.is_null() => Some(Spanned::new(text.to_string(), k.value.span)),
            _ => {
                let help = format!("write one value after `{}:`; put text that holds `: ` or ` #` in quotes", k.name);
                self.wrong_shape(k, "a single value", help);
                None
            }
        }
    }

    fn bool(&mut self, k: &Keyed<'t, 'a>) -> Option<Spanned<bool>> {
        let value = match &k.value.value {
            Value::Scalar(text, ScalarStyle::Plain) if text == "true" => Some(true),
            Value::Scalar(text, ScalarStyle::Plain) if text == "false" => Some(false),
            _ => None,
        };
        if value.is_none() {
            let help = format!("booleans are written `true` or `false`: `{}: true`", k.name);
            self.wrong_shape(k, "`true` or `false`", help);
        }
        value.map(|v| Spanned::new(v, k.value.span))
    }

    fn version(&mut self, k: &Keyed<'t, 'a>) -> Option<Spanned<u32>> {
        let value = match &k.value.value {
            Value::Scalar(text, ScalarStyle::Plain) if text.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse::<u32>().ok().filter(|v| *v > 0)
            }
            _ => None,
        };
        if value.is_none() {
            let help = format!("a schema version is a whole number from 1: `{}: 2`", k.name);
            self.wrong_shape(k, "a positive whole number", help);
        }
        value.map(|v| Spanned::new(v, k.value.span))
    }

    /// One value or a list of values; nothing is an empty list.
    fn list(&mut self, k: &Keyed<'t, 'a>) -> Option<TextList> {
        let node = k.value;
        if node.is_null() {
            return Some(Spanned::new(Vec::new(), k.key));
        }
        match &node.value {
            Value::Scalar(text, _) => Some(Spanned::new(vec![Spanned::new(text.to_string(), node.span)], node.span)),
            Value::Seq(items) => {
                let items = self.document.items(*items);
                let mut texts = Vec::with_capacity(items.len());
                for item in items {
                    match &item.value {
                        Value::Scalar(text, _) if !item.is_null() => {
                            texts.push(Spanned::new(text.to_string(), item.span));
                        }
                        _ => self.error(
                            if item.span.len == 0 { node.span } else { item.span },
                            format!("each item of `{}` must be a name, found {}", k.name, item.describe()),
                            "expected a name",
                            format!("write `{}: [A, B]`", k.name),
                        ),
                    }
                }
                Some(Spanned::new(texts, node.span))
            }
            Value::Map(_) => {
                let help = format!("write `{0}: Name` or `{0}: [A, B]`", k.name);
                self.wrong_shape(k, "a name or a list of names", help);
                None
            }
        }
    }

    /// A mapping from names to elements of `shape`. Duplicate names are kept.
    fn elements<T: Default>(
        &mut self,
        k: &Keyed<'t, 'a>,
        shape: &'static Shape,
        read: impl Fn(&mut Self, &'t Node<'a>, Owner<'_>, Span) -> T,
    ) -> Vec<Entry<T>> {
        let mut elements = match &k.value.value {
            Value::Map(entries) => Vec::with_capacity(entries.len()),
            _ => Vec::new(),
        };
        self.each_element(k, shape, read, &mut |element| elements.push(element));
        elements
    }

    /// [`Self::elements`], each handed to `take` as soon as it is read.
    fn each_element<T: Default>(
        &mut self,
        k: &Keyed<'t, 'a>,
        shape: &'static Shape,
        read: impl Fn(&mut Self, &'t Node<'a>, Owner<'_>, Span) -> T,
        take: &mut dyn FnMut(Entry<T>),
    ) {
        let node = k.value;
        if node.is_null() {
            return;
        }
        let Some(entries) = self.document.map(node) else {
            let noun = shape.what.strip_prefix("an ").or_else(|| shape.what.strip_prefix("a ")).unwrap_or(shape.what);
            let help = format!("write one `Name: {}` per line under `{}:`", shape.example, k.name);
            self.wrong_shape(k, &format!("a mapping of names to {noun}s"), help);
            return;
        };
        for (key, value) in entries {
            let Some(name) = self.key_text(key) else { continue };
            let mut comments = self.comments(key.span.offset);
            let owner = Owner { shape, name: Some(name) };
            let body = self.with_extras(&mut comments, |reader| read(reader, value, owner, key.span));
            take(Entry {
                name: Spanned::new(name.to_string(), key.span),
                body,
                span: key.span.join(value.span),
                comments,
            });
        }
    }

    /// A mapping whose keys must be unique (fields, lints): duplicates are
    /// reported and only the first is read.
    fn unique_entries<T>(
        &mut self,
        k: &Keyed<'t, 'a>,
        expected: &str,
        help: &str,
        mut read: impl FnMut(&mut Self, &'t Node<'a>, &str, Span) -> Option<T>,
    ) -> Vec<Entry<T>> {
        let node = k.value;
        if node.is_null() {
            return Vec::new();
        }
        let Some(entries) = self.document.map(node) else {
            self.wrong_shape(k, expected, help.to_string());
            return Vec::new();
        };
        let mut seen: HashMap<&str, Span> = HashMap::with_capacity(entries.len());
        let mut out = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let Some(name) = self.key_text(key) else { continue };
            if let Some(first) = seen.get(name) {
                let first = *first;
                self.duplicate(key.span, first, name);
                continue;
            }
            seen.insert(name, key.span);
            let mut comments = self.comments(key.span.offset);
            if let Some(body) = self.with_extras(&mut comments, |reader| read(reader, value, name, key.span)) {
                out.push(Entry {
                    name: Spanned::new(name.to_string(), key.span),
                    body,
                    span: key.span.join(value.span),
                    comments,
                });
            }
        }
        out
    }

    fn fields(&mut self, k: &Keyed<'t, 'a>) -> Vec<Entry<Field>> {
        self.unique_entries(
            k,
            "a mapping of field names to types",
            "write one `name: type` per line, such as `amount: decimal`",
            |reader, value, name, name_span| reader.field(value, name, name_span),
        )
    }

    /// A field: `name: type` or `name: { type, pii, description }`.
    fn field(&mut self, node: &'t Node<'a>, name: &str, name_span: Span) -> Option<Field> {
        let owner = Owner { shape: &keys::FIELD, name: Some(name) };
        match &node.value {
            Value::Scalar(ty, _) if !node.is_null() => {
                Some(Field { ty: Spanned::new(ty.to_string(), node.span), pii: None, description: None })
            }
            Value::Map(_) => {
                let keyed = self.keys(node, owner)?;
                self.require(&keyed, owner, name_span);
                let mut field = Field::default();
                let mut typed = false;
                for k in &keyed {
                    match k.name {
                        "type" => {
                            if let Some(ty) = self.text(k) {
                                field.ty = ty;
                                typed = true;
                            }
                        }
                        "pii" => field.pii = self.bool(k),
                        "description" => field.description = self.text(k),
                        _ => {}
                    }
                }
                typed.then_some(field)
            }
            _ => {
                let span = if node.is_null() { name_span } else { node.span };
                self.error(
                    span,
                    format!("field `{name}` needs a type, found {}", node.describe()),
                    "expected a type",
                    format!("write `{name}: string`, or `{name}: {{ type: string, pii: true }}`"),
                );
                None
            }
        }
    }

    fn lints(&mut self, k: &Keyed<'t, 'a>) -> Vec<Entry<Text>> {
        self.unique_entries(
            k,
            "a mapping of rule codes to levels",
            "write `lints: { event-tense: allow }`",
            |reader, value, name, name_span| match &value.value {
                Value::Scalar(level, _) if !value.is_null() => Some(Spanned::new(level.to_string(), value.span)),
                _ => {
                    let span = if value.is_null() { name_span } else { value.span };
                    reader.error(
                        span,
                        format!("the level of `{name}` must be a word, found {}", value.describe()),
                        "expected a level",
                        format!("write `{name}: allow`, `warn` or `deny`"),
                    );
                    None
                }
            },
        )
    }

    fn hotspots(&mut self, k: &Keyed<'t, 'a>) -> Vec<Hotspot> {
        let node = k.value;
        let items = match &node.value {
            _ if node.is_null() => return Vec::new(),
            Value::Seq(items) => self.document.items(*items),
            _ => std::slice::from_ref(node),
        };
        let mut hotspots = Vec::with_capacity(items.len());
        for item in items {
            let mut comments = self.comments(item.span.offset);
            let hotspot = Hotspot { span: item.span, ..Hotspot::default() };
            let hotspot = self.with_extras(&mut comments, |reader| reader.hotspot(item, node, hotspot));
            if let Some(mut hotspot) = hotspot {
                hotspot.comments = comments;
                hotspots.push(hotspot);
            }
        }
        hotspots
    }

    /// One hot spot of a list: a question, or `{ text, on }`.
    fn hotspot(&mut self, item: &'t Node<'a>, list: &'t Node<'a>, mut hotspot: Hotspot) -> Option<Hotspot> {
        match &item.value {
            Value::Scalar(text, _) if !item.is_null() => {
                hotspot.text = Spanned::new(text.to_string(), item.span);
                Some(hotspot)
            }
            Value::Map(_) => {
                let owner = Owner { shape: &keys::HOTSPOT, name: None };
                let keyed = self.keys(item, owner)?;
                self.require(&keyed, owner, item.span);
                let mut has_text = false;
                for k in &keyed {
                    match k.name {
                        "text" => {
                            if let Some(text) = self.text(k) {
                                hotspot.text = text;
                                has_text = true;
                            }
                        }
                        "on" => hotspot.on = self.text(k),
                        _ => {}
                    }
                }
                has_text.then_some(hotspot)
            }
            _ => {
                self.error(
                    if item.span.len == 0 { list.span } else { item.span },
                    format!("a hot spot is a question or `{{ text, on }}`, found {}", item.describe()),
                    "expected a hot spot",
                    "write `- Who pays the fees?` or `- { text: Who pays the fees?, on: Payment }`".to_string(),
                );
                None
            }
        }
    }

    fn relationships(&mut self, k: &Keyed<'t, 'a>) -> Vec<Relationship> {
        let node = k.value;
        let items = match &node.value {
            _ if node.is_null() => return Vec::new(),
            Value::Seq(items) => self.document.items(*items),
            Value::Map(_) => std::slice::from_ref(node),
            Value::Scalar(..) => {
                let help = "write one `- kind: …` item per relationship".to_string();
                self.wrong_shape(k, "a list of relationships", help);
                return Vec::new();
            }
        };
        let mut relationships = Vec::with_capacity(items.len());
        for item in items {
            let mut comments = self.comments(item.span.offset);
            let relationship = self.with_extras(&mut comments, |reader| reader.relationship(item));
            if let Some(mut relationship) = relationship {
                relationship.comments = comments;
                relationships.push(relationship);
            }
        }
        relationships
    }

    fn relationship(&mut self, node: &'t Node<'a>) -> Option<Relationship> {
        let owner = Owner { shape: &keys::RELATIONSHIP, name: None };
        let keyed = self.keys(node, owner)?;
        let at = node.span;
        self.require(&keyed, owner, at);
        let mut relationship = Relationship { span: node.span, ..Relationship::default() };
        let mut between_key = None;
        for k in &keyed {
            match k.name {
                "kind" => relationship.kind = self.text(k),
                "upstream" => relationship.upstream = self.text(k),
                "downstream" => relationship.downstream = self.text(k),
                "upstream_roles" => relationship.upstream_roles = self.list(k),
                "downstream_roles" => relationship.downstream_roles = self.list(k),
                "between" => {
                    between_key = Some(k.key);
                    relationship.between = self.list(k);
                }
                "description" => relationship.description = self.text(k),
                _ => {}
            }
        }
        let has = |name: &str| keyed.iter().any(|k| k.name == name);
        let directed = has("upstream") || has("downstream");
        match between_key {
            Some(key) if directed => self.error(
                key,
                "a relationship has `upstream` and `downstream`, or `between`, not both".to_string(),
                "`between` beside `upstream`/`downstream`",
                "use `upstream` and `downstream` for `upstream-downstream` and `customer-supplier`, `between` for `partnership` and `shared-kernel`".to_string(),
            ),
            Some(_) => {
                if let Some(between) = &relationship.between
                    && between.len() != 2
                {
                    self.error(
                        between.span,
                        format!("`between` names exactly two contexts, found {}", between.len()),
                        "expected two contexts",
                        "write `between: [A, B]`".to_string(),
                    );
                }
            }
            None if !directed => self.error(
                at,
                "a relationship has no `upstream` and `downstream` (or `between`)".to_string(),
                "the contexts are missing",
                "add `upstream: A` and `downstream: B`, or `between: [A, B]` for a partnership or shared kernel"
                    .to_string(),
            ),
            None => {
                for missing in ["upstream", "downstream"].into_iter().filter(|name| !has(name)) {
                    self.error(
                        at,
                        format!("a relationship has no `{missing}`"),
                        &format!("`{missing}` is missing"),
                        format!("add `{missing}: <Context>`"),
                    );
                }
            }
        }
        Some(relationship)
    }

    // ---- shapes ---------------------------------------------------------

    fn file(&mut self, root: &'t Node<'a>, mut on_context: Option<&mut dyn FnMut(Entry<Context>)>) -> File {
        let mut file = File { header: self.claims.before(root.span.offset), ..File::default() };
        let owner = Owner { shape: &keys::FILE, name: None };
        let keyed = self.keys(root, owner).unwrap_or_default();
        let first_key = match &root.value {
            Value::Map(entries) => self.document.entries(*entries).first().map_or(root.span, |(key, _)| key.span),
            _ => root.span,
        };
        self.require(&keyed, owner, first_key);
        for k in &keyed {
            match k.name {
                "system" => file.system = self.text(k),
                "description" => file.description = self.text(k),
                "lints" => file.lints = self.lints(k),
                "actors" => file.actors = self.elements(k, &keys::ACTOR, Self::actor),
                "contexts" => match on_context.as_mut() {
                    Some(take) => self.each_element(k, &keys::CONTEXT, Self::context, *take),
                    None => file.contexts = self.elements(k, &keys::CONTEXT, Self::context),
                },
                "relationships" => file.relationships = self.relationships(k),
                "flows" => file.flows = self.elements(k, &keys::FLOW, Self::flow),
                "hotspots" => file.hotspots = self.hotspots(k),
                _ => {}
            }
        }
        // Comments beside `system:` and the other single-value keys of the
        // top level go with the header.
        let extras = std::mem::take(&mut self.extras);
        file.header.extend(extras);
        file.footer = self.claims.rest();
        file
    }

    fn actor(&mut self, node: &'t Node<'a>, owner: Owner<'_>, name: Span) -> Actor {
        let mut actor = Actor::default();
        let Some(keyed) = self.keys(node, owner) else { return actor };
        self.require(&keyed, owner, name);
        for k in &keyed {
            match k.name {
                "kind" => actor.kind = self.text(k),
                "role" => actor.role = self.text(k),
                "description" => actor.description = self.text(k),
                _ => {}
            }
        }
        actor
    }

    fn context(&mut self, node: &'t Node<'a>, owner: Owner<'_>, name: Span) -> Context {
        let mut context = Context::default();
        let Some(keyed) = self.keys(node, owner) else { return context };
        self.require(&keyed, owner, name);
        for k in &keyed {
            match k.name {
                "team" => context.team = self.text(k),
                "description" => context.description = self.text(k),
                "aggregates" => context.aggregates = self.elements(k, &keys::AGGREGATE, Self::aggregate),
                "policies" => context.policies = self.elements(k, &keys::POLICY, Self::policy),
                "read_models" => context.read_models = self.elements(k, &keys::READ_MODEL, Self::read_model),
                "services" => context.services = self.elements(k, &keys::SERVICE, Self::service),
                "hotspots" => context.hotspots = self.hotspots(k),
                _ => {}
            }
        }
        context
    }

    fn aggregate(&mut self, node: &'t Node<'a>, owner: Owner<'_>, name: Span) -> Aggregate {
        let mut aggregate = Aggregate::default();
        let Some(keyed) = self.keys(node, owner) else { return aggregate };
        self.require(&keyed, owner, name);
        for k in &keyed {
            match k.name {
                "description" => aggregate.description = self.text(k),
                "id" => aggregate.id = self.text(k),
                "fields" => aggregate.fields = self.fields(k),
                "commands" => aggregate.commands = self.elements(k, &keys::COMMAND, Self::command),
                "events" => aggregate.events = self.elements(k, &keys::EVENT, Self::event),
                _ => {}
            }
        }
        aggregate
    }

    fn command(&mut self, node: &'t Node<'a>, owner: Owner<'_>, name: Span) -> Command {
        let mut command = Command::default();
        let Some(keyed) = self.keys(node, owner) else { return command };
        self.require(&keyed, owner, name);
        let mut actors_at: Option<Span> = None;
        for k in &keyed {
            match k.name {
                "description" => command.description = self.text(k),
                "actor" | "actors" => {
                    if let Some(first) = actors_at {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::Syntax,
                                format!("{owner} has both `actor` and `actors`"),
                                Label::new(k.key, "second actor key"),
                            )
                            .with_related(Label::new(first, "first actor key"))
                            .with_help("use `actor: A` for one actor or `actors: [A, B]` for several, not both"),
                        );
                        continue;
                    }
                    actors_at = Some(k.key);
                    command.actors_key = if k.name == "actor" { ActorsKey::Actor } else { ActorsKey::Actors };
                    command.actors = self.list(k);
                }
                "creates" => command.creates = self.bool(k),
                "schedule" => command.schedule = self.text(k),
                "fields" => command.fields = self.fields(k),
                "emits" => command.emits = self.list(k),
                "errors" => command.errors = self.list(k),
                _ => {}
            }
        }
        command
    }

    fn event(&mut self, node: &'t Node<'a>, owner: Owner<'_>, name: Span) -> Event {
        let mut event = Event::default();
        let Some(keyed) = self.keys(node, owner) else { return event };
        self.require(&keyed, owner, name);
        for k in &keyed {
            match k.name {
                "description" => event.description = self.text(k),
                "public" => event.public = self.bool(k),
                "version" => event.version = self.version(k),
                "fields" => event.fields = self.fields(k),
                _ => {}
            }
        }
        event
    }

    fn policy(&mut self, node: &'t Node<'a>, owner: Owner<'_>, name: Span) -> Policy {
        let mut policy = Policy::default();
        let Some(keyed) = self.keys(node, owner) else { return policy };
        self.require(&keyed, owner, name);
        for k in &keyed {
            match k.name {
                "description" => policy.description = self.text(k),
                "on" => policy.on = self.list(k),
                "then" => policy.then = self.text(k),
                "key" => policy.key = self.text(k),
                _ => {}
            }
        }
        policy
    }

    fn read_model(&mut self, node: &'t Node<'a>, owner: Owner<'_>, name: Span) -> ReadModel {
        let mut read_model = ReadModel::default();
        let Some(keyed) = self.keys(node, owner) else { return read_model };
        self.require(&keyed, owner, name);
        for k in &keyed {
            match k.name {
                "description" => read_model.description = self.text(k),
                "from" => read_model.from = self.list(k),
                "key" => read_model.key = self.text(k),
                "fields" => read_model.fields = self.fields(k),
                _ => {}
            }
        }
        read_model
    }

    fn service(&mut self, node: &'t Node<'a>, owner: Owner<'_>, name: Span) -> Service {
        let mut service = Service::default();
        let Some(keyed) = self.keys(node, owner) else { return service };
        self.require(&keyed, owner, name);
        for k in &keyed {
            match k.name {
                "kind" => service.kind = self.text(k),
                "owns" => service.owns = self.list(k),
                "description" => service.description = self.text(k),
                _ => {}
            }
        }
        service
    }

    fn flow(&mut self, node: &'t Node<'a>, owner: Owner<'_>, name: Span) -> Flow {
        let mut flow = Flow::default();
        let Some(keyed) = self.keys(node, owner) else { return flow };
        self.require(&keyed, owner, name);
        for k in &keyed {
            match k.name {
                "description" => flow.description = self.text(k),
                "steps" => flow.steps = self.list(k),
                _ => {}
            }
        }
        flow
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if chars.clone().next().is_some_and(char::is_lowercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::span::Span;

    const PAYMENTS: &str = include_str!("testdata/payments.yaml");

    fn parse(source: &str) -> Parsed {
        read(source)
    }

    fn clean(source: &str) -> File {
        let parsed = parse(source);
        assert_eq!(parsed.diagnostics, [], "unexpected diagnostics");
        parsed.file.expect("a file")
    }

    /// The one diagnostic of a source: its labelled text, message and help.
    fn one_error(source: &str) -> (String, Diagnostic) {
        let parsed = parse(source);
        assert_eq!(parsed.diagnostics.len(), 1, "{:#?}", parsed.diagnostics);
        let diagnostic = parsed.diagnostics.into_iter().next().expect("one");
        assert_eq!(diagnostic.code, Code::Syntax);
        let span = diagnostic.label.span;
        (source[span.offset..span.end()].to_string(), diagnostic)
    }

    fn at(source: &str, needle: &str) -> Span {
        Span::new(source.find(needle).expect("needle in source"), needle.len())
    }

    fn command_with(body: &str) -> String {
        format!("system: S\ncontexts:\n  C:\n    aggregates:\n      A:\n        commands:\n          Do:\n{body}")
    }

    #[test]
    fn the_spec_example_reads_without_a_diagnostic() {
        let file = clean(PAYMENTS);
        assert_eq!(file.system.as_deref().map(String::as_str), Some("Payments"));
        assert_eq!(file.actors.len(), 5);
        assert_eq!(file.contexts.len(), 3);
        assert_eq!(file.relationships.len(), 2);
        assert_eq!(file.flows[0].body.steps.as_ref().map(|s| s.len()), Some(7));
        let transactions = &file.contexts[1].body;
        let fail = &transactions.aggregates[0].body.commands[2];
        assert_eq!(fail.name.value, "FailPayment");
        assert_eq!(fail.body.fields[0].body.ty.value, "string?");
        assert_eq!(transactions.hotspots[0].text.value, "What happens to a payment whose provider never answers?");
        let clock = &file.contexts[2].body.aggregates[0].body.commands[1].body;
        assert_eq!(clock.schedule.as_deref().map(String::as_str), Some("0 0 1 * *"));
        assert_eq!(file.actors[4].comments.trailing.as_deref(), Some("an external system (pink sticky)"));
    }

    #[test]
    fn flow_mapping_with_an_optional_type_parses() {
        let file = clean(
            "system: S\nactors: { A: {} }\ncontexts: { C: { aggregates: { P: { events: { F: { fields: { reason: string? } } } } } } }\n",
        );
        let event = &file.contexts[0].body.aggregates[0].body.events[0].body;
        assert_eq!(event.fields[0].name.value, "reason");
        assert_eq!(event.fields[0].body.ty.value, "string?");
    }

    #[test]
    fn keys_and_values_keep_their_exact_spans() {
        let source = "system: Payments\nactors:\n  Buyer: { kind: person }\n  \"Quoted\": { description: \"a: b\" }\n";
        let file = clean(source);
        assert_eq!(file.system.as_ref().map(|s| s.span), Some(at(source, "Payments")));
        let buyer = &file.actors[0];
        assert_eq!(buyer.name.span, at(source, "Buyer"));
        assert_eq!(buyer.body.kind.as_ref().map(|k| k.span), Some(at(source, "person")));
        assert_eq!(buyer.span, at(source, "Buyer: { kind: person }"));
        let quoted = &file.actors[1];
        assert_eq!(quoted.name.span, at(source, "\"Quoted\""));
        assert_eq!(quoted.body.description.as_ref().map(|d| d.span), Some(at(source, "\"a: b\"")));
    }

    #[test]
    fn spans_are_bytes_in_files_with_multibyte_text_bom_and_crlf() {
        let source = "\u{feff}system: Zahlungsverkehr\r\ndescription: Grüße an alle\r\nactors:\r\n  Kunde: { description: Ärger }\r\n";
        let file = clean(source);
        assert_eq!(file.system.as_ref().map(|s| s.span), Some(at(source, "Zahlungsverkehr")));
        assert_eq!(file.actors[0].name.span, at(source, "Kunde"));
        assert_eq!(file.actors[0].body.description.as_ref().map(|d| d.span), Some(at(source, "Ärger")));
    }

    /// Every span (of names, values, whole entries, hot spots and
    /// relationships) stays out of the tree's equality, so that one model
    /// laid out two ways compares equal.
    #[test]
    fn trees_compare_without_their_spans() {
        let tight = "system: S\nactors: { A: {} }\nhotspots: [Why?]\ncontexts:\n  C: { hotspots: [{ text: How?, on: A }] }\nrelationships:\n  - { kind: partnership, between: [C, D] }\n";
        let loose = format!("\n\n{}", tight.replace(": ", ":    ").replace("[", "[ "));
        assert_ne!(tight.len(), loose.len());
        assert_eq!(clean(tight), clean(&loose));
    }

    #[test]
    fn unknown_keys_suggest_the_closest() {
        let source = "system: S\ncontexts:\n  C:\n    agregates: {}\n";
        let (labelled, diagnostic) = one_error(source);
        assert_eq!(labelled, "agregates");
        assert_eq!(diagnostic.label.span, at(source, "agregates"));
        assert_eq!(diagnostic.message, "unknown key `agregates` in context `C`");
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `aggregates`?"));
    }

    #[test]
    fn a_dsl_model_read_as_yaml_says_so() {
        let dsl = include_str!("../dsl/testdata/payments.squall");
        let parsed = parse(dsl);
        assert!(parsed.file.is_none());
        let help = parsed.diagnostics[0].help.as_deref().unwrap_or_default();
        assert!(help.contains("--syntax dsl"), "{help}");
        let parsed = parse("system Payments\n");
        assert!(parsed.diagnostics[0].help.as_deref().is_some_and(|h| h.contains("--syntax dsl")));
        // Broken YAML keeps its own help.
        let parsed = parse("system: S\nactors: [\n");
        assert!(!parsed.diagnostics[0].help.as_deref().unwrap_or_default().contains("DSL"));
    }

    #[test]
    fn a_misspelt_key_is_read_as_the_key_it_means() {
        let source = command_with("            emit: [Done]\n");
        let (labelled, _) = one_error(&source);
        assert_eq!(labelled, "emit");
        let file = parse(&source).file.expect("a file");
        let command = &file.contexts[0].body.aggregates[0].body.commands[0].body;
        let emits: Vec<&str> = command.emits.iter().flat_map(|l| l.value.iter()).map(|t| t.value.as_str()).collect();
        assert_eq!(emits, ["Done"]);
        // Not where the key it means is written too, before or after it.
        for body in [
            "            emit: [Typo]\n            emits: [Done]\n",
            "            emits: [Done]\n            emit: [Typo]\n",
        ] {
            let parsed = parse(&command_with(body));
            assert_eq!(parsed.diagnostics.len(), 1, "{body}");
            let file = parsed.file.expect("a file");
            let command = &file.contexts[0].body.aggregates[0].body.commands[0].body;
            let emits: Vec<&str> =
                command.emits.iter().flat_map(|l| l.value.iter()).map(|t| t.value.as_str()).collect();
            assert_eq!(emits, ["Done"], "{body}");
        }
    }

    #[test]
    fn unknown_keys_with_nothing_close_list_the_valid_keys() {
        let (labelled, diagnostic) = one_error("system: S\nzzz: 1\n");
        assert_eq!(labelled, "zzz");
        assert_eq!(
            diagnostic.help.as_deref(),
            Some(
                "the keys of the model are `system`, `description`, `lints`, `actors`, `contexts`, `relationships`, `flows`, `hotspots`"
            )
        );
    }

    #[test]
    fn booleans_are_only_true_and_false() {
        for wrong in ["yes", "True", "\"true\"", "1", "[true]"] {
            let source = command_with(&format!("            creates: {wrong}\n            emits: [E]\n"));
            let (labelled, diagnostic) = one_error(&source);
            assert_eq!(labelled, wrong);
            assert!(diagnostic.message.starts_with("`creates` expects `true` or `false`"), "{}", diagnostic.message);
            assert_eq!(diagnostic.help.as_deref(), Some("booleans are written `true` or `false`: `creates: true`"));
        }
        let file = clean(&command_with("            creates: false\n"));
        let command = &file.contexts[0].body.aggregates[0].body.commands[0].body;
        assert_eq!(command.creates.as_ref().map(|c| c.value), Some(false));
    }

    #[test]
    fn versions_are_positive_whole_numbers() {
        let event = |version: &str| {
            format!(
                "system: S\ncontexts:\n  C:\n    aggregates:\n      A:\n        events:\n          E: {{ version: {version} }}\n"
            )
        };
        for wrong in ["0", "-1", "1.5", "\"2\"", "99999999999", "two"] {
            let (labelled, diagnostic) = one_error(&event(wrong));
            assert_eq!(labelled, wrong);
            assert!(diagnostic.message.contains("a positive whole number"));
        }
        let file = clean(&event("3"));
        let event = &file.contexts[0].body.aggregates[0].body.events[0].body;
        assert_eq!(event.version.as_ref().map(|v| v.value), Some(3));
    }

    #[test]
    fn wrong_shapes_are_labelled_at_the_value() {
        let source = "system: S\nactors: [Buyer]\n";
        let (labelled, diagnostic) = one_error(source);
        assert_eq!(labelled, "[Buyer]");
        assert_eq!(diagnostic.message, "`actors` expects a mapping of names to actors, found a list");
        assert_eq!(diagnostic.help.as_deref(), Some("write one `Name: { kind: person }` per line under `actors:`"));

        let (labelled, diagnostic) = one_error("system: { a: b }\n");
        assert_eq!(labelled, "{ a: b }");
        assert!(diagnostic.message.contains("a single value"));

        let (labelled, diagnostic) = one_error("system: S\nactors:\n  Buyer: person\n");
        assert_eq!(labelled, "person");
        assert_eq!(diagnostic.message, "actor `Buyer` must be a mapping of keys, found `person`");
        assert_eq!(diagnostic.help.as_deref(), Some("write its keys as a mapping: `Buyer: { kind: person }`"));

        let (labelled, _) = one_error(&command_with("            emits: { E: 1 }\n"));
        assert_eq!(labelled, "{ E: 1 }");
        let (labelled, _) = one_error(&command_with("            emits: [E, [F]]\n"));
        assert_eq!(labelled, "[F]");
        let (labelled, diagnostic) = one_error("system:\n");
        assert_eq!(labelled, "system");
        assert_eq!(diagnostic.message, "`system` expects a single value, found nothing");
    }

    #[test]
    fn missing_required_keys_are_labelled_at_the_element() {
        let source = "system: S\ncontexts:\n  C:\n    policies:\n      Bill: { then: AddLine }\n";
        let (labelled, diagnostic) = one_error(source);
        assert_eq!(labelled, "Bill");
        assert_eq!(diagnostic.message, "policy `Bill` has no `on`");
        assert_eq!(
            diagnostic.help.as_deref(),
            Some("add `on`: the event, or list of events, that triggers the policy")
        );

        let missing = |source: &str| -> Vec<(String, String)> {
            parse(source)
                .diagnostics
                .into_iter()
                .map(|d| (source[d.label.span.offset..d.label.span.end()].to_string(), d.message))
                .collect()
        };
        assert_eq!(missing("description: x\n"), [("description".to_string(), "the model has no `system`".to_string())]);
        assert_eq!(
            missing(
                "system: S\ncontexts:\n  C:\n    read_models:\n      View: {}\n    services:\n      api: { kind: api }\n"
            ),
            [
                ("View".to_string(), "read model `View` has no `from`".to_string()),
                ("api".to_string(), "service `api` has no `owns`".to_string())
            ]
        );
        assert_eq!(
            missing("system: S\nflows:\n  F:\n    description: d\n"),
            [("F".to_string(), "flow `F` has no `steps`".to_string())]
        );
        assert_eq!(
            missing(&command_with("            fields: { amount: { pii: true } }\n            emits: E\n")),
            [("amount".to_string(), "field `amount` has no `type`".to_string())]
        );
        assert_eq!(
            missing("system: S\nhotspots:\n  - { on: Payment }\n"),
            [("{ on: Payment }".to_string(), "a hot spot has no `text`".to_string())]
        );
    }

    #[test]
    fn relationships_need_a_kind_and_their_contexts() {
        let diagnostics = |body: &str| -> Vec<(String, String)> {
            let source = format!("system: S\nrelationships:\n  - {body}\n");
            parse(&source)
                .diagnostics
                .into_iter()
                .map(|d| (source[d.label.span.offset..d.label.span.end()].to_string(), d.message))
                .collect()
        };
        assert_eq!(diagnostics("{ kind: partnership, between: [A, B] }"), []);
        assert_eq!(diagnostics("{ kind: customer-supplier, upstream: A, downstream: B }"), []);
        assert_eq!(
            diagnostics("{ upstream: A, downstream: B }"),
            [("{ upstream: A, downstream: B }".to_string(), "a relationship has no `kind`".to_string())]
        );
        assert_eq!(
            diagnostics("{ kind: partnership, between: [A, B, C] }"),
            [("[A, B, C]".to_string(), "`between` names exactly two contexts, found 3".to_string())]
        );
        assert_eq!(
            diagnostics("{ kind: partnership, between: A }"),
            [("A".to_string(), "`between` names exactly two contexts, found 1".to_string())]
        );
        assert_eq!(
            diagnostics("{ kind: upstream-downstream, upstream: A }"),
            [(
                "{ kind: upstream-downstream, upstream: A }".to_string(),
                "a relationship has no `downstream`".to_string()
            )]
        );
        assert_eq!(diagnostics("{ kind: partnership }").len(), 1);
        assert_eq!(
            diagnostics("{ kind: partnership, upstream: A, downstream: B, between: [A, B] }"),
            [(
                "between".to_string(),
                "a relationship has `upstream` and `downstream`, or `between`, not both".to_string()
            )]
        );
    }

    #[test]
    fn a_command_without_emits_is_left_to_the_check() {
        let emits = |body: &str| {
            let file = clean(&command_with(body));
            file.contexts[0].body.aggregates[0].body.commands[0].body.emits.clone()
        };
        assert_eq!(emits("            actor: A\n"), None);
        assert_eq!(emits("            emits:\n"), Some(Spanned::new(vec![], Span::default())));
        assert_eq!(emits("            emits: []\n"), Some(Spanned::new(vec![], Span::default())));
        let one = emits("            emits: Done\n").expect("emits");
        assert_eq!(one.value, [Spanned::new("Done".to_string(), Span::default())]);
    }

    #[test]
    fn actor_and_actors_together_are_a_syntax_error() {
        let source = command_with("            actor: A\n            actors: [B]\n            emits: E\n");
        let (labelled, diagnostic) = one_error(&source);
        assert_eq!(labelled, "actors");
        assert_eq!(diagnostic.related[0].span, Span::new(at(&source, "actor:").offset, 5));
        let file = clean(&command_with("            actors: B\n"));
        let command = &file.contexts[0].body.aggregates[0].body.commands[0].body;
        assert_eq!(command.actors_key, ActorsKey::Actors);
        assert_eq!(command.actors.as_ref().map(|a| a.len()), Some(1));
    }

    #[test]
    fn duplicate_element_names_are_kept_for_the_check() {
        let file = clean("system: S\nactors:\n  A: {}\n  A: { kind: timer }\ncontexts: { C: {}, C: {} }\n");
        assert_eq!(file.actors.len(), 2);
        assert_eq!(file.actors[1].body.kind.as_deref().map(String::as_str), Some("timer"));
        assert_eq!(file.contexts.len(), 2);
    }

    #[test]
    fn duplicate_fields_lints_and_keys_are_syntax_errors_at_both_places() {
        let source = command_with("            fields: { amount: decimal, amount: int }\n            emits: E\n");
        let (labelled, diagnostic) = one_error(&source);
        assert_eq!(labelled, "amount");
        assert_eq!(diagnostic.label.span.offset, source.rfind("amount").unwrap_or_default());
        assert_eq!(diagnostic.related[0].span, at(&source, "amount"));
        let file = parse(&source).file.expect("file");
        let fields = &file.contexts[0].body.aggregates[0].body.commands[0].body.fields;
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].body.ty.value, "decimal");

        let source = "system: S\nlints: { event-tense: allow, event-tense: deny }\n";
        let (_, diagnostic) = one_error(source);
        assert_eq!(diagnostic.related.len(), 1);

        let source = "system: S\nsystem: T\n";
        let (labelled, diagnostic) = one_error(source);
        assert_eq!(labelled, "system");
        assert_eq!(diagnostic.label.span.offset, 10);
        assert_eq!(diagnostic.related[0].span, Span::new(0, 6));
        assert_eq!(parse(source).file.and_then(|f| f.system).map(|s| s.value), Some("S".to_string()));
    }

    #[test]
    fn elements_without_a_body_have_no_keys() {
        let file = clean(
            "system: S\ncontexts:\n  C:\n    aggregates:\n      A:\n        events:\n          OrderShipped:\n          Other: ~\n",
        );
        let events = &file.contexts[0].body.aggregates[0].body.events;
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].body, Event::default());
    }

    #[test]
    fn hotspots_are_questions_or_text_with_on() {
        let file = clean("system: S\nhotspots:\n  - Who pays?\n  - { text: 'Refunds?', on: Payment }\n");
        assert_eq!(file.hotspots.len(), 2);
        assert_eq!(file.hotspots[1].text.value, "Refunds?");
        assert_eq!(file.hotspots[1].on.as_deref().map(String::as_str), Some("Payment"));
        let file = clean("system: S\nhotspots: Only one?\n");
        assert_eq!(file.hotspots[0].text.value, "Only one?");
        let (labelled, _) = one_error("system: S\nhotspots: [[a]]\n");
        assert_eq!(labelled, "[a]");
    }

    #[test]
    fn lints_keep_code_and_level_as_written() {
        let file = clean("system: S\nlints: { event-tense: allow, unused-event: deny }\n");
        let lints: Vec<_> = file.lints.iter().map(|l| (l.name.value.as_str(), l.body.value.as_str())).collect();
        assert_eq!(lints, [("event-tense", "allow"), ("unused-event", "deny")]);
    }

    #[test]
    fn comments_ride_on_the_entries_they_stand_before() {
        let source = "\
# yaml-language-server: $schema=squall.json
# header
system: S   # about the system

actors:
  # the buyer
  # (a person)
  Buyer: { kind: person }  # yellow
  Clock: { kind: timer, description: \"tick # tock\" }
relationships:
  # first
  - kind: partnership  # symmetric
    between: [A, B]
hotspots:
  - Who pays?  # open
# the end
";
        let file = clean(source);
        assert_eq!(file.header, ["yaml-language-server: $schema=squall.json", "header", "about the system"]);
        assert_eq!(file.actors[0].comments.before, ["the buyer", "(a person)"]);
        assert_eq!(file.actors[0].comments.trailing.as_deref(), Some("yellow"));
        assert!(file.actors[1].comments.is_empty());
        assert_eq!(file.relationships[0].comments.before, ["first"]);
        assert_eq!(file.relationships[0].comments.trailing.as_deref(), Some("symmetric"));
        assert_eq!(file.hotspots[0].comments.trailing.as_deref(), Some("open"));
        assert_eq!(file.footer, ["the end"]);
    }

    #[test]
    fn block_scalars_and_quoted_text_keep_their_hashes() {
        let source = "system: S\ndescription: |\n  Line one # not a comment\n  Line two\nactors:\n  A: { description: 'it''s # fine' }\n";
        let file = clean(source);
        assert_eq!(file.description.as_deref().map(String::as_str), Some("Line one # not a comment\nLine two\n"));
        assert_eq!(file.actors[0].body.description.as_deref().map(String::as_str), Some("it's # fine"));
        assert!(file.actors[0].comments.is_empty());
        assert_eq!(file.footer, Vec::<String>::new());
    }

    #[test]
    fn files_that_are_not_a_model_have_no_tree() {
        for (source, message) in [
            ("", "the model file is empty"),
            ("# only a comment\n", "the model file is empty"),
            ("- a\n- b\n", "a model is a YAML mapping of keys, found a list"),
            ("just text\n", "a model is a YAML mapping of keys, found `just text`"),
        ] {
            let parsed = parse(source);
            assert!(parsed.file.is_none());
            assert_eq!(parsed.diagnostics.len(), 1);
            assert_eq!(parsed.diagnostics[0].message, message);
        }
    }

    #[test]
    fn hostile_input_is_one_diagnostic_and_no_tree() {
        let deep = format!("system: S\nactors: {}", "[".repeat(10_000));
        let started = std::time::Instant::now();
        let parsed = parse(&deep);
        assert!(parsed.file.is_none());
        assert_eq!(parsed.diagnostics.len(), 1);
        assert!(parsed.diagnostics[0].message.contains("nests"));

        let mut laughs = String::from("system: S\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (i, name) in ('b'..='z').enumerate() {
            let prev = char::from(b'a' + u8::try_from(i).unwrap_or(0));
            laughs.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let parsed = parse(&laughs);
        assert!(parsed.file.is_none());
        assert!(parsed.diagnostics[0].message.contains("anchors and aliases"));

        let (labelled, _) = one_error("system: S\n---\nsystem: T\n");
        assert_eq!(labelled, "---");
        let (_, diagnostic) = one_error("system: S\nactors:\n\tA: {}\n");
        assert!(diagnostic.help.as_deref().is_some_and(|h| h.contains("tabs")));
        let (_, diagnostic) = one_error("system: S\nactors: { A: [\n");
        assert!(diagnostic.message.starts_with("invalid YAML"));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn a_key_that_is_not_a_name_is_reported() {
        let (labelled, diagnostic) = one_error("system: S\nactors:\n  [A, B]: {}\n");
        assert_eq!(labelled, "[A, B]");
        assert_eq!(diagnostic.message, "a key must be a name, found a list");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Whatever the input, reading ends with a tree or diagnostics,
        /// every label inside the source and on character boundaries.
        #[test]
        fn any_input_reads_without_panicking(source in "[-:#\\[\\]{}'\" \n\ta-zé|>&*!?,.~0-9]{0,120}") {
            let parsed = parse(&source);
            for diagnostic in &parsed.diagnostics {
                let span = diagnostic.label.span;
                proptest::prop_assert!(source.get(span.offset..span.end()).is_some(), "{:?} in {:?}", span, source);
            }
        }

        #[test]
        fn any_model_prefix_reads_without_panicking(cut in 0usize..PAYMENTS.len()) {
            let mut end = cut;
            while !PAYMENTS.is_char_boundary(end) {
                end -= 1;
            }
            let parsed = parse(&PAYMENTS[..end]);
            proptest::prop_assert!(parsed.file.is_some() || !parsed.diagnostics.is_empty());
        }
    }
}
