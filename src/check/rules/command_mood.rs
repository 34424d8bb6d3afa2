//! # command-mood
//!
//! TODO: documentation.

use crate::diagnostics::Diagnostic;
use crate::model::Model;

pub fn check(_model: &Model, _out: &mut Vec<Diagnostic>) {}
