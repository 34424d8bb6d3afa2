//! Diagram time for the largest synthetic model: the board and the context
//! map of 200 contexts, each with 10 aggregates of 10 commands and events,
//! drawn as SVG (scene, layout and printing), which is the most work any
//! format does.
//!
//! Run: `cargo bench --bench diagram` (`SQUALL_BENCH_CONTEXTS` and
//! `SQUALL_BENCH_RUNS` choose the size and the repetitions).

use std::time::{Duration, Instant};

use squall::diagnostics::LintLevels;
use squall::diagram::{Format, Kind, layout, render, scene};
use squall::pipeline::{self, Source};
use squall::syntax::Syntax;

/// The allocator of the `squall` binary, so that the figures are the tool's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let contexts = env_number("SQUALL_BENCH_CONTEXTS", 200);
    let runs = env_number("SQUALL_BENCH_RUNS", 5).max(1);
    let source =
        Source { name: "synthetic.yaml".into(), text: squall::synthetic::yaml(contexts), syntax: Syntax::Yaml };
    let checked = pipeline::check(&source, &LintLevels::default());
    let Some(model) = checked.model else {
        eprintln!("the synthetic model did not build");
        std::process::exit(1);
    };
    println!(
        "model: {contexts} contexts, {} commands, {} events, {} policies, {} read models",
        model.commands.len(),
        model.events.len(),
        model.policies.len(),
        model.read_models.len()
    );
    for kind in [Kind::Board, Kind::ContextMap, Kind::Flow] {
        let mut times: Vec<Duration> = Vec::with_capacity(runs);
        let mut bytes = 0;
        for _ in 0..runs {
            let start = Instant::now();
            let svg = render(&model, kind, Format::Svg, &[]);
            times.push(start.elapsed());
            bytes = svg.len();
        }
        times.sort();
        // Where the time goes: the walk of the model, then the layout.
        let start = Instant::now();
        let picture = scene(&model, kind, &[]);
        let walk = start.elapsed();
        let start = Instant::now();
        let geometry = layout::lay_out(&picture);
        let placing = start.elapsed();
        println!(
            "{:<12} scene {:>7.1} ms, layout {:>7.1} ms ({} boxes)",
            kind.as_str(),
            walk.as_secs_f64() * 1000.0,
            placing.as_secs_f64() * 1000.0,
            geometry.boxes.len()
        );
        println!(
            "{:<12} svg: median {:>8.1} ms, slowest {:>8.1} ms, {:>6.1} MB",
            kind.as_str(),
            times[times.len() / 2].as_secs_f64() * 1000.0,
            times[times.len() - 1].as_secs_f64() * 1000.0,
            bytes as f64 / 1e6
        );
    }
}
