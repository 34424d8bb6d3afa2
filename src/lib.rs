//! Squall: event-storming models as the source of truth.
//!
//! The pipeline, in the order the modules run:
//!
//! 1. [`syntax`]: YAML or the DSL into a surface tree with spans;
//! 2. [`model`]: the tree resolved into a typed model and its graph;
//! 3. [`check`]: the rules of the format, each in its own file;
//! 4. emitters: [`export`] (canonical JSON), [`gen`] (services),
//!    [`diagram`] (pictures), written through [`vfs`].
//!
//! [`diagnostics`] carries problems from every stage to the user; [`cli`] is
//! the thin command-line shell over all of it.

pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod diagram;
pub mod export;
pub mod r#gen;
pub mod model;
mod parallel;
pub mod pipeline;
pub mod syntax;
#[doc(hidden)]
pub mod synthetic;
pub mod vfs;
