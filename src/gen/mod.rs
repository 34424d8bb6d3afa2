//! `squall gen`: a checked model becomes a Cargo workspace of event-sourced
//! services that builds and runs at once.
//!
//! The stages, in the order [`generate`] runs them:
//!
//! 1. [`plan`]: every name generated code uses, decided once (identifiers
//!    that cannot clash or be keywords, path segments, crate names);
//! 2. [`fill`]: how the scaffold's default decisions and policies fill the
//!    fields of what they produce;
//! 3. views of the model rendered through tera templates (`templates/`),
//!    one template per kind of file: the crate of each context
//!    ([`context`]), the services, the host and its tests ([`workspace`],
//!    [`flows`]), the OpenAPI documents ([`openapi`]);
//! 4. everything lands in a [`Vfs`], written in one step by the caller:
//!    generated files carry the marker and are rewritten, user-owned files
//!    (decisions, policies, decision tests) are created once.
//!
//! The generator reads only the model. Model text reaches generated code
//! only as identifiers derived from validated names, or through the escaping
//! of [`rust`] (string literals and doc comments).

mod context;
pub mod fill;
mod flows;
mod openapi;
pub mod plan;
pub mod rust;
mod templates;
mod workspace;

use std::path::PathBuf;

use crate::model::names::{is_kebab_case, is_pascal_case, is_snake_case};
use crate::model::{ContextId, Model, Type};
use crate::vfs::{MARKER, Ownership, Vfs, VfsError};

/// Why a workspace could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("template error: {0}")]
    Template(String),
    #[error(transparent)]
    Vfs(#[from] VfsError),
    /// A name the check should have refused: the generator does not trust
    /// that every caller ran the check.
    #[error("`{0}` is not a valid name here; run `squall check` on the model")]
    InvalidName(String),
}

/// The files being generated, in the order they were made; they go into a
/// [`Vfs`] at the end (several threads each fill `Output`s of their own).
#[derive(Default)]
pub(crate) struct Output {
    files: Vec<(PathBuf, String, Ownership)>,
}

impl Output {
    fn generated(&mut self, path: impl Into<PathBuf>, text: String) -> Result<(), GenError> {
        self.files.push((path.into(), text, Ownership::Generated));
        Ok(())
    }

    fn rust(&mut self, path: impl Into<PathBuf>, text: String) -> Result<(), GenError> {
        self.generated(path, marked("// ", "", text))
    }

    fn toml(&mut self, path: impl Into<PathBuf>, text: String) -> Result<(), GenError> {
        self.generated(path, marked("# ", "", text))
    }

    fn markdown(&mut self, path: impl Into<PathBuf>, text: String) -> Result<(), GenError> {
        self.generated(path, marked("<!-- ", " -->", text))
    }

    fn sql(&mut self, path: impl Into<PathBuf>, text: String) -> Result<(), GenError> {
        self.generated(path, marked("-- ", "", text))
    }

    fn user(&mut self, path: impl Into<PathBuf>, text: String) -> Result<(), GenError> {
        self.files.push((path.into(), text, Ownership::User));
        Ok(())
    }
}

/// `text` under a first line that carries the marker in a comment opened
/// with `open` and closed with `close`, in one allocation of the right size
/// (some files are large).
fn marked(open: &str, close: &str, text: String) -> String {
    const NOTE: &str = "; do not edit";
    let mut marked = String::with_capacity(open.len() + MARKER.len() + NOTE.len() + close.len() + 1 + text.len());
    for part in [open, MARKER, NOTE, close, "\n", &text] {
        marked.push_str(part);
    }
    marked
}

/// Generates the workspace of a model. The model must have passed the check
/// (see [`crate::pipeline::check`]); names that could not have are refused.
pub fn generate(model: &Model) -> Result<Vfs, GenError> {
    validate_names(model)?;
    let plan = plan::Plan::new(model);
    // The host's tests and each context's crate, services and OpenAPI
    // fragment are independent of each other: made on every core, each
    // thread into outputs of its own, merged in the order of the jobs so
    // that the result does not depend on the threads. The host's tests come
    // first, being the largest job.
    let jobs: Vec<Job> = std::iter::once(Job::HostTests)
        .chain((0..model.contexts.len()).map(|i| Job::Context(ContextId(i as u32))))
        .collect();
    let done = crate::parallel::map(&jobs, 1, |job, _: &mut ()| {
        let mut out = Output::default();
        let parts = match *job {
            Job::HostTests => {
                flows::emit(model, &plan, &mut out)?;
                None
            }
            Job::Context(context) => {
                let routes = context::routes(model, &plan, context);
                context::emit(model, &plan, context, &routes, &mut out)?;
                let fragment = openapi::fragment_of(model, context, &routes, None);
                for (index, service) in plan.services.iter().enumerate() {
                    if service.context == context {
                        workspace::service(model, &plan, index, &fragment, &mut out)?;
                    }
                }
                Some((fragment, workspace::route_table(model, &routes)))
            }
        };
        Ok::<_, GenError>((out, parts))
    })?;
    let mut fragments = Vec::with_capacity(model.contexts.len());
    let mut tables = Vec::with_capacity(model.contexts.len());
    let mut outputs = Vec::with_capacity(jobs.len() + 1);
    let mut host_tests = Output::default();
    for ((out, parts), job) in done.into_iter().zip(&jobs) {
        match job {
            Job::HostTests => host_tests = out,
            Job::Context(_) => outputs.push(out),
        }
        if let Some((fragment, table)) = parts {
            fragments.push(fragment);
            tables.push(table);
        }
    }
    let mut out = Output::default();
    workspace::emit(model, &plan, &fragments.iter().collect::<Vec<_>>(), &tables, &mut out)?;
    outputs.extend([out, host_tests]);
    let mut vfs = Vfs::new();
    vfs.extend(outputs.into_iter().flat_map(|out| out.files))?;
    Ok(vfs)
}

/// A part of the workspace made apart from the others.
enum Job {
    /// The flow tests and decision tests of the host.
    HostTests,
    /// A context's crate, its services, its OpenAPI fragment and its rows
    /// of the README's table of routes.
    Context(ContextId),
}

/// Every name that reaches generated code follows its pattern, and no type
/// is unknown: the last line of defence against a model that skipped the
/// check.
fn validate_names(model: &Model) -> Result<(), GenError> {
    let pascal = model
        .contexts
        .iter()
        .map(|c| &c.name.value)
        .chain(model.aggregates.iter().map(|a| &a.name.value))
        .chain(model.commands.iter().map(|c| &c.name.value))
        .chain(model.commands.iter().flat_map(|c| c.errors.iter().map(|e| &e.value)))
        .chain(model.events.iter().map(|e| &e.name.value))
        .chain(model.policies.iter().map(|p| &p.name.value))
        .chain(model.read_models.iter().map(|r| &r.name.value))
        .chain(model.flows.iter().map(|f| &f.name.value))
        .chain(std::iter::once(&model.system.value));
    for name in pascal {
        if !is_pascal_case(name) || crate::model::names::reserved_type_name(name).is_some() {
            return Err(GenError::InvalidName(name.clone()));
        }
    }
    let fields = model
        .aggregates
        .iter()
        .flat_map(|a| &a.fields)
        .chain(model.commands.iter().flat_map(|c| &c.fields))
        .chain(model.events.iter().flat_map(|e| &e.fields))
        .chain(model.read_models.iter().flat_map(|r| &r.fields));
    for field in fields {
        let name = &field.name.value;
        if !is_snake_case(name) || crate::model::names::reserved_field_name(name).is_some() {
            return Err(GenError::InvalidName(name.clone()));
        }
        if contains_unknown(&field.ty.value) {
            return Err(GenError::InvalidName(format!("{name}: {}", field.ty.value)));
        }
    }
    let keys = model
        .policies
        .iter()
        .filter_map(|p| p.key.as_ref())
        .chain(model.read_models.iter().filter_map(|r| r.key.as_ref()));
    for key in keys {
        if !is_snake_case(&key.value) {
            return Err(GenError::InvalidName(key.value.clone()));
        }
    }
    for service in &model.services {
        if !is_kebab_case(&service.name.value) {
            return Err(GenError::InvalidName(service.name.value.clone()));
        }
    }
    Ok(())
}

fn contains_unknown(ty: &Type) -> bool {
    match ty {
        Type::Unknown => true,
        Type::List(inner) | Type::Optional(inner) => contains_unknown(inner),
        _ => false,
    }
}
