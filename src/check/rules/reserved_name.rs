//! # reserved-name (error)
//!
//! Checks that no name collides with a word the generated code cannot use
//! as a name:
//!
//! - fields and services must not be a Rust keyword, strict or reserved
//!   (`type`, `match`, `self`, `async`, `gen`, `yield`, …);
//! - contexts, aggregates, commands, events, policies, read models, actors,
//!   flows and domain errors must not be `Self`, `Result`, `Option`, `Vec`,
//!   `String`, `Box`, `Ok`, `Err`, `Some` or `None`, which the generated
//!   Rust code uses itself.
//!
//! Every other name that follows its case is accepted, including a domain
//! error that shares its name with an event.
//!
//! ## Why
//!
//! A field becomes a struct field and a service becomes a crate; a keyword
//! there does not compile (or needs `r#` everywhere, in your code too). An
//! event named `Result` or `Option` would shadow the standard type that every
//! generated handler returns, and the compiler's errors would point at code
//! you did not write.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Sales:
//!     aggregates:
//!       Order:
//!         fields:
//!           type: string           # a Rust keyword
//!         events:
//!           Result: {}             # the generated code's own `Result`
//! ```
//!
//! ## Fix
//!
//! Rename it; the help suggests a name (`kind` for `type`, `Outcome` for
//! `Result`), and any name that says what the thing is in your domain is
//! better still.

use crate::diagnostics::{Code, Diagnostic, Label};
use crate::model::names::{pascal_case, reserved_field_name, reserved_type_name};
use crate::model::{Case, Name, NameKind};

pub fn check_name(kind: NameKind, name: &Name, out: &mut Vec<Diagnostic>) {
    let reason = match kind.case() {
        Case::Snake | Case::Kebab => reserved_field_name(&name.value),
        Case::Pascal => reserved_type_name(&name.value),
    };
    let Some(reason) = reason else { return };
    out.push(
        Diagnostic::new(
            Code::ReservedName,
            format!("`{}` is {reason} and cannot name {}", name.value, with_article(kind.as_str())),
            Label::new(name.span, "reserved name"),
        )
        .with_help(format!("rename it, for example to `{}`", alternative(kind, &name.value))),
    );
}

/// "an event", "a field".
fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {noun}")
}

/// A name to suggest instead of a reserved one: a usual replacement where
/// there is one, else the name with a suffix that keeps its meaning.
fn alternative(kind: NameKind, reserved: &str) -> String {
    const FIELDS: &[(&str, &str)] = &[
        ("type", "kind"),
        ("ref", "reference"),
        ("mod", "module"),
        ("fn", "function"),
        ("impl", "implementation"),
        ("use", "usage"),
        ("move", "movement"),
        ("where", "location"),
        ("match", "matching"),
        ("const", "constant"),
        ("static", "is_static"),
        ("final", "is_final"),
        ("override", "manual_override"),
        ("async", "is_async"),
        ("virtual", "is_virtual"),
        ("unsafe", "is_unsafe"),
        ("box", "package"),
        ("struct", "structure"),
        ("enum", "enumeration"),
        ("loop", "cycle"),
        ("yield", "yield_rate"),
        ("gen", "generation"),
        ("try", "attempt"),
        ("priv", "private"),
        ("pub", "public"),
        ("abstract", "summary"),
        ("as", "alias"),
        ("dyn", "dynamic"),
        ("extern", "external"),
        ("mut", "mutable"),
        ("super", "parent"),
    ];
    const TYPES: &[(&str, &str)] = &[
        ("Result", "Outcome"),
        ("Option", "Choice"),
        ("Vec", "List"),
        ("String", "Text"),
        ("Box", "Parcel"),
        ("Ok", "Accepted"),
        ("Err", "Failed"),
        ("Some", "Present"),
        ("None", "Nothing"),
    ];
    let table = match kind.case() {
        Case::Snake => FIELDS,
        Case::Pascal => TYPES,
        Case::Kebab => &[],
    };
    if let Some((_, better)) = table.iter().find(|(word, _)| *word == reserved) {
        return (*better).to_string();
    }
    match kind.case() {
        Case::Snake => format!("{reserved}_value"),
        Case::Kebab => format!("{reserved}-service"),
        Case::Pascal => format!("{reserved}{}", pascal_case(kind.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::build::fixture::sample_with_names;

    fn run(event: &str, field: &str, service: &str) -> Vec<(String, Option<String>)> {
        let (model, built) = sample_with_names(event, field, service);
        assert!(built.is_empty(), "{built:?}");
        let mut out = Vec::new();
        crate::check::Check::Name(super::check_name).run(&model, &mut out);
        out.into_iter().map(|d| (d.message, d.help)).collect()
    }

    #[test]
    fn keywords_and_generated_names_are_reported_with_an_alternative() {
        assert_eq!(
            run("Result", "type", "self"),
            [
                (
                    "`Result` is a name the generated Rust code uses itself and cannot name an event".to_string(),
                    Some("rename it, for example to `Outcome`".to_string())
                ),
                (
                    "`type` is a Rust keyword and cannot name a field".to_string(),
                    Some("rename it, for example to `kind`".to_string())
                ),
                (
                    "`self` is a Rust keyword and cannot name a service".to_string(),
                    Some("rename it, for example to `self-service`".to_string())
                ),
            ]
        );
    }

    #[test]
    fn fallbacks_keep_the_name() {
        let found = run("Self", "while", "api");
        assert_eq!(found[0].1.as_deref(), Some("rename it, for example to `SelfEvent`"));
        assert_eq!(found[1].1.as_deref(), Some("rename it, for example to `while_value`"));
    }

    #[test]
    fn ordinary_names_pass() {
        assert!(run("OrderPlaced", "kind", "orders-api").is_empty());
    }
}
