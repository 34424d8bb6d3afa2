//! Writes a surface tree as YAML in the canonical layout (`squall fmt`).
//!
//! The layout is the one the format's documentation uses: keys in the order
//! of the key table, two spaces of indentation, one element per line,
//! actors and long-form fields as one-line `{ … }` mappings when they fit,
//! lists as `[A, B]` (or one `- item` per line when too long), a blank line
//! between top-level sections and between contexts. Text is quoted only
//! when YAML would read it otherwise, and then double-quoted with escapes,
//! so every string comes back exactly. Comments are written back where the
//! reader finds them again: `before` on their own lines above the entry,
//! `trailing` at the end of its first line. Printing what was read from a
//! printed file gives the same file.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::keys::{self, Shape};
use crate::syntax::ast::{
    Actor, ActorsKey, Aggregate, Command, Comments, Context, Entry, Event, Field, File, Flow, Hotspot, Policy,
    ReadModel, Relationship, Service, Text, TextList,
};
use crate::syntax::span::Spanned;

/// Lines longer than this are broken: flow mappings become blocks, flow
/// lists become `- item` lists.
const WIDTH: usize = 100;

/// YAML reads a key written as is (`key: value`) only when its `:` comes
/// within 1024 characters of its start; a longer key is written in the
/// explicit form (`? key` then `: value` on the next line). Counted in bytes,
/// which are never fewer than characters.
const MAX_SIMPLE_KEY: usize = 1000;

/// No trailing comment (what is left of one already written).
static NO_COMMENT: Option<String> = None;

/// Writes a model as YAML in the canonical layout.
pub fn print(file: &File) -> String {
    let mut w = Writer { out: String::with_capacity(4096) };
    w.comment_lines(0, &file.header);
    for key in keys::FILE.keys {
        let sections = w.out.len();
        match key.name {
            "system" => w.text(0, "system", &file.system),
            "description" => w.text(0, "description", &file.description),
            "lints" if !file.lints.is_empty() => {
                w.section(0, "lints");
                for lint in &file.lints {
                    w.comment_lines(2, &lint.comments.before);
                    w.key_value(2, &scalar(&lint.name, false), &scalar(&lint.body, false), &lint.comments.trailing);
                }
            }
            "actors" if !file.actors.is_empty() => {
                w.section(0, "actors");
                for actor in &file.actors {
                    w.actor(2, actor);
                }
            }
            "contexts" if !file.contexts.is_empty() => {
                w.section(0, "contexts");
                for (i, context) in file.contexts.iter().enumerate() {
                    if i > 0 {
                        w.out.push('\n');
                    }
                    w.entry(2, context, Writer::context);
                }
            }
            "relationships" if !file.relationships.is_empty() => {
                w.section(0, "relationships");
                for relationship in &file.relationships {
                    w.list_item(2, &relationship.comments, |w, indent| w.relationship(indent, relationship));
                }
            }
            "flows" if !file.flows.is_empty() => {
                w.section(0, "flows");
                for flow in &file.flows {
                    w.entry(2, flow, Writer::flow);
                }
            }
            "hotspots" => w.hotspots(0, &file.hotspots),
            _ => {}
        }
        // A blank line before every section but the first.
        if w.out.len() > sections && sections > 0 && !matches!(key.name, "system" | "description") {
            w.out.insert(sections, '\n');
        }
    }
    w.comment_lines(0, &file.footer);
    w.out
}

struct Writer {
    out: String,
}

impl Writer {
    fn indent(&mut self, indent: usize) {
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    fn end_line(&mut self, trailing: &Option<String>) {
        if let Some(comment) = trailing {
            self.out.push_str("  ");
            // A trailing comment is one line; any further lines would end up
            // outside the comment, so they are joined.
            let joined = comment.replace(['\n', '\r'], " ");
            push_comment(&mut self.out, &joined);
        }
        self.out.push('\n');
    }

    fn comment_lines(&mut self, indent: usize, comments: &[String]) {
        for comment in comments {
            for line in comment.split(['\n', '\r']) {
                self.indent(indent);
                push_comment(&mut self.out, line);
                self.out.push('\n');
            }
        }
    }

    /// `key:` opening a block.
    fn section(&mut self, indent: usize, key: &str) {
        self.indent(indent);
        self.out.push_str(key);
        self.out.push_str(":\n");
    }

    /// `key:` at `indent`, or `? key` and `:` on the next line when the key
    /// is too long for YAML to read it written as is. The entry's trailing
    /// comment belongs at the end of its first line, so the explicit form
    /// writes it after the key; what is left for the end of the line is
    /// returned.
    fn key<'c>(&mut self, indent: usize, key: &str, trailing: &'c Option<String>) -> &'c Option<String> {
        self.indent(indent);
        if key.len() <= MAX_SIMPLE_KEY {
            self.out.push_str(key);
            self.out.push(':');
            return trailing;
        }
        self.out.push_str("? ");
        self.out.push_str(key);
        self.end_line(trailing);
        self.indent(indent);
        self.out.push(':');
        &NO_COMMENT
    }

    /// `key: value` on one line; `key` is written as given (element names
    /// are quoted by the caller).
    fn key_value(&mut self, indent: usize, key: &str, value: &str, trailing: &Option<String>) {
        let trailing = self.key(indent, key, trailing);
        self.out.push(' ');
        self.out.push_str(value);
        self.end_line(trailing);
    }

    fn text(&mut self, indent: usize, key: &str, value: &Option<Text>) {
        if let Some(value) = value {
            self.key_value(indent, key, &scalar(value, false), &None);
        }
    }

    fn bool(&mut self, indent: usize, key: &str, value: &Option<Spanned<bool>>) {
        if let Some(value) = value {
            self.key_value(indent, key, if value.value { "true" } else { "false" }, &None);
        }
    }

    fn list(&mut self, indent: usize, key: &str, list: &Option<TextList>) {
        let Some(list) = list else { return };
        let flow = flow_list(list);
        if indent + key.len() + 2 + flow.len() <= WIDTH {
            self.key_value(indent, key, &flow, &None);
        } else {
            self.section(indent, key);
            for item in list.iter() {
                self.indent(indent + 2);
                self.out.push_str("- ");
                self.out.push_str(&scalar(item, false));
                self.out.push('\n');
            }
        }
    }

    /// A named element: its comments, `Name:` and its body in block form,
    /// or `Name: {}` when the body writes nothing.
    fn entry<T>(&mut self, indent: usize, entry: &Entry<T>, body: impl FnOnce(&mut Self, usize, &T)) {
        self.comment_lines(indent, &entry.comments.before);
        let trailing = self.key(indent, &scalar(&entry.name, false), &entry.comments.trailing);
        let head = self.out.len();
        self.end_line(trailing);
        let start = self.out.len();
        body(self, indent + 2, &entry.body);
        if self.out.len() == start {
            self.out.truncate(head);
            self.out.push_str(" {}");
            self.end_line(trailing);
        }
    }

    /// An entry written on one line as `Name: { k: v, … }` when it fits,
    /// else as a block.
    fn inline_or_block<T>(
        &mut self,
        indent: usize,
        entry: &Entry<T>,
        pairs: Vec<(&str, String)>,
        block: impl FnOnce(&mut Self, usize, &T),
    ) {
        let name = scalar(&entry.name, false);
        let inline = flow_mapping(&pairs);
        if indent + name.len() + 2 + inline.len() <= WIDTH {
            self.comment_lines(indent, &entry.comments.before);
            self.key_value(indent, &name, &inline, &entry.comments.trailing);
        } else {
            self.entry(indent, entry, block);
        }
    }

    /// A list item: `- ` then the item's first line, its other lines below
    /// at `indent + 2`; `- {}` when the item writes nothing.
    fn list_item(&mut self, indent: usize, comments: &Comments, body: impl FnOnce(&mut Self, usize)) {
        self.comment_lines(indent, &comments.before);
        let start = self.out.len();
        body(self, indent + 2);
        if self.out.len() == start {
            self.indent(indent);
            self.out.push_str("- {}");
            self.end_line(&comments.trailing);
            return;
        }
        // The body's first line is indented like its others; its indentation
        // becomes the dash.
        self.out.replace_range(start + indent..start + indent + 2, "- ");
        if let Some(comment) = &comments.trailing {
            let line_end = self.out[start..].find('\n').map_or(self.out.len(), |at| start + at);
            let mut tail = String::from("  ");
            push_comment(&mut tail, &comment.replace(['\n', '\r'], " "));
            self.out.insert_str(line_end, &tail);
        }
    }

    fn hotspots(&mut self, indent: usize, hotspots: &[Hotspot]) {
        if hotspots.is_empty() {
            return;
        }
        self.section(indent, "hotspots");
        for hotspot in hotspots {
            if hotspot.on.is_none() {
                self.comment_lines(indent + 2, &hotspot.comments.before);
                self.indent(indent + 2);
                self.out.push_str("- ");
                self.out.push_str(&scalar(&hotspot.text, false));
                self.end_line(&hotspot.comments.trailing);
            } else {
                self.list_item(indent + 2, &hotspot.comments, |w, indent| {
                    for key in keys::HOTSPOT.keys {
                        match key.name {
                            "text" => w.key_value(indent, "text", &scalar(&hotspot.text, false), &None),
                            "on" => w.text(indent, "on", &hotspot.on),
                            _ => {}
                        }
                    }
                });
            }
        }
    }

    fn fields(&mut self, indent: usize, fields: &[Entry<Field>]) {
        if fields.is_empty() {
            return;
        }
        self.section(indent, "fields");
        for field in fields {
            let body = &field.body;
            if body.pii.is_none() && body.description.is_none() {
                self.comment_lines(indent + 2, &field.comments.before);
                let name = scalar(&field.name, false);
                self.key_value(indent + 2, &name, &scalar(&body.ty, false), &field.comments.trailing);
                continue;
            }
            let pairs = pairs(&keys::FIELD, |key| match key {
                "type" => Some(scalar(&body.ty, true).into_owned()),
                "pii" => body.pii.as_ref().map(|pii| pii.value.to_string()),
                "description" => body.description.as_ref().map(|d| scalar(d, true).into_owned()),
                _ => None,
            });
            self.inline_or_block(indent + 2, field, pairs, |w, indent, field| {
                for key in keys::FIELD.keys {
                    match key.name {
                        "type" => w.key_value(indent, "type", &scalar(&field.ty, false), &None),
                        "pii" => w.bool(indent, "pii", &field.pii),
                        "description" => w.text(indent, "description", &field.description),
                        _ => {}
                    }
                }
            });
        }
    }

    fn elements<T>(&mut self, indent: usize, key: &str, elements: &[Entry<T>], body: impl Fn(&mut Self, usize, &T)) {
        if elements.is_empty() {
            return;
        }
        self.section(indent, key);
        for element in elements {
            self.entry(indent + 2, element, &body);
        }
    }

    // ---- elements -------------------------------------------------------

    fn actor(&mut self, indent: usize, entry: &Entry<Actor>) {
        let actor = &entry.body;
        let pairs = pairs(&keys::ACTOR, |key| {
            let value = match key {
                "kind" => &actor.kind,
                "role" => &actor.role,
                "description" => &actor.description,
                _ => return None,
            };
            value.as_ref().map(|v| scalar(v, true).into_owned())
        });
        self.inline_or_block(indent, entry, pairs, |w, indent, actor| {
            for key in keys::ACTOR.keys {
                match key.name {
                    "kind" => w.text(indent, "kind", &actor.kind),
                    "role" => w.text(indent, "role", &actor.role),
                    "description" => w.text(indent, "description", &actor.description),
                    _ => {}
                }
            }
        });
    }

    fn context(&mut self, indent: usize, context: &Context) {
        for key in keys::CONTEXT.keys {
            match key.name {
                "team" => self.text(indent, "team", &context.team),
                "description" => self.text(indent, "description", &context.description),
                "aggregates" => self.elements(indent, "aggregates", &context.aggregates, Self::aggregate),
                "policies" => self.elements(indent, "policies", &context.policies, Self::policy),
                "read_models" => self.elements(indent, "read_models", &context.read_models, Self::read_model),
                "services" => self.elements(indent, "services", &context.services, Self::service),
                "hotspots" => self.hotspots(indent, &context.hotspots),
                _ => {}
            }
        }
    }

    fn aggregate(&mut self, indent: usize, aggregate: &Aggregate) {
        for key in keys::AGGREGATE.keys {
            match key.name {
                "description" => self.text(indent, "description", &aggregate.description),
                "id" => self.text(indent, "id", &aggregate.id),
                "fields" => self.fields(indent, &aggregate.fields),
                "commands" => self.elements(indent, "commands", &aggregate.commands, Self::command),
                "events" => self.elements(indent, "events", &aggregate.events, Self::event),
                _ => {}
            }
        }
    }

    fn command(&mut self, indent: usize, command: &Command) {
        for key in keys::COMMAND.keys {
            match key.name {
                "description" => self.text(indent, "description", &command.description),
                "actor" if command.actors_key == ActorsKey::Actor => match &command.actors {
                    Some(actors) if actors.len() == 1 => {
                        self.key_value(indent, "actor", &scalar(&actors[0], false), &None);
                    }
                    actors => self.list(indent, "actor", actors),
                },
                "actors" if command.actors_key == ActorsKey::Actors => self.list(indent, "actors", &command.actors),
                "creates" => self.bool(indent, "creates", &command.creates),
                "schedule" => self.text(indent, "schedule", &command.schedule),
                "fields" => self.fields(indent, &command.fields),
                "emits" => self.list(indent, "emits", &command.emits),
                "errors" => self.list(indent, "errors", &command.errors),
                _ => {}
            }
        }
    }

    fn event(&mut self, indent: usize, event: &Event) {
        for key in keys::EVENT.keys {
            match key.name {
                "description" => self.text(indent, "description", &event.description),
                "public" => self.bool(indent, "public", &event.public),
                "version" => {
                    if let Some(version) = &event.version {
                        self.key_value(indent, "version", &version.value.to_string(), &None);
                    }
                }
                "fields" => self.fields(indent, &event.fields),
                _ => {}
            }
        }
    }

    fn policy(&mut self, indent: usize, policy: &Policy) {
        for key in keys::POLICY.keys {
            match key.name {
                "description" => self.text(indent, "description", &policy.description),
                "on" => self.list(indent, "on", &policy.on),
                "then" => self.text(indent, "then", &policy.then),
                "key" => self.text(indent, "key", &policy.key),
                _ => {}
            }
        }
    }

    fn read_model(&mut self, indent: usize, read_model: &ReadModel) {
        for key in keys::READ_MODEL.keys {
            match key.name {
                "description" => self.text(indent, "description", &read_model.description),
                "from" => self.list(indent, "from", &read_model.from),
                "key" => self.text(indent, "key", &read_model.key),
                "fields" => self.fields(indent, &read_model.fields),
                _ => {}
            }
        }
    }

    fn service(&mut self, indent: usize, service: &Service) {
        for key in keys::SERVICE.keys {
            match key.name {
                "kind" => self.text(indent, "kind", &service.kind),
                "owns" => self.list(indent, "owns", &service.owns),
                "description" => self.text(indent, "description", &service.description),
                _ => {}
            }
        }
    }

    fn flow(&mut self, indent: usize, flow: &Flow) {
        for key in keys::FLOW.keys {
            match key.name {
                "description" => self.text(indent, "description", &flow.description),
                "steps" => self.list(indent, "steps", &flow.steps),
                _ => {}
            }
        }
    }

    fn relationship(&mut self, indent: usize, relationship: &Relationship) {
        for key in keys::RELATIONSHIP.keys {
            match key.name {
                "kind" => self.text(indent, "kind", &relationship.kind),
                "upstream" => self.text(indent, "upstream", &relationship.upstream),
                "downstream" => self.text(indent, "downstream", &relationship.downstream),
                "upstream_roles" => self.list(indent, "upstream_roles", &relationship.upstream_roles),
                "downstream_roles" => self.list(indent, "downstream_roles", &relationship.downstream_roles),
                "between" => self.list(indent, "between", &relationship.between),
                "description" => self.text(indent, "description", &relationship.description),
                _ => {}
            }
        }
    }
}

/// The present keys of a shape, in table order, with their flow-style values.
fn pairs(shape: &Shape, value: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, String)> {
    shape.keys.iter().filter_map(|key| value(key.name).map(|v| (key.name, v))).collect()
}

fn flow_mapping(pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return "{}".to_string();
    }
    let mut out = String::from("{ ");
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{key}: {value}");
    }
    out.push_str(" }");
    out
}

fn flow_list(list: &TextList) -> String {
    let mut out = String::from("[");
    for (i, item) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&scalar(item, true));
    }
    out.push(']');
    out
}

fn push_comment(out: &mut String, text: &str) {
    out.push('#');
    if !text.is_empty() {
        out.push(' ');
        out.push_str(text);
    }
}

/// A string as a YAML scalar: plain when YAML reads it back as the same
/// string, else double-quoted. `flow` is for values inside `[…]` or `{…}`,
/// where `,`, brackets and `:` also end a plain scalar.
pub fn scalar(text: &str, flow: bool) -> Cow<'_, str> {
    if is_plain_safe(text, flow) { Cow::Borrowed(text) } else { Cow::Owned(double_quoted(text)) }
}

fn is_plain_safe(text: &str, flow: bool) -> bool {
    let Some(first) = text.chars().next() else { return false };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) || text.trim() != text {
        return false;
    }
    if text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return false;
    }
    if flow && text.contains([',', '[', ']', '{', '}', ':']) {
        return false;
    }
    if text.chars().any(|c| c != ' ' && (c.is_whitespace() || needs_escape(c))) {
        return false;
    }
    !resolves_to_non_string(text)
}

/// Whether YAML's core schema (or the older YAML 1.1 that some editors still
/// use) reads this plain scalar as something other than a string.
fn resolves_to_non_string(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no",
        "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", ".inf", ".Inf", ".INF", ".nan", ".NaN",
        ".NAN", "<<",
    ];
    if WORDS.contains(&text) {
        return true;
    }
    // Anything that starts like a number (`1`, `+1`, `.5`, `0x1F`, `1e3`)
    // is quoted rather than parsed here: a quote too many is harmless.
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let unsigned = unsigned.strip_prefix('.').unwrap_or(unsigned);
    unsigned.starts_with(|c: char| c.is_ascii_digit()) || matches!(unsigned, "inf" | "Inf" | "INF")
}

/// Characters YAML cannot hold literally (outside its printable set) or
/// that some readers treat as line breaks.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}')
}

fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if needs_escape(c) => {
                let code = u32::from(c);
                let _ = if code <= 0xFFFF { write!(out, "\\u{code:04X}") } else { write!(out, "\\U{code:08X}") };
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use proptest::collection::{btree_map, vec};
    use proptest::option::of;
    use proptest::prelude::*;

    use super::super::keys::{self, ValueKind};
    use super::super::read::read;
    use super::*;
    use crate::syntax::span::Span;

    const PAYMENTS: &str = include_str!("../yaml/testdata/payments.yaml");

    fn parse_clean(source: &str) -> File {
        let parsed = read(source);
        assert_eq!(parsed.diagnostics, [], "printed:\n{source}");
        parsed.file.expect("a file")
    }

    /// `parse(print(f)) == f` and `print` is idempotent.
    fn assert_round_trip(file: &File) {
        let printed = print(file);
        let again = parse_clean(&printed);
        assert_eq!(&again, file, "printed:\n{printed}");
        assert_eq!(print(&again), printed);
    }

    fn text(s: &str) -> Text {
        Spanned::new(s.to_string(), Span::default())
    }

    #[test]
    fn the_spec_example_prints_canonically_and_reads_back() {
        let file = parse_clean(PAYMENTS);
        assert_round_trip(&file);
        let printed = print(&file);
        assert!(printed.starts_with("system: Payments\ndescription: Card payments"), "{printed}");
        assert!(printed.contains("\n  Buyer: { kind: person }\n"), "{printed}");
        assert!(printed.contains("  PaymentProvider: { kind: external }  # an external system (pink sticky)\n"));
        assert!(printed.contains("            fields:\n              reason: string?\n"), "{printed}");
        assert!(printed.contains("          email: { type: string, pii: true }\n"), "{printed}");
        assert!(printed.contains("          CustomerRejected: {}\n"), "{printed}");
        assert!(printed.contains("            schedule: \"0 0 1 * *\"\n"), "{printed}");
        assert!(
            printed.contains("\nrelationships:\n  - kind: customer-supplier\n    upstream: Customer\n"),
            "{printed}"
        );
        assert!(printed.contains("    - What happens to a payment whose provider never answers?\n"), "{printed}");
    }

    #[test]
    fn keys_too_long_for_yaml_are_written_in_the_explicit_form() {
        // Found by fuzzing: a key short enough to read, whose escapes make it
        // longer than the 1024 characters YAML allows a key written as is.
        let escaped = format!("A{}", "\u{7}".repeat(300));
        let long = "B".repeat(1_500);
        let source = format!(
            "system: S\nactors:\n  \"{escaped}\": {{}}  # one\n  Short: {{ kind: person }}\ncontexts:\n  C:  # two\n    team: T\n"
        );
        let mut file = parse_clean(&source);
        // A name no YAML file could hold as a simple key, as from the DSL.
        file.contexts[0].name = text(&long);
        file.contexts[0].body.aggregates.clear();
        file.contexts.push(file.contexts[0].clone());
        file.contexts[1].body.team = None;
        assert_round_trip(&file);
        let printed = print(&file);
        // The trailing comment stays on the entry's first line.
        assert!(printed.contains(&format!("  ? \"A{}\"  # one\n  : {{}}\n", "\\u0007".repeat(300))), "{printed}");
        assert!(printed.contains(&format!("  ? {long}  # two\n  :\n    team: T\n")), "{printed}");
        assert!(printed.contains(&format!("  ? {long}  # two\n  : {{}}\n")), "{printed}");
        assert!(printed.contains("  Short: { kind: person }\n"), "{printed}");
    }

    #[test]
    fn comments_ended_by_a_lone_carriage_return_read_back_the_same() {
        // Found by fuzzing: two comments on one `\n` line, parted by `\r`.
        let file = parse_clean("system: S\nactors:\n\n#one: {\r\r#two: {   x:\n  A: {}\n");
        assert_eq!(file.actors[0].comments.before, ["one: {", "two: {   x:"]);
        assert_round_trip(&file);
    }

    #[test]
    fn tricky_strings_are_quoted_and_escaped() {
        let cases = [
            ("plain text", "plain text"),
            ("", "\"\""),
            ("a: b", "\"a: b\""),
            ("x #y", "\"x #y\""),
            ("a#b", "a#b"),
            ("- dash", "\"- dash\""),
            ("true", "\"true\""),
            ("42", "\"42\""),
            ("1st try", "\"1st try\""),
            ("say \"hi\"", "say \"hi\""),
            ("\"hi\"", "\"\\\"hi\\\"\""),
            ("two\nlines", "\"two\\nlines\""),
            (" lead", "\" lead\""),
            ("bell\u{7}", "\"bell\\u0007\""),
            ("ünïcödé", "ünïcödé"),
        ];
        for (input, expected) in cases {
            assert_eq!(scalar(input, false), expected, "{input:?}");
        }
        assert_eq!(scalar("a, b", true), "\"a, b\"");
        assert_eq!(scalar("a, b", false), "a, b");
    }

    #[test]
    fn comments_are_written_back_where_they_are_read() {
        let source = "\
# header
system: S
actors:
  # before
  Buyer: { kind: person }  # trailing
contexts:
  C:  # about C
    aggregates:
      A:
        fields:
          # why
          amount: decimal  # money
        events:
          Done: {}  # empty
hotspots:
  # a question
  - Who pays?  # open
  - text: Refunds?
    on: Payment
relationships:
  - kind: partnership  # symmetric
    between: [C, D]
# footer
";
        let file = parse_clean(source);
        assert_round_trip(&file);
        let printed = print(&file);
        assert!(printed.contains("  C:  # about C\n"), "{printed}");
        assert!(printed.contains("          # why\n          amount: decimal  # money\n"), "{printed}");
        assert!(printed.contains("  - kind: partnership  # symmetric\n    between: [C, D]\n"), "{printed}");
        assert!(printed.ends_with("# footer\n"), "{printed}");
    }

    #[test]
    fn long_lists_and_bodies_break_into_blocks() {
        let steps: Vec<Text> = (0..30).map(|i| text(&format!("Step{i}"))).collect();
        let mut file = File { system: Some(text("S")), ..File::default() };
        file.flows.push(Entry {
            name: text("Long"),
            body: Flow { description: None, steps: Some(Spanned::new(steps, Span::default())) },
            span: Span::default(),
            comments: Comments::default(),
        });
        let long = "word ".repeat(30);
        file.actors.push(Entry {
            name: text("Talker"),
            body: Actor { description: Some(text(long.trim())), ..Actor::default() },
            span: Span::default(),
            comments: Comments { before: vec![], trailing: Some("talks".to_string()) },
        });
        let printed = print(&file);
        assert!(printed.contains("    steps:\n      - Step0\n      - Step1\n"), "{printed}");
        assert!(printed.contains("  Talker:  # talks\n    description: word word"), "{printed}");
        assert_round_trip(&file);
    }

    #[test]
    fn every_key_of_the_table_is_printed_and_read_back() {
        let full = full_file();
        let printed = print(&full);
        let shapes: [&Shape; 13] = [
            &keys::FILE,
            &keys::ACTOR,
            &keys::CONTEXT,
            &keys::AGGREGATE,
            &keys::FIELD,
            &keys::COMMAND,
            &keys::EVENT,
            &keys::POLICY,
            &keys::READ_MODEL,
            &keys::SERVICE,
            &keys::FLOW,
            &keys::HOTSPOT,
            &keys::RELATIONSHIP,
        ];
        for shape in shapes {
            for key in shape.keys {
                // `actor` and `actors` exclude each other: the full file has
                // commands of both kinds.
                let written = format!("{}:", key.name);
                assert!(printed.contains(&written), "`{}` of {} is not printed:\n{printed}", key.name, shape.what);
                let _ = matches!(key.value, ValueKind::Text);
            }
        }
        assert_round_trip(&full);
    }

    /// A file that uses every key of the format.
    fn full_file() -> File {
        let list = |items: &[&str]| Some(Spanned::new(items.iter().map(|s| text(s)).collect(), Span::default()));
        fn make<T>(name: &str) -> impl FnOnce(T) -> Entry<T> {
            let name = text(name);
            move |body| Entry { name, body, span: Span::default(), comments: Comments::default() }
        }
        let field = make("amount")(Field {
            ty: text("decimal"),
            pii: Some(Spanned::new(true, Span::default())),
            description: Some(text("How much")),
        });
        let command = |name: &str, key: ActorsKey| {
            make(name)(Command {
                description: Some(text("d")),
                actors: list(&["Clock"]),
                actors_key: key,
                fields: vec![field.clone()],
                emits: list(&["Done"]),
                creates: Some(Spanned::new(true, Span::default())),
                errors: list(&["Late"]),
                schedule: Some(text("0 0 * * *")),
            })
        };
        let aggregate = make("Agg")(Aggregate {
            description: Some(text("d")),
            id: Some(text("uuid")),
            fields: vec![field.clone()],
            commands: vec![command("Tick", ActorsKey::Actor), command("Tock", ActorsKey::Actors)],
            events: vec![make("Done")(Event {
                description: Some(text("d")),
                public: Some(Spanned::new(false, Span::default())),
                version: Some(Spanned::new(2, Span::default())),
                fields: vec![field.clone()],
            })],
        });
        let hotspot = Hotspot { text: text("Why?"), on: Some(text("Agg")), ..Hotspot::default() };
        let context = make("C")(Context {
            description: Some(text("d")),
            team: Some(text("Team")),
            aggregates: vec![aggregate],
            policies: vec![make("P")(Policy {
                description: Some(text("d")),
                on: list(&["Done"]),
                then: Some(text("Tick")),
                key: Some(text("amount")),
            })],
            read_models: vec![make("R")(ReadModel {
                description: Some(text("d")),
                from: list(&["Done"]),
                key: Some(text("amount")),
                fields: vec![field.clone()],
            })],
            hotspots: vec![hotspot.clone()],
            services: vec![make("api")(Service {
                kind: Some(text("api")),
                owns: list(&["Agg"]),
                description: Some(text("d")),
            })],
        });
        let relationship = |between: bool| Relationship {
            kind: Some(text("customer-supplier")),
            upstream: (!between).then(|| text("C")),
            downstream: (!between).then(|| text("D")),
            upstream_roles: list(&["PL"]),
            downstream_roles: list(&["ACL"]),
            between: if between { list(&["C", "D"]) } else { None },
            description: Some(text("d")),
            ..Relationship::default()
        };
        File {
            system: Some(text("S")),
            description: Some(text("d")),
            lints: vec![make("event-tense")(text("allow"))],
            actors: vec![make("Clock")(Actor {
                kind: Some(text("timer")),
                description: Some(text("d")),
                role: Some(text("clock")),
            })],
            contexts: vec![context],
            relationships: vec![relationship(false), relationship(true)],
            flows: vec![make("F")(Flow { description: Some(text("d")), steps: list(&["Tick", "Done"]) })],
            hotspots: vec![hotspot],
            header: vec![],
            footer: vec![],
        }
    }

    // ---- random models --------------------------------------------------

    fn tricky() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[A-Za-z][A-Za-z0-9 .()]{0,14}",
            2 => prop::sample::select(vec![
                "", " lead", "trail ", "a: b", "x #y", "#hash", "a#b", "- dash", "-", "?", "true", "False", "null",
                "~", "yes", "No", "on", "42", "-7", "+1", "1.5", ".5", "0x1F", "1e3", ".inf", ".NaN", "\"quoted\"",
                "'single'", "back\\slash", "line\nbreak", "tab\there", "cr\rlf", "{ flow }", "[list]", "a, b",
                "k:v", "trailing:", "*star", "&amp", "!bang", "%pct", "@at", "`tick", "|pipe", ">gt", "ünïcödé",
                "emoji 😀", "nul\0", "bell\u{7}", "nel\u{85}", "ls\u{2028}", "bom\u{feff}", "nbsp\u{a0}x",
                "\u{fffe}", "---", "...", "<<", "a\\nb", "0 0 1 * *", "list<uuid>", "string?",
            ])
            .prop_map(String::from),
            1 => "(?s).{0,12}",
        ]
    }

    fn t() -> impl Strategy<Value = Text> {
        tricky().prop_map(|s| text(&s))
    }

    fn opt_t() -> impl Strategy<Value = Option<Text>> {
        of(t())
    }

    fn list_of(item: impl Strategy<Value = String>) -> impl Strategy<Value = TextList> {
        vec(item, 0..4).prop_map(|items| Spanned::new(items.iter().map(|s| text(s)).collect(), Span::default()))
    }

    fn names() -> impl Strategy<Value = TextList> {
        list_of(prop_oneof![3 => pascal(), 1 => tricky()])
    }

    fn pascal() -> impl Strategy<Value = String> {
        "[A-Z][A-Za-z0-9]{0,8}"
    }

    fn comment() -> impl Strategy<Value = String> {
        "[A-Za-z0-9 #:'\"{}\\[\\],.é!-]{0,15}".prop_map(|s| s.trim_end().to_string())
    }

    fn comments() -> impl Strategy<Value = Comments> {
        (vec(comment(), 0..2), of(comment())).prop_map(|(before, trailing)| Comments { before, trailing })
    }

    fn b() -> impl Strategy<Value = Option<Spanned<bool>>> {
        of(any::<bool>().prop_map(|v| Spanned::new(v, Span::default())))
    }

    fn entries<T: std::fmt::Debug>(
        name: impl Strategy<Value = String>,
        body: impl Strategy<Value = T>,
        max: usize,
    ) -> impl Strategy<Value = Vec<Entry<T>>> {
        vec((name, body, comments()), 0..max).prop_map(|items| {
            items
                .into_iter()
                .map(|(name, body, comments)| Entry { name: text(&name), body, span: Span::default(), comments })
                .collect()
        })
    }

    /// Unique names: duplicates outside element mappings are `syntax`.
    fn unique_entries<T: std::fmt::Debug + Clone>(
        name: impl Strategy<Value = String>,
        body: impl Strategy<Value = T>,
        max: usize,
    ) -> impl Strategy<Value = Vec<Entry<T>>> {
        btree_map(name, (body, comments()), 0..max).prop_map(|items| {
            items
                .into_iter()
                .map(|(name, (body, comments))| Entry { name: text(&name), body, span: Span::default(), comments })
                .collect()
        })
    }

    fn fields() -> impl Strategy<Value = Vec<Entry<Field>>> {
        let field = (t(), b(), opt_t()).prop_map(|(ty, pii, description)| Field { ty, pii, description });
        unique_entries(prop_oneof![3 => "[a-z][a-z0-9_]{0,8}", 1 => tricky()], field, 4)
    }

    fn command() -> impl Strategy<Value = Command> {
        (opt_t(), of(names()), any::<bool>(), fields(), of(names()), b(), of(names()), opt_t()).prop_map(
            |(description, actors, plural, fields, emits, creates, errors, schedule)| {
                let actors_key = if plural && actors.is_some() { ActorsKey::Actors } else { ActorsKey::Actor };
                Command { description, actors, actors_key, fields, emits, creates, errors, schedule }
            },
        )
    }

    fn event() -> impl Strategy<Value = Event> {
        (opt_t(), b(), of((1..=u32::MAX).prop_map(|v| Spanned::new(v, Span::default()))), fields())
            .prop_map(|(description, public, version, fields)| Event { description, public, version, fields })
    }

    fn aggregate() -> impl Strategy<Value = Aggregate> {
        (opt_t(), opt_t(), fields(), entries(pascal(), command(), 3), entries(pascal(), event(), 3)).prop_map(
            |(description, id, fields, commands, events)| Aggregate { description, id, fields, commands, events },
        )
    }

    fn hotspots() -> impl Strategy<Value = Vec<Hotspot>> {
        vec((t(), opt_t(), comments()), 0..3).prop_map(|items| {
            items
                .into_iter()
                .map(|(text, on, comments)| Hotspot { text, on, span: Span::default(), comments })
                .collect()
        })
    }

    fn context() -> impl Strategy<Value = Context> {
        let policy = (opt_t(), names(), t(), opt_t()).prop_map(|(description, on, then, key)| Policy {
            description,
            on: Some(on),
            then: Some(then),
            key,
        });
        let read_model = (opt_t(), names(), opt_t(), fields()).prop_map(|(description, from, key, fields)| ReadModel {
            description,
            from: Some(from),
            key,
            fields,
        });
        let service = (t(), names(), opt_t()).prop_map(|(kind, owns, description)| Service {
            kind: Some(kind),
            owns: Some(owns),
            description,
        });
        (
            opt_t(),
            opt_t(),
            entries(pascal(), aggregate(), 3),
            entries(pascal(), policy, 2),
            entries(pascal(), read_model, 2),
            hotspots(),
            entries("[a-z][a-z0-9-]{0,8}", service, 2),
        )
            .prop_map(|(description, team, aggregates, policies, read_models, hotspots, services)| Context {
                description,
                team,
                aggregates,
                policies,
                read_models,
                hotspots,
                services,
            })
    }

    fn relationship() -> impl Strategy<Value = Relationship> {
        (t(), any::<bool>(), t(), t(), of(names()), of(names()), opt_t(), comments()).prop_map(
            |(kind, symmetric, a, b, upstream_roles, downstream_roles, description, comments)| {
                let (upstream, downstream, between) = if symmetric {
                    (None, None, Some(Spanned::new(vec![a, b], Span::default())))
                } else {
                    (Some(a), Some(b), None)
                };
                Relationship {
                    kind: Some(kind),
                    upstream,
                    downstream,
                    upstream_roles,
                    downstream_roles,
                    between,
                    description,
                    span: Span::default(),
                    comments,
                }
            },
        )
    }

    fn file() -> impl Strategy<Value = File> {
        let actor = (opt_t(), opt_t(), opt_t()).prop_map(|(kind, description, role)| Actor { kind, description, role });
        let flow = (opt_t(), names()).prop_map(|(description, steps)| Flow { description, steps: Some(steps) });
        (
            (t(), opt_t(), unique_entries("[a-z][a-z-]{0,10}", t(), 3)),
            entries(pascal(), actor, 3),
            entries(pascal(), context(), 3),
            vec(relationship(), 0..3),
            entries(pascal(), flow, 2),
            hotspots(),
            (vec(comment(), 0..2), vec(comment(), 0..2)),
        )
            .prop_map(
                |((system, description, lints), actors, contexts, relationships, flows, hotspots, (header, footer))| {
                    File {
                        system: Some(system),
                        description,
                        lints,
                        actors,
                        contexts,
                        relationships,
                        flows,
                        hotspots,
                        header,
                        footer,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn random_models_round_trip(file in file()) {
            let printed = print(&file);
            let parsed = read(&printed);
            prop_assert_eq!(&parsed.diagnostics, &vec![], "printed:\n{}", printed);
            let again = parsed.file.expect("a file");
            prop_assert_eq!(&again, &file, "printed:\n{}", printed);
            prop_assert_eq!(print(&again), printed);
        }

        #[test]
        fn any_string_survives_as_a_description(s in "(?s).{0,40}") {
            let file = File { system: Some(text("S")), description: Some(text(&s)), ..File::default() };
            let again = parse_clean(&print(&file));
            prop_assert_eq!(again.description.map(|d| d.value), Some(s));
        }
    }
}
