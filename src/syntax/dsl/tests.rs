//! Tests of the DSL as a whole: the spec's example, spans, comments, errors
//! and their recovery, hostile inputs, and (in [`roundtrip`]) random trees
//! through the printer and back.

mod roundtrip;

use super::{parse, print};
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{self, ActorsKey};
use crate::syntax::span::Span;

const PAYMENTS: &str = include_str!("testdata/payments.squall");
const PAYMENTS_YAML: &str = include_str!("testdata/payments.yaml");

/// Reads a source that must have no error.
fn ok(source: &str) -> ast::File {
    let parsed = parse(source);
    assert!(parsed.diagnostics.is_empty(), "unexpected errors: {:#?}", parsed.diagnostics);
    parsed.file.expect("the DSL always gives a tree")
}

fn errors(source: &str) -> Vec<Diagnostic> {
    let parsed = parse(source);
    assert!(parsed.file.is_some());
    assert!(parsed.diagnostics.iter().all(|d| d.code == Code::Syntax));
    parsed.diagnostics
}

/// The span of the `n`th (0-based) occurrence of `needle` in `source`.
fn at(source: &str, needle: &str, n: usize) -> Span {
    let offset = source.match_indices(needle).nth(n).map(|(i, _)| i).expect("needle in source");
    Span::new(offset, needle.len())
}

fn names<T>(entries: &[ast::Entry<T>]) -> Vec<&str> {
    entries.iter().map(|e| e.name.value.as_str()).collect()
}

fn texts(list: &Option<ast::TextList>) -> Vec<&str> {
    list.as_ref().map(|l| l.value.iter().map(|t| t.value.as_str()).collect()).unwrap_or_default()
}

/// Comments cleared, for comparing trees whose syntaxes place comments
/// differently.
fn without_comments(mut file: ast::File) -> ast::File {
    fn clear<T>(entries: &mut [ast::Entry<T>], mut inner: impl FnMut(&mut T)) {
        for entry in entries {
            entry.comments = ast::Comments::default();
            inner(&mut entry.body);
        }
    }
    file.header.clear();
    file.footer.clear();
    clear(&mut file.lints, |_| {});
    clear(&mut file.actors, |_| {});
    clear(&mut file.flows, |_| {});
    for r in &mut file.relationships {
        r.comments = ast::Comments::default();
    }
    for h in &mut file.hotspots {
        h.comments = ast::Comments::default();
    }
    clear(&mut file.contexts, |c| {
        for h in &mut c.hotspots {
            h.comments = ast::Comments::default();
        }
        clear(&mut c.policies, |_| {});
        clear(&mut c.services, |_| {});
        clear(&mut c.read_models, |r| clear(&mut r.fields, |_| {}));
        clear(&mut c.aggregates, |a| {
            clear(&mut a.fields, |_| {});
            clear(&mut a.commands, |c| clear(&mut c.fields, |_| {}));
            clear(&mut a.events, |e| clear(&mut e.fields, |_| {}));
        });
    });
    file
}

// ---- the spec's example ---------------------------------------------------------

#[test]
fn payments_example_reads_without_errors() {
    let file = ok(PAYMENTS);
    assert_eq!(file.system.as_ref().map(|s| s.value.as_str()), Some("Payments"));
    assert_eq!(names(&file.actors), ["Buyer", "Merchant", "Underwriter", "Clock", "PaymentProvider"]);
    assert_eq!(file.actors[3].body.kind.as_ref().map(|k| k.value.as_str()), Some("timer"));
    assert_eq!(names(&file.contexts), ["Customer", "Transactions", "Billing"]);

    let customer = &file.contexts[0].body;
    assert_eq!(customer.team.as_ref().map(|t| t.value.as_str()), Some("Team Blue"));
    let merchant = &customer.aggregates[0].body;
    assert_eq!(names(&merchant.fields), ["name", "email", "accepted"]);
    assert_eq!(merchant.fields[1].body.pii.as_ref().map(|p| p.value), Some(true));
    let register = &merchant.commands[0].body;
    assert_eq!(texts(&register.actors), ["Merchant"]);
    assert_eq!(register.actors_key, ActorsKey::Actor);
    assert_eq!(register.creates.as_ref().map(|c| c.value), Some(true));
    assert_eq!(texts(&register.emits), ["MerchantRegistered"]);
    let check = &merchant.commands[1].body;
    assert_eq!(texts(&check.emits), ["CustomerAccepted", "CustomerRejected"]);
    assert_eq!(texts(&check.errors), ["AlreadyChecked"]);
    assert_eq!(merchant.events[1].body.public.as_ref().map(|p| p.value), Some(true));
    assert!(merchant.events[2].body.fields.is_empty());

    let billing = &file.contexts[2].body;
    let monthly = &billing.aggregates[0].body.commands[1].body;
    assert_eq!(monthly.schedule.as_ref().map(|s| s.value.as_str()), Some("0 0 1 * *"));
    assert_eq!(texts(&billing.policies[0].body.on), ["Transactions.PaymentCompleted"]);
    assert_eq!(texts(&billing.read_models[0].body.from), ["Transactions.PaymentCompleted", "InvoiceLineAdded"]);

    let supplier = &file.relationships[0];
    assert_eq!(supplier.kind.as_ref().map(|k| k.value.as_str()), Some("customer-supplier"));
    assert_eq!(supplier.upstream.as_ref().map(|u| u.value.as_str()), Some("Customer"));
    assert_eq!(texts(&supplier.upstream_roles), ["PL"]);
    assert_eq!(supplier.downstream_roles, None);
    assert_eq!(texts(&file.relationships[1].downstream_roles), ["ACL"]);
    assert_eq!(texts(&file.flows[0].body.steps).len(), 7);
    assert_eq!(file.contexts[1].body.hotspots.len(), 1);
}

#[test]
fn payments_example_is_in_canonical_layout() {
    let file = ok(PAYMENTS);
    assert_eq!(print(&file), PAYMENTS);
}

#[test]
fn payments_example_says_what_the_yaml_says() {
    let yaml = crate::syntax::yaml::parse(PAYMENTS_YAML);
    assert!(yaml.diagnostics.is_empty(), "{:#?}", yaml.diagnostics);
    let yaml = yaml.file.expect("the spec's YAML is a model");
    let dsl = ok(PAYMENTS);
    assert_eq!(without_comments(dsl.clone()), without_comments(yaml.clone()));
    // The comments too: each sits on the same entry in both.
    assert_eq!(dsl, yaml);
    // And the DSL printed from the YAML is the canonical DSL file.
    assert_eq!(print(&yaml), PAYMENTS);
}

#[test]
fn payments_example_keeps_its_comments() {
    let file = ok(PAYMENTS);
    assert_eq!(file.actors[4].comments.trailing.as_deref(), Some("an external system (pink sticky)"));
    let merchant = &file.contexts[0].body.aggregates[0].body;
    assert_eq!(merchant.fields[0].comments.before, ["the aggregate's state"]);
    assert_eq!(merchant.commands[0].comments.trailing.as_deref(), Some("starts a new aggregate"));
    // On a one-line element, the comment is the element's, not its field's.
    assert_eq!(merchant.events[0].comments.trailing.as_deref(), Some("private: stays inside Customer"));
    assert!(merchant.events[0].body.fields.iter().all(|f| f.comments.is_empty()));
}

// ---- spans ---------------------------------------------------------------------

#[test]
fn names_and_values_keep_their_exact_spans() {
    let file = ok(PAYMENTS);
    let merchant = &file.contexts[0].body.aggregates[0];
    let register = &merchant.body.commands[0];
    assert_eq!(register.name.span, at(PAYMENTS, "RegisterMerchant", 0));
    assert_eq!(register.body.creates.as_ref().map(|c| c.span), Some(at(PAYMENTS, "creates", 0)));
    let emits = register.body.emits.as_ref().expect("emits");
    assert_eq!(emits.span, at(PAYMENTS, "MerchantRegistered {", 0).pipe_len(18));
    let check = &merchant.body.commands[1].body;
    assert_eq!(check.emits.as_ref().map(|e| e.span), Some(at(PAYMENTS, "[CustomerAccepted, CustomerRejected]", 0)));
    let schedule = file.contexts[2].body.aggregates[0].body.commands[1].body.schedule.as_ref().map(|s| s.span);
    assert_eq!(schedule, Some(at(PAYMENTS, "\"0 0 1 * *\"", 0)));
    let email = &merchant.body.fields[1];
    assert_eq!(email.span, at(PAYMENTS, "email: string pii", 0));
    assert_eq!(email.body.ty.span, at(PAYMENTS, "string", 1));
    // An entry spans from its keyword to its closing brace.
    let start = at(PAYMENTS, "command RegisterMerchant", 0).offset;
    let end = PAYMENTS[start..].find("\n    }").map(|i| start + i + 6).expect("closing brace");
    assert_eq!(register.span, Span::from_range(start, end));
    let public = &merchant.body.events[1];
    assert_eq!(public.span.offset, at(PAYMENTS, "public event CustomerAccepted", 0).offset);
    assert_eq!(public.body.public.as_ref().map(|p| p.span), Some(at(PAYMENTS, "public", 0)));
    let relationship = &file.relationships[0];
    assert_eq!(relationship.span, at(PAYMENTS, "customer-supplier Customer [PL] -> Transactions", 0));
    assert_eq!(relationship.upstream_roles.as_ref().map(|r| r.span), Some(at(PAYMENTS, "[PL]", 0)));
}

/// `Span` helpers for the tests above.
trait PipeLen {
    fn pipe_len(self, len: usize) -> Span;
}

impl PipeLen for Span {
    fn pipe_len(self, len: usize) -> Span {
        Span::new(self.offset, len)
    }
}

#[test]
fn quoted_names_span_their_quotes() {
    let source = "system \"My System\"\nactor \"Odd Name\": \"robot\"\n";
    let file = ok(source);
    assert_eq!(file.system.as_ref().map(|s| (s.value.as_str(), s.span)), Some(("My System", Span::new(7, 11))));
    let actor = &file.actors[0];
    assert_eq!(actor.name.value, "Odd Name");
    assert_eq!(actor.name.span, at(source, "\"Odd Name\"", 0));
    assert_eq!(actor.body.kind.as_ref().map(|k| k.value.as_str()), Some("robot"));
}

// ---- what the DSL says ---------------------------------------------------------------

#[test]
fn values_are_kept_as_written_for_the_model_to_check() {
    let file = ok("system S\nactor A: robot\ncontext C {\n  aggregate G id int {\n    tags: list<uuid>?\n  \
                   }\n  service api-1: gateway owns G\n}\nlints { event-tense: sometimes }\n");
    assert_eq!(file.actors[0].body.kind.as_ref().map(|k| k.value.as_str()), Some("robot"));
    let context = &file.contexts[0].body;
    assert_eq!(context.aggregates[0].body.fields[0].body.ty.value, "list<uuid>?");
    assert_eq!(context.aggregates[0].body.id.as_ref().map(|i| i.value.as_str()), Some("int"));
    assert_eq!(context.services[0].body.kind.as_ref().map(|k| k.value.as_str()), Some("gateway"));
    assert_eq!(file.lints[0].body.value, "sometimes");
}

#[test]
fn a_command_without_emits_is_not_a_syntax_error() {
    let file = ok("system S\ncontext C {\n  aggregate A {\n    command Do by Someone\n  }\n}\n");
    let command = &file.contexts[0].body.aggregates[0].body.commands[0].body;
    assert_eq!(command.emits, None);
    assert_eq!(texts(&command.actors), ["Someone"]);
}

#[test]
fn keys_may_stand_in_the_block_as_well_as_on_the_line() {
    let inline = ok("system S\ncontext C {\n  aggregate A {\n    command Do by X creates -> Done errors [E, F] \
                     { n: int }\n  }\n}\n");
    let block = ok("system S\ncontext C {\n  aggregate A {\n    command Do {\n      by X\n      creates\n      \
                    emits Done\n      n: int\n      errors [E, F]\n    }\n  }\n}\n");
    assert_eq!(inline, block);
}

#[test]
fn lists_of_one_and_actor_keys() {
    let file = ok("system S\ncontext C {\n  aggregate A {\n    command One by X -> E\n    command Two by [X, Y] -> \
                   [E]\n    command Three actors X\n    command Four actor [X, Y]\n    command Five -> []\n  }\n}\n");
    let commands = &file.contexts[0].body.aggregates[0].body.commands;
    let keys: Vec<_> = commands.iter().map(|c| (c.body.actors_key, texts(&c.body.actors).len())).collect();
    assert_eq!(
        keys,
        [
            (ActorsKey::Actor, 1),
            (ActorsKey::Actors, 2),
            (ActorsKey::Actors, 1),
            (ActorsKey::Actor, 2),
            (ActorsKey::Actor, 0)
        ]
    );
    assert_eq!(commands[1].body.emits.as_ref().map(|e| e.value.len()), Some(1));
    assert_eq!(commands[4].body.emits.as_ref().map(|e| e.value.len()), Some(0));
    let printed = print(&file);
    assert!(printed.contains("command Three by [X]"), "{printed}");
    assert!(printed.contains("command Four actor [X, Y]"), "{printed}");
    assert_eq!(ok(&printed), file);
}

#[test]
fn relationships_in_every_shape() {
    let source = "system S\n\
                   customer-supplier A [PL] -> [] B \"why\"\n\
                   partnership A <-> B\n\
                   shared-kernel between [A, B] description \"x\"\n\
                   upstream-downstream upstream A downstream_roles [ACL] downstream B\n\
                   \"odd kind\" A -> B\n";
    let file = ok(source);
    let r = &file.relationships;
    assert_eq!(r.len(), 5);
    assert_eq!(texts(&r[0].downstream_roles).len(), 0);
    assert!(r[0].downstream_roles.is_some());
    assert_eq!(r[0].description.as_ref().map(|d| d.value.as_str()), Some("why"));
    assert_eq!(texts(&r[1].between), ["A", "B"]);
    assert_eq!(r[1].between.as_ref().map(|b| b.span), Some(at(source, "A <-> B", 0)));
    assert_eq!(r[4].kind.as_ref().map(|k| k.value.as_str()), Some("odd kind"));
    assert_eq!(ok(&print(&file)), file);
}

#[test]
fn a_relationship_written_both_ways_is_an_error_on_the_form_its_kind_has_no_use_for() {
    let source = "system S\n\
                  partnership C <-> D upstream C\n\
                  shared-kernel C <-> D downstream D\n\
                  customer-supplier C -> D between [C, D]\n\
                  odd C <-> D upstream C\n";
    let found = errors(source);
    let summary: Vec<_> = found.iter().map(|d| (d.label.span, d.label.message.as_str(), d.related[0].span)).collect();
    assert_eq!(
        summary,
        [
            (at(source, "C", 1), "a `partnership` has no upstream or downstream", at(source, "C <-> D", 0)),
            (at(source, "D", 2), "a `shared-kernel` has no upstream or downstream", at(source, "C <-> D", 1)),
            (at(source, "[C, D]", 0), "a `customer-supplier` has no `between`", at(source, "C", 3)),
            (at(source, "C", 6), "`upstream`/`downstream` beside `between`", at(source, "C <-> D", 2)),
        ]
    );
    assert!(
        found.iter().all(|d| d.message == "a relationship has `upstream` and `downstream`, or `between`, not both")
    );
    assert!(found[0].help.as_deref().is_some_and(|h| h.contains("remove the `upstream`")), "{:?}", found[0].help);
}

#[test]
fn a_misspelt_relationship_kind_is_left_to_the_model() {
    let file = ok("system S\nupstream-dowstream A -> B\n");
    assert_eq!(file.relationships[0].kind.as_ref().map(|k| k.value.as_str()), Some("upstream-dowstream"));
}

// ---- comments --------------------------------------------------------------------------

#[test]
fn comments_go_to_header_entries_and_footer() {
    let source = "# The header.\n# Two lines.\nsystem S  # also header\n\n# about A\n# more\nactor A  # A's own\n\
                  actor B\ncontext C {  # the frame\n  team \"T\"  # moves to the next entry\n  aggregate G {\n    \
                  # state\n    n: int\n    # dangling at the end of the block\n  }\n}\n# The end.\n";
    let file = ok(source);
    assert_eq!(file.header, ["The header.", "Two lines.", "also header"]);
    assert_eq!(file.actors[0].comments.before, ["about A", "more"]);
    assert_eq!(file.actors[0].comments.trailing.as_deref(), Some("A's own"));
    assert!(file.actors[1].comments.is_empty());
    assert_eq!(file.contexts[0].comments.trailing.as_deref(), Some("the frame"));
    let aggregate = &file.contexts[0].body.aggregates[0];
    assert_eq!(aggregate.comments.before, ["moves to the next entry"]);
    assert_eq!(aggregate.body.fields[0].comments.before, ["state"]);
    assert_eq!(file.footer, ["dangling at the end of the block", "The end."]);
    // Printed, they stay where they now are.
    let printed = print(&file);
    assert_eq!(ok(&printed), file);
    assert_eq!(print(&ok(&printed)), printed);
}

#[test]
fn without_a_system_line_an_empty_line_ends_the_header() {
    let file = parse("# header\n\n# about A\nactor A\n").file.expect("tree");
    assert_eq!(file.header, ["header"]);
    assert_eq!(file.actors[0].comments.before, ["about A"]);
    let only = parse("# one\n\n# two\n").file.expect("tree");
    assert_eq!((only.header, only.footer), (vec!["one".to_string()], vec!["two".to_string()]));
}

#[test]
fn comment_text_loses_the_hash_and_one_space_only() {
    let file = ok("system S\n#  indented\n#\n#tight\nactor A #  trailing \n");
    assert_eq!(file.actors[0].comments.before, [" indented", "", "tight"]);
    assert_eq!(file.actors[0].comments.trailing.as_deref(), Some(" trailing "));
}

// ---- errors ----------------------------------------------------------------------------

#[test]
fn a_colon_after_a_command_name() {
    let source = "system S\ncontext C {\n  aggregate A {\n    command Pay: string\n  }\n}\n";
    let found = errors(source);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].message, "expected `{` or a newline after the command name, found `:`");
    assert_eq!(found[0].label.span, at(source, ":", 0));
    assert_eq!(found[0].help.as_deref(), Some("fields go inside braces: `command Name { field: type }`"));
}

#[test]
fn misspelt_keywords_get_a_suggestion() {
    let source = "system S\ncontxt C {\n  aggregate A\n}\ncontext D {\n  agregate B\n  polcy P on E then F\n  \
                  aggregate G {\n    comand Do\n    command Go bye X\n  }\n}\n";
    let found = errors(source);
    let summary: Vec<_> = found.iter().map(|d| (d.label.span, d.message.as_str(), d.help.as_deref())).collect();
    assert_eq!(
        summary,
        [
            (at(source, "contxt", 0), "unknown keyword `contxt`", Some("did you mean `context`?")),
            (at(source, "agregate", 0), "unknown keyword `agregate` in a context", Some("did you mean `aggregate`?")),
            (at(source, "polcy", 0), "unknown keyword `polcy` in a context", Some("did you mean `policy`?")),
            (at(source, "comand", 0), "unknown keyword `comand` in an aggregate", Some("did you mean `command`?")),
            (
                at(source, "bye", 0),
                "expected `{` or a newline after the command name, found `bye`",
                Some("did you mean `by`?")
            ),
        ]
    );
    // Recovery: what follows each error is still read.
    let file = parse(source).file.expect("tree");
    assert_eq!(names(&file.contexts), ["D"]);
    assert_eq!(names(&file.contexts[0].body.aggregates), ["G"]);
    assert_eq!(names(&file.contexts[0].body.aggregates[0].body.commands), ["Go"]);
}

#[test]
fn several_errors_in_one_run_and_the_rest_is_read() {
    let source = "system S\n\
                  actor A: person role\n\
                  context C {\n  \
                    aggregate G {\n    \
                      command Do by X -> [E, F\n    \
                      event E { n int, m: string pii maybe }\n    \
                      event F { n: int, n: int }\n  \
                    }\n  \
                    policy P on E\n\
                  }\n\
                  context D\n\
                  flow Nothing\n";
    let found = errors(source);
    let summary: Vec<_> = found.iter().map(|d| (d.label.span, d.message.as_str())).collect();
    let end_of = |needle: &str| {
        let span = at(source, needle, 0);
        Span::new(span.end(), 0)
    };
    assert_eq!(
        summary,
        [
            (end_of("role"), "expected a role, found the end of the line"),
            (end_of("[E, F"), "expected `,` or `]` in the list"),
            (at(source, "int", 0), "expected `:` after the field name `n`, found `int`"),
            (at(source, "maybe", 0), "expected `,`, a newline or `}` after the field `m`, found `maybe`"),
            (at(source, "n: int }", 0).pipe_len(1), "the field `n` is declared twice"),
            (at(source, "P on E", 0).pipe_len(1), "the policy `P` has no `then`"),
            (at(source, "Nothing", 0), "the flow `Nothing` has no `steps`"),
        ]
    );
    assert_eq!(found[1].related.first().map(|l| l.span), Some(at(source, "[", 0)));
    assert_eq!(found[4].related.first().map(|l| l.span), Some(at(source, "n: int,", 0).pipe_len(1)));
    let file = parse(source).file.expect("tree");
    assert_eq!(names(&file.contexts), ["C", "D"]);
    let aggregate = &file.contexts[0].body.aggregates[0].body;
    assert_eq!(texts(&aggregate.commands[0].body.emits), ["E", "F"]);
    assert_eq!(names(&aggregate.events), ["E", "F"]);
    assert_eq!(names(&aggregate.events[1].body.fields), ["n"]);
}

#[test]
fn a_missing_closing_brace_is_found_at_the_next_outer_keyword() {
    let source = "system S\ncontext C {\n  aggregate A {\n    command Do -> Done\n  \ncontext D {\n}\n";
    let found = errors(source);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].message, "expected `}` to close the block of aggregate `A`");
    assert_eq!(found[0].label.span, at(source, "context", 1));
    assert_eq!(found[0].related[0].span, at(source, "{", 1));
    assert_eq!(found[1].message, "expected `}` to close the block of context `C`");
    assert_eq!(found[1].label.span, at(source, "context", 1));
    let file = parse(source).file.expect("tree");
    assert_eq!(names(&file.contexts), ["C", "D"]);
}

#[test]
fn duplicate_keys_point_at_both_places() {
    let source = "system S\nsystem T\ncontext C {\n  team \"A\"\n  team \"B\"\n  aggregate G {\n    \
                  command Do by X actors [Y] -> E -> F\n  }\n}\n";
    let found = errors(source);
    let summary: Vec<_> =
        found.iter().map(|d| (d.message.as_str(), d.label.span, d.related.first().map(|l| l.span))).collect();
    assert_eq!(
        summary,
        [
            ("`system` is given twice", at(source, "system", 1), Some(at(source, "system", 0))),
            ("`team` is given twice", at(source, "team", 1), Some(at(source, "team", 0))),
            ("`actor` and `actors` together", at(source, "actors", 0), Some(at(source, "by", 0))),
            ("`emits` is given twice", at(source, "->", 1), Some(at(source, "->", 0))),
        ]
    );
    // The first one given stays.
    let file = parse(source).file.expect("tree");
    assert_eq!(file.system.as_ref().map(|s| s.value.as_str()), Some("S"));
}

#[test]
fn duplicate_element_names_are_kept_for_the_model() {
    let file = ok("system S\nactor A\nactor A\ncontext C\ncontext C\n");
    assert_eq!(names(&file.actors), ["A", "A"]);
    assert_eq!(names(&file.contexts), ["C", "C"]);
}

#[test]
fn missing_required_keys() {
    let source =
        "context C {\n  service api\n  read model R key id\n}\ncustmer-supplier A\npartnership A <-> B <-> C\n";
    let found = errors(source);
    let summary: Vec<_> = found.iter().map(|d| (d.label.span, d.message.as_str())).collect();
    assert_eq!(
        summary,
        [
            (at(source, "api", 0), "the service `api` has no `kind`"),
            (at(source, "api", 0), "the service `api` has no `owns`"),
            (at(source, "R", 0), "the read model `R` has no `from`"),
            (at(source, "custmer-supplier", 0), "unknown keyword `custmer-supplier`"),
            (at(source, "A <-> B <-> C", 0), "`between` names 3 contexts; it takes exactly two"),
            (Span::new(0, 0), "the model has no `system` line"),
        ]
    );
    assert_eq!(found[3].help.as_deref(), Some("did you mean `customer-supplier`?"));
}

#[test]
fn strings_and_characters() {
    let source = "system S \"unterminated\nactor A @ B\nactor C \"bad \\q escape\"\n";
    let found = errors(source);
    let summary: Vec<_> = found.iter().map(|d| (d.label.span, d.message.as_str())).collect();
    assert_eq!(
        summary,
        [
            (Span::new(9, 13), "unterminated string"),
            (at(source, "@", 0), "unexpected character `@`"),
            (at(source, "\\q", 0), "unknown escape `\\q` in a string"),
            (at(source, "B", 0), "expected `{` or a newline after the actor name, found `B`"),
        ]
    );
    let file = parse(source).file.expect("tree");
    assert_eq!(file.description.as_ref().map(|d| d.value.as_str()), Some("unterminated"));
    assert_eq!(names(&file.actors), ["A", "C"]);
}

#[test]
fn stray_tokens_at_the_top_level() {
    let source = "system S\n}\n: x\nactor A }\n";
    let found = errors(source);
    let spans: Vec<_> = found.iter().map(|d| d.label.span).collect();
    assert_eq!(spans, [at(source, "}", 0), at(source, ":", 0), at(source, "}", 1)]);
    assert_eq!(found[0].help.as_deref(), Some("remove this `}`: no block is open here"));
}

#[test]
fn top_level_items_that_belong_in_a_block() {
    let found = errors("system S\naggregate A {\n  command X\n}\n");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].message, "`aggregate` cannot stand at the top level");
}

// ---- hostile input ---------------------------------------------------------------------

#[test]
fn deep_nesting_does_not_overflow() {
    for open in ["{", "[", "context C {\n", "context C { aggregate A { command X {"] {
        let source = format!("system S\n{}", open.repeat(10_000));
        let parsed = parse(&source);
        assert!(!parsed.diagnostics.is_empty());
        assert!(parsed.diagnostics.len() <= 101);
    }
    let closers = format!("system S\n{}", "}".repeat(10_000));
    assert!(!parse(&closers).diagnostics.is_empty());
}

#[test]
fn binary_garbage_gives_a_bounded_number_of_errors() {
    let mut state = 0x2545_f491_u32;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    let source = String::from_utf8_lossy(&bytes);
    let parsed = parse(&source);
    assert!(parsed.diagnostics.len() <= 101);
    assert!(parsed.diagnostics.last().is_some_and(|d| d.message.ends_with("more syntax errors not shown")));
}

#[test]
fn odd_but_harmless_input() {
    for source in ["", "\u{feff}system S\n", "system S\r\nactor A\r\n", "system S", "\0", "\"", "#", "system", "->"] {
        let parsed = parse(source);
        assert!(parsed.file.is_some());
    }
    let crlf = ok("system S\r\nactor A  # note\r\n");
    assert_eq!(crlf.actors[0].comments.trailing.as_deref(), Some("note"));
}

/// A model of `contexts` contexts of 10 aggregates of 10 commands and
/// events, written the way a person would.
fn big_model(contexts: usize) -> String {
    let mut out = String::from("system Big\nactor Operator\n");
    for c in 0..contexts {
        out.push_str(&format!("context Area{c} {{\n  team \"Team {c}\"\n"));
        for a in 0..10 {
            out.push_str(&format!("  aggregate Item{a} {{\n    amount: decimal\n"));
            for k in 0..10 {
                out.push_str(&format!(
                    "    command Do{a}x{k} by Operator -> Done{a}x{k} {{ amount: decimal, note: string? }}\n"
                ));
            }
            for k in 0..10 {
                out.push_str(&format!("    public event Done{a}x{k} {{ amount: decimal, note: string? }}\n"));
            }
            out.push_str("  }\n");
        }
        if c > 0 {
            out.push_str(&format!("  policy React{c} on Area{}.Done0x0 then Do0x1\n", c - 1));
        }
        out.push_str("}\n");
        if c > 0 {
            out.push_str(&format!("customer-supplier Area{} -> Area{c}\n", c - 1));
        }
    }
    out
}

#[test]
fn a_large_model_reads_in_one_pass() {
    let source = big_model(50);
    let file = ok(&source);
    assert_eq!(file.contexts.len(), 50);
    assert_eq!(file.contexts[49].body.aggregates[9].body.commands.len(), 10);
    assert_eq!(ok(&print(&file)), file);
}

/// Run with `--ignored --nocapture` in release mode to compare with the
/// YAML reader on the same model.
#[test]
#[ignore]
fn timing_against_yaml() {
    use std::time::Instant;
    let dsl = big_model(200);
    let file = ok(&dsl);
    let yaml = crate::syntax::yaml::print(&file);
    let started = Instant::now();
    let parsed = parse(&dsl);
    let dsl_time = started.elapsed();
    let started = Instant::now();
    let generic = crate::syntax::yaml::parse_generic(&yaml);
    let generic_time = started.elapsed();
    let started = Instant::now();
    let read = crate::syntax::yaml::parse(&yaml);
    let yaml_time = started.elapsed();
    assert!(parsed.diagnostics.is_empty() && generic.is_ok() && read.diagnostics.is_empty());
    eprintln!(
        "{} KB DSL: {dsl_time:?}; {} KB YAML: generic {generic_time:?}, read {yaml_time:?}",
        dsl.len() / 1024,
        yaml.len() / 1024
    );
}

// ---- the documentation -------------------------------------------------------------------

const DOCS: &str = include_str!("../../../docs/dsl.md");

/// The ```squall blocks of `docs/dsl.md`.
fn doc_examples() -> Vec<&'static str> {
    DOCS.split("```squall\n").skip(1).filter_map(|block| block.split("```").next()).collect()
}

#[test]
fn the_documentation_shows_the_payments_example_as_fmt_writes_it() {
    assert_eq!(doc_examples().last().copied(), Some(PAYMENTS));
}

#[test]
fn every_example_in_the_documentation_reads() {
    let examples = doc_examples();
    assert!(examples.len() >= 5);
    for example in examples {
        // Fragments stand where they belong.
        let source = if example.starts_with("system") {
            example.to_string()
        } else if example.starts_with("command") || example.starts_with("event") {
            format!("system S\ncontext C {{\n  aggregate A {{\n{example}\n  }}\n}}\n")
        } else {
            format!("system S\n{example}")
        };
        let parsed = parse(&source);
        assert!(parsed.diagnostics.is_empty(), "{example}\n{:#?}", parsed.diagnostics);
    }
}

#[test]
fn a_wrapped_flow_keeps_its_comment() {
    let source = "system S\n\n# before\nflow Long \"A flow whose description alone takes up most of the line, so \
                  that it wraps.\" steps [  # trailing\n  One, Two, Three,\n]\n";
    let file = ok(source);
    assert_eq!(file.flows[0].comments.before, ["before"]);
    assert_eq!(file.flows[0].comments.trailing.as_deref(), Some("trailing"));
    assert_eq!(print(&file), source);
}

/// Found by fuzzing: a carriage return inside a comment is part of it.
#[test]
fn a_carriage_return_inside_a_comment_is_kept() {
    let file = ok("system S\nactor A  # x\r\ry\n# before\r\rnext\nactor B\n");
    assert_eq!(file.actors[0].comments.trailing.as_deref(), Some("x\r\ry"));
    assert_eq!(file.actors[1].comments.before, ["before\r\rnext"]);
    assert_eq!(ok(&print(&file)), file);
}

/// Every model of the project, converted from YAML to the DSL, reads back
/// to the same tree, comments included.
#[test]
fn every_yaml_model_converts_to_the_dsl_and_back() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut converted = 0;
    for entry in std::fs::read_dir(&dir).expect("models/") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("a readable model");
        let Some(yaml) = crate::syntax::yaml::parse(&source).file else { continue };
        let printed = print(&yaml);
        let parsed = parse(&printed);
        assert!(parsed.diagnostics.is_empty(), "{}: {:#?}\n{printed}", path.display(), parsed.diagnostics);
        assert_eq!(parsed.file.as_ref(), Some(&yaml), "{}:\n{printed}", path.display());
        converted += 1;
    }
    assert!(converted > 0);
}

/// Every `.squall` model of the project reads without error and says what
/// its YAML twin says.
#[test]
fn every_dsl_model_says_what_its_yaml_twin_says() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).expect("models/") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "squall") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("a readable model");
        let dsl = parse(&source);
        assert!(dsl.diagnostics.is_empty(), "{}: {:#?}", path.display(), dsl.diagnostics);
        let dsl = dsl.file.expect("a tree");
        assert_eq!(print(&ok(&print(&dsl))), print(&dsl), "{}", path.display());
        let Ok(yaml) = std::fs::read_to_string(path.with_extension("yaml")) else { continue };
        let yaml = crate::syntax::yaml::parse(&yaml).file.expect("the YAML twin reads");
        assert_eq!(without_comments(dsl), without_comments(yaml), "{}", path.display());
        compared += 1;
    }
    assert!(compared > 0);
}
