//! One file per rule, named after its code.

use super::{Check, Rule};
use crate::diagnostics::Code;

/// A rule marked `per name` looks at one declared name at a time
/// (`check_name`); the others walk the model (`check`). See [`Check`].
macro_rules! rules {
    (
        found while building { $($found_module:ident => $found_code:ident,)* }
        on the model { $($module:ident => $code:ident $(per $per:ident)?,)* }
    ) => {
        $(pub mod $found_module;)*
        $(pub mod $module;)*

        /// The rules that run on a built model.
        pub const MODEL_RULES: &[Rule] = &[$(Rule { code: Code::$code, check: rules!(@check $module $($per)?) },)*];

        /// The source of a rule's file, whose `//!` comment documents it.
        pub fn source(code: Code) -> &'static str {
            match code {
                $(Code::$found_code => include_str!(concat!(stringify!($found_module), ".rs")),)*
                $(Code::$code => include_str!(concat!(stringify!($module), ".rs")),)*
            }
        }
    };
    (@check $module:ident) => { Check::Model($module::check) };
    (@check $module:ident name) => { Check::Name($module::check_name) };
}

rules! {
    found while building {
        syntax => Syntax,
        unknown_reference => UnknownReference,
        ambiguous_reference => AmbiguousReference,
        invalid_type => InvalidType,
    }
    on the model {
        duplicate_name => DuplicateName,
        invalid_name => InvalidName per name,
        reserved_name => ReservedName per name,
        unkeyed_read_model => UnkeyedReadModel,
        uncorrelated_policy => UncorrelatedPolicy,
        foreign_event => ForeignEvent,
        command_without_event => CommandWithoutEvent,
        cross_context_command => CrossContextCommand,
        private_event_consumed => PrivateEventConsumed,
        undeclared_dependency => UndeclaredDependency,
        relationship_role_conflict => RelationshipRoleConflict,
        schedule_without_timer => ScheduleWithoutTimer,
        timer_without_schedule => TimerWithoutSchedule,
        service_ownership => ServiceOwnership,
        broken_flow => BrokenFlow,
        policy_cycle => PolicyCycle,
        orphan_event => OrphanEvent,
        unused_event => UnusedEvent,
        unused_actor => UnusedActor,
        unreachable_command => UnreachableCommand,
        uncreatable_aggregate => UncreatableAggregate,
        unused_relationship => UnusedRelationship,
        upstream_cycle => UpstreamCycle,
        pii_in_public_event => PiiInPublicEvent,
        pii_copied => PiiCopied,
        event_tense => EventTense per name,
        command_mood => CommandMood per name,
        empty_context => EmptyContext,
    }
}
