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
//! choose the model sizes, `SQUALL_BENCH_RUNS` for the repetitions, and
//! `SQUALL_BENCH_STAGES=1` for the CPU time of each stage of the check).
//!
//! Times on a shared machine move with its load. For a figure that does not,
//! count instructions with callgrind: the two phases are the functions
//! [`bare_parse`] and [`full_check`], which `--toggle-collect` can select
//! (see `docs/yaml.md`, "Performance").

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use saphyr::LoadableYamlNode;
use squall::diagnostics::LintLevels;
use squall::pipeline::{self, Source};
use squall::syntax::Syntax;

/// The allocator of the `squall` binary, so that both phases are measured as
/// the tool runs them.
use mimalloc::MiMalloc as Inner;

/// Counts live and peak heap bytes over the binary's allocator, so each
/// phase's peak can be measured.
struct PeakAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// How many blocks were allocated, for the stage breakdown.
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { Inner.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { Inner.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    // Without this, a growing `Vec` would cost a new block and a copy each
    // time, where the system allocator often grows or shrinks in place.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { Inner.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static GLOBAL: PeakAlloc = PeakAlloc;

/// The time this thread has spent on a CPU. Unlike the wall clock, it leaves
/// out the time other processes of a loaded machine took the CPU from it
/// (their use of the caches still shows).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut time = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `time` is a valid, writable `struct timespec` (two 64-bit
    // fields on 64-bit Linux) for the call's duration.
    let status = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut time) };
    (status == 0).then(|| Duration::new(time.sec as u64, time.nsec as u32))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn cpu_time() -> Option<Duration> {
    None
}

/// The runs of one phase: their wall and CPU times, and the peak heap
/// growth of one run above what was live before it.
#[derive(Default)]
struct Samples {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
    peak: usize,
}

impl Samples {
    fn run(&mut self, f: impl FnOnce()) {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let cpu_start = cpu_time();
        let start = Instant::now();
        f();
        self.wall.push(start.elapsed());
        if let (Some(start), Some(end)) = (cpu_start, cpu_time()) {
            self.cpu.push(end.saturating_sub(start));
        }
        self.peak = self.peak.max(PEAK.load(Ordering::Relaxed) - before);
    }

    fn median_wall(&mut self) -> Duration {
        median(&mut self.wall)
    }

    /// The median CPU time, or the wall time where there is no CPU clock.
    fn median_cpu(&mut self) -> Duration {
        if self.cpu.is_empty() { self.median_wall() } else { median(&mut self.cpu) }
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The baseline: the file into a generic YAML value, and dropped.
#[inline(never)]
fn bare_parse(text: &str) {
    let docs = saphyr::Yaml::load_from_str(text).expect("the synthetic model is valid YAML");
    std::hint::black_box(docs);
}

/// Squall's front half: read, build, check, and drop it all. Returns the
/// number of diagnostics.
#[inline(never)]
fn full_check(source: &Source, levels: &LintLevels) -> usize {
    let checked = pipeline::check(source, levels);
    let found = checked.diagnostics.len();
    std::hint::black_box(checked);
    found
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SQUALL_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2, 5, 10, 20, 50, 100, 200]);
    let runs: usize = std::env::var("SQUALL_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);

    // Every size is measured in every round, and within a size the two
    // phases take turns: a change in the machine's load then weighs on all
    // sizes and both phases alike, and the growth from one size to another
    // compares like with like.
    let levels = LintLevels::default();
    let mut models: Vec<(usize, Source, Samples, Samples)> = sizes
        .iter()
        .map(|&contexts| {
            let text = squall::synthetic::yaml(contexts);
            let source = Source { name: format!("synthetic-{contexts}.yaml"), text, syntax: Syntax::Yaml };
            (contexts, source, Samples::default(), Samples::default())
        })
        .collect();
    for _ in 0..runs.max(1) {
        for (contexts, source, parse_runs, check_runs) in &mut models {
            parse_runs.run(|| bare_parse(&source.text));
            let mut diagnostics = 0;
            check_runs.run(|| diagnostics = full_check(source, &levels));
            assert_eq!(diagnostics, 0, "the synthetic model of {contexts} contexts should check clean");
        }
    }

    println!("times are medians of the CPU time of the measuring thread; `wall` is the ratio by the wall clock");
    println!(
        "{:>8} {:>10} {:>12} {:>12} {:>7} {:>7} {:>11} {:>11} {:>7}",
        "contexts", "bytes", "parse", "check", "ratio", "wall", "parse mem", "check mem", "ratio"
    );
    let mut first: Option<(usize, [Duration; 4])> = None;
    for (contexts, source, mut parse_runs, mut check_runs) in models {
        let times =
            [parse_runs.median_cpu(), check_runs.median_cpu(), parse_runs.median_wall(), check_runs.median_wall()];
        let [parse, check, parse_wall, check_wall] = times.map(|t| t.as_secs_f64());
        let (parse_mem, check_mem) = (parse_runs.peak as f64, check_runs.peak as f64);
        println!(
            "{:>8} {:>10} {:>10.2}ms {:>10.2}ms {:>6.2}x {:>6.2}x {:>9.1}MB {:>9.1}MB {:>6.2}x",
            contexts,
            source.text.len(),
            parse * 1e3,
            check * 1e3,
            check / parse,
            check_wall / parse_wall,
            parse_mem / 1e6,
            check_mem / 1e6,
            check_mem / parse_mem,
        );
        if let Some((base_contexts, base)) = first
            && contexts >= 10 * base_contexts
            && contexts % base_contexts == 0
        {
            let [parse_growth, check_growth, parse_wall_growth, check_wall_growth] =
                std::array::from_fn(|i| times[i].as_secs_f64() / base[i].as_secs_f64());
            println!(
                "         growth from {base_contexts} to {contexts} contexts: {}x the model, {check_growth:.1}x the \
                 check time ({parse_growth:.1}x the bare parse); by the wall clock {check_wall_growth:.1}x \
                 ({parse_wall_growth:.1}x)",
                contexts / base_contexts
            );
        }
        if first.is_none() || contexts == 20 {
            first = Some((contexts, times));
        }
    }
    if std::env::var_os("SQUALL_BENCH_STAGES").is_some() {
        stages(&sizes, runs.max(1));
    }
}

/// The stages of a check, in the order they run, each timed on its own:
/// where the time goes, and which stage grows faster than the model. The
/// rules run together (as a check runs them), then each on its own, before
/// the model is dropped.
const STAGES: [&str; 4] = ["yaml tree", "drop tree", "read, lower contexts", "finish model"];

/// How many of the slowest rules the stage breakdown shows.
const SLOWEST_RULES: usize = 8;

/// Prints the median CPU time and the allocations of each stage of a check,
/// per size, and how each grows from the first size to the last.
fn stages(sizes: &[usize], runs: usize) {
    use squall::check::rules::MODEL_RULES;
    use squall::syntax::yaml;
    let texts: Vec<String> = sizes.iter().map(|&n| squall::synthetic::yaml(n)).collect();
    let names: Vec<String> = STAGES
        .iter()
        .map(|s| s.to_string())
        .chain(std::iter::once("rules (all)".to_string()))
        .chain(MODEL_RULES.iter().map(|rule| rule.code.to_string()))
        .chain(std::iter::once("drop model".to_string()))
        .collect();
    let mut times: Vec<Vec<Vec<Duration>>> = sizes.iter().map(|_| vec![Vec::new(); names.len()]).collect();
    // Blocks allocated by each stage: the same in every run.
    let mut allocations: Vec<Vec<usize>> = sizes.iter().map(|_| vec![0; names.len()]).collect();
    for _ in 0..runs {
        for ((text, samples), counts) in texts.iter().zip(&mut times).zip(&mut allocations) {
            let mut stage = 0;
            let mut last = (cpu_time().unwrap_or_default(), ALLOCATIONS.load(Ordering::Relaxed));
            // Ends the current stage: its CPU time and allocations since the
            // previous stage ended.
            let mut lap = || {
                let now = (cpu_time().unwrap_or_default(), ALLOCATIONS.load(Ordering::Relaxed));
                let (then, allocated) = std::mem::replace(&mut last, now);
                samples[stage].push(now.0.saturating_sub(then));
                counts[stage] = now.1 - allocated;
                stage += 1;
            };
            let tree = yaml::parse_generic(text).expect("the synthetic model is valid YAML");
            lap();
            drop(std::hint::black_box(tree));
            lap();
            // As `pipeline::check` reads YAML: each context into the model
            // as soon as it is read.
            let mut builder = squall::model::Builder::default();
            let parsed = yaml::parse_streamed(text, &mut |context| builder.context(context));
            lap();
            let file = parsed.file.expect("the synthetic model reads");
            let (model, mut found) = builder.finish(file);
            lap();
            found.extend(squall::check::check(&model));
            lap();
            // The model is warmer in the caches by now.
            for rule in MODEL_RULES {
                rule.check.run(&model, &mut found);
                lap();
            }
            drop(std::hint::black_box(model));
            lap();
            assert!(found.is_empty());
        }
    }
    let mut rows: Vec<(String, Vec<f64>, &[usize])> = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let medians = times.iter_mut().map(|t| median(&mut t[i]).as_secs_f64() * 1e3).collect();
        rows.push((name, medians, &[]));
    }
    let counts: Vec<Vec<usize>> = (0..rows.len()).map(|i| allocations.iter().map(|a| a[i]).collect()).collect();
    for (row, counts) in rows.iter_mut().zip(&counts) {
        row.2 = counts;
    }
    // The slowest rules at the largest size, after the stages and the
    // rules together; the model's drop last.
    let first_rule = STAGES.len() + 1;
    let drop_model = rows.len() - 1;
    rows[first_rule..drop_model].sort_by_key(|(_, m, _)| std::cmp::Reverse(m.last().map(|t| (t * 1e6) as u64)));
    let shown = (0..first_rule + SLOWEST_RULES.min(drop_model - first_rule)).chain(std::iter::once(drop_model));
    print!("{:>28}", "stage (ms, allocations)");
    for n in sizes {
        print!(" {n:>9} {:>9}", "");
    }
    println!("   growth");
    for i in shown {
        let (name, times, counts) = &rows[i];
        print!("{name:>28}");
        for (m, c) in times.iter().zip(counts.iter()) {
            print!(" {m:>9.2} {c:>9}");
        }
        if let (Some(first), Some(last)) = (times.first(), times.last()) {
            print!(" {:>7.1}x", last / first);
        }
        println!();
    }
}
