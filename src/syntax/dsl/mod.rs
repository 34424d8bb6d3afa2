//! The Squall DSL (`*.squall`).

use super::{Parsed, ast};

/// Reads a DSL model.
pub fn parse(_source: &str) -> Parsed {
    todo!("DSL parser")
}

/// Writes a model in the DSL's canonical layout.
pub fn print(_file: &ast::File) -> String {
    todo!("DSL printer")
}
