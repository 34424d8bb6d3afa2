//! What every crate of this workspace shares besides the runtime: the HTTP
//! conventions of the generated API (bodies, problems, idempotency), the
//! command line of the binaries, read-model helpers, timers that act on every
//! aggregate of a type, the replay of read models, and test helpers.
//!
//! Kept apart from `squall-runtime` so that the runtime stays free of any web
//! framework.

pub mod config;
pub mod http;
pub mod projection;
pub mod replay;
pub mod testing;
pub mod timers;

/// Re-exported so that generated crates name one version.
pub use axum;
