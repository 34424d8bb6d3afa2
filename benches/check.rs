//! Check time and peak memory against a bare YAML parse, from 1 to 200
//! contexts.
//!
//! The baseline is what any tool must pay to read the file at all: parsing
//! it into a generic YAML value with the same parser (`saphyr`, built on the
//! same `saphyr-parser` Squall reads with). The full check is Squall's whole
//! front half: reading into the surface tree, building the model and its
//! graph, and running every rule.
//!
//! Run: `cargo bench --bench check` (set `SQUALL_BENCH_SIZES=1,10,100` to
//! choose the model sizes, `SQUALL_BENCH_RUNS` for the repetitions).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use saphyr::LoadableYamlNode;
use squall::diagnostics::LintLevels;
use squall::pipeline::{self, Source};
use squall::syntax::Syntax;

/// Counts live and peak heap bytes, so each phase's peak can be measured.
struct PeakAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: PeakAlloc = PeakAlloc;

/// Runs `f` `runs` times; returns the median time and the peak heap growth
/// of one run above what was live before it.
fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut peak = 0;
    for _ in 0..runs {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let start = Instant::now();
        f();
        times.push(start.elapsed());
        peak = peak.max(PEAK.load(Ordering::Relaxed) - before);
    }
    times.sort();
    (times[times.len() / 2], peak)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SQUALL_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2, 5, 10, 20, 50, 100, 200]);
    let runs: usize = std::env::var("SQUALL_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);

    println!(
        "{:>8} {:>10} {:>12} {:>12} {:>7} {:>11} {:>11} {:>7}",
        "contexts", "bytes", "parse", "check", "ratio", "parse mem", "check mem", "ratio"
    );
    let mut first: Option<(usize, Duration)> = None;
    for &contexts in &sizes {
        let text = squall::synthetic::yaml(contexts);
        let source = Source { name: format!("synthetic-{contexts}.yaml"), text: text.clone(), syntax: Syntax::Yaml };
        let levels = LintLevels::default();

        let (parse, parse_mem) = measure(runs, || {
            let docs = saphyr::Yaml::load_from_str(&text).expect("the synthetic model is valid YAML");
            std::hint::black_box(docs);
        });
        let mut diagnostics = 0;
        let (check, check_mem) = measure(runs, || {
            let checked = pipeline::check(&source, &levels);
            diagnostics = checked.diagnostics.len();
            std::hint::black_box(checked);
        });
        assert_eq!(diagnostics, 0, "the synthetic model of {contexts} contexts should check clean");
        println!(
            "{:>8} {:>10} {:>10.2}ms {:>10.2}ms {:>6.2}x {:>9.1}MB {:>9.1}MB {:>6.2}x",
            contexts,
            text.len(),
            parse.as_secs_f64() * 1e3,
            check.as_secs_f64() * 1e3,
            check.as_secs_f64() / parse.as_secs_f64(),
            parse_mem as f64 / 1e6,
            check_mem as f64 / 1e6,
            check_mem as f64 / parse_mem as f64,
        );
        if let Some((base_contexts, base_check)) = first {
            let size_ratio = contexts as f64 / base_contexts as f64;
            let time_ratio = check.as_secs_f64() / base_check.as_secs_f64();
            if contexts >= 10 * base_contexts && contexts % base_contexts == 0 {
                println!(
                    "         growth from {base_contexts} to {contexts} contexts: {size_ratio:.0}x the model, {time_ratio:.1}x the check time"
                );
            }
        }
        if first.is_none() || contexts == 20 {
            first = Some((contexts, check));
        }
    }
}
