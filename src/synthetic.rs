//! Synthetic models of any size, for benchmarks and stress tests.
//!
//! A model of `n` contexts has 10 aggregates per context, each with 10
//! commands and 10 events, a policy and a read model per context consuming
//! the public event of the context before it, and the relationships that
//! allow it. It checks with no diagnostic, so a benchmark measures the full
//! check, not an early exit.

use std::fmt::Write;

/// Aggregates per context.
pub const AGGREGATES: usize = 10;
/// Commands (and events) per aggregate.
pub const COMMANDS: usize = 10;

/// The YAML text of a valid model with `contexts` contexts.
pub fn yaml(contexts: usize) -> String {
    let mut out = String::with_capacity(contexts * 40_000);
    // Writing into a String cannot fail.
    let _ = write_model(&mut out, contexts);
    out
}

fn write_model(out: &mut String, contexts: usize) -> std::fmt::Result {
    writeln!(out, "system: Synthetic")?;
    writeln!(out, "description: A generated model of {contexts} contexts.")?;
    writeln!(out, "actors:\n  Operator: {{ kind: person }}")?;
    writeln!(out, "contexts:")?;
    for c in 0..contexts {
        writeln!(out, "  Area{c}:")?;
        writeln!(out, "    team: Team {}", c % 7)?;
        writeln!(out, "    aggregates:")?;
        for a in 0..AGGREGATES {
            writeln!(out, "      Item{a}:")?;
            writeln!(out, "        fields: {{ amount: decimal, note: string, count: int }}")?;
            writeln!(out, "        commands:")?;
            for k in 0..COMMANDS {
                let (command, event) = names(a, k);
                let creates = if k == 0 { ", creates: true" } else { "" };
                writeln!(
                    out,
                    "          {command}: {{ actor: Operator{creates}, fields: {{ amount: decimal, note: string?, count: int }}, emits: [{event}] }}"
                )?;
            }
            writeln!(out, "        events:")?;
            for k in 0..COMMANDS {
                let (_, event) = names(a, k);
                // The first event of the first aggregate crosses to the next
                // context; the last context has no one downstream.
                let public = if a == 0 && k == 0 && c + 1 < contexts { "public: true, " } else { "" };
                writeln!(
                    out,
                    "          {event}: {{ {public}fields: {{ amount: decimal, note: string?, count: int }} }}"
                )?;
            }
        }
        if c > 0 {
            let up = c - 1;
            writeln!(out, "    policies:")?;
            writeln!(out, "      ReactToArea{up}:")?;
            writeln!(out, "        on: Area{up}.Item0Created")?;
            writeln!(out, "        then: CreateItem1")?;
            writeln!(out, "    read_models:")?;
            writeln!(out, "      Area{up}Totals:")?;
            writeln!(out, "        from: [Area{up}.Item0Created]")?;
            writeln!(out, "        fields: {{ amount: decimal, count: int }}")?;
        }
    }
    if contexts > 1 {
        writeln!(out, "relationships:")?;
        for c in 1..contexts {
            let kind = if c % 2 == 0 { "customer-supplier" } else { "upstream-downstream" };
            writeln!(out, "  - {{ kind: {kind}, upstream: Area{}, downstream: Area{c} }}", c - 1)?;
        }
    }
    writeln!(out, "flows:")?;
    writeln!(out, "  CreateFirst:")?;
    writeln!(out, "    steps: [Area0.CreateItem0, Area0.Item0Created]")?;
    Ok(())
}

/// The command and event names of command `k` of aggregate `a`.
fn names(a: usize, k: usize) -> (String, String) {
    if k == 0 {
        (format!("CreateItem{a}"), format!("Item{a}Created"))
    } else {
        (format!("UpdateItem{a}Part{k}"), format!("Item{a}Part{k}Updated"))
    }
}
