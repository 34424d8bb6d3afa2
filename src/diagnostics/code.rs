//! The stable codes of every rule, with their default severity.
//!
//! A code is part of Squall's interface: users write it in `lints:` and on
//! the command line, and tools read it from `--format json`. Codes are never
//! renamed or reused.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $severity:ident;)*) => {
        /// A rule of the check, named by its stable code (`squall::<code>`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order of the format's rule table.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as users write it: `event-tense`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// The severity of the rule before any lint level applies.
            pub const fn default_severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }
        }
    };
}

codes! {
    Syntax = "syntax", Error;
    DuplicateName = "duplicate-name", Error;
    InvalidName = "invalid-name", Error;
    ReservedName = "reserved-name", Error;
    UnknownReference = "unknown-reference", Error;
    AmbiguousReference = "ambiguous-reference", Error;
    InvalidType = "invalid-type", Error;
    UnkeyedReadModel = "unkeyed-read-model", Error;
    UncorrelatedPolicy = "uncorrelated-policy", Error;
    ForeignEvent = "foreign-event", Error;
    CommandWithoutEvent = "command-without-event", Error;
    CrossContextCommand = "cross-context-command", Error;
    PrivateEventConsumed = "private-event-consumed", Error;
    UndeclaredDependency = "undeclared-dependency", Error;
    RelationshipRoleConflict = "relationship-role-conflict", Error;
    ScheduleWithoutTimer = "schedule-without-timer", Error;
    TimerWithoutSchedule = "timer-without-schedule", Error;
    ServiceOwnership = "service-ownership", Error;
    BrokenFlow = "broken-flow", Error;
    PolicyCycle = "policy-cycle", Warning;
    OrphanEvent = "orphan-event", Warning;
    UnusedEvent = "unused-event", Warning;
    UnusedActor = "unused-actor", Warning;
    UnreachableCommand = "unreachable-command", Warning;
    UncreatableAggregate = "uncreatable-aggregate", Warning;
    UnusedRelationship = "unused-relationship", Warning;
    UpstreamCycle = "upstream-cycle", Warning;
    PiiInPublicEvent = "pii-in-public-event", Warning;
    PiiCopied = "pii-copied", Warning;
    EventTense = "event-tense", Warning;
    CommandMood = "command-mood", Warning;
    EmptyContext = "empty-context", Warning;
}

impl Code {
    /// Whether a lint level may change this rule (errors cannot be allowed).
    pub const fn is_lint(self) -> bool {
        matches!(self.default_severity(), Severity::Warning)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Code {
    type Err = UnknownCode;

    /// Accepts `event-tense` and `squall::event-tense`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bare = s.strip_prefix("squall::").unwrap_or(s);
        Code::ALL.iter().copied().find(|code| code.as_str() == bare).ok_or_else(|| UnknownCode(s.to_string()))
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A string that names no rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a rule of squall")]
pub struct UnknownCode(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_names() {
        for &code in Code::ALL {
            assert_eq!(code.as_str().parse::<Code>(), Ok(code));
            assert_eq!(format!("squall::{code}").parse::<Code>(), Ok(code));
        }
        assert!("event_tense".parse::<Code>().is_err());
    }
}
