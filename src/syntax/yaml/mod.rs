//! The YAML syntax of a model.

use super::{Parsed, ast};

/// Reads a YAML model.
pub fn parse(_source: &str) -> Parsed {
    todo!("YAML reader")
}

/// Writes a model as YAML in the canonical layout.
pub fn print(_file: &ast::File) -> String {
    todo!("YAML printer")
}
