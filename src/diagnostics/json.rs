//! Diagnostics for machines: the stable JSON shape of `--format json`.
//!
//! The shape is documented in `docs/diagnostics-json.md`; fields are only
//! ever added, never renamed or removed.
//!
//! Lines and columns are 1-based; a column counts characters (Unicode scalar
//! values) from the start of the line; `offset` and `length` are in bytes.

use serde::Serialize;

use super::{Diagnostic, Label, Severity};

#[derive(Serialize)]
pub struct JsonReport<'a> {
    /// Version of this shape.
    pub version: u32,
    pub diagnostics: Vec<JsonDiagnostic<'a>>,
    pub errors: usize,
    pub warnings: usize,
}

#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    /// A rule's code, or [`IO_CODE`] for a file that could not be read.
    pub code: &'static str,
    pub severity: Severity,
    pub message: &'a str,
    #[serde(flatten)]
    pub location: JsonLocation<'a>,
    /// What the primary label says at that place.
    pub label: &'a str,
    pub help: Option<&'a str>,
    pub related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
pub struct JsonRelated<'a> {
    pub message: &'a str,
    #[serde(flatten)]
    pub location: JsonLocation<'a>,
}

#[derive(Serialize)]
pub struct JsonLocation<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub offset: usize,
    pub length: usize,
}

/// Line and column (both 1-based, column in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(source).line_column(source, offset)
}

/// The start of every line of a source, so that the line of an offset is a
/// binary search rather than a scan from the top: a file with thousands of
/// diagnostics is reported in linear time.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the start of each line; the first is 0.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(source.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).saturating_sub(1)
    }

    /// The byte offset where 0-based `line` starts (the end of the source
    /// past the last line).
    pub fn line_start(&self, line: usize, source: &str) -> usize {
        self.starts.get(line).copied().unwrap_or(source.len())
    }

    /// Line and column (both 1-based, column in characters) of a byte offset
    /// of `source`, the text this index was built from.
    pub fn line_column(&self, source: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line, source).min(offset);
        (line + 1, source[start..offset].chars().count() + 1)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn location<'a>(file: &'a str, source: &str, lines: &LineIndex, label: &'a Label) -> JsonLocation<'a> {
    let (line, column) = lines.line_column(source, label.span.offset);
    JsonLocation { file, line, column, offset: label.span.offset, length: label.span.len }
}

/// The code of the entry for a file that could not be read. It names no
/// rule (no lint level applies to it), so it is not a [`super::Code`].
pub const IO_CODE: &str = "io";

/// What the report says about one file.
pub enum Outcome<'a> {
    /// The file was read and checked: its text and its diagnostics.
    Checked { source: &'a str, diagnostics: &'a [Diagnostic] },
    /// The file could not be read (missing, a directory, too large): why.
    Unreadable { message: &'a str },
}

/// The report for one or more files, each with its name as named on the
/// command line, in that order.
pub fn report<'a>(files: &[(&'a str, Outcome<'a>)]) -> JsonReport<'a> {
    let mut diagnostics = Vec::new();
    for (file, outcome) in files {
        let (source, list) = match *outcome {
            Outcome::Checked { source, diagnostics } => (source, diagnostics),
            Outcome::Unreadable { message } => {
                diagnostics.push(unreadable(file, message));
                continue;
            }
        };
        let lines = LineIndex::new(source);
        for d in list {
            diagnostics.push(JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity,
                message: &d.message,
                location: location(file, source, &lines, &d.label),
                label: &d.label.message,
                help: d.help.as_deref(),
                related: d
                    .related
                    .iter()
                    .map(|l| JsonRelated { message: &l.message, location: location(file, source, &lines, l) })
                    .collect(),
            });
        }
    }
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diagnostics.len() - errors;
    JsonReport { version: 1, diagnostics, errors, warnings }
}

/// The entry for a file that could not be read: an error at its start, so
/// that a tool reading only the JSON still learns of the file.
fn unreadable<'a>(file: &'a str, message: &'a str) -> JsonDiagnostic<'a> {
    JsonDiagnostic {
        code: IO_CODE,
        severity: Severity::Error,
        message,
        location: JsonLocation { file, line: 1, column: 1, offset: 0, length: 0 },
        label: "not read",
        help: None,
        related: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;
    use crate::syntax::span::Span;

    #[test]
    fn an_unreadable_file_is_an_io_error_in_its_place() {
        let diagnostic = Diagnostic::new(Code::EventTense, "m", Label::new(Span::new(3, 2), "l"));
        let files = [
            ("a.yaml", Outcome::Checked { source: "ab\ncd\n", diagnostics: std::slice::from_ref(&diagnostic) }),
            ("missing.yaml", Outcome::Unreadable { message: "cannot read `missing.yaml`: no such file" }),
        ];
        let json = serde_json::to_value(report(&files)).expect("serializes");
        let entries = json["diagnostics"].as_array().expect("a list");
        assert_eq!(entries.len(), 2);
        assert_eq!((entries[0]["code"].as_str(), entries[0]["line"].as_u64()), (Some("event-tense"), Some(2)));
        let io = &entries[1];
        assert_eq!(io["code"], "io");
        assert_eq!(io["severity"], "error");
        assert_eq!(io["file"], "missing.yaml");
        assert_eq!(io["message"], "cannot read `missing.yaml`: no such file");
        assert_eq!((io["line"].as_u64(), io["offset"].as_u64(), io["length"].as_u64()), (Some(1), Some(0), Some(0)));
        assert_eq!((json["errors"].as_u64(), json["warnings"].as_u64()), (Some(1), Some(1)));
    }

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let src = "ab\nçd: x\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 3), (2, 1));
        // `d` follows a two-byte `ç`.
        assert_eq!(line_column(src, 5), (2, 2));
        assert_eq!(line_column(src, 999), (3, 1));
        assert_eq!(line_column("", 0), (1, 1));
        // The offset of a newline belongs to the line it ends.
        assert_eq!(line_column(src, 2), (1, 3));
        assert_eq!(line_column(src, 8), (2, 5));
    }
}
