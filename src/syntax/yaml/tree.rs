//! A generic YAML node tree with byte spans, built from the parser's events.
//!
//! `saphyr-parser` gives a stream of events, each with a span. Building our
//! own small tree from them (rather than a library's value type) keeps what
//! the reader needs and a generic value loses: duplicate keys in order, the
//! exact span of every key and value, and the style of each scalar (a quoted
//! `"true"` is text, a plain `true` a boolean).
//!
//! This is also where hostile input is stopped: nesting deeper than
//! [`MAX_DEPTH`], anchors, aliases, tags and a second document are rejected
//! here, before anything is read into the model. The tree is built with an
//! explicit stack, never by recursion, so no input can overflow the call
//! stack.

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::syntax::span::Span;

/// How deeply collections may nest. A model needs about ten levels
/// (contexts → aggregates → commands → fields → a field's keys); anything
/// far deeper is a mistake or an attack.
pub const MAX_DEPTH: usize = 64;

/// One YAML node and the bytes it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node<'a> {
    pub span: Span,
    pub value: Value<'a>,
}

/// What a node holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Scalar(Cow<'a, str>, ScalarStyle),
    /// The items, in the document's [`Document::items`].
    Seq(Children),
    /// Key-value pairs in the order written, duplicates included, in the
    /// document's [`Document::entries`].
    Map(Children),
}

/// Where the children of a list or mapping lie in their document: the
/// children of every collection side by side in one of two arrays, rather
/// than a `Vec` each. Building and freeing a large tree then takes a few
/// allocations instead of one per collection, and a collection's children
/// are next to each other in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Children {
    first: usize,
    len: usize,
}

impl Children {
    pub fn len(self) -> usize {
        self.len
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    fn range(self) -> std::ops::Range<usize> {
        self.first..self.first + self.len
    }
}

impl<'a> Node<'a> {
    /// The text of a scalar node.
    pub fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(text, _) => Some(text),
            _ => None,
        }
    }

    /// Whether the node is YAML's null: nothing at all, `~` or `null`
    /// written plain (YAML 1.2 core schema).
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(text, ScalarStyle::Plain)
            if matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// How the node reads in a message: "a list", "a mapping", "`yes`".
    pub fn describe(&self) -> String {
        match &self.value {
            _ if self.is_null() => "nothing".to_string(),
            Value::Scalar(text, style) => {
                let shown: String = text.chars().take(40).collect();
                let cut = if shown.len() < text.len() { "…" } else { "" };
                match style {
                    ScalarStyle::Plain => format!("`{shown}{cut}`"),
                    _ => format!("the text \"{shown}{cut}\""),
                }
            }
            Value::Seq(_) => "a list".to_string(),
            Value::Map(_) => "a mapping".to_string(),
        }
    }
}

/// A whole document: its root node, the children of its collections, and
/// where its quoted and block scalars lie (inside those, `#` is text, not a
/// comment).
#[derive(Debug)]
pub struct Document<'a> {
    /// `None` for a file with no content at all (empty, or only comments).
    pub root: Option<Node<'a>>,
    /// Spans of quoted and block scalars, in source order.
    pub opaque: Vec<Span>,
    /// The items of every list (see [`Children`]).
    items: Vec<Node<'a>>,
    /// The pairs of every mapping.
    entries: Vec<(Node<'a>, Node<'a>)>,
}

impl<'a> Document<'a> {
    /// The items of a list.
    pub fn items(&self, children: Children) -> &[Node<'a>] {
        self.items.get(children.range()).unwrap_or_default()
    }

    /// The key-value pairs of a mapping.
    pub fn entries(&self, children: Children) -> &[(Node<'a>, Node<'a>)] {
        self.entries.get(children.range()).unwrap_or_default()
    }

    /// The items of a node that is a list.
    pub fn seq(&self, node: &Node<'a>) -> Option<&[Node<'a>]> {
        match node.value {
            Value::Seq(children) => Some(self.items(children)),
            _ => None,
        }
    }

    /// The pairs of a node that is a mapping.
    pub fn map(&self, node: &Node<'a>) -> Option<&[(Node<'a>, Node<'a>)]> {
        match node.value {
            Value::Map(children) => Some(self.entries(children)),
            _ => None,
        }
    }
}

/// Converts the parser's positions, counted in characters, into the byte
/// offsets that spans use.
///
/// For ASCII sources the two are equal. Otherwise a checkpoint every
/// [`Self::STRIDE`] characters bounds each conversion to a short walk, in
/// memory proportional to a small fraction of the file.
struct CharOffsets<'a> {
    source: &'a str,
    /// Byte offset of every `STRIDE`th character; empty for ASCII sources.
    checkpoints: Vec<usize>,
}

impl<'a> CharOffsets<'a> {
    const STRIDE: usize = 64;

    fn new(source: &'a str) -> Self {
        let checkpoints = if source.is_ascii() {
            Vec::new()
        } else {
            source.char_indices().step_by(Self::STRIDE).map(|(byte, _)| byte).collect()
        };
        CharOffsets { source, checkpoints }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.checkpoints.is_empty() {
            return char_index.min(self.source.len());
        }
        let Some(&start) = self.checkpoints.get(char_index / Self::STRIDE) else {
            return self.source.len();
        };
        let rest = char_index % Self::STRIDE;
        self.source[start..].char_indices().nth(rest).map_or(self.source.len(), |(byte, _)| start + byte)
    }

    fn span(&self, span: saphyr_parser::Span) -> Span {
        Span::from_range(self.byte(span.start.index()), self.byte(span.end.index()))
    }
}

const DEPTH_HELP: &str = "a model needs about ten levels of nesting; flatten this part of the file";

/// A collection being built. Its items wait at the end of the builder's
/// shared `items` or `entries`, from `first` on, and move side by side into
/// the document's when it ends (see [`Children`]).
enum Frame<'a> {
    Seq { start: Span, flow: bool, first: usize },
    Map { start: Span, flow: bool, first: usize, key: Option<Node<'a>> },
}

fn syntax(span: Span, message: impl Into<String>, label: &str, help: &str) -> Box<Diagnostic> {
    Box::new(Diagnostic::new(Code::Syntax, message, Label::new(span, label)).with_help(help))
}

/// Builds the tree of a YAML source, or the one `syntax` diagnostic that
/// stops it (the parser cannot resume after a scan error).
pub fn build(source: &str) -> Result<Document<'_>, Box<Diagnostic>> {
    let offsets = CharOffsets::new(source);
    let mut parser = Parser::new_from_str(source);
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut items: Vec<Node<'_>> = Vec::new();
    let mut entries: Vec<(Node<'_>, Node<'_>)> = Vec::new();
    let mut root = None;
    let mut opaque = Vec::new();
    let mut documents = 0usize;
    // The children of the collections ended so far.
    let mut all_items: Vec<Node<'_>> = Vec::new();
    let mut all_entries: Vec<(Node<'_>, Node<'_>)> = Vec::new();

    while let Some(event) = parser.next_event() {
        let (event, raw_span) = event.map_err(|error| scan_error(&offsets, &error))?;
        let span = offsets.span(raw_span);
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => continue,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(syntax(
                        span,
                        "a model file holds one YAML document",
                        "a second document starts here",
                        "put each model in its own file, or remove this `---` line",
                    ));
                }
                continue;
            }
            Event::Alias(_) => return Err(anchor_error(span)),
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 {
                    return Err(anchor_error(span));
                }
                if tag.is_some() {
                    return Err(tag_error(span));
                }
                let span = scalar_span(source, span, style);
                if style != ScalarStyle::Plain {
                    opaque.push(span);
                }
                Node { span, value: Value::Scalar(borrow_scalar(source, span, style, text), style) }
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                if anchor != 0 {
                    return Err(anchor_error(span));
                }
                if tag.is_some() {
                    return Err(tag_error(span));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(syntax(
                        Span::new(span.offset, span.len.min(1)),
                        format!("the YAML nests deeper than {MAX_DEPTH} levels"),
                        "too deep",
                        DEPTH_HELP,
                    ));
                }
                let flow = matches!(source.as_bytes().get(span.offset), Some(b'[' | b'{'));
                let start = Span::new(span.offset, 0);
                stack.push(match event {
                    Event::SequenceStart(..) => Frame::Seq { start, flow, first: items.len() },
                    _ => Frame::Map { start, flow, first: entries.len(), key: None },
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq { start, flow, first }) => {
                    let end = collection_end(
                        source,
                        flow,
                        span,
                        items.last().filter(|_| items.len() > first).map(|n| n.span),
                    );
                    let children = settle(&mut all_items, items.drain(first..));
                    Node { span: start.join(Span::new(end, 0)), value: Value::Seq(children) }
                }
                // The parser always pairs keys with values; a dangling key
                // would be its bug, and is dropped rather than trusted.
                Some(Frame::Map { start, flow, first, .. }) => {
                    let last = entries.last().filter(|_| entries.len() > first).map(|(_, v)| v.span);
                    let end = collection_end(source, flow, span, last);
                    let children = settle(&mut all_entries, entries.drain(first..));
                    Node { span: start.join(Span::new(end, 0)), value: Value::Map(children) }
                }
                None => continue,
            },
        };
        match stack.last_mut() {
            Some(Frame::Seq { .. }) => items.push(node),
            Some(Frame::Map { key, .. }) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => *key = Some(node),
            },
            None => root = Some(node),
        }
    }
    all_items.shrink_to_fit();
    all_entries.shrink_to_fit();
    Ok(Document { root, opaque, items: all_items, entries: all_entries })
}

/// Moves the children of a collection that ended to the end of the
/// document's array. The array grows by half its size when full, not
/// double: it is the bulk of the tree, and doubling could leave nearly as
/// much again unused.
fn settle<T>(all: &mut Vec<T>, children: impl ExactSizeIterator<Item = T>) -> Children {
    let first = all.len();
    let len = children.len();
    if all.capacity() - first < len {
        all.reserve_exact((first / 2).max(len).max(64));
    }
    all.extend(children);
    Children { first, len }
}

/// Where a collection ends: just after its closing bracket when written in
/// flow style, else at the end of its last item. (The parser's end event
/// runs on over the blanks and comment after a bracket, and for a block
/// collection sits at the next token, past blank lines and comments.)
fn collection_end(source: &str, flow: bool, end_event: Span, last: Option<Span>) -> usize {
    let closes = matches!(source.as_bytes().get(end_event.offset), Some(b']' | b'}'));
    match (flow, last) {
        (true, _) if closes => end_event.offset + 1,
        (_, Some(last)) => last.end(),
        (_, None) => end_event.offset,
    }
}

/// The exact bytes of a scalar. The parser's span of a quoted scalar runs
/// on over the blanks and comment that follow it, so the closing quote is
/// found here; a block scalar's span loses its trailing line breaks.
fn scalar_span(source: &str, span: Span, style: ScalarStyle) -> Span {
    let bytes = source.as_bytes();
    match style {
        ScalarStyle::Plain => span,
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            let quote = if style == ScalarStyle::SingleQuoted { b'\'' } else { b'"' };
            let mut i = span.offset + 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' if quote == b'"' => i += 2,
                    b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
                    b if b == quote => return Span::from_range(span.offset, i + 1),
                    _ => i += 1,
                }
            }
            span
        }
        ScalarStyle::Literal | ScalarStyle::Folded => {
            let text = source.get(span.offset..span.end()).unwrap_or("");
            Span::new(span.offset, text.trim_end().len())
        }
    }
}

/// The text of a scalar, borrowed from the source where the source holds it
/// as is (a plain scalar on one line, a quoted one without escapes), else
/// owned with no spare capacity.
///
/// The parser gives every scalar as a `String` with room for far more than
/// it holds (about 130 bytes each, on average, for the names and types of a
/// model): kept, those strings would be more than half the tree's memory.
fn borrow_scalar<'a>(source: &'a str, span: Span, style: ScalarStyle, text: Cow<'a, str>) -> Cow<'a, str> {
    let Cow::Owned(mut owned) = text else { return text };
    let written = match style {
        ScalarStyle::Plain => source.get(span.offset..span.end()),
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted if span.len >= 2 => {
            source.get(span.offset + 1..span.end() - 1)
        }
        _ => None,
    };
    match written {
        Some(written) if written == owned => Cow::Borrowed(written),
        _ => {
            owned.shrink_to_fit();
            Cow::Owned(owned)
        }
    }
}

fn anchor_error(span: Span) -> Box<Diagnostic> {
    syntax(
        span,
        "anchors and aliases (`&name`, `*name`) are not used in a model",
        "anchor or alias",
        "write the value out in full where it is needed",
    )
}

fn tag_error(span: Span) -> Box<Diagnostic> {
    syntax(
        span,
        "YAML tags (`!!str`, `!thing`) are not used in a model",
        "tag",
        "remove the tag; put the value in quotes if it must be read as text",
    )
}

fn scan_error(offsets: &CharOffsets<'_>, error: &ScanError) -> Box<Diagnostic> {
    let mut offset = offsets.byte(error.marker().index());
    let info = error.info();
    if info.contains("tab") {
        offset = tab_near(offsets.source, offset).unwrap_or(offset);
    }
    let len = offsets.source[offset..].chars().next().map_or(0, char::len_utf8);
    let span = Span::new(offset, len);
    if info.contains("recursion limit") {
        // The scanner's own bound on nested brackets, met before ours.
        return syntax(span, format!("the YAML nests deeper than {MAX_DEPTH} levels"), "too deep", DEPTH_HELP);
    }
    let help = if info.contains("tab") {
        "indent with spaces: YAML does not allow tabs in indentation"
    } else if info.contains("anchor") {
        "anchors and aliases (`&name`, `*name`) are not used in a model: write the value out in full"
    } else {
        "check the YAML near here: indentation, a `:` after each key, matching brackets and quotes"
    };
    syntax(span, format!("invalid YAML: {info}"), info, help)
}

/// The tab a scanner error about tabs is about. The scanner marks the
/// place it noticed the tab: just after it (in indentation), or at the start
/// of the plain scalar that ran into it on a later line.
fn tab_near(source: &str, offset: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let before = bytes[..offset.min(bytes.len())].iter().rev().take_while(|&&b| b == b' ' || b == b'\t');
    if let Some(back) = before.clone().position(|&b| b == b'\t') {
        return Some(offset - back - 1);
    }
    // Forward, but no further than the end of the next line.
    let rest = &bytes[offset.min(bytes.len())..];
    let next_line_end = rest.iter().enumerate().filter(|&(_, &b)| b == b'\n').nth(1).map_or(rest.len(), |(i, _)| i);
    rest[..next_line_end].iter().position(|&b| b == b'\t').map(|i| offset + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(source: &str) -> Document<'_> {
        build(source).expect("valid YAML")
    }

    /// The pairs of the root mapping.
    fn entries<'d, 'a>(document: &'d Document<'a>) -> &'d [(Node<'a>, Node<'a>)] {
        document.root.as_ref().and_then(|root| document.map(root)).expect("a root mapping")
    }

    fn text_at(source: &str, span: Span) -> &str {
        &source[span.offset..span.end()]
    }

    #[test]
    fn spans_cover_exactly_the_key_and_the_value() {
        let source = "a: \"quo#ted\"   # c\nb: 'it''s'  \nc: |\n  lit # not\n\nd: plain text\n";
        let tree = root(source);
        let spans: Vec<_> =
            entries(&tree).iter().map(|(k, v)| (text_at(source, k.span), text_at(source, v.span))).collect();
        assert_eq!(spans, [("a", "\"quo#ted\""), ("b", "'it''s'"), ("c", "lit # not"), ("d", "plain text")]);
    }

    #[test]
    fn collections_span_from_their_start_to_their_last_item() {
        let source = "e: { k: v, r: string? }  # c\nf:\n  - h\n  - i: j\n\n# trailing\ng: 1\n";
        let tree = root(source);
        let e = &entries(&tree)[0].1;
        assert_eq!(text_at(source, e.span), "{ k: v, r: string? }");
        let f = &entries(&tree)[1].1;
        assert_eq!(text_at(source, f.span), "- h\n  - i: j");
        assert_eq!(tree.root.as_ref().map(|root| root.span), Some(Span::from_range(0, source.len() - 1)));
    }

    #[test]
    fn positions_are_bytes_even_after_multibyte_characters() {
        let source = "\u{feff}é: \"ünïcödé\"\nnext: x\n";
        let tree = root(source);
        let (k, v) = &entries(&tree)[0];
        assert_eq!(text_at(source, k.span), "é");
        assert_eq!(text_at(source, v.span), "\"ünïcödé\"");
        let (k, _) = &entries(&tree)[1];
        assert_eq!(text_at(source, k.span), "next");
    }

    #[test]
    fn crlf_line_ends_read_like_lf() {
        let source = "a: b\r\nc:\r\n  - d\r\n";
        let tree = root(source);
        let (k, v) = &entries(&tree)[1];
        assert_eq!(text_at(source, k.span), "c");
        assert_eq!(text_at(source, v.span), "- d");
    }

    #[test]
    fn scalars_written_as_is_are_borrowed_from_the_source() {
        let source = "a: plain\nb: \"quoted\"\nc: 'single'\nd: \"esc\\taped\"\ne: 'it''s'\nf: two\n  lines\n";
        let tree = root(source);
        let texts: Vec<_> = entries(&tree)
            .iter()
            .map(|(_, v)| match &v.value {
                Value::Scalar(text, _) => (text.as_ref(), matches!(text, Cow::Borrowed(_))),
                other => panic!("not a scalar: {other:?}"),
            })
            .collect();
        assert_eq!(
            texts,
            [
                ("plain", true),
                ("quoted", true),
                ("single", true),
                ("esc\taped", false),
                ("it's", false),
                ("two lines", false),
            ]
        );
        // Keys too.
        assert!(entries(&tree).iter().all(|(k, _)| matches!(&k.value, Value::Scalar(Cow::Borrowed(_), _))));
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let tree = root("a: 1\na: 2\n");
        let values: Vec<_> = entries(&tree).iter().map(|(_, v)| v.scalar()).collect();
        assert_eq!(values, [Some("1"), Some("2")]);
    }

    #[test]
    fn deep_nesting_is_one_diagnostic_not_a_stack_overflow() {
        let source = "[".repeat(10_000);
        let error = build(&source).expect_err("too deep");
        assert_eq!(error.code, Code::Syntax);
        assert!(error.message.contains("nests"), "{}", error.message);
        let shallower = format!("a: {}", "[".repeat(100));
        let error = build(&shallower).expect_err("too deep");
        // The root mapping is the first level.
        assert_eq!(error.label.span, Span::new(3 + MAX_DEPTH - 1, 1));
        let block: String = (0..200).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
        let error = build(&block).expect_err("too deep");
        assert!(error.message.contains("deeper than 64"), "{}", error.message);
    }

    #[test]
    fn a_tab_in_indentation_is_labelled_itself() {
        // In indentation, and after a plain scalar the scanner was reading.
        for source in ["a:\n\tb: c\n", "a:\n  d: Grüße\n\tb: c\n"] {
            let error = build(source).expect_err("a tab");
            assert!(error.help.as_deref().is_some_and(|h| h.contains("tabs")), "{source:?}: {error:?}");
            assert_eq!(&source[error.label.span.offset..error.label.span.end()], "\t", "{source:?}");
        }
        assert_eq!(tab_near("a:\n\tb", 4), Some(3));
        assert_eq!(tab_near("a: x\n\tb", 3), Some(5));
        assert_eq!(tab_near("a: x\nb\nc\td", 3), None);
    }

    #[test]
    fn anchors_aliases_and_tags_are_rejected_at_their_place() {
        let source = "a: &x [1]\nb: *x\n";
        let error = build(source).expect_err("anchor");
        assert_eq!(error.label.span.offset, 3);
        let error = build("a: *x\n").expect_err("alias");
        assert_eq!(error.label.span.offset, 3);
        assert!(error.help.as_deref().is_some_and(|h| h.contains("anchors")));
        let error = build("a: !!str 1\n").expect_err("tag");
        assert_eq!(error.label.span.offset, 3);
    }

    #[test]
    fn billion_laughs_is_rejected_at_the_first_anchor() {
        let mut source =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (i, name) in ('b'..='i').enumerate() {
            let prev = (b'a' + i as u8) as char;
            source.push_str(&format!(
                "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        let error = build(&source).expect_err("anchors");
        assert_eq!(error.label.span.offset, 3);
    }

    #[test]
    fn a_second_document_is_rejected() {
        let error = build("a: b\n---\nc: d\n").expect_err("two documents");
        assert_eq!(error.label.span, Span::new(5, 3));
        assert!(build("---\na: b\n...\n").is_ok());
    }

    #[test]
    fn scan_errors_point_at_their_byte() {
        let error = build("a:\n\tb: c\n").expect_err("tab");
        // The tab itself, not the key after it.
        assert_eq!(error.label.span, Span::new(3, 1));
        assert!(error.help.as_deref().is_some_and(|h| h.contains("tabs")));
        let error = build("é: [a, b\n").expect_err("unclosed");
        assert_eq!(error.code, Code::Syntax);
        assert!(error.label.span.end() <= "é: [a, b\n".len());
    }

    #[test]
    fn empty_and_comment_only_files_have_no_root() {
        assert!(build("").expect("empty").root.is_none());
        assert!(build("# just a comment\n").expect("comment").root.is_none());
    }

    #[test]
    fn null_and_describe() {
        let tree = root("a:\nb: ~\nc: 'null'\nd: [x]\n");
        let nulls: Vec<_> = entries(&tree).iter().map(|(_, v)| v.is_null()).collect();
        assert_eq!(nulls, [true, true, false, false]);
        assert_eq!(entries(&tree)[2].1.describe(), "the text \"null\"");
        assert_eq!(entries(&tree)[3].1.describe(), "a list");
    }
}
