//! # invalid-type (error)
//!
//! TODO: documentation.
