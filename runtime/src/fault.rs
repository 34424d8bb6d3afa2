//! Fault points for crash tests.
//!
//! `SQUALL_FAULT=<point>` makes the process exit (without running destructors
//! or flushing anything the runtime holds) the first time execution reaches
//! `<point>`; `SQUALL_FAULT=<point>:<n>` waits for the n-th time. Points:
//!
//! * `after-commit`: right after a write transaction committed, before any
//!   caller is told and before the relay is woken.
//! * `after-publish`: right after the relay published a batch to the bus,
//!   before it saved its checkpoint.
//!
//! Reading the variable costs one atomic load per point once initialised, so
//! the points stay compiled in release builds.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Exit code of a process stopped by a fault point.
pub const FAULT_EXIT_CODE: i32 = 86;

struct Fault {
    point: String,
    countdown: AtomicU64,
}

fn configured() -> Option<&'static Fault> {
    static FAULT: OnceLock<Option<Fault>> = OnceLock::new();
    FAULT
        .get_or_init(|| {
            let spec = std::env::var("SQUALL_FAULT").ok()?;
            let (point, n) = match spec.split_once(':') {
                Some((p, n)) => (p.to_owned(), n.trim().parse().unwrap_or(1)),
                None => (spec, 1),
            };
            Some(Fault { point, countdown: AtomicU64::new(n) })
        })
        .as_ref()
}

/// Exits the process here if `SQUALL_FAULT` names this point (and its count is
/// reached).
pub fn point(name: &str) {
    if let Some(f) = configured() {
        if f.point == name && f.countdown.fetch_sub(1, Ordering::SeqCst) == 1 {
            eprintln!("squall fault point {name}: exiting");
            std::process::exit(FAULT_EXIT_CODE);
        }
    }
}
