//! Text measured without a font engine: a table of advance widths for a
//! Helvetica-like sans serif, and line wrapping that uses it.
//!
//! Browsers and SVG viewers substitute Arial, Helvetica, Liberation Sans or
//! DejaVu Sans; the widths below are Helvetica's, and every box keeps a
//! margin for the wider of the substitutes, so that no label spills out of
//! its box wherever the picture is viewed.

/// A text style: size in pixels and weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Font {
    pub size: f64,
    pub bold: bool,
}

impl Font {
    pub const fn regular(size: f64) -> Font {
        Font { size, bold: false }
    }

    pub const fn bold(size: f64) -> Font {
        Font { size, bold: true }
    }

    /// The distance from one baseline to the next.
    pub fn line_height(self) -> f64 {
        (self.size * 1.25).round()
    }
}

/// Helvetica advance widths, in thousandths of an em, for ASCII 32..=126.
const ADVANCE: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // '0'..'?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // '@'..'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 'P'..'_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // '`'..'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p'..'~'
];

/// Substitute fonts run up to this much wider than Helvetica.
const SUBSTITUTE_MARGIN: f64 = 1.08;
/// Bold glyphs are wider than regular ones by about this much.
const BOLD_FACTOR: f64 = 1.1;

fn advance(c: char) -> f64 {
    let thousandths = match c as u32 {
        code @ 32..=126 => ADVANCE[(code - 32) as usize],
        // Latin letters with accents are as wide as their base letters; a
        // generous average keeps them inside their box.
        0x00A0..=0x024F => 667,
        // Ideographs, kana and hangul are a full em wide.
        0x1100..=0x11FF | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFF00..=0xFF60 => 1000,
        // Emoji and other symbols: assume a full em.
        0x2600..=0x27BF | 0x1F000..=0x1FAFF => 1000,
        _ => 722,
    };
    f64::from(thousandths) / 1000.0
}

/// The width of one line of text.
pub fn width(text: &str, font: Font) -> f64 {
    let ems: f64 = text.chars().map(advance).sum();
    let bold = if font.bold { BOLD_FACTOR } else { 1.0 };
    ems * font.size * bold * SUBSTITUTE_MARGIN
}

/// Characters that cannot appear in an XML document or that would move the
/// pen in surprising ways are shown as a replacement character; tabs are
/// spaces. Line breaks are handled by [`wrap`].
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            '\n' => '\n',
            c if c.is_control() => '\u{FFFD}',
            // Non-characters and lone surrogates cannot reach a `str`;
            // U+FFFE and U+FFFF can, and XML forbids them.
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Breaks text into lines no wider than `max`: at spaces, then at the
/// boundaries of words in a PascalCase name, then anywhere. Explicit line
/// breaks are kept. Never returns an empty list.
pub fn wrap(text: &str, font: Font, max: f64) -> Vec<String> {
    // Most labels are one name that fits: no need to clean or split.
    let plain = !text.chars().any(|c| c.is_control() || c == ' ' || c == '\u{FFFE}' || c == '\u{FFFF}');
    if plain && width(text, font) <= max {
        return vec![text.to_string()];
    }
    let text = clean(text);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if width(&candidate, font) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: split it into pieces that fit, keeping the last
            // piece open for the words that follow.
            let mut pieces = split_word(word, font, max);
            line = pieces.pop().unwrap_or_default();
            lines.extend(pieces);
        }
        lines.push(line);
    }
    // A trailing empty paragraph adds nothing but height.
    while lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// Splits a word too wide for a line, preferring the boundaries of its
/// PascalCase parts (`MonthlyInvoice` + `Sent`).
fn split_word(word: &str, font: Font, max: f64) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for part in camel_parts(word) {
        match parts.last_mut() {
            Some(last) if width(&format!("{last}{part}"), font) <= max => last.push_str(part),
            _ => parts.push(part.to_string()),
        }
    }
    // A part still too wide is cut between characters.
    let mut lines = Vec::new();
    for part in parts {
        if width(&part, font) <= max {
            lines.push(part);
            continue;
        }
        let mut piece = String::new();
        for c in part.chars() {
            piece.push(c);
            if width(&piece, font) > max && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        lines.push(piece);
    }
    lines
}

/// `MonthlyInvoiceSent` → `Monthly`, `Invoice`, `Sent`; other text is one
/// part.
fn camel_parts(word: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes = word.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase() {
            parts.push(&word[start..i]);
            start = i;
        }
    }
    parts.push(&word[start..]);
    parts
}

/// Keeps at most `max` lines, ending the last kept one with an ellipsis.
pub fn truncate(mut lines: Vec<String>, max: usize, font: Font, width_max: f64) -> Vec<String> {
    if lines.len() <= max {
        return lines;
    }
    lines.truncate(max);
    if let Some(last) = lines.last_mut() {
        while !last.is_empty() && width(&format!("{last}…"), font) > width_max {
            last.pop();
        }
        last.push('…');
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const FONT: Font = Font::regular(13.0);

    #[test]
    fn wide_letters_are_wider() {
        assert!(width("WWW", FONT) > width("iii", FONT) * 3.0);
        assert!(width("ab", Font::bold(13.0)) > width("ab", FONT));
        assert!(width("漢", FONT) >= 13.0);
    }

    #[test]
    fn wraps_names_at_word_boundaries_and_text_at_spaces() {
        let lines = wrap("MonthlyInvoiceSent", FONT, 100.0);
        assert_eq!(lines, ["MonthlyInvoice", "Sent"]);
        let lines = wrap("What happens to a payment whose provider never answers?", FONT, 120.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| width(l, FONT) <= 120.0));
        assert_eq!(lines.join(" "), "What happens to a payment whose provider never answers?");
    }

    #[test]
    fn every_line_fits_even_without_breaks() {
        let text = "x".repeat(200) + "\nsecond\u{1}line";
        let lines = wrap(&text, FONT, 50.0);
        assert!(lines.iter().all(|l| width(l, FONT) <= 50.0), "{lines:?}");
        assert!(lines.concat().ends_with("second\u{FFFD}line"), "{lines:?}");
        assert_eq!(wrap("", FONT, 50.0), [""]);
    }

    #[test]
    fn truncation_marks_what_was_cut() {
        let lines = truncate(vec!["a".into(), "b".into(), "c".into()], 2, FONT, 100.0);
        assert_eq!(lines, ["a", "b…"]);
    }
}
