//! The check: every rule of the model format, one file each under
//! [`rules`], whose module documentation is the rule's user documentation
//! (`squall explain CODE` prints it).
//!
//! Most rules run on the built [`Model`]. A few are found while the model is
//! built, because they are about what could not be built: `syntax`,
//! `unknown-reference`, `ambiguous-reference` and `invalid-type` are reported
//! by the readers and by [`crate::model::build`]; their files here hold their
//! documentation.
//!
//! One problem is reported once. Where a reference did not resolve or a
//! name is declared twice, the rules about how elements are used stay quiet
//! about what that hole would make look wrong: a command whose actor is
//! misspelt is not also "issued by nobody" (nor the actor meant "unused"),
//! a misspelt entry of a service's `owns` does not leave the element it
//! meant "owned by no service", and a second event of the same name, which
//! no `emits` can name, is not also "emitted by no command" (see
//! [`Model::unresolved_within`], `Model::unresolved_actors`,
//! `Model::unresolved_owns` and [`Model::is_redeclared`]).

pub mod cron;
mod cycles;
mod grammar;
pub mod rules;
#[cfg(test)]
mod testing;
mod usage;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Model, Name, NameKind};

/// Runs every rule that checks a built model, in the order of the format's
/// rule table; the rules that look at one name at a time share one walk
/// over the names, after the others.
pub fn check(model: &Model) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut by_name = Vec::new();
    for rule in rules::MODEL_RULES {
        match rule.check {
            Check::Model(check) => check(model, &mut found),
            Check::Name(check) => by_name.push(check),
        }
    }
    for (kind, name) in model.declared_names() {
        for check in &by_name {
            check(kind, name, &mut found);
        }
    }
    found
}

/// A rule that runs on a built model.
pub struct Rule {
    pub code: Code,
    pub check: Check,
}

/// How a rule looks at a model.
#[derive(Clone, Copy)]
pub enum Check {
    /// The rule walks the model as it needs.
    Model(fn(&Model, &mut Vec<Diagnostic>)),
    /// The rule looks at each declared name on its own
    /// ([`Model::declared_names`]). All such rules run in one walk, so that
    /// each name is fetched from memory once rather than once per rule: the
    /// names of a large model are scattered over more memory than the
    /// processor's caches hold, and every walk over them fetches them again.
    Name(fn(NameKind, &Name, &mut Vec<Diagnostic>)),
}

impl Check {
    /// Runs this one rule on its own (the whole check runs them together:
    /// see [`check`]).
    pub fn run(self, model: &Model, out: &mut Vec<Diagnostic>) {
        match self {
            Check::Model(check) => check(model, out),
            Check::Name(check) => {
                for (kind, name) in model.declared_names() {
                    check(kind, name, out);
                }
            }
        }
    }
}

/// The documentation of a rule: its file's `//!` comment, without the
/// comment markers.
pub fn documentation(code: Code) -> String {
    rules::source(code)
        .lines()
        .take_while(|line| line.starts_with("//!"))
        .map(|line| line.strip_prefix("//! ").unwrap_or(line.trim_start_matches("//!")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_documentation_with_an_example_and_a_fix() {
        for &code in Code::ALL {
            let doc = documentation(code);
            assert!(doc.lines().count() >= 5, "{code}: documentation too short:\n{doc}");
            assert!(doc.contains("## Example"), "{code}: no `## Example` section");
            assert!(doc.contains("## Fix"), "{code}: no `## Fix` section");
        }
    }
}
