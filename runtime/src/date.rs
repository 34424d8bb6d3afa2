//! A civil calendar date without a time zone (`2025-01-31`), for fields a
//! model declares as `date`: a birthday or a due date is a day, not an
//! instant, so it is not a [`Timestamp`](crate::Timestamp).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::{civil_from_days, days_from_civil, days_in_month};

/// A proleptic Gregorian date, stored as days since 1970-01-01. Serialized as
/// `YYYY-MM-DD`; the default is 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Date(i64);

impl Date {
    /// The date of a year, month (1..=12) and day; `None` if it does not exist.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date(days_from_civil(year, month, day)))
    }

    /// Days since 1970-01-01 (negative before it).
    pub const fn days_since_epoch(self) -> i64 {
        self.0
    }

    /// From days since 1970-01-01.
    pub const fn from_days_since_epoch(days: i64) -> Date {
        Date(days)
    }

    /// The (year, month, day) of the date.
    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.0)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.ymd();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

/// The text was not a date of the form `YYYY-MM-DD`.
#[derive(Debug, thiserror::Error)]
#[error("invalid date {0:?}: expected YYYY-MM-DD")]
pub struct ParseDateError(String);

impl FromStr for Date {
    type Err = ParseDateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseDateError(s.to_owned());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, ParseDateError> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err());
            }
            part.parse().map_err(|_| err())
        };
        Date::from_ymd(i64::from(num(0..4)?), num(5..7)?, num(8..10)?).ok_or_else(err)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects() {
        let d = Date::from_ymd(2024, 2, 29).unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!("2024-02-29".parse::<Date>().unwrap(), d);
        assert_eq!(Date::default().to_string(), "1970-01-01");
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2024-02-29\"");
        assert_eq!(serde_json::from_str::<Date>("\"2024-02-29\"").unwrap(), d);
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "20240101", "", "abcd-ef-gh", "2024-01-0x"] {
            assert!(bad.parse::<Date>().is_err(), "{bad:?}");
        }
        assert!(Date::from_ymd(1969, 12, 31).unwrap() < Date::default());
    }
}
