//! Diagnostics for people: miette's graphical report, with the source
//! snippet, the labels and the help.

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, NamedSource, SourceCode,
    SourceSpan, SpanContents,
};

use super::json::LineIndex;
use super::{Diagnostic, Severity};

/// A diagnostic bound to its source, in the shape miette renders.
#[derive(Debug)]
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a NamedSource<IndexedSource>,
}

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(format!("squall::{}", self.diagnostic.code)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.diagnostic.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = &self.diagnostic.label;
        let first = LabeledSpan::new_primary_with_span(Some(primary.message.clone()), primary.span);
        let related =
            self.diagnostic.related.iter().map(|l| LabeledSpan::new_with_span(Some(l.message.clone()), l.span));
        Some(Box::new(std::iter::once(first).chain(related)))
    }
}

/// A source that finds the lines around a span through a [`LineIndex`]:
/// miette's own look-up scans from the top of the file for every
/// diagnostic, which makes a file with thousands of them quadratic.
#[derive(Debug)]
struct IndexedSource {
    text: String,
    lines: LineIndex,
}

impl IndexedSource {
    fn new(text: &str) -> Self {
        IndexedSource { text: text.to_string(), lines: LineIndex::new(text) }
    }
}

impl SourceCode for IndexedSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // Cut out the lines the span covers and their context, with one
        // more line on each side (miette looks one byte before an empty
        // span), let miette read that window, then put the window back in
        // its place in the file.
        let end = span.offset().saturating_add(span.len()).min(self.text.len());
        let first_line = self
            .lines
            .line_of(span.offset().min(self.text.len()))
            .saturating_sub(context_lines_before.saturating_add(1));
        let last_line = self.lines.line_of(end).saturating_add(context_lines_after).saturating_add(1);
        let window_start = self.lines.line_start(first_line, &self.text);
        let window_end = self.lines.line_start(last_line.saturating_add(1), &self.text);
        let window = self.text.get(window_start..window_end).ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::from((span.offset().saturating_sub(window_start), span.len()));
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        let data: &'a [u8] = contents.data();
        // miette merges two labels into one snippet when the first snippet's
        // `line() + line_count()` reaches the second's line. Its own sources
        // count lines from the top of the file there, so labels hundreds of
        // lines apart were printed as one snippet with everything between;
        // the lines the snippet really spans keep far labels apart. Two
        // more let snippets a line or two apart share one frame, which reads
        // better than two.
        let lines_shown = data.iter().filter(|&&b| b == b'\n').count().max(1) + 2;
        Ok(Box::new(MietteSpanContents::new(
            data,
            SourceSpan::from((contents.span().offset() + window_start, contents.span().len())),
            contents.line() + first_line,
            contents.column(),
            lines_shown,
        )))
    }
}

/// How to draw reports.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Style {
    /// Plain text at a fixed width: what golden tests compare.
    pub const PLAIN: Style = Style { color: false, width: 100 };
}

/// Renders every diagnostic of one file, in order, each followed by a blank
/// line.
pub fn render(diagnostics: &[Diagnostic], file: &str, source: &str, style: Style) -> String {
    let named = NamedSource::new(file, IndexedSource::new(source));
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        // Codes and names hold hyphens (`policy-cycle`, `customer-supplier`,
        // `sales-api`); a line never breaks inside them.
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = Report { diagnostic, source: &named };
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &report);
        out.push('\n');
    }
    out
}

/// `error: 2 errors and 1 warning in payments.yaml` style summary.
pub fn summary(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    (errors, diagnostics.len() - errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indexed source reads the same lines as miette's own look-up.
    #[test]
    fn indexed_spans_match_miette() {
        let unix = "system: S\ncontexts:\n  A:\n    team: x\n  B: {}\n\nlast line";
        let windows = unix.replace('\n', "\r\n");
        for text in [unix, windows.as_str()] {
            check_every_span(text);
        }
    }

    /// Labels far apart are drawn as two snippets, not one with every line
    /// between them; labels on neighbouring lines share one.
    #[test]
    fn far_labels_get_snippets_of_their_own() {
        use crate::diagnostics::{Code, Label};
        use crate::syntax::span::Span;
        let text: String = (1..=60).map(|i| format!("line{i:02}: x\n")).collect();
        let at = |line: usize| Span::new((line - 1) * 10, 6);
        let report = |second: usize| {
            let diagnostic = Diagnostic::new(Code::DuplicateName, "twice", Label::new(at(50), "here"))
                .with_related(Label::new(at(second), "there"));
            render(&[diagnostic], "m.yaml", &text, Style::PLAIN)
        };
        let far = report(30);
        assert!(far.contains("line30") && far.contains("line50"), "{far}");
        assert!(!far.contains("line40"), "the lines between are left out:\n{far}");
        assert_eq!(far.matches("╭─[").count(), 2, "{far}");
        let near = report(48);
        assert_eq!(near.matches("╭─[").count(), 1, "{near}");
    }

    /// A code or name with a hyphen is never split across two lines.
    #[test]
    fn lines_do_not_break_inside_hyphenated_names() {
        use crate::diagnostics::{Code, Label};
        use crate::syntax::span::Span;
        let diagnostic = Diagnostic::new(Code::PolicyCycle, "a cycle", Label::new(Span::new(0, 1), "here")).with_help(
            "if the loop stops by itself, allow `policy-cycle` in the model's lints or make it `customer-supplier`",
        );
        for width in 30..90 {
            let out = render(std::slice::from_ref(&diagnostic), "m.yaml", "x\n", Style { color: false, width });
            assert!(!out.lines().any(|line| line.trim_end().ends_with('-')), "width {width}:\n{out}");
        }
    }

    fn check_every_span(text: &str) {
        let indexed = IndexedSource::new(text);
        for offset in 0..text.len() {
            for len in [0, 1, 5, 14] {
                let len = len.min(text.len() - offset);
                let span = SourceSpan::from((offset, len));
                for context in [0, 1, 2] {
                    let want = text.read_span(&span, context, context).expect("miette reads it");
                    let got = indexed.read_span(&span, context, context).expect("the index reads it");
                    let at = format!("span {offset}+{len}, context {context}");
                    assert_eq!(got.data(), want.data(), "{at}");
                    assert_eq!(got.span(), want.span(), "{at}");
                    assert_eq!((got.line(), got.column()), (want.line(), want.column()), "{at}");
                }
            }
        }
    }
}
