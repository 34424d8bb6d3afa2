//! Reading a model from a file or standard input, safely.
//!
//! Whatever is named on the command line, this either returns the model's
//! text or says what is wrong without panicking and without reading without
//! bound:
//!
//! - a file that cannot be read (missing, a directory, no permission) is an
//!   I/O error (exit 2);
//! - a file above [`MAX_MODEL_BYTES`] is refused before it is read, and a
//!   stream (standard input, a device) is read at most one byte past the
//!   limit (exit 2);
//! - bytes that are not text (invalid UTF-8, a NUL byte as in any binary
//!   file) are a `syntax` diagnostic on the first bad byte (exit 1), since
//!   the file is there and readable but is not a model.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::pipeline::Source;
use crate::syntax::Syntax;
use crate::syntax::span::Span;

/// The largest model Squall reads: 16 MiB. The largest realistic model (200
/// contexts of 10 aggregates) is a few MiB; anything bigger is a wrong file,
/// and refusing it keeps memory bounded.
pub const MAX_MODEL_BYTES: u64 = 16 * 1024 * 1024;

/// `--syntax`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SyntaxArg {
    Yaml,
    Dsl,
}

impl From<SyntaxArg> for Syntax {
    fn from(arg: SyntaxArg) -> Syntax {
        match arg {
            SyntaxArg::Yaml => Syntax::Yaml,
            SyntaxArg::Dsl => Syntax::Dsl,
        }
    }
}

/// Where a model comes from: a file, or standard input (`-`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn new(arg: &Path) -> Input {
        if arg == Path::new("-") { Input::Stdin } else { Input::File(arg.to_path_buf()) }
    }

    /// The name diagnostics show.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::File(path) => path.display().to_string(),
        }
    }

    /// The syntax to read it with: `--syntax` when given, else the file's
    /// extension; standard input is YAML unless `--syntax` says otherwise.
    /// `Err` is a usage error's message.
    pub fn syntax(&self, flag: Option<SyntaxArg>) -> Result<Syntax, String> {
        if let Some(flag) = flag {
            return Ok(flag.into());
        }
        match self {
            Input::Stdin => Ok(Syntax::Yaml),
            Input::File(path) => Syntax::from_path(path).ok_or_else(|| {
                format!(
                    "cannot tell the syntax of `{}`: models end in `.yaml`, `.yml` or `.squall`; \
                     for another name, say `--syntax yaml` or `--syntax dsl`",
                    path.display()
                )
            }),
        }
    }

    /// Reads the model's text.
    pub fn read(&self, syntax: Syntax) -> Result<Source, ReadError> {
        let name = self.name();
        let bytes = match self {
            Input::Stdin => read_bounded(io::stdin().lock()).map_err(|e| self.io_error(e))?,
            Input::File(path) => read_file(path).map_err(|e| self.io_error(e))?,
        };
        match decode(bytes) {
            Ok(text) => Ok(Source { name, text, syntax }),
            Err(not_text) => Err(ReadError::NotText(Box::new(not_text.into_diagnostic(name)))),
        }
    }

    fn io_error(&self, error: InputError) -> ReadError {
        let what = match self {
            Input::Stdin => "standard input".to_string(),
            Input::File(path) => format!("`{}`", path.display()),
        };
        ReadError::Io(match error {
            InputError::Io(e) => format!("cannot read {what}: {}", describe(&e)),
            InputError::Directory => format!("cannot read {what}: it is a directory, not a model file"),
            InputError::TooLarge(Some(size)) => format!(
                "{what} is {}; squall reads models of at most {}",
                human_size(size),
                human_size(MAX_MODEL_BYTES)
            ),
            InputError::TooLarge(None) => {
                format!("{what} is larger than {}, the most squall reads", human_size(MAX_MODEL_BYTES))
            }
        })
    }
}

/// Why a model could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The input could not be read at all: exit 2.
    Io(String),
    /// The input was read but is not text: a diagnostic, exit 1.
    NotText(Box<NotText>),
}

/// A file that is not UTF-8 text, as a diagnostic on its first bad byte.
#[derive(Debug)]
pub struct NotText {
    pub name: String,
    /// The file with every bad byte replaced by `?`: the same length and the
    /// same offsets as the file, for `--format json`'s lines and columns.
    pub text: String,
    /// Points at the first bad byte of `text`.
    pub diagnostic: Diagnostic,
    /// A short excerpt around the bad byte, safe to print on a terminal, and
    /// the same diagnostic pointing into it: what people see.
    pub excerpt: String,
    pub excerpt_diagnostic: Diagnostic,
}

enum InputError {
    Io(io::Error),
    Directory,
    /// The size when it is known before reading.
    TooLarge(Option<u64>),
}

impl From<io::Error> for InputError {
    fn from(e: io::Error) -> Self {
        InputError::Io(e)
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, InputError> {
    let metadata = std::fs::metadata(path)?;
    if metadata.is_dir() {
        return Err(InputError::Directory);
    }
    // A regular file says its size: refuse a huge one without reading it.
    // Devices and pipes say 0 and are bounded while reading.
    if metadata.is_file() && metadata.len() > MAX_MODEL_BYTES {
        return Err(InputError::TooLarge(Some(metadata.len())));
    }
    read_bounded(File::open(path)?)
}

/// Reads at most one byte more than the limit, so that a stream that never
/// ends (`/dev/zero`) is refused instead of filling memory.
fn read_bounded(reader: impl Read) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    reader.take(MAX_MODEL_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(InputError::TooLarge(None));
    }
    Ok(bytes)
}

fn describe(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "it is a directory, not a model file".to_string(),
        io::ErrorKind::InvalidData => "the data is not valid".to_string(),
        _ => error.to_string(),
    }
}

fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{bytes} bytes")
    }
}

/// The first place where bytes stop being text.
struct BadByte {
    /// Kept as read, with bad bytes replaced by `?`.
    text: String,
    offset: usize,
    /// How many bytes are bad there (1 to 3 for invalid UTF-8).
    len: usize,
    kind: BadKind,
}

enum BadKind {
    Nul,
    NotUtf8(u8),
}

fn decode(bytes: Vec<u8>) -> Result<String, BadByte> {
    let nul = bytes.iter().position(|&b| b == 0);
    match String::from_utf8(bytes) {
        Ok(text) => match nul {
            None => Ok(text),
            Some(offset) => Err(BadByte { text: text.replace('\0', "?"), offset, len: 1, kind: BadKind::Nul }),
        },
        Err(error) => {
            let utf8 = error.utf8_error();
            let bytes = error.into_bytes();
            let bad = utf8.valid_up_to();
            let text = replace_bad_bytes(&bytes);
            Err(match nul {
                Some(offset) if offset < bad => BadByte { text, offset, len: 1, kind: BadKind::Nul },
                _ => BadByte {
                    text,
                    offset: bad,
                    len: utf8.error_len().unwrap_or(bytes.len() - bad),
                    kind: BadKind::NotUtf8(bytes[bad]),
                },
            })
        }
    }
}

/// The bytes as text, each byte that is not part of valid UTF-8 (and each
/// NUL) replaced by `?`, so that offsets stay those of the file.
fn replace_bad_bytes(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(&chunk.valid().replace('\0', "?"));
        text.extend(std::iter::repeat_n('?', chunk.invalid().len()));
    }
    text
}

/// How much of the bad line to show on either side of the bad byte.
const EXCERPT_WIDTH: usize = 60;

impl BadByte {
    fn into_diagnostic(self, name: String) -> NotText {
        let (line, column) = crate::diagnostics::json::line_column(&self.text, self.offset);
        let (message, label, help) = match self.kind {
            BadKind::Nul => (
                format!(
                    "`{name}` is not a text file: it has a NUL byte at line {line}, column {column} (byte {})",
                    self.offset
                ),
                "a NUL byte: this looks like a binary file".to_string(),
                "a model is a text file in YAML or the Squall DSL; check that this is the file you meant",
            ),
            BadKind::NotUtf8(byte) => (
                format!(
                    "`{name}` is not valid UTF-8: byte 0x{byte:02X} at line {line}, column {column} (byte {})",
                    self.offset
                ),
                "not UTF-8".to_string(),
                "save the file as UTF-8 (models are UTF-8 text)",
            ),
        };
        let diagnostic = |span: Span| {
            Diagnostic::new(Code::Syntax, message.clone(), Label::new(span, label.clone())).with_help(help)
        };

        // The excerpt keeps line numbers (earlier lines become empty lines)
        // and shows at most EXCERPT_WIDTH characters either side of the bad
        // byte, with control characters replaced: a binary file may have no
        // newline for megabytes, and its bytes must not drive the terminal.
        let line_start = self.text[..self.offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[self.offset..].find('\n').map_or(self.text.len(), |i| self.offset + i);
        let start = nth_char_back(&self.text[line_start..self.offset], EXCERPT_WIDTH) + line_start;
        let after = &self.text[self.offset..line_end];
        let end = self.offset + after.char_indices().nth(EXCERPT_WIDTH).map_or(after.len(), |(i, _)| i);
        let printable = |c: char| if c.is_control() && c != '\t' { '?' } else { c };
        let mut excerpt = "\n".repeat(line - 1);
        excerpt.extend(self.text[start..self.offset].chars().map(printable));
        let excerpt_offset = excerpt.len();
        excerpt.extend(self.text[self.offset..end].chars().map(printable));
        let excerpt_diagnostic = diagnostic(Span::new(excerpt_offset, self.len.min(end - self.offset).max(1)));

        NotText {
            name,
            diagnostic: diagnostic(Span::new(self.offset, self.len)),
            text: self.text,
            excerpt,
            excerpt_diagnostic,
        }
    }
}

/// The byte index in `s` where its last `n` characters begin.
fn nth_char_back(s: &str, n: usize) -> usize {
    s.char_indices().rev().nth(n.saturating_sub(1)).map_or(0, |(i, _)| i)
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(message) => f.write_str(message),
            ReadError::NotText(not_text) => f.write_str(&not_text.diagnostic.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_text(bytes: &[u8]) -> NotText {
        match decode(bytes.to_vec()) {
            Ok(_) => panic!("{bytes:?} decoded as text"),
            Err(bad) => bad.into_diagnostic("m.yaml".into()),
        }
    }

    #[test]
    fn text_passes_through() {
        assert_eq!(decode(b"system: S\n".to_vec()).ok().as_deref(), Some("system: S\n"));
        assert_eq!(decode("système: ç\n".as_bytes().to_vec()).ok().as_deref(), Some("système: ç\n"));
    }

    #[test]
    fn invalid_utf8_points_at_the_first_bad_byte() {
        let bad = not_text(b"system: S\nname: \xFF\xFEx\n");
        assert_eq!(bad.diagnostic.code, Code::Syntax);
        assert_eq!(bad.diagnostic.label.span, Span::new(16, 1));
        assert!(bad.diagnostic.message.contains("line 2, column 7"), "{}", bad.diagnostic.message);
        assert!(bad.diagnostic.message.contains("0xFF"));
        // Offsets are kept: the replaced text is as long as the file.
        assert_eq!(bad.text.len(), 20);
        assert_eq!(&bad.excerpt[bad.excerpt_diagnostic.label.span.offset..][..1], "?");
    }

    #[test]
    fn a_nul_byte_means_binary() {
        let bad = not_text(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        // 0x89 is not UTF-8 and comes before the NUL.
        assert_eq!(bad.diagnostic.label.span.offset, 0);
        let bad = not_text(b"abc\0def");
        assert_eq!(bad.diagnostic.label.span, Span::new(3, 1));
        assert!(bad.diagnostic.message.contains("NUL"));
        assert!(!bad.excerpt.contains('\0'));
    }

    #[test]
    fn the_excerpt_of_a_long_line_is_short_and_keeps_line_numbers() {
        let mut bytes = b"a\nb\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 10_000));
        bytes.push(0xC3); // a truncated two-byte sequence
        bytes.extend(std::iter::repeat_n(b'y', 10_000));
        let bad = not_text(&bytes);
        assert_eq!(bad.diagnostic.label.span.offset, 10_004);
        assert!(bad.excerpt.len() < 200, "{}", bad.excerpt.len());
        assert!(bad.excerpt.starts_with("\n\n"));
        let at = bad.excerpt_diagnostic.label.span.offset;
        assert_eq!(&bad.excerpt[at..at + 1], "?");
    }

    #[test]
    fn syntax_comes_from_the_flag_then_the_extension() {
        let file = Input::new(Path::new("m.squall"));
        assert_eq!(file.syntax(None), Ok(Syntax::Dsl));
        assert_eq!(file.syntax(Some(SyntaxArg::Yaml)), Ok(Syntax::Yaml));
        assert_eq!(Input::new(Path::new("-")).syntax(None), Ok(Syntax::Yaml));
        let err = Input::new(Path::new("m.txt")).syntax(None).unwrap_err();
        assert!(err.contains("--syntax"), "{err}");
    }

    #[test]
    fn streams_are_bounded() {
        let endless = io::repeat(b'a');
        assert!(matches!(read_bounded(endless), Err(InputError::TooLarge(None))));
        assert_eq!(human_size(MAX_MODEL_BYTES), "16 MiB");
        assert_eq!(human_size(100 * 1024 * 1024 + 1024 * 512), "100.5 MiB");
    }
}
