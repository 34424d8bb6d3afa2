//! The 5-field cron expressions of timer commands (`schedule: "0 0 1 * *"`),
//! validated without running them: minute, hour, day of month, month and day
//! of week, each `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a
//! comma-separated list of those. Months may be written `JAN`–`DEC` and
//! weekdays `SUN`–`SAT`, in any case.
//!
//! Day of week runs from 0 to 7, both meaning Sunday, as in every common
//! cron. A step may not be larger than its field's span (`*/60` in the
//! minute field would only ever mean minute 0, which is almost surely not
//! what was meant).

/// What is wrong with an expression, and where: `start..end` are byte
/// offsets into the expression text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronError {
    pub start: usize,
    pub end: usize,
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// One of the five fields: its name and the values it allows.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    /// Names accepted for values (index + `min` is the value).
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 5] = [
    Field { name: "minute", min: 0, max: 59, names: &[] },
    Field { name: "hour", min: 0, max: 23, names: &[] },
    Field { name: "day of month", min: 1, max: 31, names: &[] },
    Field { name: "month", min: 1, max: 12, names: MONTHS },
    Field { name: "day of week", min: 0, max: 7, names: WEEKDAYS },
];

const LAYOUT: &str = "a schedule is five fields: minute hour day-of-month month day-of-week, such as `0 0 1 * *`";

/// Checks an expression; the first problem found is returned. Its range is
/// empty only when the expression is: where a value is missing, the error
/// covers the character after the gap (or before it, at the end of a
/// field), so that there is something to point at.
pub fn validate(expression: &str) -> Result<(), CronError> {
    fields(expression).map_err(|mut error| {
        if error.start == error.end {
            let next = expression[error.start..].chars().next();
            let previous = expression[..error.start].chars().next_back();
            match (next, previous) {
                (Some(c), _) if !c.is_whitespace() => error.end += c.len_utf8(),
                (_, Some(c)) => error.start -= c.len_utf8(),
                (Some(c), None) => error.end += c.len_utf8(),
                (None, None) => {}
            }
        }
        error
    })
}

fn fields(expression: &str) -> Result<(), CronError> {
    let fields = words(expression);
    if fields.len() != FIELDS.len() {
        let (start, end) = match fields.get(FIELDS.len()) {
            // Point at what is too much rather than at the whole expression.
            Some(&(start, _)) => (start, fields.last().map_or(expression.len(), |&(s, w)| s + w.len())),
            None => (0, expression.len()),
        };
        return Err(CronError {
            start,
            end,
            message: format!("a cron schedule has 5 fields, this one has {}", fields.len()),
            help: LAYOUT.to_string(),
        });
    }
    for (field, &(offset, text)) in FIELDS.iter().zip(&fields) {
        validate_field(field, text).map_err(|mut error| {
            error.start += offset;
            error.end += offset;
            error
        })?;
    }
    Ok(())
}

/// The whitespace-separated words of `text` with their offsets.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &text[s..]));
    }
    words
}

fn validate_field(field: &Field, text: &str) -> Result<(), CronError> {
    let mut offset = 0;
    for item in text.split(',') {
        validate_item(field, item).map_err(|mut error| {
            error.start += offset;
            error.end += offset;
            error
        })?;
        offset += item.len() + 1;
    }
    Ok(())
}

/// One list item: `*`, `n`, `a-b`, `*/n` or `a-b/n`.
fn validate_item(field: &Field, item: &str) -> Result<(), CronError> {
    let error = |start: usize, end: usize, message: String, help: String| CronError { start, end, message, help };
    if item.is_empty() {
        return Err(error(
            0,
            0,
            format!("empty entry in the {} field", field.name),
            "write a value between the commas, or remove the extra comma".to_string(),
        ));
    }
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, Some((range.len() + 1, step))),
        None => (item, None),
    };
    let span = if range == "*" {
        field.max - field.min + 1
    } else if let Some((low, high)) = range.split_once('-') {
        let a = value(field, low, 0)?;
        let b = value(field, high, low.len() + 1)?;
        if a > b {
            return Err(error(
                0,
                range.len(),
                format!("the range `{range}` in the {} field runs backwards", field.name),
                format!("write the smaller value first: `{high}-{low}`"),
            ));
        }
        b - a + 1
    } else {
        value(field, range, 0)?;
        if step.is_some() {
            return Err(error(
                0,
                item.len(),
                format!("a step needs `*` or a range before it, not `{range}`"),
                format!("write `{range}-{}/n` or `*/n`", field.max),
            ));
        }
        1
    };
    if let Some((offset, step)) = step {
        let n = number(step).ok_or_else(|| {
            error(
                offset,
                item.len(),
                format!("`{step}` is not a step in the {} field", field.name),
                "a step is a whole number after `/`, such as `*/15`".to_string(),
            )
        })?;
        if n == 0 || n > span {
            return Err(error(
                offset,
                item.len(),
                format!("the step `{step}` in the {} field must be between 1 and {span}", field.name),
                format!("use a step between 1 and {span}"),
            ));
        }
    }
    Ok(())
}

/// A single value: a number in range or, where the field has them, a name.
fn value(field: &Field, text: &str, offset: usize) -> Result<u32, CronError> {
    if let Some(n) = number(text) {
        if (field.min..=field.max).contains(&n) {
            return Ok(n);
        }
        return Err(CronError {
            start: offset,
            end: offset + text.len(),
            message: format!("{n} is out of range for the {} field ({}-{})", field.name, field.min, field.max),
            help: format!("the {} field takes values from {} to {}", field.name, field.min, field.max),
        });
    }
    if let Some(i) = field.names.iter().position(|name| name.eq_ignore_ascii_case(text)) {
        return Ok(i as u32 + field.min);
    }
    let message = if text.is_empty() {
        format!("a value is missing in the {} field", field.name)
    } else {
        format!("`{text}` is not a value of the {} field", field.name)
    };
    let help = if field.names.is_empty() {
        format!("the {} field takes numbers from {} to {}", field.name, field.min, field.max)
    } else {
        format!(
            "the {} field takes numbers from {} to {} or the names {}-{}",
            field.name,
            field.min,
            field.max,
            field.names[0],
            field.names[field.names.len() - 1]
        )
    };
    Err(CronError { start: offset, end: offset + text.len(), message, help })
}

/// A decimal number of at most a few digits (no sign, no overflow).
fn number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text an error points at.
    fn offending(expression: &str) -> String {
        let error = validate(expression).expect_err(expression);
        expression[error.start..error.end].to_string()
    }

    #[test]
    fn accepts_every_form_the_format_allows() {
        for ok in [
            "0 0 1 * *",
            "*/15 * * * *",
            "0 9-17 * * MON-FRI",
            "0 9-17/2 * * mon-fri",
            "0,30 8,12,18 * JAN,jul sun",
            "59 23 31 12 7",
            "  0   0 1  *  *  ",
            "0 0 * DEC *",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn points_at_the_offending_field() {
        assert_eq!(offending("60 0 1 * *"), "60");
        assert_eq!(offending("0 24 1 * *"), "24");
        assert_eq!(offending("0 0 0 * *"), "0");
        assert_eq!(offending("0 0 1 13 *"), "13");
        assert_eq!(offending("0 0 1 * 8"), "8");
        assert_eq!(offending("0 0 1 * MON-FUN"), "FUN");
        assert_eq!(offending("0 0 1 MON * "), "MON");
        assert_eq!(offending("0 0 1 * 5-1"), "5-1");
        assert_eq!(offending("*/0 * * * *"), "0");
        assert_eq!(offending("*/61 * * * *"), "61");
        assert_eq!(offending("0 1-3/x * * *"), "x");
        assert_eq!(offending("0 5/2 * * *"), "5/2");
        assert_eq!(offending("0 1,,2 * * *"), ",");
        assert_eq!(validate("0 1,,2 * * *").map_err(|e| e.start), Err(4));
        assert_eq!(offending("0 -1 * * *"), "-");
        assert_eq!(offending("0 1- * * *"), "-");
        assert_eq!(offending("0 0 1 * */"), "/");
        assert_eq!(offending("0 0 1 * * 2024"), "2024");
        assert_eq!(offending("0 0 1 *"), "0 0 1 *");
        assert_eq!(offending(""), "");
        assert_eq!(offending("0 0 ½ * *"), "½");
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let error = validate("0 0 1 * * *").expect_err("six fields");
        assert_eq!(error.message, "a cron schedule has 5 fields, this one has 6");
        let error = validate("0 0 1 13 *").expect_err("month 13");
        assert_eq!(error.message, "13 is out of range for the month field (1-12)");
        assert_eq!(error.help, "the month field takes values from 1 to 12");
    }
}
