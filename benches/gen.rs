//! `squall gen` time on the synthetic models of the check benchmark (10
//! aggregates of 10 commands and events per context, a policy and a read
//! model across each pair of neighbours): goal under 2 s for 200 contexts,
//! from reading the model to the files on disk.
//!
//! Phases, each the median of several runs: the check (parse, build, rules);
//! the generation of every file in memory; the write of the file set into an
//! empty directory; a regeneration over that directory, which is what `gen`
//! costs when nothing changed (every file compared, none written).
//!
//! The machine this runs on is shared and its disk's speed varies from one
//! minute to the next, so two baselines are measured in the same run, on the
//! same files: `fs::write` of each file into another empty directory, one
//! after the other (the plainest writer there is, with none of the
//! guarantees of the file set), and `fs::read` of each back (the least any
//! comparison costs). The write and the baseline write alternate which goes
//! first. The load average and the CPU time of the process are shown: on a
//! loaded machine the wall time of a phase can be several times its CPU time.
//!
//! Every directory written stays until the end: on some file systems (ext4
//! without a journal) creating a file right after thousands were deleted
//! costs many times more, as the allocator steps over the recently freed
//! inodes, and the runs would slow each other down.
//!
//! With `SQUALL_BENCH_KEEP` set the directories stay after the run too (the
//! path is printed): a run started right after another deleted its
//! thousands of files would otherwise measure that deletion more than
//! itself.
//!
//! Run: `cargo bench -p squall --bench gen` (`SQUALL_BENCH_SIZES=20,200`
//! to choose the sizes, `SQUALL_BENCH_RUNS` for the repetitions,
//! `SQUALL_BENCH_DIR` for where the directories are made, by default the
//! system's temporary directory; `/dev/shm` takes the disk out).
//! `SQUALL_BENCH_MODELS=DIR` also leaves each synthetic model in
//! `DIR/synthetic-<contexts>.yaml`, to time `squall gen` itself on it.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use squall::diagnostics::LintLevels;
use squall::pipeline::{self, Source};
use squall::syntax::Syntax;
use squall::vfs::Vfs;

/// The allocator of the `squall` binary, so that the figures are the tool's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}", a.as_secs_f64() / b.as_secs_f64().max(1e-9))
}

/// The 1, 5 and 15 minute load averages, where the system tells them.
fn load() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// CPU time (user and system) of this process so far, every thread, where
/// the system tells it (in clock ticks of 10 ms).
fn cpu() -> Option<Duration> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may
    // hold spaces: utime and stime are the 12th and 13th.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

/// The baseline writer: every file with `fs::write`, each directory made
/// once, no temporary file, no comparison.
fn plain_write(vfs: &Vfs, root: &Path) {
    let mut made = HashSet::new();
    for (relative, file) in vfs.files() {
        let path = root.join(relative);
        if let Some(parent) = path.parent()
            && made.insert(parent.to_path_buf())
        {
            fs::create_dir_all(parent).expect("a directory is made");
        }
        fs::write(&path, &file.contents).expect("a file is written");
    }
}

/// The baseline reader: every file of the set read back.
fn plain_read(vfs: &Vfs, root: &Path) -> usize {
    vfs.files().map(|(relative, _)| fs::read(root.join(relative)).expect("a file is read").len()).sum()
}

#[derive(Default)]
struct Runs {
    check: Vec<Duration>,
    generate: Vec<Duration>,
    write: Vec<Duration>,
    regenerate: Vec<Duration>,
    total: Vec<Duration>,
    cpu: Vec<Duration>,
    plain_write: Vec<Duration>,
    plain_read: Vec<Duration>,
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SQUALL_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![20, 200]);
    let runs: usize = std::env::var("SQUALL_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    let parent = std::env::var_os("SQUALL_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{cores} cores, load average {} at the start; medians of {runs} runs", load());
    println!("writing under {}", parent.display());
    let mut kept = Vec::new();
    println!(
        "{:>8} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} | {:>7} {:>7}",
        "contexts",
        "files",
        "MB",
        "check",
        "generate",
        "write",
        "regen",
        "total",
        "cpu",
        "fs-write",
        "fs-read",
        "w/fs-w",
        "r/fs-r"
    );
    for &contexts in &sizes {
        let text = squall::synthetic::yaml(contexts);
        if let Some(dir) = std::env::var_os("SQUALL_BENCH_MODELS") {
            fs::create_dir_all(&dir).expect("the models' directory can be made");
            fs::write(Path::new(&dir).join(format!("synthetic-{contexts}.yaml")), &text).expect("the model is saved");
        }
        let source = Source { name: "synthetic.yaml".into(), text, syntax: Syntax::Yaml };
        let mut m = Runs::default();
        let (mut files, mut bytes) = (0, 0);
        for run in 0..runs {
            let ours = tempfile::tempdir_in(&parent).expect("a temporary directory");
            let plain = tempfile::tempdir_in(&parent).expect("a temporary directory");
            let (start, cpu_start) = (Instant::now(), cpu());
            let checked = pipeline::check(&source, &LintLevels::default());
            let model = checked.model.expect("the synthetic model builds");
            let checked_at = Instant::now();
            let vfs = squall::r#gen::generate(&model).expect("the synthetic model generates");
            let (generated_at, cpu_generated) = (Instant::now(), cpu());
            files = vfs.files().count();
            bytes = vfs.files().map(|(_, f)| f.contents.len()).sum::<usize>();
            if run % 2 == 1 {
                let plain_start = Instant::now();
                plain_write(&vfs, plain.path());
                m.plain_write.push(plain_start.elapsed());
            }
            let (write_start, cpu_write) = (Instant::now(), cpu());
            let outcome = vfs.write(ours.path()).expect("the files are written");
            let written_at = Instant::now();
            // The baseline write, when it went first, does not count.
            if let (Some(a), Some(b), Some(c), Some(d)) = (cpu_start, cpu_generated, cpu_write, cpu()) {
                m.cpu.push((b - a) + (d - c));
            }
            assert_eq!(outcome.written.len() + outcome.created_for_user.len(), files, "every file is written");
            if run % 2 == 0 {
                let plain_start = Instant::now();
                plain_write(&vfs, plain.path());
                m.plain_write.push(plain_start.elapsed());
            }
            m.check.push(checked_at - start);
            m.generate.push(generated_at - checked_at);
            m.write.push(written_at - write_start);
            m.total.push(written_at - write_start + (generated_at - start));

            let start = Instant::now();
            let again = vfs.write(ours.path()).expect("the files are compared");
            m.regenerate.push(start.elapsed());
            assert!(again.is_up_to_date(), "a second write changes nothing");
            assert_eq!(again.unchanged.len() + again.left_alone.len(), files);

            let start = Instant::now();
            assert_eq!(plain_read(&vfs, plain.path()), bytes);
            m.plain_read.push(start.elapsed());
            kept.extend([ours, plain]);
        }
        let cpu = if m.cpu.is_empty() { "-".into() } else { ms(median(m.cpu)) };
        let (write, regenerate) = (median(m.write), median(m.regenerate));
        let (plain_write, plain_read) = (median(m.plain_write), median(m.plain_read));
        println!(
            "{contexts:>8} {files:>6} {:>6.1} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} | {:>7} {:>7}",
            bytes as f64 / 1e6,
            ms(median(m.check)),
            ms(median(m.generate)),
            ms(write),
            ms(regenerate),
            ms(median(m.total)),
            cpu,
            ms(plain_write),
            ms(plain_read),
            ratio(write, plain_write),
            ratio(regenerate, plain_read),
        );
    }
    println!("load average {} at the end", load());
    if std::env::var_os("SQUALL_BENCH_KEEP").is_some() {
        println!("kept under {}", parent.display());
        for dir in kept {
            let _ = dir.keep();
        }
    }
}
