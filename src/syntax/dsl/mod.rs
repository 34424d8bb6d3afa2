//! The Squall DSL (`*.squall`): a line-oriented text syntax that says
//! exactly what the YAML says, shorter. Its grammar, with examples, is in
//! `docs/dsl.md`.
//!
//! [`lexer`] splits the text into tokens, [`parser`] reads them into the
//! surface tree with spans and comments (recovering after errors, so one run
//! reports them all), and [`print`] writes a tree back in the canonical
//! layout.

mod lexer;
mod parser;
mod print;

#[cfg(test)]
mod tests;

use super::{Parsed, ast};

/// Reads a DSL model. The tree is always returned, as complete as the
/// syntax errors allow; every error is a `syntax` diagnostic.
pub fn parse(source: &str) -> Parsed {
    let (file, diagnostics) = parser::parse(source);
    Parsed { file: Some(file), diagnostics }
}

/// Writes a model in the DSL's canonical layout.
pub fn print(file: &ast::File) -> String {
    print::print(file)
}
