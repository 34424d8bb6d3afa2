//! # ambiguous-reference (error)
//!
//! TODO: documentation.
