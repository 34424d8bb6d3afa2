//! The workspace around the contexts: its manifest and README, the runtime
//! and support crates, the service binaries and the host.

use serde::Serialize;
use serde_json::{Map, Value};

use super::context::Routes;
use super::openapi::{self, Fragment};
use super::plan::Plan;
use super::rust::{doc_lines, string_literal, uses_decimal};
use super::templates::{SUPPORT_FILES, render};
use super::{GenError, Output};
use crate::model::{Model, Type};

include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));

/// The workspace's own files and the host; `fragments` are the OpenAPI
/// fragments of every context and `tables` their routes for the README, in
/// context order.
pub(super) fn emit(
    model: &Model,
    plan: &Plan,
    fragments: &[&Fragment],
    tables: &[RouteTable],
    out: &mut Output,
) -> Result<(), GenError> {
    let decimal = model.aggregates.iter().any(|a| a.fields.iter().any(|f| uses_decimal(&f.ty.value)))
        || model.commands.iter().any(|c| c.fields.iter().any(|f| uses_decimal(&f.ty.value)))
        || model.events.iter().any(|e| e.fields.iter().any(|f| uses_decimal(&f.ty.value)));
    root(model, plan, decimal, tables, out)?;
    runtime(out)?;
    support(out)?;
    host(model, plan, decimal, fragments, out)
}

#[derive(Serialize)]
struct ContextRef {
    name: String,
    /// The key dependents name it by.
    dependency: String,
    ident: String,
    /// The crate's directory and database name.
    stem: String,
    package: String,
    crate_name: String,
    name_literal: String,
}

fn context_refs(model: &Model, plan: &Plan) -> Vec<ContextRef> {
    model
        .contexts
        .iter()
        .zip(&plan.contexts)
        .map(|(c, names)| ContextRef {
            name: c.name.value.clone(),
            dependency: names.dependency(),
            ident: names.ident.clone(),
            stem: names.stem().to_owned(),
            package: names.package(),
            crate_name: names.crate_name(),
            name_literal: string_literal(&c.name.value),
        })
        .collect()
}

fn root(model: &Model, plan: &Plan, decimal: bool, tables: &[RouteTable], out: &mut Output) -> Result<(), GenError> {
    #[derive(Serialize)]
    struct PackageRef {
        dependency: String,
        package: String,
        ident: String,
    }
    #[derive(Serialize)]
    struct Manifest<'a> {
        system: &'a str,
        contexts: Vec<&'a str>,
        contexts_packages: Vec<PackageRef>,
        services: Vec<&'a str>,
        decimal: bool,
    }
    out.toml(
        "Cargo.toml",
        render(
            "workspace/Cargo.toml",
            &Manifest {
                system: &model.system.value,
                contexts: plan.contexts.iter().map(|c| c.stem()).collect(),
                contexts_packages: plan
                    .contexts
                    .iter()
                    .map(|c| PackageRef {
                        dependency: c.dependency(),
                        package: c.package(),
                        ident: c.stem().to_owned(),
                    })
                    .collect(),
                services: plan.services.iter().map(|s| s.dir.as_str()).collect(),
                decimal,
            },
        )?,
    )?;
    out.toml(".gitignore", render("workspace/gitignore", &Map::new())?)?;
    out.markdown("README.md", readme(model, plan, tables)?)
}

/// The README's example request: the first command of the model that
/// creates an aggregate with a UUID id.
#[derive(Serialize)]
struct Example {
    path: String,
    body: String,
    state_path: String,
}

/// A context's rows of the README's table of routes, and the README's
/// example request if the context holds it: made with the context's other
/// files, from the routes they share, so that the README, written once
/// every context is done, only joins them.
pub(super) struct RouteTable {
    rows: String,
    example: Option<Example>,
}

/// The [`RouteTable`] of a context, from its [`Routes`].
pub(super) fn route_table(model: &Model, (aggregates, read_models): &Routes) -> RouteTable {
    use std::fmt::Write;
    let mut rows = String::new();
    let mut example = None;
    // Writing into a String cannot fail.
    for a in aggregates {
        for c in &a.commands {
            let verb = if c.creates { "creates a new" } else { "on an existing" };
            let _ = write!(rows, "\n| `POST {}` | {} ({verb} {}) |", c.path, c.name, a.name);
            if example.is_none() && c.creates && a.id_kind == "Uuid" {
                let body: Map<String, Value> =
                    model[c.command].fields.iter().map(|f| (f.name.value.clone(), sample_json(&f.ty.value))).collect();
                example = Some(Example {
                    path: c.path.clone(),
                    body: Value::Object(body).to_string(),
                    state_path: a.state_path.replace("{id}", "<id>"),
                });
            }
        }
        let _ = write!(rows, "\n| `GET {}` | {}: its state and version |", a.state_path, a.name);
    }
    for r in read_models {
        let _ = write!(rows, "\n| `GET {}` | {}: documents, a page at a time |", r.path, r.name);
        let _ = write!(rows, "\n| `GET {}/{{key}}` | {}: one document |", r.path, r.name);
    }
    RouteTable { rows, example }
}

fn readme(model: &Model, plan: &Plan, tables: &[RouteTable]) -> Result<String, GenError> {
    #[derive(Serialize)]
    struct ServiceRef {
        dir: String,
        package: String,
        context: String,
        kind: &'static str,
        owns: String,
    }
    #[derive(Serialize)]
    struct View<'a> {
        system: String,
        /// The database name the README's example uses.
        system_snake: String,
        description: Option<String>,
        contexts: Vec<ContextRef>,
        services: Vec<ServiceRef>,
        /// The rows of the table of routes, each on a line of its own.
        routes: String,
        example: Option<&'a Example>,
    }
    render(
        "workspace/README.md",
        &View {
            system: model.system.value.clone(),
            system_snake: crate::model::names::snake_case(&model.system.value),
            description: model.description.as_deref().map(|d| doc_lines(d).join(" ")),
            contexts: context_refs(model, plan),
            services: plan
                .services
                .iter()
                .map(|s| ServiceRef {
                    dir: s.dir.clone(),
                    package: s.package(),
                    context: model[s.context].name.value.clone(),
                    kind: s.kind.as_str(),
                    owns: if s.everything { "everything in it".into() } else { s.owns.join(", ") },
                })
                .collect(),
            routes: tables.iter().map(|t| t.rows.as_str()).collect(),
            example: tables.iter().find_map(|t| t.example.as_ref()),
        },
    )
}

/// A sample JSON value of a type, for the README's example request.
fn sample_json(ty: &Type) -> Value {
    match ty {
        Type::String | Type::Unknown => "text".into(),
        Type::Int => 7.into(),
        Type::Float => 1.5.into(),
        Type::Decimal => "12.50".into(),
        Type::Bool => true.into(),
        Type::Uuid => "0190f2a4-7c1b-7a8e-b3d2-6e5f9a0c1d27".into(),
        Type::Timestamp => "2025-01-31T12:00:00Z".into(),
        Type::Date => "2025-01-31".into(),
        Type::List(inner) => Value::Array(vec![sample_json(inner)]),
        Type::Optional(inner) => sample_json(inner),
    }
}

/// The runtime crate, copied from this repository as it was built into
/// squall, without its tests and benchmarks.
fn runtime(out: &mut Output) -> Result<(), GenError> {
    for (path, text) in RUNTIME_FILES {
        let target = format!("runtime/{path}");
        match path.rsplit_once('.').map(|(_, ext)| ext) {
            Some("rs") => out.rust(target, (*text).to_owned())?,
            Some("toml") => out.toml(target, without_dev_sections(text))?,
            Some("md") => out.markdown(target, (*text).to_owned())?,
            Some("sql") => out.sql(target, (*text).to_owned())?,
            // Nothing else is in the crate; a file of another kind could not
            // carry the marker, so it is not copied.
            _ => {}
        }
    }
    Ok(())
}

/// A manifest without the sections that name files not copied (benches,
/// tests) or dependencies only they use.
fn without_dev_sections(manifest: &str) -> String {
    let dropped = ["[dev-dependencies]", "[[bench]]", "[[test]]", "[[example]]"];
    let mut keep = true;
    let mut text = String::with_capacity(manifest.len());
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            keep = !dropped.contains(&trimmed);
        }
        if keep {
            text.push_str(line);
            text.push('\n');
        }
    }
    while text.ends_with("\n\n") {
        text.pop();
    }
    text
}

fn support(out: &mut Output) -> Result<(), GenError> {
    out.toml("support/Cargo.toml", render("support/Cargo.toml", &Map::new())?)?;
    for (path, text) in SUPPORT_FILES {
        out.rust(format!("support/{path}"), (*text).to_owned())?;
    }
    Ok(())
}

/// A service binary; `fragment` is the OpenAPI fragment of its whole
/// context.
pub(super) fn service(
    model: &Model,
    plan: &Plan,
    index: usize,
    fragment: &Fragment,
    out: &mut Output,
) -> Result<(), GenError> {
    let service = &plan.services[index];
    let context = &model[service.context];
    let names = plan.context(service.context);
    let dir = format!("services/{}", service.dir);
    #[derive(Serialize)]
    struct View<'a> {
        package: String,
        service: &'a str,
        context: &'a str,
        kind: &'static str,
        context_dependency: String,
        crate_name: String,
        owns: String,
        owns_doc: String,
        doc: Vec<String>,
        about_literal: String,
        default_database: String,
        /// The context's file stem and PostgreSQL schema.
        stem: &'a str,
        stem_literal: String,
    }
    let default_database = format!("data/{}.db", names.stem());
    let view = View {
        package: service.package(),
        service: &service.dir,
        context: &context.name.value,
        kind: service.kind.as_str(),
        context_dependency: names.dependency(),
        crate_name: names.crate_name(),
        owns: service.owns.iter().map(|o| string_literal(o)).collect::<Vec<_>>().join(", "),
        owns_doc: if service.everything {
            "everything in the context".into()
        } else if service.owns.is_empty() {
            "nothing".into()
        } else {
            service.owns.join(", ")
        },
        doc: service.description.as_deref().map(doc_lines).unwrap_or_default(),
        about_literal: string_literal(&format!(
            "Service {} of the {} context ({})",
            service.dir,
            context.name.value,
            service.kind.as_str()
        )),
        default_database,
        stem: names.stem(),
        stem_literal: string_literal(names.stem()),
    };
    out.toml(format!("{dir}/Cargo.toml"), render("service/Cargo.toml", &view)?)?;
    out.rust(format!("{dir}/src/main.rs"), render("service/main.rs", &view)?)?;
    let document = if service.everything {
        openapi::document(model, &[fragment], Some(service))
    } else {
        openapi::document(model, &[&openapi::fragment(model, plan, service.context, Some(service))], Some(service))
    };
    out.generated(format!("{dir}/openapi.json"), document)
}

fn host(model: &Model, plan: &Plan, decimal: bool, fragments: &[&Fragment], out: &mut Output) -> Result<(), GenError> {
    #[derive(Serialize)]
    struct View<'a> {
        system: &'a str,
        package: &'a str,
        contexts: Vec<ContextRef>,
        decimal: bool,
        about_literal: String,
    }
    let view = View {
        system: &model.system.value,
        package: &plan.host,
        contexts: context_refs(model, plan),
        decimal,
        about_literal: string_literal(&format!("{}: every service of the model in one process", model.system.value)),
    };
    out.toml("host/Cargo.toml", render("host/Cargo.toml", &view)?)?;
    out.rust("host/src/lib.rs", render("host/lib.rs", &view)?)?;
    out.rust("host/src/main.rs", render("host/main.rs", &view)?)?;
    out.generated("host/openapi.json", openapi::document(model, fragments, None))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_is_embedded_without_its_dev_sections() {
        assert!(RUNTIME_FILES.iter().any(|(p, _)| *p == "src/lib.rs"));
        let (_, manifest) = RUNTIME_FILES.iter().find(|(p, _)| *p == "Cargo.toml").unwrap();
        let stripped = without_dev_sections(manifest);
        assert!(stripped.contains("[dependencies]") && stripped.contains("rusqlite"));
        assert!(!stripped.contains("[dev-dependencies]") && !stripped.contains("[[bench]]"));
        assert!(!stripped.contains("proptest"));
    }
}
