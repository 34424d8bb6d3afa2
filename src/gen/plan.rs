//! The names generated code gives every element of the model, decided once,
//! before anything is rendered.
//!
//! Model names are valid by the time the generator sees them, but two valid
//! names can still meet in generated code: `HTTPServer` and `HttpServer`
//! both become the module `http_server`, a command `Match` becomes the
//! keyword `match`, an aggregate `ReadModels` would take the path segment of
//! the read models. Each kind of name is claimed in a [`Namespace`] that
//! escapes keywords, keeps out the names generated code uses itself, and
//! numbers the second claimant of a name (`http_server_2`), in model order,
//! so the result is deterministic.

use std::collections::{HashMap, HashSet};

use crate::model::names::{self, RUST_KEYWORDS};
use crate::model::{AggregateId, ContextId, Model, Owned, ServiceKind};

/// Names that would shadow crates or prelude items if a module took them.
const CRATE_NAMES: &[&str] =
    &["std", "core", "alloc", "serde", "squall_runtime", "support", "axum", "tokio", "tracing", "rust_decimal", "host"];

/// Claims unique names.
#[derive(Debug, Default)]
pub struct Namespace {
    used: HashSet<String>,
}

impl Namespace {
    /// A namespace where `reserved` are already taken.
    pub fn reserving(reserved: &[&str]) -> Namespace {
        Namespace { used: reserved.iter().map(|s| (*s).to_owned()).collect() }
    }

    /// `wanted`, or `wanted` + `sep` + the first free number from 2.
    fn claim(&mut self, wanted: String, sep: char) -> String {
        if self.used.insert(wanted.clone()) {
            return wanted;
        }
        (2..)
            .map(|n| format!("{wanted}{sep}{n}"))
            .find(|candidate| self.used.insert(candidate.clone()))
            .unwrap_or(wanted)
    }

    /// A snake_case Rust identifier for a model name.
    pub fn ident(&mut self, model_name: &str) -> String {
        self.claim(snake_ident(model_name), '_')
    }

    /// A kebab-case path segment for a model name.
    pub fn kebab(&mut self, model_name: &str) -> String {
        self.claim(names::kebab_case(model_name), '-')
    }
}

/// `snake_case`, with a trailing `_` when that is a keyword or a crate name.
pub fn snake_ident(model_name: &str) -> String {
    let snake = names::snake_case(model_name);
    let snake = if snake.is_empty() { "x".to_owned() } else { snake };
    if RUST_KEYWORDS.contains(&snake.as_str()) || CRATE_NAMES.contains(&snake.as_str()) || snake == "self" {
        snake + "_"
    } else {
        snake
    }
}

#[derive(Clone, Debug)]
pub struct ContextNames {
    /// Module, field and file name: `card_payments`.
    pub ident: String,
    /// Path segment: `card-payments`.
    pub kebab: String,
    /// The system's name in kebab-case, which prefixes package names.
    pub system: String,
}

impl ContextNames {
    /// The library crate: `card_payments_context`.
    pub fn crate_name(&self) -> String {
        format!("{}_context", self.stem())
    }

    /// The name dependents use: `card-payments-context` (its crate is
    /// [`crate_name`](Self::crate_name)).
    pub fn dependency(&self) -> String {
        format!("{}-context", self.stem().replace('_', "-"))
    }

    /// The package: `shop-card-payments-context`. The system's name keeps
    /// packages of different workspaces apart: cargo's artifact names do not
    /// depend on where a workspace lives, so two workspaces sharing a target
    /// directory would otherwise overwrite each other's crates.
    pub fn package(&self) -> String {
        format!("{}-{}", self.system, self.dependency())
    }

    /// The crate's directory.
    pub fn dir(&self) -> String {
        format!("contexts/{}", self.stem())
    }

    /// The identifier without the `_` that keeps a keyword or crate name at
    /// bay (`std_` is the crate `std_context`).
    pub fn stem(&self) -> &str {
        self.ident.trim_end_matches('_')
    }
}

#[derive(Clone, Debug)]
pub struct AggregateNames {
    /// Module name within its context.
    pub ident: String,
    /// Path segment within its context.
    pub kebab: String,
}

#[derive(Clone, Debug)]
pub struct CommandNames {
    /// Method and handler name within its aggregate.
    pub ident: String,
    /// Path segment within its aggregate.
    pub kebab: String,
}

#[derive(Clone, Debug)]
pub struct PolicyNames {
    /// Module name within its context.
    pub ident: String,
    /// One method name per `on` event, in order.
    pub reactions: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct ReadModelNames {
    /// Handler name stem within its context.
    pub ident: String,
    /// Path segment within its context.
    pub kebab: String,
}

/// A deployable service: a declared one, or the implicit one of a context
/// that declares none.
#[derive(Clone, Debug)]
pub struct ServicePlan {
    /// The system's name in kebab-case.
    pub system: String,
    pub context: ContextId,
    /// Directory under `services/`, unique in the workspace.
    pub dir: String,
    pub kind: ServiceKind,
    pub description: Option<String>,
    /// The model names of the elements it owns.
    pub owns: Vec<String>,
    /// Whether it owns the whole context.
    pub everything: bool,
}

impl ServicePlan {
    /// The package and binary name: `<system>-<service>-service`.
    pub fn package(&self) -> String {
        format!("{}-{}-service", self.system, self.dir)
    }
}

/// Every name, by element id.
#[derive(Debug)]
pub struct Plan {
    pub contexts: Vec<ContextNames>,
    pub aggregates: Vec<AggregateNames>,
    pub commands: Vec<CommandNames>,
    pub policies: Vec<PolicyNames>,
    pub read_models: Vec<ReadModelNames>,
    pub services: Vec<ServicePlan>,
    /// Test function names of the flows.
    pub flows: Vec<String>,
    /// The host's package name (its crate and binary are `host`).
    pub host: String,
}

/// Identifiers the generated code of an aggregate's module or HTTP module
/// uses itself, next to one method per command.
const AGGREGATE_MEMBERS: &[&str] = &["evolve", "routes", "get_state"];

/// Aggregates whose commands a thread is worth starting for.
const AGGREGATES_PER_THREAD: usize = 256;

impl Plan {
    pub fn new(model: &Model) -> Plan {
        let system = names::kebab_case(&model.system.value);
        let mut context_idents = Namespace::reserving(&["router", "shutdown"]);
        let mut context_kebabs = Namespace::default();
        let contexts: Vec<ContextNames> = model
            .contexts
            .iter()
            .map(|c| ContextNames {
                ident: context_idents.ident(&c.name),
                kebab: context_kebabs.kebab(&c.name),
                system: system.clone(),
            })
            .collect();

        let mut aggregates = vec![None; model.aggregates.len()];
        let mut policies = vec![None; model.policies.len()];
        let mut read_models = vec![None; model.read_models.len()];
        for context in &model.contexts {
            let mut idents = Namespace::reserving(&["read_models", "router"]);
            let mut kebabs = Namespace::reserving(&["read-models"]);
            for &a in &context.aggregates {
                aggregates[a.index()] =
                    Some(AggregateNames { ident: idents.ident(&model[a].name), kebab: kebabs.kebab(&model[a].name) });
            }
            let mut policy_idents = Namespace::default();
            for &p in &context.policies {
                let policy = &model[p];
                let mut methods = Namespace::default();
                let reactions = policy
                    .on
                    .iter()
                    .map(|e| methods.claim(format!("on_{}", snake_ident(&model[e.value].name)), '_'))
                    .collect();
                policies[p.index()] = Some(PolicyNames { ident: policy_idents.ident(&policy.name), reactions });
            }
            let mut rm_idents = Namespace::default();
            let mut rm_kebabs = Namespace::default();
            for &r in &context.read_models {
                read_models[r.index()] = Some(ReadModelNames {
                    ident: rm_idents.ident(&model[r].name),
                    kebab: rm_kebabs.kebab(&model[r].name),
                });
            }
        }

        // Commands are most of the names, and each aggregate's are claimed
        // apart from the others': on every core.
        let Ok(by_aggregate) =
            crate::parallel::map(&model.aggregates, AGGREGATES_PER_THREAD, |aggregate, _: &mut ()| {
                let mut idents = Namespace::reserving(AGGREGATE_MEMBERS);
                let mut kebabs = Namespace::default();
                let names: Vec<(usize, CommandNames)> = aggregate
                    .commands
                    .iter()
                    .map(|&c| {
                        (
                            c.index(),
                            CommandNames { ident: idents.ident(&model[c].name), kebab: kebabs.kebab(&model[c].name) },
                        )
                    })
                    .collect();
                Ok::<_, std::convert::Infallible>(names)
            });
        let mut commands = vec![None; model.commands.len()];
        for (index, names) in by_aggregate.into_iter().flatten() {
            commands[index] = Some(names);
        }

        let mut flow_idents = Namespace::reserving(&["scratch"]);
        let flows = model.flows.iter().map(|f| flow_idents.ident(&f.name)).collect();

        Plan {
            services: services(model, &contexts, &system),
            host: format!("{system}-host"),
            contexts,
            aggregates: aggregates.into_iter().map(|n| n.unwrap_or_else(unnamed_aggregate)).collect(),
            commands: commands.into_iter().map(|n| n.unwrap_or_else(unnamed_command)).collect(),
            policies: policies
                .into_iter()
                .map(|n| n.unwrap_or_else(|| PolicyNames { ident: "policy".into(), reactions: Vec::new() }))
                .collect(),
            read_models: read_models
                .into_iter()
                .map(|n| n.unwrap_or_else(|| ReadModelNames { ident: "read_model".into(), kebab: "read-model".into() }))
                .collect(),
            flows,
        }
    }

    pub fn context(&self, id: ContextId) -> &ContextNames {
        &self.contexts[id.index()]
    }

    pub fn aggregate(&self, id: AggregateId) -> &AggregateNames {
        &self.aggregates[id.index()]
    }
}

// Every element belongs to a context's list, so these only stand in for
// elements of a model the builder left half-made (never one that checks).
fn unnamed_aggregate() -> AggregateNames {
    AggregateNames { ident: "aggregate".into(), kebab: "aggregate".into() }
}

fn unnamed_command() -> CommandNames {
    CommandNames { ident: "command".into(), kebab: "command".into() }
}

/// The services of the model: each context's declared ones, or one per
/// context named after it. Directory names are the service names where
/// those are unique in the model, else prefixed with the context.
fn services(model: &Model, contexts: &[ContextNames], system: &str) -> Vec<ServicePlan> {
    let mut plans = Vec::new();
    for (index, context) in model.contexts.iter().enumerate() {
        let id = ContextId(index as u32);
        match model.declared_services(id) {
            None => {
                let mut owns: Vec<String> = Vec::new();
                owns.extend(context.aggregates.iter().map(|&a| model[a].name.value.clone()));
                owns.extend(context.policies.iter().map(|&p| model[p].name.value.clone()));
                owns.extend(context.read_models.iter().map(|&r| model[r].name.value.clone()));
                plans.push(ServicePlan {
                    system: system.to_owned(),
                    context: id,
                    dir: contexts[index].kebab.clone(),
                    kind: ServiceKind::Api,
                    description: context.description.clone(),
                    owns,
                    everything: true,
                });
            }
            Some(declared) => {
                for &s in declared {
                    let service = &model[s];
                    let owns = service
                        .owns
                        .iter()
                        .map(|o| match o.value {
                            Owned::Aggregate(a) => model[a].name.value.clone(),
                            Owned::Policy(p) => model[p].name.value.clone(),
                            Owned::ReadModel(r) => model[r].name.value.clone(),
                        })
                        .collect();
                    plans.push(ServicePlan {
                        system: system.to_owned(),
                        context: id,
                        dir: service.name.value.clone(),
                        kind: service.kind,
                        description: service.description.clone(),
                        owns,
                        everything: false,
                    });
                }
            }
        }
    }
    // A name two contexts both use gets its context in front; whatever still
    // collides is numbered.
    let mut count: HashMap<String, usize> = HashMap::new();
    for plan in &plans {
        *count.entry(plan.dir.clone()).or_default() += 1;
    }
    let mut dirs = Namespace::reserving(&["host", "support", "runtime"]);
    for plan in &mut plans {
        let wanted = if count[&plan.dir] > 1 {
            format!("{}-{}", contexts[plan.context.index()].kebab, plan.dir)
        } else {
            plan.dir.clone()
        };
        plan.dir = dirs.claim(wanted, '-');
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clashing_names_are_told_apart() {
        let mut ns = Namespace::reserving(&["evolve"]);
        assert_eq!(ns.ident("HttpServer"), "http_server");
        assert_eq!(ns.ident("HTTPServer"), "http_server_2");
        assert_eq!(ns.ident("Match"), "match_");
        assert_eq!(ns.ident("Evolve"), "evolve_2");
        assert_eq!(ns.ident("Std"), "std_");
        let mut kebabs = Namespace::reserving(&["read-models"]);
        assert_eq!(kebabs.kebab("ReadModels"), "read-models-2");
    }
}
