//! Lowering: from the surface tree to the resolved model.

use super::Model;
use crate::diagnostics::Diagnostic;
use crate::syntax::ast;

/// Builds the model of a surface tree, resolving every reference. Problems
/// found on the way (unknown and ambiguous references, invalid types, values
/// of the wrong kind) are returned beside the model, which leaves out what
/// did not resolve.
pub fn build(_file: &ast::File) -> (Model, Vec<Diagnostic>) {
    todo!("model lowering")
}
