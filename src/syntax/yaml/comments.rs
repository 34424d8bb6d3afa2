//! Comments of a YAML model, found by scanning the source (the parser drops
//! them) and handed to the entries they belong to.
//!
//! A `#` starts a comment when it begins a line or follows a blank, outside
//! quoted and block scalars (a plain scalar cannot hold ` #`, so every other
//! `#` is part of a value or of a word like `a#b`).
//!
//! The reader visits entries in file order and claims comments as it goes:
//! the unclaimed comments before an entry become its `before`, and a comment
//! at the end of its first line its `trailing`. The reader may also claim a
//! comment ahead of that order (the one beside `creates: true` belongs to
//! the command, not to the field that follows it); each comment is claimed
//! once, so a comment in front of a structural key (`commands:`) travels to
//! the next entry rather than being lost or doubled.

use crate::syntax::span::Span;

/// One comment in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `#`.
    pub offset: usize,
    /// Byte offset of the start of its line.
    pub line_start: usize,
    /// Only blanks before it on its line.
    pub own_line: bool,
    /// The text after `#` and one space, without trailing blanks.
    pub text: String,
}

/// Finds every comment of `source`; `opaque` are the spans of quoted and
/// block scalars, in order.
pub fn scan(source: &str, opaque: &[Span]) -> Vec<Comment> {
    let bytes = source.as_bytes();
    let mut comments = Vec::new();
    let mut opaque = opaque.iter().peekable();
    let mut pos = 0;
    while let Some(found) = source.get(pos..).and_then(|rest| rest.find('#')) {
        let at = pos + found;
        while opaque.next_if(|span| span.end() <= at).is_some() {}
        if let Some(span) = opaque.peek()
            && span.offset <= at
        {
            pos = span.end();
            continue;
        }
        if at > 0 && !matches!(bytes[at - 1], b' ' | b'\t' | b'\n' | b'\r') && !source[..at].ends_with('\u{feff}') {
            pos = at + 1;
            continue;
        }
        // YAML ends a line at `\n`, `\r\n` or a lone `\r`.
        let line_start = source[..at].rfind(['\n', '\r']).map_or(0, |nl| nl + 1);
        let line_end = source[at..].find(['\n', '\r']).map_or(source.len(), |nl| at + nl);
        let before = source[line_start..at].trim_start_matches('\u{feff}');
        let raw = &source[at + 1..line_end];
        let text = raw.strip_prefix(' ').unwrap_or(raw).trim_end();
        comments.push(Comment {
            offset: at,
            line_start,
            own_line: before.trim_matches([' ', '\t']).is_empty(),
            text: text.to_string(),
        });
        pos = line_end;
    }
    comments
}

/// Hands out comments to entries; each comment is claimed once.
#[derive(Debug, Default)]
pub struct Claims {
    comments: Vec<Comment>,
    claimed: Vec<bool>,
    /// Every comment before this one is claimed.
    next: usize,
}

impl Claims {
    pub fn new(comments: Vec<Comment>) -> Self {
        let claimed = vec![false; comments.len()];
        Claims { comments, claimed, next: 0 }
    }

    /// Every unclaimed comment that stands before `offset`.
    pub fn before(&mut self, offset: usize) -> Vec<String> {
        let mut texts = Vec::new();
        while self.next < self.comments.len() && self.comments[self.next].offset < offset {
            if !self.claimed[self.next] {
                self.claimed[self.next] = true;
                texts.push(self.comments[self.next].text.clone());
            }
            self.next += 1;
        }
        texts
    }

    /// The comment at the end of the line that `offset` is on, if nothing
    /// has claimed it.
    pub fn trailing(&mut self, offset: usize) -> Option<String> {
        let i = self.comments.partition_point(|c| c.offset < offset);
        let comment = self.comments.get(i)?;
        if comment.own_line || comment.line_start > offset || self.claimed[i] {
            return None;
        }
        self.claimed[i] = true;
        Some(comment.text.clone())
    }

    /// Every unclaimed full-line comment in `start..end` (an end-of-line
    /// comment there belongs to whatever ends its line).
    pub fn lines_within(&mut self, start: usize, end: usize) -> Vec<String> {
        let from = self.comments.partition_point(|c| c.offset < start);
        let mut texts = Vec::new();
        for i in from..self.comments.len() {
            if self.comments[i].offset >= end {
                break;
            }
            if self.comments[i].own_line && !self.claimed[i] {
                self.claimed[i] = true;
                texts.push(self.comments[i].text.clone());
            }
        }
        texts
    }

    /// Every comment not claimed yet.
    pub fn rest(&mut self) -> Vec<String> {
        self.before(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str, opaque: &[Span]) -> Vec<(String, bool)> {
        scan(source, opaque).into_iter().map(|c| (c.text, c.own_line)).collect()
    }

    #[test]
    fn finds_full_line_and_end_of_line_comments() {
        let source = "# head\na: b   # tail  \n  #indented\r\nc: d#not\n#\n";
        assert_eq!(
            texts(source, &[]),
            [
                ("head".to_string(), true),
                ("tail".to_string(), false),
                ("indented".to_string(), true),
                (String::new(), true)
            ]
        );
    }

    #[test]
    fn a_lone_carriage_return_ends_a_comment_as_yaml_ends_a_line() {
        // Found by fuzzing: `\r` alone is a line break to YAML, so what
        // follows it is a comment (or content) of its own.
        let source = "# one\r\r#two: {\ra: b # three\rc: d\n";
        assert_eq!(
            texts(source, &[]),
            [("one".to_string(), true), ("two: {".to_string(), true), ("three".to_string(), false)]
        );
        let mut claims = Claims::new(scan(source, &[]));
        let c = source.find("c:").unwrap_or_default();
        assert_eq!(claims.trailing(c), None);
        let a = source.find("a:").unwrap_or_default();
        assert_eq!(claims.trailing(a).as_deref(), Some("three"));
    }

    #[test]
    fn skips_hashes_inside_quoted_and_block_scalars() {
        let source = "a: \"x # y\" # real\nb: |\n  # text\nc: 1\n";
        let quoted = Span::new(3, 7);
        let block = Span::new(source.find("# text").unwrap_or_default(), 6);
        assert_eq!(texts(source, &[quoted, block]), [("real".to_string(), false)]);
    }

    #[test]
    fn keeps_the_space_after_the_first() {
        assert_eq!(texts("#   spaced\n", &[]), [("  spaced".to_string(), true)]);
    }

    #[test]
    fn claims_each_comment_once_in_order() {
        let source = "# one\n# two\na: b # three\n# four\nc: d\n# five\n";
        let mut claims = Claims::new(scan(source, &[]));
        let a = source.find("a:").unwrap_or_default();
        assert_eq!(claims.before(a), ["one", "two"]);
        assert_eq!(claims.trailing(a).as_deref(), Some("three"));
        let c = source.find("c:").unwrap_or_default();
        assert_eq!(claims.trailing(c), None);
        assert_eq!(claims.before(c), ["four"]);
        assert_eq!(claims.trailing(c), None);
        assert_eq!(claims.rest(), ["five"]);
    }

    #[test]
    fn claims_out_of_order_are_skipped_later() {
        let source = "a:\n  # one\n  b: c  # two\n# three\nd: e\n";
        let mut claims = Claims::new(scan(source, &[]));
        let b = source.find("b:").unwrap_or_default();
        let c = source.find("c ").unwrap_or_default();
        assert_eq!(claims.lines_within(0, b), ["one"]);
        assert_eq!(claims.trailing(c).as_deref(), Some("two"));
        assert_eq!(claims.trailing(c), None);
        let d = source.find("d:").unwrap_or_default();
        assert_eq!(claims.before(d), ["three"]);
    }
}
