//! # syntax (error)
//!
//! TODO: documentation.
