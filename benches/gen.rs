//! `squall gen` time on the synthetic models of the check benchmark, up to
//! 200 contexts (2,000 aggregates, 20,000 commands and events): goal under
//! 2 s for the largest, from reading the model to the files on disk.
//!
//! Phases: the check (parse, build, rules), the generation of every file in
//! memory, and the write of the file set into an empty directory; then a
//! second write over the same directory, which is what a regeneration costs
//! when nothing changed (every generated file compared, none written).
//!
//! Run: `cargo bench --bench gen` (`SQUALL_BENCH_SIZES=1,10,200` to choose
//! the sizes, `SQUALL_BENCH_RUNS` for the repetitions).

use std::time::{Duration, Instant};

use squall::diagnostics::LintLevels;
use squall::pipeline::{self, Source};
use squall::syntax::Syntax;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SQUALL_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 10, 50, 200]);
    let runs: usize = std::env::var("SQUALL_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    println!(
        "{:>8} {:>7} {:>10} {:>10} {:>10} {:>10} {:>11} {:>8}",
        "contexts", "files", "check", "generate", "write", "total", "regenerate", "MB"
    );
    for &contexts in &sizes {
        let text = squall::synthetic::yaml(contexts);
        let source = Source { name: "synthetic.yaml".into(), text, syntax: Syntax::Yaml };
        let (mut check, mut generate, mut write, mut total, mut again) = (vec![], vec![], vec![], vec![], vec![]);
        let mut files = 0;
        let mut bytes = 0;
        for _ in 0..runs {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let start = Instant::now();
            let checked = pipeline::check(&source, &LintLevels::default());
            let model = checked.model.expect("the synthetic model builds");
            let checked_at = Instant::now();
            let vfs = squall::r#gen::generate(&model).expect("the synthetic model generates");
            let generated_at = Instant::now();
            let outcome = vfs.write(dir.path()).expect("the files are written");
            let written_at = Instant::now();
            check.push(checked_at - start);
            generate.push(generated_at - checked_at);
            write.push(written_at - generated_at);
            total.push(written_at - start);
            files = outcome.written.len() + outcome.created_for_user.len();
            bytes = vfs.files().map(|(_, f)| f.contents.len()).sum::<usize>();
            let start = Instant::now();
            let second = vfs.write(dir.path()).expect("the files are compared");
            again.push(start.elapsed());
            assert!(second.written.is_empty(), "a second write changes nothing");
        }
        println!(
            "{contexts:>8} {files:>7} {:>10} {:>10} {:>10} {:>10} {:>11} {:>8.1}",
            ms(median(check)),
            ms(median(generate)),
            ms(median(write)),
            ms(median(total)),
            ms(median(again)),
            bytes as f64 / 1e6,
        );
    }
}
