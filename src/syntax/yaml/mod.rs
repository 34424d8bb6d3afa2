//! The YAML syntax of a model: `*.yaml` and `*.yml` files.
//!
//! Reading goes source → [`tree`] (a spanned node tree built from the
//! `saphyr-parser` event stream, where hostile input is stopped) → `read`
//! (the tree into [`ast::File`], with every unknown key, wrong shape and
//! duplicate reported at its place) and `comments` (found in the source,
//! since the parser drops them). Printing ([`print()`]) writes the canonical
//! layout. `keys` is the one table of which keys go where, shared by the
//! reader, the printer and the JSON Schema ([`schema`]).
//! `docs/yaml.md` explains the choices.

mod comments;
mod keys;
mod print;
mod read;
pub mod schema;
pub mod tree;

use super::{Parsed, ast};

/// Reads a YAML model.
pub fn parse(source: &str) -> Parsed {
    read::read(source)
}

/// Reads a YAML model, handing each context to `on_context` as soon as it
/// is read (the file returned holds none): a model builder lowers and frees
/// each while it is still in the processor's caches (see
/// [`crate::model::Builder`]).
pub fn parse_streamed(source: &str, on_context: &mut dyn FnMut(ast::Entry<ast::Context>)) -> Parsed {
    read::read_streamed(source, Some(on_context))
}

/// Writes a model as YAML in the canonical layout.
pub fn print(file: &ast::File) -> String {
    print::print(file)
}

/// Parses a YAML source into the generic node tree only, without reading it
/// as a model (the first step of [`parse`]).
pub fn parse_generic(source: &str) -> Result<tree::Document<'_>, Box<crate::diagnostics::Diagnostic>> {
    tree::build(source)
}
