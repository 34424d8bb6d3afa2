//! Timers: a 5-field cron parser and a scheduler that issues commands.
//!
//! Fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or
//! JAN-DEC), day of week (0-7, 0 and 7 both Sunday, or SUN-SAT). Each field
//! is a comma list of `*`, `n`, `a-b`, `*/s`, `a-b/s` or `n/s` (n to the end
//! by s). As in Vixie cron, when both day fields are restricted a day matches
//! if either does. Times are UTC.
//!
//! The parser is ~150 lines, written here rather than taken from a crate so
//! that generated services do not pay for a date-time library.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::aggregate::Aggregate;
use crate::command::CommandContext;
use crate::envelope::AggregateId;
use crate::runtime::Runtime;
use crate::time::{Timestamp, civil_from_days, days_from_civil};

/// A parsed cron expression.
#[derive(Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    days_restricted: bool,
    weekdays_restricted: bool,
    source: String,
}

impl fmt::Debug for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cron({:?})", self.source)
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// A cron expression that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron expression {expr:?}: {reason}")]
pub struct CronError {
    expr: String,
    reason: String,
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Parses one field into a bit set over `min..=max`.
fn parse_field(field: &str, min: u32, max: u32, names: &[&str]) -> Result<u64, String> {
    let value = |s: &str| -> Result<u32, String> {
        let upper = s.to_ascii_uppercase();
        if let Some(i) = names.iter().position(|n| *n == upper) {
            return Ok(min + i as u32);
        }
        let n: u32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
        if n < min || n > max {
            return Err(format!("{n} is outside {min}-{max}"));
        }
        Ok(n)
    };
    let mut bits = 0u64;
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().map_err(|_| format!("bad step {s:?}"))?;
                if step == 0 {
                    return Err("step 0".into());
                }
                (r, step)
            }
            None => (item, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a)?, value(b)?);
            if a > b {
                return Err(format!("range {a}-{b} runs backwards"));
            }
            (a, b)
        } else {
            let n = value(range)?;
            // `n/s` means from n to the end, by s.
            (n, if step > 1 { max } else { n })
        };
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

impl FromStr for Cron {
    type Err = CronError;

    fn from_str(expr: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| CronError { expr: expr.to_owned(), reason };
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let [min, hour, dom, month, dow] = fields[..] else {
            return Err(err(format!("expected 5 fields, found {}", fields.len())));
        };
        let minutes = parse_field(min, 0, 59, &[]).map_err(|e| err(format!("minute: {e}")))?;
        let hours = parse_field(hour, 0, 23, &[]).map_err(|e| err(format!("hour: {e}")))?;
        let days = parse_field(dom, 1, 31, &[]).map_err(|e| err(format!("day of month: {e}")))?;
        let months = parse_field(month, 1, 12, &MONTHS).map_err(|e| err(format!("month: {e}")))?;
        let mut weekdays = parse_field(dow, 0, 7, &WEEKDAYS).map_err(|e| err(format!("day of week: {e}")))?;
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays | 1) & 0x7f; // 7 is Sunday too
        }
        Ok(Cron {
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            weekdays: weekdays as u8,
            days_restricted: !dom.starts_with('*'),
            weekdays_restricted: !dow.starts_with('*'),
            source: expr.to_owned(),
        })
    }
}

impl Cron {
    fn day_matches(&self, day: u32, weekday: u32) -> bool {
        let d = self.days & (1 << day) != 0;
        let w = self.weekdays & (1 << weekday) != 0;
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => d || w,
            (true, false) => d,
            (false, true) => w,
            (false, false) => true,
        }
    }

    /// Whether the minute containing `t` is a scheduled minute.
    pub fn matches(&self, t: Timestamp) -> bool {
        let c = t.civil();
        self.minutes & (1 << c.minute) != 0
            && self.hours & (1 << c.hour) != 0
            && self.months & (1 << c.month) != 0
            && self.day_matches(c.day, c.weekday)
    }

    /// The first scheduled minute strictly after `t`, searching up to five
    /// years ahead (`None` for expressions such as `0 0 31 2 *` that never
    /// match).
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        const MICROS_PER_MINUTE: i64 = 60_000_000;
        let start_minute = t.as_micros().div_euclid(MICROS_PER_MINUTE) + 1;
        let start_day = start_minute.div_euclid(24 * 60);
        let first_minute_of_day = start_minute.rem_euclid(24 * 60) as u32;
        for day in start_day..start_day + 5 * 366 {
            let (year, month, dom) = civil_from_days(day);
            let weekday = (day + 4).rem_euclid(7) as u32;
            if self.months & (1 << month) == 0 || !self.day_matches(dom, weekday) {
                continue;
            }
            let from = if day == start_day { first_minute_of_day } else { 0 };
            for minute_of_day in from..24 * 60 {
                let (h, m) = (minute_of_day / 60, minute_of_day % 60);
                if self.hours & (1 << h) != 0 && self.minutes & (1 << m) != 0 {
                    debug_assert_eq!(days_from_civil(year, month, dom), day);
                    let minutes = day * 24 * 60 + i64::from(minute_of_day);
                    return Some(Timestamp::from_micros(minutes * MICROS_PER_MINUTE));
                }
            }
        }
        None
    }
}

/// Namespace of timer command ids: UUIDv5(namespace, "name@tick").
const TIMER_NAMESPACE: Uuid = Uuid::from_u128(0x5b1a_6c9e_0a7d_4f3e_9c1d_2e8f_7a6b_5c4d);

/// The command id a timer uses for a tick: the same in every process, so two
/// instances firing the same tick append once.
pub fn timer_command_id(name: &str, tick: Timestamp) -> Uuid {
    Uuid::new_v5(&TIMER_NAMESPACE, format!("{name}@{}", tick.as_micros()).as_bytes())
}

impl Runtime {
    /// Issues a command on aggregate `A` at every tick of `cron`, as `make`
    /// says (`None` skips the tick). Each tick's command id is derived from
    /// `name` and the tick time, so a tick never acts twice. Ticks missed
    /// while the process was down are not caught up.
    pub fn spawn_schedule<A, F>(&self, name: &str, cron: Cron, make: F) -> JoinHandle<()>
    where
        A: Aggregate,
        F: Fn(Timestamp) -> Option<(AggregateId, A::Command)> + Send + Sync + 'static,
    {
        let rt = self.clone();
        let name = name.to_owned();
        let mut shutdown = self.shutdown_signal();
        tokio::spawn(async move {
            let mut after = Timestamp::now();
            loop {
                let Some(tick) = cron.next_after(after) else {
                    tracing::warn!(timer = %name, %cron, "schedule never fires again");
                    return;
                };
                let wait = (tick.as_micros() - Timestamp::now().as_micros()).max(0) as u64;
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_micros(wait)) => {}
                    _ = shutdown.changed() => return,
                }
                after = tick;
                let Some((id, command)) = make(tick) else {
                    continue;
                };
                let ctx = CommandContext::new().with_command_id(timer_command_id(&name, tick));
                if let Err(e) = rt.execute::<A>(id, command, ctx).await {
                    tracing::warn!(timer = %name, %tick, "scheduled command failed: {e}");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
        Timestamp::from_civil(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn parses_fields() {
        let c: Cron = "*/15 9-17 * * MON-FRI".parse().unwrap();
        assert_eq!(c.minutes, 1 | 1 << 15 | 1 << 30 | 1 << 45);
        assert_eq!(c.weekdays, 0b0111110);
        let c: Cron = "0 0 1,15 jan,Jul *".parse().unwrap();
        assert_eq!(c.months, 1 << 1 | 1 << 7);
        assert_eq!(c.days, 1 << 1 | 1 << 15);
        let c: Cron = "5/20 0 * * 7".parse().unwrap();
        assert_eq!(c.minutes, 1 << 5 | 1 << 25 | 1 << 45);
        assert_eq!(c.weekdays, 1);
        let c: Cron = "0-30/10 * * * *".parse().unwrap();
        assert_eq!(c.minutes, 1 | 1 << 10 | 1 << 20 | 1 << 30);
    }

    #[test]
    fn rejects_bad_expressions() {
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 8",
            "*/0 * * * *",
            "5-1 * * * *",
            "x * * * *",
            "* * * FOO *",
            "1-2-3 * * * *",
        ] {
            assert!(bad.parse::<Cron>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn next_after_walks_the_calendar() {
        let c: Cron = "30 2 * * *".parse().unwrap();
        assert_eq!(c.next_after(at(2025, 1, 1, 2, 29)), Some(at(2025, 1, 1, 2, 30)));
        assert_eq!(c.next_after(at(2025, 1, 1, 2, 30)), Some(at(2025, 1, 2, 2, 30)));
        assert_eq!(c.next_after(at(2025, 12, 31, 3, 0)), Some(at(2026, 1, 1, 2, 30)));
        // Leap day only.
        let c: Cron = "0 0 29 FEB *".parse().unwrap();
        assert_eq!(c.next_after(at(2025, 3, 1, 0, 0)), Some(at(2028, 2, 29, 0, 0)));
        // Both day fields restricted: either matches (1st of month or a Monday).
        let c: Cron = "0 12 1 * MON".parse().unwrap();
        // 2025-01-01 is a Wednesday; next Monday is the 6th.
        assert_eq!(c.next_after(at(2025, 1, 1, 12, 0)), Some(at(2025, 1, 6, 12, 0)));
        assert_eq!(c.next_after(at(2025, 1, 27, 12, 0)), Some(at(2025, 2, 1, 12, 0)));
        assert!(c.matches(at(2025, 1, 13, 12, 0)));
        assert!(!c.matches(at(2025, 1, 14, 12, 0)));
        let never: Cron = "0 0 31 2 *".parse().unwrap();
        assert_eq!(never.next_after(at(2025, 1, 1, 0, 0)), None);
        // Weekday-only restriction.
        let c: Cron = "0 9 * * SAT".parse().unwrap();
        assert_eq!(c.next_after(at(2025, 1, 1, 0, 0)), Some(at(2025, 1, 4, 9, 0)));
    }
}
