//! # unknown-reference (error)
//!
//! TODO: documentation.
