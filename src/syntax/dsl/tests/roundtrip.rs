//! Random trees through the printer and back: `parse(print(f)) == f`, and
//! printing what was parsed gives the same text again.
//!
//! The trees are any the YAML reader could give without a syntax error:
//! names and values of every shape (bare words, keywords, text that must be
//! quoted, control characters), every optional key present or not, lists of
//! every length, and comments everywhere.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::{parse, print};
use crate::syntax::ast::*;
use crate::syntax::span::{Span, Spanned};

fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Span::default())
}

/// Words that mean something to the DSL somewhere.
const KEYWORDS: &[&str] = &[
    "system",
    "description",
    "lints",
    "actor",
    "context",
    "flow",
    "hotspot",
    "aggregate",
    "command",
    "event",
    "public",
    "policy",
    "read",
    "model",
    "service",
    "team",
    "id",
    "by",
    "actors",
    "emits",
    "creates",
    "errors",
    "schedule",
    "version",
    "on",
    "then",
    "key",
    "from",
    "owns",
    "steps",
    "role",
    "pii",
    "true",
    "false",
    "upstream",
    "downstream",
    "upstream_roles",
    "downstream_roles",
    "between",
    "partnership",
    "kind",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Z][A-Za-z0-9]{0,8}",
        2 => "[a-z][a-z0-9_]{0,6}",
        1 => "[a-z][a-z0-9-]{0,6}",
        1 => "[A-Z][a-z]{0,5}\\.[A-Z][a-z0-9]{0,5}",
        1 => "(list<)?(uuid|string|int)>?\\??",
        1 => proptest::sample::select(KEYWORDS).prop_map(String::from),
        1 => "(?s).{0,6}",
    ]
}

fn text() -> impl Strategy<Value = Text> {
    prop_oneof![3 => "[ -~]{0,24}", 1 => "(?s).{0,12}", 1 => word()].prop_map(spanned)
}

fn name() -> impl Strategy<Value = Text> {
    word().prop_map(spanned)
}

fn list() -> impl Strategy<Value = Option<TextList>> {
    option::of(vec(name(), 0..4).prop_map(spanned))
}

fn flag() -> impl Strategy<Value = Option<Spanned<bool>>> {
    option::of(any::<bool>().prop_map(spanned))
}

fn comment() -> impl Strategy<Value = String> {
    // Any text but a line break; a `\r` at the end is part of a CRLF.
    prop_oneof!["[^\n]{0,15}[^\n\r]", "[ -~]{0,16}", Just(String::new())]
}

fn comments() -> impl Strategy<Value = Comments> {
    (vec(comment(), 0..2), option::of(comment())).prop_map(|(before, trailing)| Comments { before, trailing })
}

fn entry<T: std::fmt::Debug>(body: impl Strategy<Value = T>) -> impl Strategy<Value = Entry<T>> {
    (name(), body, comments()).prop_map(|(name, body, comments)| Entry { name, body, span: Span::default(), comments })
}

/// Fields and lints are keyed by name: a duplicate is a syntax error there.
fn unique<T>(mut entries: Vec<Entry<T>>) -> Vec<Entry<T>> {
    let mut seen = std::collections::HashSet::new();
    entries.retain(|e| seen.insert(e.name.value.clone()));
    entries
}

fn fields() -> impl Strategy<Value = Vec<Entry<Field>>> {
    let field = (name(), flag(), option::of(text())).prop_map(|(ty, pii, description)| Field { ty, pii, description });
    vec(entry(field), 0..4).prop_map(unique)
}

fn command() -> impl Strategy<Value = Command> {
    (option::of(text()), list(), any::<bool>(), fields(), list(), flag(), list(), option::of(text())).prop_map(
        |(description, actors, plural, fields, emits, creates, errors, schedule)| {
            let actors_key = if plural && actors.is_some() { ActorsKey::Actors } else { ActorsKey::Actor };
            Command { description, actors, actors_key, fields, emits, creates, errors, schedule }
        },
    )
}

fn event() -> impl Strategy<Value = Event> {
    (option::of(text()), flag(), option::of(any::<u32>().prop_map(spanned)), fields())
        .prop_map(|(description, public, version, fields)| Event { description, public, version, fields })
}

fn aggregate() -> impl Strategy<Value = Aggregate> {
    (option::of(text()), option::of(name()), fields(), vec(entry(command()), 0..3), vec(entry(event()), 0..3))
        .prop_map(|(description, id, fields, commands, events)| Aggregate { description, id, fields, commands, events })
}

fn hotspot() -> impl Strategy<Value = Hotspot> {
    (text(), option::of(name()), comments()).prop_map(|(text, on, comments)| Hotspot {
        text,
        on,
        span: Span::default(),
        comments,
    })
}

fn context() -> impl Strategy<Value = Context> {
    let policy = (option::of(text()), list(), option::of(name()), option::of(name()))
        .prop_map(|(description, on, then, key)| Policy { description, on, then, key });
    let read_model = (option::of(text()), list(), option::of(name()), fields())
        .prop_map(|(description, from, key, fields)| ReadModel { description, from, key, fields });
    let service = (option::of(name()), list(), option::of(text())).prop_map(|(kind, owns, description)| Service {
        kind,
        owns,
        description,
    });
    (
        option::of(text()),
        option::of(text()),
        vec(entry(aggregate()), 0..3),
        vec(entry(policy), 0..2),
        vec(entry(read_model), 0..2),
        vec(hotspot(), 0..2),
        vec(entry(service), 0..2),
    )
        .prop_map(|(description, team, aggregates, policies, read_models, hotspots, services)| Context {
            description,
            team,
            aggregates,
            policies,
            read_models,
            hotspots,
            services,
        })
}

fn relationship() -> impl Strategy<Value = Relationship> {
    let kind = prop_oneof![
        proptest::sample::select(super::super::parser::RELATIONSHIP_KINDS).prop_map(|k| spanned(k.to_string())),
        text(),
    ];
    (kind, option::of(name()), option::of(name()), list(), list(), list(), option::of(text()), comments())
        .prop_map(|(kind, upstream, downstream, upstream_roles, downstream_roles, between, description, comments)| {
            Relationship {
                kind: Some(kind),
                upstream,
                downstream,
                upstream_roles,
                downstream_roles,
                between,
                description,
                span: Span::default(),
                comments,
            }
        })
        // A relationship with no context at all is a syntax error.
        .prop_filter("names a context", |r| {
            r.upstream.is_some()
                || r.downstream.is_some()
                || r.upstream_roles.is_some()
                || r.downstream_roles.is_some()
                || r.between.is_some()
        })
}

fn file() -> impl Strategy<Value = File> {
    let actor = (option::of(name()), option::of(text()), option::of(name()))
        .prop_map(|(kind, description, role)| Actor { kind, description, role });
    let flow = (option::of(text()), list()).prop_map(|(description, steps)| Flow { description, steps });
    (
        (option::of(name()), option::of(text()), vec(entry(name()), 0..3).prop_map(unique)),
        vec(entry(actor), 0..3),
        vec(entry(context()), 0..3),
        vec(relationship(), 0..3),
        vec(entry(flow), 0..3),
        vec(hotspot(), 0..2),
        (vec(comment(), 0..3), vec(comment(), 0..3)),
    )
        .prop_map(
            |((system, description, lints), actors, contexts, relationships, flows, hotspots, (header, footer))| File {
                system,
                description,
                lints,
                actors,
                contexts,
                relationships,
                flows,
                hotspots,
                header,
                footer,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_read_back_the_same(file in file()) {
        let printed = print(&file);
        let parsed = parse(&printed);
        let reread = parsed.file.expect("the DSL always gives a tree");
        prop_assert_eq!(&reread, &file, "printed:\n{}\nerrors: {:#?}", printed, parsed.diagnostics);
    }

    #[test]
    fn printing_is_idempotent(file in file()) {
        let printed = print(&file);
        let reread = parse(&printed).file.expect("the DSL always gives a tree");
        prop_assert_eq!(print(&reread), printed);
    }

    /// Any text: the parser ends and gives a tree that prints; when the
    /// text had no error, that tree survives the round trip.
    #[test]
    fn any_text_reads(source in "(?s).{0,200}") {
        assert_soup_round_trips(&source)?;
    }

    /// Text made of the DSL's own tokens, which gets much further into the
    /// grammar than random characters.
    #[test]
    fn token_soup_reads(tokens in vec(soup_token(), 0..80)) {
        assert_soup_round_trips(&tokens.concat())?;
    }
}

fn soup_token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYWORDS).prop_map(|k| format!("{k} ")),
        3 => "[A-Z][a-z]{0,3} ",
        1 => proptest::sample::select(&["{", "}", "[", "]", ",", ":", "->", "<->", "\n", "\n\n", " "][..])
            .prop_map(String::from),
        1 => proptest::sample::select(&["\"a b\" ", "# note\n", "\"", "string? ", "list<uuid> ", "1 "][..])
            .prop_map(String::from),
    ]
}

fn assert_soup_round_trips(source: &str) -> Result<(), TestCaseError> {
    let parsed = parse(source);
    let first = parsed.file.expect("the DSL always gives a tree");
    let printed = print(&first);
    if parsed.diagnostics.is_empty() {
        let second = parse(&printed);
        prop_assert!(second.diagnostics.is_empty(), "{:#?}", second.diagnostics);
        let second = second.file.expect("the DSL always gives a tree");
        prop_assert_eq!(&second, &first, "source:\n{}\nprinted:\n{}", source, printed);
        prop_assert_eq!(print(&second), printed);
    }
    Ok(())
}
