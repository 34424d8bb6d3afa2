//! Splits a `.squall` file into tokens: bare words, quoted strings,
//! punctuation, line ends and comments.
//!
//! Line ends are tokens because the DSL is line-oriented: an element ends at
//! the end of its line (or at its closing brace). Comments are tokens too, so
//! that the parser can hang them on the entries they belong to. The lexer
//! never fails: a character it does not know and an unterminated string are
//! diagnostics, and lexing goes on after them.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::syntax::span::Span;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// A bare word: a name, a reference (`Context.Name`), a type
    /// (`list<uuid>?`), a keyword. Its text is the source slice.
    Word,
    /// A double-quoted string, with its escapes decoded.
    Str(String),
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    /// `->`: emits, and upstream to downstream.
    Arrow,
    /// `<->`: between two partners.
    BiArrow,
    /// One or more line breaks; `blank` when an empty line is among them.
    Newline {
        blank: bool,
    },
    /// `# text` to the end of the line; `trailing` when something else stands
    /// before it on its line.
    Comment {
        text: String,
        trailing: bool,
    },
    Eof,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// Tokens of a whole file (always ending in [`TokenKind::Eof`]) and the
/// problems met while reading them.
pub(super) struct Lexed {
    pub tokens: Vec<Token>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether `c` may start a bare word.
fn starts_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `c` may continue a bare word. `-`, `.`, `<`, `>` and `?` let
/// kebab-case names, references and types (`list<uuid>?`) be written bare.
fn continues_word(c: char) -> bool {
    starts_word(c) || matches!(c, '-' | '.' | '<' | '>' | '?')
}

/// The length in bytes of the bare word at the start of `text` (0 if none).
/// A word stops before `->` and `<->`, so `A->B` is three tokens.
pub(super) fn word_len(text: &str) -> usize {
    let mut chars = text.char_indices().peekable();
    match chars.peek() {
        Some(&(_, c)) if starts_word(c) => {}
        _ => return 0,
    }
    while let Some(&(i, c)) = chars.peek() {
        if !continues_word(c) {
            return i;
        }
        let rest = &text[i..];
        if (c == '-' && rest.starts_with("->")) || (c == '<' && rest.starts_with("<->")) {
            return i;
        }
        chars.next();
    }
    text.len()
}

/// Whether `text` can be written as one bare word (otherwise the printer
/// quotes it).
pub(super) fn is_bare_word(text: &str) -> bool {
    !text.is_empty() && word_len(text) == text.len()
}

/// Reads the whole source into tokens.
pub(super) fn lex(source: &str) -> Lexed {
    let mut lexer = Lexer { source, pos: 0, tokens: Vec::new(), diagnostics: Vec::new(), line_has_token: false };
    // A byte-order mark says nothing about the model.
    if source.starts_with('\u{feff}') {
        lexer.pos = '\u{feff}'.len_utf8();
    }
    lexer.run();
    Lexed { tokens: lexer.tokens, diagnostics: lexer.diagnostics }
}

struct Lexer<'s> {
    source: &'s str,
    pos: usize,
    tokens: Vec<Token>,
    diagnostics: Vec<Diagnostic>,
    /// Whether a token already stands on the current line (for trailing
    /// comments).
    line_has_token: bool,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.source[self.pos..]
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        if !matches!(kind, TokenKind::Newline { .. }) {
            self.line_has_token = true;
        }
        self.tokens.push(Token { kind, span: Span::from_range(start, self.pos) });
    }

    fn run(&mut self) {
        while let Some(c) = self.rest().chars().next() {
            let start = self.pos;
            match c {
                '\n' => self.newlines(),
                c if c.is_whitespace() => self.pos += c.len_utf8(),
                '#' => self.comment(),
                '"' => self.string(),
                '{' => self.punct(TokenKind::LBrace, 1),
                '}' => self.punct(TokenKind::RBrace, 1),
                '[' => self.punct(TokenKind::LBracket, 1),
                ']' => self.punct(TokenKind::RBracket, 1),
                ',' => self.punct(TokenKind::Comma, 1),
                ':' => self.punct(TokenKind::Colon, 1),
                '-' if self.rest().starts_with("->") => self.punct(TokenKind::Arrow, 2),
                '<' if self.rest().starts_with("<->") => self.punct(TokenKind::BiArrow, 3),
                c if starts_word(c) => {
                    self.pos += word_len(self.rest());
                    self.push(TokenKind::Word, start);
                }
                _ => self.unknown_characters(),
            }
        }
        let end = self.source.len();
        self.tokens.push(Token { kind: TokenKind::Eof, span: Span::new(end, 0) });
    }

    fn punct(&mut self, kind: TokenKind, len: usize) {
        let start = self.pos;
        self.pos += len;
        self.push(kind, start);
    }

    /// One token for a run of line breaks, noting whether an empty line is
    /// among them (the printer's paragraphs; the file's header ends at one).
    fn newlines(&mut self) {
        let start = self.pos;
        let mut breaks = 0;
        let mut end = self.pos;
        for (i, c) in self.rest().char_indices() {
            if c == '\n' {
                breaks += 1;
                end = self.pos + i + 1;
            } else if !c.is_whitespace() {
                break;
            }
        }
        self.pos = end;
        self.tokens.push(Token { kind: TokenKind::Newline { blank: breaks > 1 }, span: Span::from_range(start, end) });
        self.line_has_token = false;
    }

    fn comment(&mut self) {
        let start = self.pos;
        let line_end = self.rest().find('\n').map_or(self.source.len(), |i| self.pos + i);
        let mut text = &self.source[start + 1..line_end];
        text = text.strip_suffix('\r').unwrap_or(text);
        text = text.strip_prefix(' ').unwrap_or(text);
        self.pos = line_end;
        let trailing = self.line_has_token;
        self.push(TokenKind::Comment { text: text.to_string(), trailing }, start);
    }

    /// A double-quoted string on one line. A line break inside is written
    /// `\n`, which keeps every element on its line and lets an unterminated
    /// string end at the end of its line instead of swallowing the file.
    fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                self.unterminated(start);
                break;
            };
            match c {
                '"' => {
                    self.pos += 1;
                    break;
                }
                '\n' => {
                    if value.ends_with('\r') {
                        value.pop();
                    }
                    self.unterminated(start);
                    break;
                }
                '\\' => self.escape(&mut value),
                c => {
                    value.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        self.push(TokenKind::Str(value), start);
    }

    fn unterminated(&mut self, start: usize) {
        let end = self.pos - usize::from(self.source[..self.pos].ends_with('\r'));
        self.diagnostics.push(
            Diagnostic::new(
                Code::Syntax,
                "unterminated string",
                Label::new(Span::from_range(start, end.max(start + 1)), "this string is not closed on its line"),
            )
            .with_help("close the string with `\"` on the same line; write a line break inside a string as `\\n`"),
        );
    }

    fn escape(&mut self, value: &mut String) {
        let start = self.pos;
        self.pos += 1;
        let Some(c) = self.rest().chars().next() else { return };
        if c == '\n' {
            // Left for `string` to report as unterminated.
            return;
        }
        self.pos += c.len_utf8();
        match c {
            '"' => value.push('"'),
            '\\' => value.push('\\'),
            'n' => value.push('\n'),
            't' => value.push('\t'),
            'r' => value.push('\r'),
            'u' => self.unicode_escape(start, value),
            other => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::Syntax,
                        format!("unknown escape `\\{other}` in a string"),
                        Label::new(Span::from_range(start, self.pos), "not an escape"),
                    )
                    .with_help(
                        "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r` and `\\u{…}`; write a backslash as `\\\\`",
                    ),
                );
                value.push(other);
            }
        }
    }

    /// `\u{1F600}`: one to six hex digits naming a Unicode scalar value.
    fn unicode_escape(&mut self, start: usize, value: &mut String) {
        let rest = self.rest();
        let decoded = rest.strip_prefix('{').and_then(|inner| {
            let close = inner.find('}')?;
            let hex = &inner[..close];
            let ok = (1..=6).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit());
            let c = ok.then(|| u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)).flatten()?;
            Some((c, close + 2))
        });
        match decoded {
            Some((c, len)) => {
                value.push(c);
                self.pos += len;
            }
            None => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::Syntax,
                        "invalid unicode escape in a string",
                        Label::new(Span::from_range(start, self.pos), "expected `\\u{…}` with 1 to 6 hex digits"),
                    )
                    .with_help("write a character by its code point as `\\u{e9}`"),
                );
            }
        }
    }

    /// A run of characters the DSL has no use for outside strings: one
    /// diagnostic for the run, so that a binary file gives a few errors and
    /// not one per byte.
    fn unknown_characters(&mut self) {
        let start = self.pos;
        let mut end = self.pos;
        for (i, c) in self.rest().char_indices() {
            let known = c.is_whitespace()
                || starts_word(c)
                || matches!(c, '#' | '"' | '{' | '}' | '[' | ']' | ',' | ':')
                || (c == '-' && self.rest()[i..].starts_with("->"))
                || (c == '<' && self.rest()[i..].starts_with("<->"));
            if known {
                break;
            }
            end = self.pos + i + c.len_utf8();
        }
        self.pos = end.max(start + 1);
        let shown: String = self.source[start..self.pos].chars().take(8).collect();
        let shown = shown.escape_debug();
        self.diagnostics.push(
            Diagnostic::new(
                Code::Syntax,
                format!("unexpected character `{shown}`"),
                Label::new(Span::from_range(start, self.pos), "not part of the Squall syntax"),
            )
            .with_help(
                "names are letters, digits, `_`, `-` and `.`; put any other text in double quotes, \
                 and start comments with `#`",
            ),
        );
        self.line_has_token = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        lex(source).tokens.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn words_keep_references_types_and_kebab_case() {
        let lexed = lex("Transactions.PaymentCompleted list<uuid>? billing-api");
        let words: Vec<_> = lexed.tokens.iter().filter(|t| t.kind == TokenKind::Word).map(|t| t.span).collect();
        assert_eq!(words, vec![Span::new(0, 29), Span::new(30, 11), Span::new(42, 11)]);
        assert!(lexed.diagnostics.is_empty());
    }

    #[test]
    fn arrows_split_words() {
        use TokenKind::*;
        assert_eq!(kinds("A->B"), vec![Word, Arrow, Word, Eof]);
        assert_eq!(kinds("A<->B"), vec![Word, BiArrow, Word, Eof]);
        assert_eq!(word_len("a-b->c"), 3);
    }

    #[test]
    fn strings_decode_escapes() {
        let lexed = lex(r#""a \"b\" \\ \n \t \u{e9}""#);
        assert_eq!(lexed.tokens[0].kind, TokenKind::Str("a \"b\" \\ \n \t é".into()));
        assert!(lexed.diagnostics.is_empty());
    }

    #[test]
    fn unterminated_string_ends_at_its_line() {
        let lexed = lex("\"abc\nactor A");
        assert_eq!(lexed.diagnostics.len(), 1);
        assert_eq!(lexed.diagnostics[0].label.span, Span::new(0, 4));
        assert_eq!(lexed.tokens[1].kind, TokenKind::Newline { blank: false });
    }

    #[test]
    fn bad_escapes_are_reported_where_they_are() {
        let lexed = lex(r#""a\qb" "\u{zz}" "\u{110000}""#);
        let spans: Vec<_> = lexed.diagnostics.iter().map(|d| d.label.span).collect();
        assert_eq!(spans, vec![Span::new(2, 2), Span::new(8, 2), Span::new(17, 2)]);
    }

    #[test]
    fn comments_know_whether_they_trail() {
        use TokenKind::*;
        let blank = Newline { blank: true };
        assert_eq!(
            kinds("# top\n\nactor A  # hi\n#x"),
            vec![
                Comment { text: "top".into(), trailing: false },
                blank,
                Word,
                Word,
                Comment { text: "hi".into(), trailing: true },
                Newline { blank: false },
                Comment { text: "x".into(), trailing: false },
                Eof
            ]
        );
    }

    #[test]
    fn runs_of_unknown_characters_are_one_error() {
        let lexed = lex("actor @@@@ B \u{0}\u{1}");
        assert_eq!(lexed.diagnostics.len(), 2);
        assert_eq!(lexed.diagnostics[0].label.span, Span::new(6, 4));
    }
}
