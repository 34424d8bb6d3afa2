//! The two surface syntaxes of a model (YAML and the Squall DSL), read into
//! one surface tree ([`ast::File`]) and printed back from it (`squall fmt`).

pub mod ast;
pub mod dsl;
pub mod span;
pub mod yaml;

use std::path::Path;

use crate::diagnostics::Diagnostic;

/// Which surface syntax a model is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Syntax {
    Yaml,
    Dsl,
}

impl Syntax {
    /// The syntax a file name implies: `*.yaml`/`*.yml` or `*.squall`.
    pub fn from_path(path: &Path) -> Option<Syntax> {
        match path.extension()?.to_str()? {
            "yaml" | "yml" => Some(Syntax::Yaml),
            "squall" => Some(Syntax::Dsl),
            _ => None,
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Syntax::Yaml => "yaml",
            Syntax::Dsl => "squall",
        }
    }
}

/// The result of reading a file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The tree as far as it could be read. `None` when the file is not a
    /// model at all (YAML that does not scan, a top level that is not a
    /// mapping): nothing after parsing can run on it.
    pub file: Option<ast::File>,
    /// Every `syntax` problem found (the DSL parser recovers and reports
    /// several; unknown keys and wrong shapes are reported all at once).
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads a model in the given syntax.
pub fn parse(source: &str, syntax: Syntax) -> Parsed {
    match syntax {
        Syntax::Yaml => yaml::parse(source),
        Syntax::Dsl => dsl::parse(source),
    }
}

/// Writes a tree in the canonical layout of a syntax.
pub fn print(file: &ast::File, syntax: Syntax) -> String {
    match syntax {
        Syntax::Yaml => yaml::print(file),
        Syntax::Dsl => dsl::print(file),
    }
}
