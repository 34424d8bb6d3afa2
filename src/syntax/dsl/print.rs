//! Writes the surface tree in the DSL's canonical layout (`squall fmt`).
//!
//! The layout depends only on the tree, so printing is idempotent, and every
//! choice it makes is one the parser reads back to the same tree: names are
//! bare when they lex as one word (and are no keyword where a keyword could
//! stand), quoted otherwise; descriptions are always quoted; a list of one is
//! written bare and any other list in brackets. Comments go back on the
//! entries they came with.

use std::fmt::Write as _;

use super::lexer::is_bare_word;
use super::parser::{RELATIONSHIP_CLAUSES, TOP_KEYWORDS};
use crate::syntax::ast::{self, Comments, Entry, Text, TextList};

/// Lines longer than this are broken where the layout allows (fields go
/// one per line, long flows wrap their steps).
const WIDTH: usize = 100;

const INDENT: &str = "  ";

pub(super) fn print(file: &ast::File) -> String {
    let mut out = String::new();
    for line in &file.header {
        out.push_str(&comment_line("", line));
    }
    let mut groups: Vec<Vec<Vec<String>>> = Vec::new();
    if let Some(system) = &file.system {
        let mut line = format!("system {}", name(&system.value));
        push_description(&mut line, &file.description);
        groups.push(vec![vec![line]]);
    } else {
        if !file.header.is_empty() {
            // An empty line ends the header when no `system` line does.
            out.push('\n');
        }
        if let Some(description) = &file.description {
            groups.push(vec![vec![format!("description {}", quote(&description.value))]]);
        }
    }
    if !file.lints.is_empty() {
        groups.push(vec![lints(&file.lints)]);
    }
    groups.push(file.actors.iter().map(actor).collect());
    groups.push(file.contexts.iter().map(context).collect());
    groups.push(file.relationships.iter().map(relationship).collect());
    groups.push(file.flows.iter().map(flow).collect());
    groups.push(file.hotspots.iter().map(hotspot).collect());
    join_groups(&mut out, &groups);
    if !file.footer.is_empty() {
        if !groups.iter().all(Vec::is_empty) {
            out.push('\n');
        }
        for line in &file.footer {
            out.push_str(&comment_line("", line));
        }
    }
    out
}

/// Writes groups of items (each item a list of lines): an empty line
/// between groups, and around items that span several lines (a block).
fn join_groups(out: &mut String, groups: &[Vec<Vec<String>>]) {
    let mut first = true;
    for group in groups.iter().filter(|g| !g.is_empty()) {
        if !first {
            out.push('\n');
        }
        first = false;
        let mut previous_is_block = false;
        for (i, item) in group.iter().enumerate() {
            // The item's own lines, after the comments above it.
            let is_block = item.iter().skip_while(|line| line.starts_with('#')).count() > 1;
            if i > 0 && (previous_is_block || is_block) {
                out.push('\n');
            }
            for line in item {
                out.push_str(line);
                out.push('\n');
            }
            previous_is_block = is_block;
        }
    }
}

/// The lines of a block's groups, indented one level deeper.
fn block_lines(groups: &[Vec<Vec<String>>]) -> Vec<String> {
    let mut text = String::new();
    join_groups(&mut text, groups);
    text.lines().map(|line| if line.is_empty() { String::new() } else { format!("{INDENT}{line}") }).collect()
}

// ---- words -------------------------------------------------------------------

/// A string in double quotes, escaped so that the lexer reads it back.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A name, type or other short value: bare when it is one word.
fn name(text: &str) -> String {
    if is_bare_word(text) { text.to_string() } else { quote(text) }
}

/// A context in a relationship's head, where the relationship's keys are
/// keywords.
fn party(text: &str) -> String {
    if RELATIONSHIP_CLAUSES.contains(&text) { quote(text) } else { name(text) }
}

/// A list: bare when it holds one value, in brackets otherwise.
fn list(list: &TextList) -> String {
    match list.value.as_slice() {
        [one] => name(&one.value),
        _ => bracketed(list),
    }
}

fn bracketed(list: &TextList) -> String {
    let items: Vec<String> = list.value.iter().map(|item| name(&item.value)).collect();
    format!("[{}]", items.join(", "))
}

fn push_description(line: &mut String, description: &Option<Text>) {
    if let Some(description) = description {
        line.push(' ');
        line.push_str(&quote(&description.value));
    }
}

fn push_clause(line: &mut String, keyword: &str, value: &Option<Text>) {
    if let Some(value) = value {
        let _ = write!(line, " {keyword} {}", name(&value.value));
    }
}

fn push_list_clause(line: &mut String, keyword: &str, value: &Option<TextList>) {
    if let Some(value) = value {
        let _ = write!(line, " {keyword} {}", list(value));
    }
}

/// `true` is the keyword alone; `false` is written out.
fn push_flag(line: &mut String, keyword: &str, value: Option<bool>) {
    match value {
        Some(true) => {
            line.push(' ');
            line.push_str(keyword);
        }
        Some(false) => {
            let _ = write!(line, " {keyword} false");
        }
        None => {}
    }
}

// ---- comments ----------------------------------------------------------------

/// A comment on its own line. A comment read from a file holds no line
/// break (a lone `\r` is no line break to the lexer, so it stays as it is);
/// one put in the tree by hand is kept on one line.
fn comment_line(indent: &str, text: &str) -> String {
    let text = one_line(text);
    if text.is_empty() { format!("{indent}#\n") } else { format!("{indent}# {text}\n") }
}

fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\n') { text.replace('\n', " ").into() } else { text.into() }
}

/// An item: its comment lines, then its first line with the trailing
/// comment, then the rest of its lines.
fn item(comments: &Comments, first: String, rest: Vec<String>) -> Vec<String> {
    let mut lines: Vec<String> =
        comments.before.iter().map(|c| comment_line("", c).trim_end_matches('\n').to_string()).collect();
    let mut first = first;
    if let Some(trailing) = &comments.trailing {
        if trailing.is_empty() {
            first.push_str("  #");
        } else {
            let _ = write!(first, "  # {}", one_line(trailing));
        }
    }
    lines.push(first);
    lines.extend(rest);
    lines
}

// ---- elements -----------------------------------------------------------------

/// An element with a head line, optional fields and optional nested groups:
/// on one line when it fits (fields inline in braces), else as a block.
/// `depth` is how many blocks it stands in.
fn element(
    depth: usize,
    comments: &Comments,
    head: String,
    fields: &[Entry<ast::Field>],
    block_clauses: Vec<String>,
    children: Vec<Vec<Vec<String>>>,
) -> Vec<String> {
    let has_children = children.iter().any(|g| !g.is_empty());
    if block_clauses.is_empty() && !has_children {
        if fields.is_empty() {
            return item(comments, head, Vec::new());
        }
        if fields.iter().all(|f| f.comments.is_empty()) {
            let inline: Vec<String> = fields.iter().map(field).collect();
            let line = format!("{head} {{ {} }}", inline.join(", "));
            if depth * INDENT.len() + line.len() <= WIDTH {
                return item(comments, line, Vec::new());
            }
        }
    }
    let mut groups = Vec::new();
    if !block_clauses.is_empty() {
        groups.push(vec![block_clauses]);
    }
    groups.push(fields.iter().map(|f| item(&f.comments, field(f), Vec::new())).collect());
    groups.extend(children);
    let mut rest = block_lines(&groups);
    rest.push("}".to_string());
    item(comments, format!("{head} {{"), rest)
}

fn field(entry: &Entry<ast::Field>) -> String {
    let field = &entry.body;
    let mut line = format!("{}: {}", name(&entry.name.value), name(&field.ty.value));
    push_flag(&mut line, "pii", field.pii.as_ref().map(|p| p.value));
    push_description(&mut line, &field.description);
    line
}

fn lints(lints: &[Entry<Text>]) -> Vec<String> {
    let entries: Vec<String> =
        lints.iter().map(|e| format!("{}: {}", name(&e.name.value), name(&e.body.value))).collect();
    let inline = format!("lints {{ {} }}", entries.join(", "));
    if lints.iter().all(|e| e.comments.is_empty()) && inline.len() <= WIDTH {
        return vec![inline];
    }
    let items: Vec<Vec<String>> =
        lints.iter().zip(entries).map(|(e, line)| item(&e.comments, line, Vec::new())).collect();
    let mut lines = vec!["lints {".to_string()];
    lines.extend(block_lines(&[items]));
    lines.push("}".to_string());
    lines
}

fn actor(entry: &Entry<ast::Actor>) -> Vec<String> {
    let actor = &entry.body;
    let mut line = format!("actor {}", name(&entry.name.value));
    if let Some(kind) = &actor.kind {
        let _ = write!(line, ": {}", name(&kind.value));
    }
    push_description(&mut line, &actor.description);
    push_clause(&mut line, "role", &actor.role);
    item(&entry.comments, line, Vec::new())
}

fn context(entry: &Entry<ast::Context>) -> Vec<String> {
    let context = &entry.body;
    let head = format!("context {}", name(&entry.name.value));
    let mut clauses = Vec::new();
    if let Some(team) = &context.team {
        clauses.push(format!("team {}", quote(&team.value)));
    }
    if let Some(description) = &context.description {
        clauses.push(format!("description {}", quote(&description.value)));
    }
    let children = vec![
        context.aggregates.iter().map(aggregate).collect(),
        context.policies.iter().map(policy).collect(),
        context.read_models.iter().map(read_model).collect(),
        context.services.iter().map(service).collect(),
        context.hotspots.iter().map(hotspot).collect(),
    ];
    element(0, &entry.comments, head, &[], clauses, children)
}

fn aggregate(entry: &Entry<ast::Aggregate>) -> Vec<String> {
    let aggregate = &entry.body;
    let mut head = format!("aggregate {}", name(&entry.name.value));
    push_description(&mut head, &aggregate.description);
    push_clause(&mut head, "id", &aggregate.id);
    let children = vec![aggregate.commands.iter().map(command).collect(), aggregate.events.iter().map(event).collect()];
    element(1, &entry.comments, head, &aggregate.fields, Vec::new(), children)
}

fn command(entry: &Entry<ast::Command>) -> Vec<String> {
    let command = &entry.body;
    let mut head = format!("command {}", name(&entry.name.value));
    push_description(&mut head, &command.description);
    if let Some(actors) = &command.actors {
        match (command.actors_key, actors.value.len()) {
            (ast::ActorsKey::Actor, 1) => head.push_str(&format!(" by {}", list(actors))),
            (ast::ActorsKey::Actor, _) => head.push_str(&format!(" actor {}", bracketed(actors))),
            (ast::ActorsKey::Actors, _) => head.push_str(&format!(" by {}", bracketed(actors))),
        }
    }
    push_flag(&mut head, "creates", command.creates.as_ref().map(|c| c.value));
    if let Some(schedule) = &command.schedule {
        let _ = write!(head, " schedule {}", quote(&schedule.value));
    }
    if let Some(emits) = &command.emits {
        let _ = write!(head, " -> {}", list(emits));
    }
    push_list_clause(&mut head, "errors", &command.errors);
    element(2, &entry.comments, head, &command.fields, Vec::new(), Vec::new())
}

fn event(entry: &Entry<ast::Event>) -> Vec<String> {
    let event = &entry.body;
    let public = event.public.as_ref().map(|p| p.value);
    let mut head = String::new();
    if public == Some(true) {
        head.push_str("public ");
    }
    let _ = write!(head, "event {}", name(&entry.name.value));
    push_description(&mut head, &event.description);
    if public == Some(false) {
        head.push_str(" public false");
    }
    if let Some(version) = &event.version {
        let _ = write!(head, " version {}", version.value);
    }
    element(2, &entry.comments, head, &event.fields, Vec::new(), Vec::new())
}

fn policy(entry: &Entry<ast::Policy>) -> Vec<String> {
    let policy = &entry.body;
    let mut line = format!("policy {}", name(&entry.name.value));
    push_description(&mut line, &policy.description);
    push_list_clause(&mut line, "on", &policy.on);
    push_clause(&mut line, "then", &policy.then);
    push_clause(&mut line, "key", &policy.key);
    item(&entry.comments, line, Vec::new())
}

fn read_model(entry: &Entry<ast::ReadModel>) -> Vec<String> {
    let read_model = &entry.body;
    let mut head = format!("read model {}", name(&entry.name.value));
    push_description(&mut head, &read_model.description);
    push_list_clause(&mut head, "from", &read_model.from);
    push_clause(&mut head, "key", &read_model.key);
    element(1, &entry.comments, head, &read_model.fields, Vec::new(), Vec::new())
}

fn service(entry: &Entry<ast::Service>) -> Vec<String> {
    let service = &entry.body;
    let mut line = format!("service {}", name(&entry.name.value));
    if let Some(kind) = &service.kind {
        let _ = write!(line, ": {}", name(&kind.value));
    }
    push_description(&mut line, &service.description);
    push_list_clause(&mut line, "owns", &service.owns);
    item(&entry.comments, line, Vec::new())
}

fn hotspot(hotspot: &ast::Hotspot) -> Vec<String> {
    let mut line = format!("hotspot {}", quote(&hotspot.text.value));
    push_clause(&mut line, "on", &hotspot.on);
    item(&hotspot.comments, line, Vec::new())
}

/// A flow on one line, or with its steps wrapped over several when long.
fn flow(entry: &Entry<ast::Flow>) -> Vec<String> {
    let flow = &entry.body;
    let mut head = format!("flow {}", name(&entry.name.value));
    push_description(&mut head, &flow.description);
    let Some(steps) = &flow.steps else {
        return item(&entry.comments, head, Vec::new());
    };
    let line = format!("{head} steps {}", list(steps));
    if line.len() <= WIDTH || steps.value.len() < 2 {
        return item(&entry.comments, line, Vec::new());
    }
    let mut rest = Vec::new();
    let mut current = String::from(INDENT);
    for step in &steps.value {
        let word = format!("{},", name(&step.value));
        if current.len() > INDENT.len() && current.len() + 1 + word.len() > WIDTH {
            rest.push(std::mem::replace(&mut current, String::from(INDENT)));
        }
        if current.len() > INDENT.len() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    rest.push(current);
    rest.push("]".to_string());
    item(&entry.comments, format!("{head} steps ["), rest)
}

/// `kind Upstream [roles] -> [roles] Downstream`, `kind A <-> B`, or
/// clauses for shapes the arrows cannot say.
fn relationship(relationship: &ast::Relationship) -> Vec<String> {
    let kind = relationship.kind.as_ref().map_or("", |k| k.value.as_str());
    let mut line = if is_bare_word(kind) && !TOP_KEYWORDS.contains(&kind) { kind.to_string() } else { quote(kind) };
    let directed = relationship.upstream.is_some()
        || relationship.downstream.is_some()
        || relationship.upstream_roles.is_some()
        || relationship.downstream_roles.is_some();
    let mut between_done = false;
    if directed {
        if let Some(upstream) = &relationship.upstream {
            let _ = write!(line, " {}", party(&upstream.value));
        }
        if let Some(roles) = &relationship.upstream_roles {
            let _ = write!(line, " {}", bracketed(roles));
        }
        line.push_str(" ->");
        if let Some(roles) = &relationship.downstream_roles {
            let _ = write!(line, " {}", bracketed(roles));
        }
        if let Some(downstream) = &relationship.downstream {
            let _ = write!(line, " {}", party(&downstream.value));
        }
    } else if let Some(between) = &relationship.between
        && between.value.len() >= 2
    {
        let partners: Vec<String> = between.value.iter().map(|p| party(&p.value)).collect();
        let _ = write!(line, " {}", partners.join(" <-> "));
        between_done = true;
    }
    if !between_done {
        push_list_clause(&mut line, "between", &relationship.between);
    }
    match &relationship.description {
        // Right after `->`, a bare string would read as the downstream.
        Some(description) if directed && relationship.downstream.is_none() && relationship.between.is_none() => {
            let _ = write!(line, " description {}", quote(&description.value));
        }
        description => push_description(&mut line, description),
    }
    item(&relationship.comments, line, Vec::new())
}
