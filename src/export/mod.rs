//! Emitters that write the model as data rather than code: the canonical
//! JSON of `squall export --format json` ([`json`]).
//!
//! They read only the resolved [`Model`](crate::model::Model), never the
//! surface syntax, so that a model written in YAML and the same model
//! written in the DSL export to the same bytes.

pub mod json;
