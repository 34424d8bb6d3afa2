//! Reads the tokens of a `.squall` file into the surface tree.
//!
//! A hand-written recursive descent whose depth is fixed by the grammar
//! (file → context → aggregate → command → field), never by the input, so no
//! input can overflow the stack. Every element is a keyword, a name and
//! clauses on one line, optionally followed by a `{ … }` block whose lines
//! are more clauses, fields and nested elements. After an error the parser
//! skips to the end of the item (its line, or the next `,` or `}` in a
//! block, skipping over whole nested blocks) and goes on, so one run reports
//! every independent error; a keyword that can only start an outer element
//! (`context` inside an aggregate) closes the blocks left open.
//!
//! Comments are collected as the parser walks past them: full-line comments
//! wait for the next entry (its `before`), and a comment at the end of a line
//! goes to the first entry that started on that line (its `trailing`).
//! Comments with no entry to go to are carried to the next one, or to the
//! file's footer, so that `fmt` moves a comment at worst and never drops it.

use std::collections::HashMap;
use std::mem;

use super::lexer::{self, Token, TokenKind};
use crate::diagnostics::{Code, Diagnostic, Label, suggest};
use crate::syntax::ast::{self, Comments, Entry, Text, TextList};
use crate::syntax::span::{Span, Spanned};

/// Past this many, further syntax errors are counted, not reported: a binary
/// file should not print a million lines.
const MAX_ERRORS: usize = 100;

/// Keywords that start a top-level statement.
pub(super) const TOP_KEYWORDS: &[&str] = &["system", "description", "lints", "actor", "context", "flow", "hotspot"];

/// The relationship kinds of the format; a line that starts with another
/// word and reads like a relationship is still one (its kind is checked when
/// the model is built), but a lone unknown word is a misspelt keyword.
pub(super) const RELATIONSHIP_KINDS: &[&str] =
    &["upstream-downstream", "customer-supplier", "partnership", "shared-kernel"];

/// The keys of a relationship that may be written as clauses after its
/// head. In the head, these words are keywords, not context names.
pub(super) const RELATIONSHIP_CLAUSES: &[&str] =
    &["upstream", "downstream", "upstream_roles", "downstream_roles", "between", "description"];

/// Words that can only start an item of the top level, of a context block
/// and of an aggregate block: seeing one at the start of an item of a deeper
/// block means that block was not closed.
const TOP_ITEMS: &[&str] = &["system", "lints", "actor", "context", "flow"];
const CONTEXT_ITEMS: &[&str] = &["team", "aggregate", "policy", "read", "service"];
const AGGREGATE_ITEMS: &[&str] = &["command", "event", "public"];

/// Reads a whole file. The tree is always returned, as complete as the
/// errors allow.
pub(super) fn parse(source: &str) -> (ast::File, Vec<Diagnostic>) {
    let lexed = lexer::lex(source);
    let mut parser = Parser {
        source,
        tokens: lexed.tokens,
        pos: 0,
        last_end: 0,
        diagnostics: Vec::new(),
        dropped: 0,
        pending: Vec::new(),
        pending_split: 0,
        slots: Vec::new(),
        line_owner: None,
        closed_early: false,
    };
    for diagnostic in lexed.diagnostics {
        parser.report(diagnostic);
    }
    parser.skip_comments();
    let file = parser.file();
    let mut diagnostics = parser.diagnostics;
    if parser.dropped > 0 {
        let end = source.len();
        diagnostics.push(
            Diagnostic::new(
                Code::Syntax,
                format!("{} more syntax errors not shown", parser.dropped),
                Label::new(Span::new(end, 0), "stopped reporting here"),
            )
            .with_help("fix the errors above and run again"),
        );
    }
    (file, diagnostics)
}

/// The keys already given in one element, for duplicate-key errors.
#[derive(Default)]
struct Seen(Vec<(&'static str, Span)>);

impl Seen {
    fn first(&self, key: &str) -> Option<Span> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, span)| *span)
    }
}

/// Where an entry started: its first byte, the comments above it and the
/// slot its trailing comment will be put in.
struct EntryStart {
    start: usize,
    slot: usize,
    before: Vec<String>,
}

/// The body of the element being read, so that one header loop and one
/// block loop serve every kind of element.
enum Body<'a> {
    Actor(&'a mut ast::Actor),
    Context(&'a mut ast::Context),
    Aggregate(&'a mut ast::Aggregate),
    Command(&'a mut ast::Command),
    Event(&'a mut ast::Event),
    Policy(&'a mut ast::Policy),
    ReadModel(&'a mut ast::ReadModel),
    Service(&'a mut ast::Service),
    Flow(&'a mut ast::Flow),
}

impl Body<'_> {
    fn what(&self) -> &'static str {
        match self {
            Body::Actor(_) => "actor",
            Body::Context(_) => "context",
            Body::Aggregate(_) => "aggregate",
            Body::Command(_) => "command",
            Body::Event(_) => "event",
            Body::Policy(_) => "policy",
            Body::ReadModel(_) => "read model",
            Body::Service(_) => "service",
            Body::Flow(_) => "flow",
        }
    }

    fn description(&mut self) -> &mut Option<Text> {
        match self {
            Body::Actor(b) => &mut b.description,
            Body::Context(b) => &mut b.description,
            Body::Aggregate(b) => &mut b.description,
            Body::Command(b) => &mut b.description,
            Body::Event(b) => &mut b.description,
            Body::Policy(b) => &mut b.description,
            Body::ReadModel(b) => &mut b.description,
            Body::Service(b) => &mut b.description,
            Body::Flow(b) => &mut b.description,
        }
    }

    fn fields(&mut self) -> Option<&mut Vec<Entry<ast::Field>>> {
        match self {
            Body::Aggregate(b) => Some(&mut b.fields),
            Body::Command(b) => Some(&mut b.fields),
            Body::Event(b) => Some(&mut b.fields),
            Body::ReadModel(b) => Some(&mut b.fields),
            _ => None,
        }
    }

    /// Whether the element takes `: kind` after its name.
    fn takes_kind(&self) -> bool {
        matches!(self, Body::Actor(_) | Body::Service(_))
    }

    /// The keywords of the element's keys.
    fn clause_keywords(&self) -> &'static [&'static str] {
        match self {
            Body::Actor(_) => &["role", "description"],
            Body::Context(_) => &["team", "description"],
            Body::Aggregate(_) => &["id", "description"],
            Body::Command(_) => &["by", "actor", "actors", "emits", "creates", "errors", "schedule", "description"],
            Body::Event(_) => &["public", "version", "description"],
            Body::Policy(_) => &["on", "then", "key", "description"],
            Body::ReadModel(_) => &["from", "key", "description"],
            Body::Service(_) => &["owns", "description"],
            Body::Flow(_) => &["steps", "description"],
        }
    }

    /// The keywords of the elements its block holds.
    fn child_keywords(&self) -> &'static [&'static str] {
        match self {
            Body::Context(_) => &["aggregate", "policy", "read", "service", "hotspot"],
            Body::Aggregate(_) => &["command", "event", "public"],
            _ => &[],
        }
    }

    /// Whether `word` at the start of an item of this element's block can
    /// only start an item of an enclosing block.
    fn closes_outer(&self, word: &str) -> bool {
        let outer: &[&[&str]] = match self {
            Body::Actor(_) | Body::Flow(_) | Body::Context(_) => &[TOP_ITEMS],
            Body::Aggregate(_) | Body::Policy(_) | Body::ReadModel(_) | Body::Service(_) => &[TOP_ITEMS, CONTEXT_ITEMS],
            Body::Command(_) | Body::Event(_) => &[TOP_ITEMS, CONTEXT_ITEMS, AGGREGATE_ITEMS],
        };
        outer.iter().any(|set| set.contains(&word))
            && !self.clause_keywords().contains(&word)
            && !self.child_keywords().contains(&word)
    }

    /// How the element is written, for helps.
    fn shape(&self) -> &'static str {
        match self {
            Body::Actor(_) => "an actor reads `actor Name: kind \"description\" role name`",
            Body::Context(_) => {
                "a context holds `team`, `description`, `aggregate`, `policy`, `read model`, `service` and \
                 `hotspot` lines"
            }
            Body::Aggregate(_) => {
                "an aggregate holds `id`, `description`, fields (`name: type`), `command` and `event` lines"
            }
            Body::Command(_) => {
                "a command reads `command Name by Actor creates schedule \"cron\" -> Event errors Error \
                 \"description\"`; its fields go inside `{ }`"
            }
            Body::Event(_) => {
                "an event reads `public event Name version 2 \"description\"`; its fields go inside `{ }`"
            }
            Body::Policy(_) => "a policy reads `policy Name on Event then Command key field \"description\"`",
            Body::ReadModel(_) => {
                "a read model reads `read model Name from Event key field \"description\"`; its fields go \
                 inside `{ }`"
            }
            Body::Service(_) => "a service reads `service name: kind owns [Aggregate, Policy] \"description\"`",
            Body::Flow(_) => "a flow reads `flow Name \"description\" steps [Command, Event, Policy, …]`",
        }
    }
}

struct Parser<'s> {
    source: &'s str,
    tokens: Vec<Token>,
    /// The current token; never a comment (they are taken as they are met).
    pos: usize,
    /// The end of the last token taken that was not a line break: where an
    /// element ends, and where a missing value should go.
    last_end: usize,
    diagnostics: Vec<Diagnostic>,
    /// Errors past [`MAX_ERRORS`].
    dropped: usize,
    /// Full-line comments waiting for the next entry.
    pending: Vec<String>,
    /// How many of `pending` stood before the last empty line (where the
    /// file's header ends).
    pending_split: usize,
    /// The trailing comment of each entry being read, innermost last.
    slots: Vec<Option<String>>,
    /// The slot of the first entry started on the current line.
    line_owner: Option<usize>,
    /// Set when a block was left unclosed at a keyword of an outer block:
    /// the keyword is no error for the item that held the block.
    closed_early: bool,
}

impl<'s> Parser<'s> {
    // ---- tokens ----------------------------------------------------------

    fn cur(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn kind(&self) -> &TokenKind {
        &self.tokens[self.pos].kind
    }

    /// The kind of the first token after the current one that is not a
    /// comment.
    fn peek_kind(&self) -> &TokenKind {
        let mut i = self.pos + 1;
        while i < self.tokens.len() {
            if !matches!(self.tokens[i].kind, TokenKind::Comment { .. }) {
                return &self.tokens[i].kind;
            }
            i += 1;
        }
        &TokenKind::Eof
    }

    /// The current token's text, if it is a bare word.
    fn word(&self) -> Option<&'s str> {
        let token = self.cur();
        match token.kind {
            TokenKind::Word => Some(&self.source[token.span.offset..token.span.end()]),
            _ => None,
        }
    }

    fn at_word(&self, word: &str) -> bool {
        self.word() == Some(word)
    }

    fn at_value(&self) -> bool {
        matches!(self.kind(), TokenKind::Word | TokenKind::Str(_))
    }

    /// Whether the current token ends an item: a line end, the end of the
    /// file, or in a block a `,` or the closing `}`.
    fn at_item_end(&self) -> bool {
        matches!(self.kind(), TokenKind::Newline { .. } | TokenKind::Comma | TokenKind::RBrace | TokenKind::Eof)
    }

    /// Takes the current token and the comments after it.
    fn bump(&mut self) {
        if self.pos + 1 >= self.tokens.len() {
            return;
        }
        match self.tokens[self.pos].kind {
            TokenKind::Newline { blank } => {
                self.line_owner = None;
                if blank {
                    self.pending_split = self.pending.len();
                }
            }
            _ => self.last_end = self.tokens[self.pos].span.end(),
        }
        self.pos += 1;
        self.skip_comments();
    }

    fn skip_comments(&mut self) {
        while let TokenKind::Comment { text, trailing } = &mut self.tokens[self.pos].kind {
            let text = mem::take(text);
            let slot = self.line_owner.filter(|&slot| *trailing && self.slots[slot].is_none());
            match slot {
                Some(slot) => self.slots[slot] = Some(text),
                None => self.pending.push(text),
            }
            self.pos += 1;
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.kind(), TokenKind::Newline { .. }) {
            self.bump();
        }
    }

    /// Where an error about the current token points: the token itself, or
    /// just after the last token when the line or file ended too early.
    fn here(&self) -> Span {
        match self.kind() {
            TokenKind::Newline { .. } | TokenKind::Eof => Span::new(self.last_end, 0),
            _ => self.cur().span,
        }
    }

    /// The current token as a message shows it.
    fn found(&self) -> String {
        let token = self.cur();
        match &token.kind {
            TokenKind::Word => {
                let text = &self.source[token.span.offset..token.span.end()];
                if text.chars().count() > 40 {
                    let short: String = text.chars().take(40).collect();
                    format!("`{short}…`")
                } else {
                    format!("`{text}`")
                }
            }
            TokenKind::Str(_) => "a string".into(),
            TokenKind::LBrace => "`{`".into(),
            TokenKind::RBrace => "`}`".into(),
            TokenKind::LBracket => "`[`".into(),
            TokenKind::RBracket => "`]`".into(),
            TokenKind::Comma => "`,`".into(),
            TokenKind::Colon => "`:`".into(),
            TokenKind::Arrow => "`->`".into(),
            TokenKind::BiArrow => "`<->`".into(),
            TokenKind::Newline { .. } => "the end of the line".into(),
            TokenKind::Comment { .. } => "a comment".into(),
            TokenKind::Eof => "the end of the file".into(),
        }
    }

    // ---- diagnostics -----------------------------------------------------

    fn report(&mut self, diagnostic: Diagnostic) {
        if self.diagnostics.len() < MAX_ERRORS {
            self.diagnostics.push(diagnostic);
        } else {
            self.dropped += 1;
        }
    }

    fn error(&mut self, message: impl Into<String>, label: Label, help: impl Into<String>) {
        self.report(Diagnostic::new(Code::Syntax, message, label).with_help(help));
    }

    /// An error that involves a second place (where a list was opened, …).
    fn error_related(&mut self, message: impl Into<String>, label: Label, help: impl Into<String>, related: Label) {
        self.report(Diagnostic::new(Code::Syntax, message, label).with_help(help).with_related(related));
    }

    /// Records that `key` was given at `span`; a second time is an error
    /// that points at both.
    fn claim(&mut self, seen: &mut Seen, key: &'static str, span: Span) -> bool {
        if let Some(first) = seen.first(key) {
            self.report(
                Diagnostic::new(Code::Syntax, format!("`{key}` is given twice"), Label::new(span, "given again here"))
                    .with_related(Label::new(first, "first given here"))
                    .with_help(format!("keep one `{key}`")),
            );
            return false;
        }
        seen.0.push((key, span));
        true
    }

    // ---- recovery --------------------------------------------------------

    /// Skips the rest of an item: to the end of its line, or in a block to
    /// the next `,` or the closing `}`, skipping whole nested blocks.
    fn skip_item(&mut self, in_block: bool) {
        let mut braces = 0usize;
        let mut brackets = 0usize;
        loop {
            match self.kind() {
                TokenKind::Eof => return,
                TokenKind::Newline { .. } if braces == 0 => return,
                TokenKind::Comma if in_block && braces == 0 && brackets == 0 => return,
                TokenKind::RBrace if braces == 0 && in_block => return,
                TokenKind::RBrace => braces = braces.saturating_sub(1),
                TokenKind::LBrace => braces += 1,
                TokenKind::LBracket => brackets += 1,
                TokenKind::RBracket => brackets = brackets.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }

    /// Skips the rest of an element's line up to its block, if it has one,
    /// so that the block is still read.
    fn skip_header(&mut self) {
        while !self.at_item_end() && !matches!(self.kind(), TokenKind::LBrace) {
            self.bump();
        }
    }

    /// After an item of a block: a line end, `,` or `}` must follow.
    fn end_block_item(&mut self, after: &str) {
        if mem::take(&mut self.closed_early) {
            return;
        }
        if !self.at_item_end() {
            let found = self.found();
            self.error(
                format!("expected a newline, `,` or `}}` after {after}, found {found}"),
                Label::new(self.here(), "unexpected here"),
                "put each item on its own line or separate items with `,`",
            );
            self.skip_item(true);
        }
    }

    // ---- entries and comments ----------------------------------------------

    fn start_entry(&mut self) -> EntryStart {
        let slot = self.slots.len();
        self.slots.push(None);
        if self.line_owner.is_none() {
            self.line_owner = Some(slot);
        }
        EntryStart { start: self.cur().span.offset, slot, before: mem::take(&mut self.pending) }
    }

    fn finish_comments(&mut self, start: EntryStart) -> (Span, Comments) {
        let trailing = self.slots.get_mut(start.slot).and_then(Option::take);
        self.slots.truncate(start.slot);
        if self.line_owner.is_some_and(|owner| owner >= start.slot) {
            // Another entry on the same line may take a trailing comment.
            self.line_owner = None;
        }
        (Span::from_range(start.start, self.last_end), Comments { before: start.before, trailing })
    }

    fn finish_entry<T>(&mut self, start: EntryStart, name: Text, body: T) -> Entry<T> {
        let (span, comments) = self.finish_comments(start);
        Entry { name, body, span, comments }
    }

    /// An entry that could not be read: its comments go back to wait for the
    /// next one.
    fn abandon(&mut self, start: EntryStart) {
        let (_, comments) = self.finish_comments(start);
        let mut kept = comments.before;
        kept.extend(comments.trailing);
        kept.append(&mut self.pending);
        self.pending = kept;
    }

    // ---- values ------------------------------------------------------------

    /// The current token as a text value (a word or a string), taken.
    fn value(&mut self, expected: &str) -> Option<Text> {
        if !self.at_value() {
            let found = self.found();
            self.error(
                format!("expected {expected}, found {found}"),
                Label::new(self.here(), format!("expected {expected} here")),
                "write a name, or any text in double quotes",
            );
            return None;
        }
        let span = self.cur().span;
        let text = match &mut self.tokens[self.pos].kind {
            TokenKind::Str(s) => mem::take(s),
            _ => self.source[span.offset..span.end()].to_string(),
        };
        self.bump();
        Some(Spanned::new(text, span))
    }

    /// A list: `[A, B]` (any length, over several lines if need be) or a
    /// single value standing for a list of one.
    fn list(&mut self, expected: &str) -> Option<TextList> {
        if matches!(self.kind(), TokenKind::LBracket) {
            return Some(self.bracketed(expected));
        }
        let one = self.value(expected)?;
        let span = one.span;
        Some(Spanned::new(vec![one], span))
    }

    fn bracketed(&mut self, expected: &str) -> TextList {
        let open = self.cur().span;
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            match self.kind() {
                TokenKind::RBracket => {
                    self.bump();
                    break;
                }
                TokenKind::Word | TokenKind::Str(_) => {
                    if let Some(item) = self.value(expected) {
                        items.push(item);
                    }
                    if !self.after_list_item(open) {
                        break;
                    }
                }
                TokenKind::Comma => {
                    self.error(
                        format!("expected {expected} before `,`"),
                        Label::new(self.here(), "nothing before this `,`"),
                        "remove the extra `,`",
                    );
                    self.bump();
                }
                _ => {
                    let found = self.found();
                    self.error_related(
                        format!("expected {expected} or `]`, found {found}"),
                        Label::new(self.here(), "the list should close before this"),
                        "close the list with `]`",
                        Label::new(open, "list opened here"),
                    );
                    break;
                }
            }
        }
        Spanned::new(items, Span::from_range(open.offset, self.last_end))
    }

    /// After an item of a bracketed list: takes a `,`, or sees the `]`.
    /// Returns false when the list is left unclosed (the error is reported;
    /// the parser stays at the end of the line so the element can end).
    fn after_list_item(&mut self, open: Span) -> bool {
        match self.kind() {
            TokenKind::Comma => {
                self.bump();
                true
            }
            TokenKind::RBracket => true,
            TokenKind::Newline { .. } => {
                // `]` or `,` on a following line continues the list; a new
                // line starting with anything else means it was not closed.
                let mut i = self.pos;
                while i < self.tokens.len()
                    && matches!(self.tokens[i].kind, TokenKind::Newline { .. } | TokenKind::Comment { .. })
                {
                    i += 1;
                }
                if matches!(self.tokens.get(i).map(|t| &t.kind), Some(TokenKind::RBracket | TokenKind::Comma)) {
                    self.skip_newlines();
                    if matches!(self.kind(), TokenKind::Comma) {
                        self.bump();
                    }
                    return true;
                }
                self.error_related(
                    "expected `,` or `]` in the list",
                    Label::new(self.here(), "the list is not closed on this line"),
                    "close the list with `]`, or end the line with `,` to go on on the next line",
                    Label::new(open, "list opened here"),
                );
                false
            }
            TokenKind::Word | TokenKind::Str(_) => {
                self.error(
                    "expected `,` between the items of a list",
                    Label::new(Span::new(self.last_end, 0), "missing `,`"),
                    "separate the items with `,`",
                );
                true
            }
            _ => {
                let found = self.found();
                self.error_related(
                    format!("expected `,` or `]`, found {found}"),
                    Label::new(self.here(), "the list should close before this"),
                    "close the list with `]`",
                    Label::new(open, "list opened here"),
                );
                false
            }
        }
    }

    /// `true`/`false` after a flag keyword (`creates`, `public`, `pii`);
    /// the keyword alone means `true`.
    fn flag(&mut self, keyword: Span) -> Spanned<bool> {
        let value = match self.word() {
            Some("true") => true,
            Some("false") => false,
            _ => return Spanned::new(true, keyword),
        };
        self.bump();
        Spanned::new(value, Span::from_range(keyword.offset, self.last_end))
    }

    // ---- the file ------------------------------------------------------------

    fn file(&mut self) -> ast::File {
        let mut file = ast::File::default();
        let mut seen = Seen::default();
        let mut first = true;
        let mut header_slot = None;
        loop {
            self.skip_newlines();
            if matches!(self.kind(), TokenKind::Eof) {
                break;
            }
            if first {
                first = false;
                if self.at_word("system") {
                    file.header = mem::take(&mut self.pending);
                } else {
                    let split = self.pending_split.min(self.pending.len());
                    file.header = self.pending.drain(..split).collect();
                }
            }
            match self.word() {
                Some("system") => {
                    // Comments above the system line, wherever it stands, are
                    // the file's header: it is printed first.
                    file.header.append(&mut self.pending);
                    let slot = self.slots.len();
                    self.slots.push(None);
                    self.line_owner = Some(slot);
                    header_slot = Some(slot);
                    self.system(&mut file, &mut seen);
                }
                Some("description") => {
                    let keyword = self.cur().span;
                    self.bump();
                    let value = self.value("the system's description");
                    if self.claim(&mut seen, "description", keyword) {
                        file.description = value;
                    }
                }
                Some("lints") => self.lints(&mut file, &mut seen),
                Some("actor") => {
                    if let Some(actor) = self.top_element("actor", |e| Body::Actor(e)) {
                        file.actors.push(actor);
                    }
                }
                Some("context") => {
                    if let Some(context) = self.top_element("context", |e| Body::Context(e)) {
                        file.contexts.push(context);
                    }
                }
                Some("flow") => {
                    if let Some(flow) = self.flow() {
                        file.flows.push(flow);
                    }
                }
                Some("hotspot") => {
                    if let Some(hotspot) = self.hotspot() {
                        file.hotspots.push(hotspot);
                    }
                }
                Some(_) => {
                    if let Some(relationship) = self.relationship() {
                        file.relationships.push(relationship);
                    }
                }
                None if matches!(self.kind(), TokenKind::Str(_)) => {
                    if let Some(relationship) = self.relationship() {
                        file.relationships.push(relationship);
                    }
                }
                None => {
                    let found = self.found();
                    let help = if matches!(self.kind(), TokenKind::RBrace) {
                        "remove this `}`: no block is open here"
                    } else {
                        "a line starts with `system`, `actor`, `context`, `flow`, `hotspot`, `lints` or a \
                         relationship kind (`customer-supplier A -> B`)"
                    };
                    self.error(
                        format!("expected a statement, found {found}"),
                        Label::new(self.here(), "unexpected"),
                        help,
                    );
                    if matches!(self.kind(), TokenKind::RBrace) {
                        self.bump();
                    }
                    self.skip_item(false);
                }
            }
            if !mem::take(&mut self.closed_early) && !matches!(self.kind(), TokenKind::Newline { .. } | TokenKind::Eof)
            {
                let found = self.found();
                self.error(
                    format!("expected a newline, found {found}"),
                    Label::new(self.here(), "unexpected here"),
                    "put each statement on its own line",
                );
                self.skip_item(false);
            }
        }
        if let Some(trailing) = header_slot.and_then(|slot| self.slots.get_mut(slot)).and_then(Option::take) {
            file.header.push(trailing);
        }
        if first {
            // No statement at all: comments up to the last empty line are
            // the header, those after it the footer.
            let split = self.pending_split.min(self.pending.len());
            file.header = self.pending.drain(..split).collect();
        }
        file.footer = mem::take(&mut self.pending);
        if file.system.is_none() && !seen.0.iter().any(|(key, _)| *key == "system") {
            self.error(
                "the model has no `system` line",
                Label::new(Span::new(0, 0), "expected `system Name` at the top of the file"),
                "start the file with `system Name \"what the system does\"`",
            );
        }
        file
    }

    fn system(&mut self, file: &mut ast::File, seen: &mut Seen) {
        let keyword = self.cur().span;
        self.bump();
        let name = self.value("the system's name");
        if self.claim(seen, "system", keyword) {
            file.system = name;
        }
        if let TokenKind::Str(_) = self.kind() {
            let span = self.cur().span;
            let description = self.value("a description");
            if self.claim(seen, "description", span) {
                file.description = description;
            }
        }
    }

    fn lints(&mut self, file: &mut ast::File, seen: &mut Seen) {
        let keyword = self.cur().span;
        self.bump();
        self.claim(seen, "lints", keyword);
        if !matches!(self.kind(), TokenKind::LBrace) {
            let found = self.found();
            self.error(
                format!("expected `{{` after `lints`, found {found}"),
                Label::new(self.here(), "expected `{` here"),
                "write lint levels in braces: `lints { event-tense: allow }`",
            );
            return;
        }
        let open = self.cur().span;
        self.bump();
        let mut codes: HashMap<String, Span> = HashMap::new();
        loop {
            while matches!(self.kind(), TokenKind::Newline { .. } | TokenKind::Comma) {
                self.bump();
            }
            match self.kind() {
                TokenKind::RBrace => {
                    self.bump();
                    return;
                }
                TokenKind::Eof => {
                    self.unclosed(open, "lints");
                    return;
                }
                TokenKind::Word
                    if self.word().is_some_and(|w| TOP_ITEMS.contains(&w))
                        && !matches!(self.peek_kind(), TokenKind::Colon) =>
                {
                    self.unclosed(open, "lints");
                    return;
                }
                _ => {}
            }
            let start = self.start_entry();
            let Some(code) = self.value("a lint code") else {
                self.abandon(start);
                self.skip_item(true);
                continue;
            };
            if !matches!(self.kind(), TokenKind::Colon) {
                let found = self.found();
                self.error(
                    format!("expected `:` after the lint code, found {found}"),
                    Label::new(self.here(), "expected `:` here"),
                    format!("write the level after a colon: `{}: allow`", code.value),
                );
                self.abandon(start);
                self.skip_item(true);
                continue;
            }
            self.bump();
            let Some(level) = self.value("a lint level (`allow`, `warn` or `deny`)") else {
                self.abandon(start);
                self.skip_item(true);
                continue;
            };
            let entry = self.finish_entry(start, code, level);
            self.end_block_item("a lint level");
            if let Some(&first) = codes.get(&entry.name.value) {
                self.report(
                    Diagnostic::new(
                        Code::Syntax,
                        format!("the level of `{}` is given twice", entry.name.value),
                        Label::new(entry.name.span, "given again here"),
                    )
                    .with_related(Label::new(first, "first given here"))
                    .with_help("keep one level per lint"),
                );
                continue;
            }
            codes.insert(entry.name.value.clone(), entry.name.span);
            file.lints.push(entry);
        }
    }

    fn unclosed(&mut self, open: Span, what: &str) {
        let span = self.here();
        self.report(
            Diagnostic::new(
                Code::Syntax,
                format!("expected `}}` to close the block of {what}"),
                Label::new(span, "the block should close before this"),
            )
            .with_related(Label::new(open, "block opened here"))
            .with_help("add the missing `}`"),
        );
        self.closed_early = !matches!(self.kind(), TokenKind::Eof);
    }

    // ---- elements ------------------------------------------------------------

    /// The name after an element's keyword.
    fn name(&mut self, what: &str) -> Option<Text> {
        if !self.at_value() {
            let found = self.found();
            let keyword = what.split(' ').next_back().unwrap_or(what);
            self.error(
                format!("expected the name of the {what}, found {found}"),
                Label::new(self.here(), "expected a name here"),
                format!("name the {what}: `{keyword} Name`"),
            );
            return None;
        }
        self.value("a name")
    }

    /// An element whose keyword is the current token: `keyword Name …`.
    fn keyword_element<T: Default>(&mut self, what: &str, body: fn(&mut T) -> Body<'_>) -> Option<Entry<T>> {
        let start = self.start_entry();
        self.bump();
        self.named(start, what, T::default(), Seen::default(), body)
    }

    /// The name of an element whose keywords were read, then the rest of it.
    /// `None` where it has no name: its comments wait for the next entry.
    fn named<T>(
        &mut self,
        start: EntryStart,
        what: &str,
        mut element: T,
        seen: Seen,
        body: fn(&mut T) -> Body<'_>,
    ) -> Option<Entry<T>> {
        let Some(name) = self.name(what) else {
            self.abandon(start);
            return None;
        };
        self.element(&mut body(&mut element), &name, seen);
        Some(self.finish_entry(start, name, element))
    }

    /// A top-level element; one without a name is skipped to the end of its
    /// line, since no block around it would do that.
    fn top_element<T: Default>(&mut self, what: &str, body: fn(&mut T) -> Body<'_>) -> Option<Entry<T>> {
        let entry = self.keyword_element(what, body);
        if entry.is_none() {
            self.skip_item(false);
        }
        entry
    }

    fn flow(&mut self) -> Option<Entry<ast::Flow>> {
        let flow = self.top_element("flow", |e| Body::Flow(e))?;
        self.require(
            &flow,
            "flow",
            &[("steps", flow.body.steps.is_some(), "list its steps: `flow {} steps [Command, Event]`")],
        );
        Some(flow)
    }

    /// `event Name …` or `public event Name …`.
    fn event(&mut self) -> Option<Entry<ast::Event>> {
        let start = self.start_entry();
        let mut event = ast::Event::default();
        let mut seen = Seen::default();
        if self.at_word("public") {
            let keyword = self.cur().span;
            self.bump();
            if !self.at_word("event") {
                let found = self.found();
                self.error(
                    format!("expected `event` after `public`, found {found}"),
                    Label::new(self.here(), "expected `event` here"),
                    "a public event reads `public event Name`",
                );
                self.abandon(start);
                return None;
            }
            seen.0.push(("public", keyword));
            event.public = Some(Spanned::new(true, keyword));
        }
        self.bump();
        self.named(start, "event", event, seen, |e| Body::Event(e))
    }

    fn policy(&mut self) -> Option<Entry<ast::Policy>> {
        let policy = self.keyword_element("policy", |e| Body::Policy(e))?;
        self.require(
            &policy,
            "policy",
            &[
                ("on", policy.body.on.is_some(), "say which event it reacts to: `policy {} on Event`"),
                ("then", policy.body.then.is_some(), "say which command it issues: `policy {} on Event then Command`"),
            ],
        );
        Some(policy)
    }

    /// `read model Name …`.
    fn read_model(&mut self) -> Option<Entry<ast::ReadModel>> {
        let start = self.start_entry();
        self.bump();
        if !self.at_word("model") {
            let found = self.found();
            self.error(
                format!("expected `model` after `read`, found {found}"),
                Label::new(self.here(), "expected `model` here"),
                "a read model starts with `read model Name`",
            );
            self.abandon(start);
            return None;
        }
        self.bump();
        let read_model =
            self.named(start, "read model", ast::ReadModel::default(), Seen::default(), |e| Body::ReadModel(e))?;
        self.require(
            &read_model,
            "read model",
            &[("from", read_model.body.from.is_some(), "say which events build it: `read model {} from Event`")],
        );
        Some(read_model)
    }

    fn service(&mut self) -> Option<Entry<ast::Service>> {
        let service = self.keyword_element("service", |e| Body::Service(e))?;
        self.require(
            &service,
            "service",
            &[
                (
                    "kind",
                    service.body.kind.is_some(),
                    "give its kind after a colon: `service {}: api` (or `worker`, `projector`)",
                ),
                (
                    "owns",
                    service.body.owns.is_some(),
                    "say what it owns: `service {}: api owns [Aggregate, ReadModel]`",
                ),
            ],
        );
        Some(service)
    }

    /// `hotspot "text" on Element`, at the top level or in a context.
    fn hotspot(&mut self) -> Option<ast::Hotspot> {
        let start = self.start_entry();
        self.bump();
        let Some(text) = self.value("the hot spot's text") else {
            self.abandon(start);
            return None;
        };
        let mut on = None;
        let mut seen = Seen::default();
        while !self.at_item_end() {
            if self.at_word("on") {
                let keyword = self.cur().span;
                self.bump();
                let element = self.value("the element the hot spot is about");
                if self.claim(&mut seen, "on", keyword) {
                    on = element;
                }
            } else {
                let found = self.found();
                self.error(
                    format!("expected `on` or a newline after the hot spot's text, found {found}"),
                    Label::new(self.here(), "unexpected here"),
                    "a hot spot reads `hotspot \"question\" on Element`; quote the whole text",
                );
                self.skip_header();
                if matches!(self.kind(), TokenKind::LBrace) {
                    self.skip_item(true);
                }
            }
        }
        let (span, comments) = self.finish_comments(start);
        Some(ast::Hotspot { text, on, span, comments })
    }

    /// Reports each clause an element needs and lacks: `(keyword, present,
    /// help)`, where `{}` in the help stands for the element's name.
    fn require<T>(&mut self, entry: &Entry<T>, what: &str, clauses: &[(&str, bool, &str)]) {
        let name = &entry.name;
        for &(key, present, help) in clauses {
            if !present {
                self.error(
                    format!("the {what} `{}` has no `{key}`", name.value),
                    Label::new(name.span, format!("this {what} needs `{key}`")),
                    help.replace("{}", &name.value),
                );
            }
        }
    }

    /// The rest of an element after its name: `: kind` where it takes one,
    /// clauses on its line, then its block.
    fn element(&mut self, body: &mut Body<'_>, name: &Text, mut seen: Seen) {
        if body.takes_kind() && matches!(self.kind(), TokenKind::Colon) {
            let colon = self.cur().span;
            self.bump();
            let kind = self.value(&format!("the {}'s kind", body.what()));
            if self.claim(&mut seen, "kind", colon)
                && let Some(kind) = kind
            {
                match body {
                    Body::Actor(actor) => actor.kind = Some(kind),
                    Body::Service(service) => service.kind = Some(kind),
                    _ => {}
                }
            }
        }
        let mut after = format!("the {} name", body.what());
        loop {
            match self.kind() {
                TokenKind::Newline { .. } | TokenKind::Comma | TokenKind::RBrace | TokenKind::Eof => return,
                TokenKind::LBrace => {
                    self.block(body, name, &mut seen);
                    return;
                }
                _ => {}
            }
            // `clause` takes nothing when it finds no clause.
            if let Some(done) = self.clause(body, &mut seen) {
                after = done;
                continue;
            }
            let found = self.found();
            let help = self.clause_help(body, true);
            self.error(
                format!("expected `{{` or a newline after {after}, found {found}"),
                Label::new(self.here(), "unexpected here"),
                help,
            );
            self.skip_header();
        }
    }

    /// The help for something that is not a clause of `body`: a did-you-mean
    /// for a misspelt keyword, else how the element is written.
    fn clause_help(&self, body: &Body<'_>, in_header: bool) -> String {
        if let Some(word) = self.word() {
            let mut candidates: Vec<&str> = body.clause_keywords().to_vec();
            if !in_header {
                candidates.extend(body.child_keywords());
            }
            if let Some(help) = suggest::did_you_mean(word, candidates) {
                return help;
            }
            if word == "kind" && body.takes_kind() {
                return format!("write the kind after a colon: `{} Name: kind`", body.what());
            }
        }
        if matches!(self.kind(), TokenKind::Colon) && in_header {
            return if body.takes_kind() {
                format!("the kind comes right after the name: `{} Name: kind`", body.what())
            } else if matches!(body, Body::Aggregate(_) | Body::Command(_) | Body::Event(_) | Body::ReadModel(_)) {
                format!("fields go inside braces: `{} Name {{ field: type }}`", body.what())
            } else {
                format!("only actors and services take `: kind`; {}", body.shape())
            };
        }
        body.shape().to_string()
    }

    /// A `{ … }` block: clauses, fields and nested elements, one per line
    /// or separated by `,`.
    fn block(&mut self, body: &mut Body<'_>, name: &Text, seen: &mut Seen) {
        let open = self.cur().span;
        self.bump();
        // Fields are keyed by name: a duplicate is a syntax error.
        let mut field_names: HashMap<String, Span> = HashMap::new();
        loop {
            while matches!(self.kind(), TokenKind::Newline { .. } | TokenKind::Comma) {
                self.bump();
            }
            match self.kind() {
                TokenKind::RBrace => {
                    self.bump();
                    return;
                }
                TokenKind::Eof => {
                    self.unclosed(open, &format!("{} `{}`", body.what(), name.value));
                    return;
                }
                _ => {}
            }
            if let Some(word) = self.word()
                && body.closes_outer(word)
                && !matches!(self.peek_kind(), TokenKind::Colon)
            {
                self.unclosed(open, &format!("{} `{}`", body.what(), name.value));
                return;
            }
            let start = self.pos;
            let after = self.block_item(body, seen, &mut field_names);
            self.end_block_item(&after);
            if self.pos == start && !matches!(self.kind(), TokenKind::RBrace | TokenKind::Eof) {
                self.bump();
            }
        }
    }

    /// One item of a block; returns what it was, for the next error.
    fn block_item(&mut self, body: &mut Body<'_>, seen: &mut Seen, field_names: &mut HashMap<String, Span>) -> String {
        let is_field = self.at_value() && matches!(self.peek_kind(), TokenKind::Colon);
        if is_field {
            if body.fields().is_none() {
                let what = body.what();
                self.error(
                    format!("{} has no fields", with_article(what)),
                    Label::new(self.cur().span, "a field here"),
                    match body {
                        Body::Context(_) => "fields belong to an aggregate, a command, an event or a read model",
                        _ => body.shape(),
                    },
                );
                self.skip_item(true);
                return "the field".into();
            }
            if let Some(field) = self.field() {
                let after = format!("the field `{}`", field.name.value);
                if let Some(&first) = field_names.get(&field.name.value) {
                    self.report(
                        Diagnostic::new(
                            Code::Syntax,
                            format!("the field `{}` is declared twice", field.name.value),
                            Label::new(field.name.span, "declared again here"),
                        )
                        .with_related(Label::new(first, "first declared here"))
                        .with_help("remove one of them, or rename it"),
                    );
                } else if let Some(fields) = body.fields() {
                    field_names.insert(field.name.value.clone(), field.name.span);
                    fields.push(field);
                }
                return after;
            }
            return "the field".into();
        }
        if let Some(word) = self.word()
            && body.child_keywords().contains(&word)
        {
            return self.child(body, word);
        }
        if let Some(done) = self.clause(body, seen) {
            return done;
        }
        let found = self.found();
        let help = self.clause_help(body, false);
        let what = with_article(body.what());
        let misspelt = help.starts_with("did you mean");
        if !misspelt
            && body.fields().is_some()
            && self.at_value()
            && matches!(self.peek_kind(), TokenKind::Word | TokenKind::Str(_))
        {
            // `amount decimal`: a field without its colon.
            let field = self.cur().span;
            let name = found.clone();
            self.bump();
            let found = self.found();
            self.error_related(
                format!("expected `:` after the field name {name}, found {found}"),
                Label::new(self.here(), "expected `:` before this"),
                format!("a field reads `name: type`; or, if this is no field, {}", body.shape()),
                Label::new(field, "the field name"),
            );
            self.skip_item(true);
            return "the field".into();
        }
        let message = if self.word().is_some() {
            format!("unknown keyword {found} in {what}")
        } else {
            format!("expected a line of {what}, found {found}")
        };
        self.error(message, Label::new(self.here(), "not known here"), help);
        self.skip_item(true);
        "the error".into()
    }

    /// A nested element: aggregate, policy, read model, service or hot spot
    /// in a context; command or event in an aggregate.
    fn child(&mut self, body: &mut Body<'_>, keyword: &str) -> String {
        match (body, keyword) {
            (Body::Context(context), "aggregate") => {
                self.keyword_element("aggregate", |e| Body::Aggregate(e)).map(|e| context.aggregates.push(e))
            }
            (Body::Context(context), "policy") => self.policy().map(|e| context.policies.push(e)),
            (Body::Context(context), "read") => self.read_model().map(|e| context.read_models.push(e)),
            (Body::Context(context), "service") => self.service().map(|e| context.services.push(e)),
            (Body::Context(context), "hotspot") => self.hotspot().map(|e| context.hotspots.push(e)),
            (Body::Aggregate(aggregate), "command") => {
                self.keyword_element("command", |e| Body::Command(e)).map(|e| aggregate.commands.push(e))
            }
            (Body::Aggregate(aggregate), "event" | "public") => self.event().map(|e| aggregate.events.push(e)),
            _ => None,
        };
        if keyword == "read" { "the read model".into() } else { format!("the {keyword}") }
    }

    /// `name: type pii "description"`.
    fn field(&mut self) -> Option<Entry<ast::Field>> {
        let start = self.start_entry();
        let name = self.value("a field name")?;
        // The caller saw the `:`.
        self.bump();
        let Some(ty) = self.value("a type") else {
            self.abandon(start);
            self.skip_item(true);
            return None;
        };
        let mut field = ast::Field { ty, pii: None, description: None };
        let mut seen = Seen::default();
        while !self.at_item_end() {
            if self.at_word("pii") {
                let keyword = self.cur().span;
                self.bump();
                let pii = self.flag(keyword);
                if self.claim(&mut seen, "pii", keyword) {
                    field.pii = Some(pii);
                }
            } else if self.at_word("description") || matches!(self.kind(), TokenKind::Str(_)) {
                let keyword = self.cur().span;
                if self.at_word("description") {
                    self.bump();
                }
                let description = self.value("the field's description");
                if self.claim(&mut seen, "description", keyword) {
                    field.description = description;
                }
            } else {
                let found = self.found();
                let help =
                    self.word().and_then(|w| suggest::did_you_mean(w, ["pii", "description"])).unwrap_or_else(|| {
                        "a field reads `name: type`, optionally followed by `pii` and a description in quotes; \
                         separate fields with `,` or newlines"
                            .into()
                    });
                self.error(
                    format!("expected `,`, a newline or `}}` after the field `{}`, found {found}", name.value),
                    Label::new(self.here(), "unexpected here"),
                    help,
                );
                self.skip_item(true);
            }
        }
        Some(self.finish_entry(start, name, field))
    }

    /// One clause of `body` at the current token, taken; returns what it
    /// was, or `None` (nothing taken) when the token starts no clause.
    fn clause(&mut self, body: &mut Body<'_>, seen: &mut Seen) -> Option<String> {
        let keyword = self.cur().span;
        if let TokenKind::Str(_) = self.kind() {
            let description = self.value("a description");
            if self.claim(seen, "description", keyword) {
                *body.description() = description;
            }
            return Some("the description".into());
        }
        if matches!(self.kind(), TokenKind::Arrow)
            && let Body::Command(command) = body
        {
            self.bump();
            let emits = self.list("an event");
            let done = describe_list("->", &emits);
            if self.claim(seen, "emits", keyword) {
                command.emits = emits;
            }
            return Some(done);
        }
        let word = self.word()?;
        if !body.clause_keywords().contains(&word) {
            return None;
        }
        self.bump();
        let done = format!("`{word}`");
        match (body, word) {
            (body, "description") => {
                let description = self.value("a description");
                if self.claim(seen, "description", keyword) {
                    *body.description() = description;
                }
            }
            (Body::Actor(actor), "role") => {
                let role = self.value("a role");
                if self.claim(seen, "role", keyword) {
                    actor.role = role;
                }
            }
            (Body::Context(context), "team") => {
                let team = self.value("the team's name");
                if self.claim(seen, "team", keyword) {
                    context.team = team;
                }
            }
            (Body::Aggregate(aggregate), "id") => {
                let id = self.value("the type of the aggregate's id");
                if self.claim(seen, "id", keyword) {
                    aggregate.id = id;
                }
            }
            (Body::Command(command), "by" | "actor" | "actors") => {
                let bracketed = matches!(self.kind(), TokenKind::LBracket);
                let actors = self.list("an actor");
                let key = match word {
                    "actors" => ast::ActorsKey::Actors,
                    "by" if bracketed => ast::ActorsKey::Actors,
                    _ => ast::ActorsKey::Actor,
                };
                let (name, other) = match key {
                    ast::ActorsKey::Actor => ("actor", "actors"),
                    ast::ActorsKey::Actors => ("actors", "actor"),
                };
                if let Some(first) = seen.first(other) {
                    self.report(
                        Diagnostic::new(
                            Code::Syntax,
                            "`actor` and `actors` together",
                            Label::new(keyword, format!("`{name}` here")),
                        )
                        .with_related(Label::new(first, format!("`{other}` here")))
                        .with_help("give every actor in one list: `by [A, B]`"),
                    );
                } else if self.claim(seen, name, keyword) {
                    command.actors = actors;
                    command.actors_key = key;
                }
            }
            (Body::Command(command), "emits") => {
                let emits = self.list("an event");
                if self.claim(seen, "emits", keyword) {
                    command.emits = emits;
                }
            }
            (Body::Command(command), "creates") => {
                let creates = self.flag(keyword);
                if self.claim(seen, "creates", keyword) {
                    command.creates = Some(creates);
                }
            }
            (Body::Command(command), "errors") => {
                let errors = self.list("a domain error");
                if self.claim(seen, "errors", keyword) {
                    command.errors = errors;
                }
            }
            (Body::Command(command), "schedule") => {
                let schedule = self.value("a cron schedule in quotes (\"0 0 1 * *\")");
                if self.claim(seen, "schedule", keyword) {
                    command.schedule = schedule;
                }
            }
            (Body::Event(event), "public") => {
                let public = self.flag(keyword);
                if self.claim(seen, "public", keyword) {
                    event.public = Some(public);
                }
            }
            (Body::Event(event), "version") => {
                let version = self.version();
                if self.claim(seen, "version", keyword) {
                    event.version = version;
                }
            }
            (Body::Policy(policy), "on") => {
                let on = self.list("an event");
                if self.claim(seen, "on", keyword) {
                    policy.on = on;
                }
            }
            (Body::Policy(policy), "then") => {
                let then = self.value("a command");
                if self.claim(seen, "then", keyword) {
                    policy.then = then;
                }
            }
            (Body::Policy(policy), "key") => {
                let key = self.value("a field name");
                if self.claim(seen, "key", keyword) {
                    policy.key = key;
                }
            }
            (Body::ReadModel(read_model), "from") => {
                let from = self.list("an event");
                if self.claim(seen, "from", keyword) {
                    read_model.from = from;
                }
            }
            (Body::ReadModel(read_model), "key") => {
                let key = self.value("a field name");
                if self.claim(seen, "key", keyword) {
                    read_model.key = key;
                }
            }
            (Body::Service(service), "owns") => {
                let owns = self.list("an aggregate, policy or read model");
                if self.claim(seen, "owns", keyword) {
                    service.owns = owns;
                }
            }
            (Body::Flow(flow), "steps") => {
                let steps = self.list("a step (a command, event or policy)");
                if self.claim(seen, "steps", keyword) {
                    flow.steps = steps;
                }
            }
            _ => {}
        }
        Some(done)
    }

    /// An event's schema version: a whole number.
    fn version(&mut self) -> Option<Spanned<u32>> {
        let span = self.cur().span;
        let number = self.word().and_then(|w| w.parse::<u32>().ok());
        match number {
            Some(number) => {
                self.bump();
                Some(Spanned::new(number, span))
            }
            None => {
                let found = self.found();
                self.error(
                    format!("expected a version number, found {found}"),
                    Label::new(self.here(), "expected a whole number here"),
                    "an event's schema version is a whole number: `version 2`",
                );
                if self.at_value() {
                    self.bump();
                }
                None
            }
        }
    }

    // ---- relationships ---------------------------------------------------------

    /// `kind Upstream [roles] -> [roles] Downstream "description"`,
    /// `kind A <-> B`, or the same keys as clauses (`upstream X`, `between
    /// [A, B]`, …).
    fn relationship(&mut self) -> Option<ast::Relationship> {
        let start = self.start_entry();
        let first_word = self.word();
        let kind = self.value("a relationship kind")?;
        let known = RELATIONSHIP_KINDS.contains(&kind.value.as_str());
        let mut relationship = ast::Relationship { kind: Some(kind), ..Default::default() };
        let mut seen = Seen::default();
        let mut anything = false;
        if self.head_starts() {
            anything = true;
            self.relationship_head(&mut relationship, &mut seen);
        }
        while !self.at_item_end() {
            let keyword = self.cur().span;
            let clause = self.word().and_then(|w| RELATIONSHIP_CLAUSES.iter().find(|k| **k == w).copied());
            match clause {
                Some(word) => {
                    anything = true;
                    self.bump();
                    self.relationship_clause(&mut relationship, &mut seen, word, keyword);
                }
                None if matches!(self.kind(), TokenKind::Str(_)) && anything => {
                    let description = self.value("a description");
                    if self.claim(&mut seen, "description", keyword) {
                        relationship.description = description;
                    }
                }
                None => {
                    if !known && !anything && first_word.is_some() {
                        self.unknown_statement(relationship.kind.as_ref());
                        self.abandon(start);
                        self.skip_item(false);
                        return None;
                    }
                    let found = self.found();
                    self.error(
                        format!("expected `Upstream -> Downstream`, `A <-> B` or a newline, found {found}"),
                        Label::new(self.here(), "unexpected here"),
                        "a relationship reads `customer-supplier Upstream [PL] -> [ACL] Downstream` or \
                         `partnership A <-> B`",
                    );
                    self.skip_item(false);
                }
            }
        }
        if !known && !anything && first_word.is_some() {
            self.unknown_statement(relationship.kind.as_ref());
            self.abandon(start);
            return None;
        }
        let (span, comments) = self.finish_comments(start);
        relationship.span = span;
        relationship.comments = comments;
        self.check_parties(&relationship);
        Some(relationship)
    }

    /// A line that starts with a word that is neither a keyword nor reads as
    /// a relationship.
    fn unknown_statement(&mut self, word: Option<&Text>) {
        let Some(word) = word else { return };
        if [CONTEXT_ITEMS, AGGREGATE_ITEMS].iter().any(|set| set.contains(&word.value.as_str())) {
            let inside = if CONTEXT_ITEMS.contains(&word.value.as_str()) { "a `context`" } else { "an `aggregate`" };
            self.error(
                format!("`{}` cannot stand at the top level", word.value),
                Label::new(word.span, "outside any block"),
                format!("put it inside {inside} block, or close fewer blocks before it"),
            );
            return;
        }
        let candidates = TOP_KEYWORDS.iter().chain(RELATIONSHIP_KINDS).copied();
        let help = suggest::did_you_mean(&word.value, candidates).unwrap_or_else(|| {
            "a line starts with `system`, `actor`, `context`, `flow`, `hotspot`, `lints` or a relationship \
             kind (`customer-supplier A -> B`)"
                .into()
        });
        self.error(format!("unknown keyword `{}`", word.value), Label::new(word.span, "not a keyword"), help);
    }

    /// Whether the tokens after a relationship's kind are `A -> B`,
    /// `A [PL] -> B`, `-> B`, `A <-> B` (and not a clause).
    fn head_starts(&self) -> bool {
        match self.kind() {
            TokenKind::LBracket | TokenKind::Arrow => true,
            TokenKind::Word if self.word().is_some_and(|w| RELATIONSHIP_CLAUSES.contains(&w)) => false,
            TokenKind::Word | TokenKind::Str(_) => {
                matches!(self.peek_kind(), TokenKind::LBracket | TokenKind::Arrow | TokenKind::BiArrow)
            }
            _ => false,
        }
    }

    /// A context name in a relationship's head (a clause keyword is not one).
    fn at_party(&self) -> bool {
        match self.kind() {
            TokenKind::Str(_) => true,
            TokenKind::Word => !self.word().is_some_and(|w| RELATIONSHIP_CLAUSES.contains(&w)),
            _ => false,
        }
    }

    fn relationship_head(&mut self, relationship: &mut ast::Relationship, seen: &mut Seen) {
        let upstream = if self.at_party() { self.value("a context") } else { None };
        let upstream_roles =
            if matches!(self.kind(), TokenKind::LBracket) { Some(self.bracketed("a role (OHS, PL)")) } else { None };
        match self.kind() {
            TokenKind::BiArrow if upstream.is_some() && upstream_roles.is_none() => {
                let mut partners: Vec<Text> = upstream.into_iter().collect();
                let start = partners.first().map_or(self.cur().span.offset, |p| p.span.offset);
                let keyword = self.cur().span;
                while matches!(self.kind(), TokenKind::BiArrow) {
                    self.bump();
                    match self.value("a context") {
                        Some(partner) => partners.push(partner),
                        None => break,
                    }
                }
                seen.0.push(("between", keyword));
                relationship.between = Some(Spanned::new(partners, Span::from_range(start, self.last_end)));
            }
            TokenKind::Arrow => {
                let arrow = self.cur().span;
                self.bump();
                let downstream_roles = if matches!(self.kind(), TokenKind::LBracket) {
                    Some(self.bracketed("a role (ACL, CF)"))
                } else {
                    None
                };
                let downstream = if self.at_party() { self.value("a context") } else { None };
                for (key, present) in [
                    ("upstream", upstream.is_some()),
                    ("upstream_roles", upstream_roles.is_some()),
                    ("downstream_roles", downstream_roles.is_some()),
                    ("downstream", downstream.is_some()),
                ] {
                    if present {
                        seen.0.push((key, arrow));
                    }
                }
                relationship.upstream = upstream;
                relationship.upstream_roles = upstream_roles;
                relationship.downstream_roles = downstream_roles;
                relationship.downstream = downstream;
            }
            _ => {
                let found = self.found();
                let help = if matches!(self.kind(), TokenKind::BiArrow) {
                    "roles belong to upstream-downstream relationships: `A [OHS] -> [ACL] B`"
                } else {
                    "write `Upstream -> Downstream`, or `A <-> B` for a partnership or shared kernel"
                };
                self.error(
                    format!("expected `->` or `<->` between the contexts, found {found}"),
                    Label::new(self.here(), "expected an arrow here"),
                    help,
                );
                self.skip_item(false);
            }
        }
    }

    fn relationship_clause(
        &mut self,
        relationship: &mut ast::Relationship,
        seen: &mut Seen,
        word: &'static str,
        keyword: Span,
    ) {
        match word {
            "upstream" | "downstream" | "description" => {
                let value = self.value(if word == "description" { "a description" } else { "a context" });
                if self.claim(seen, word, keyword) {
                    match word {
                        "upstream" => relationship.upstream = value,
                        "downstream" => relationship.downstream = value,
                        _ => relationship.description = value,
                    }
                }
            }
            _ => {
                let list = self.list(if word == "between" { "a context" } else { "a role" });
                if self.claim(seen, word, keyword) {
                    match word {
                        "upstream_roles" => relationship.upstream_roles = list,
                        "downstream_roles" => relationship.downstream_roles = list,
                        _ => relationship.between = list,
                    }
                }
            }
        }
    }

    /// Either `upstream` and `downstream`, or `between` with two contexts.
    fn check_parties(&mut self, relationship: &ast::Relationship) {
        let at = relationship.kind.as_ref().map_or(relationship.span, |k| k.span);
        if let Some(between) = &relationship.between {
            if let Some(side) = relationship.upstream.as_ref().or(relationship.downstream.as_ref()) {
                self.both_forms(relationship.kind.as_ref(), between, side);
            } else if between.value.len() != 2 {
                self.error(
                    format!("`between` names {} contexts; it takes exactly two", between.value.len()),
                    Label::new(between.span, "expected two contexts"),
                    "write `partnership A <-> B` for one pair; one line per pair",
                );
            }
        } else if relationship.upstream.is_none() || relationship.downstream.is_none() {
            let (key, missing) = if relationship.upstream.is_none() {
                ("upstream", "an upstream")
            } else {
                ("downstream", "a downstream")
            };
            self.error(
                format!("the relationship has no {key}"),
                Label::new(at, format!("this relationship needs {missing} context")),
                "write `customer-supplier Upstream -> Downstream`, or `partnership A <-> B`",
            );
        }
    }

    /// A relationship written both ways, as `A <-> B` (`between`) and with an
    /// `upstream` or `downstream`: as in YAML, that is an error. The label
    /// goes on the form its kind has no use for.
    fn both_forms(&mut self, kind: Option<&Text>, between: &TextList, side: &Text) {
        let kind = kind.map_or("", |k| k.value.as_str());
        let (wrong, right, label, help) = match kind {
            "partnership" | "shared-kernel" => (
                side.span,
                between.span,
                format!("a `{kind}` has no upstream or downstream"),
                format!(
                    "a `{kind}` relates two contexts as equals: keep `A <-> B` and remove the `upstream` or \
                     `downstream`"
                ),
            ),
            "upstream-downstream" | "customer-supplier" => (
                between.span,
                side.span,
                format!("a `{kind}` has no `between`"),
                format!(
                    "a `{kind}` has an upstream and a downstream: keep `Upstream -> Downstream` and remove `between`"
                ),
            ),
            _ => (
                side.span,
                between.span,
                "`upstream`/`downstream` beside `between`".to_string(),
                "write `Upstream -> Downstream` for `upstream-downstream` and `customer-supplier`, `A <-> B` for \
                 `partnership` and `shared-kernel`"
                    .to_string(),
            ),
        };
        self.error_related(
            "a relationship has `upstream` and `downstream`, or `between`, not both",
            Label::new(wrong, label),
            help,
            Label::new(right, "the contexts are given here"),
        );
    }
}

/// `-> E` or `-> [A, B]`, for messages.
fn describe_list(keyword: &str, list: &Option<TextList>) -> String {
    match list {
        Some(list) if list.value.len() == 1 => format!("`{keyword} {}`", list.value[0].value),
        Some(_) => format!("`{keyword} […]`"),
        None => format!("`{keyword}`"),
    }
}

/// `a command`, `an event`.
fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {noun}")
}
