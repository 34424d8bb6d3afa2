//! # invalid-type (error)
//!
//! Reported while the model is built: every field type is one the format
//! knows, and every aggregate's `id` is a type an identity can have.
//!
//! Field types are `string`, `int` (64-bit), `float`, `decimal`, `bool`,
//! `uuid`, `timestamp` (a UTC instant), `date`, `list<T>` for a list of any
//! of them, and `T?` for an optional `T` (`list<uuid>?`, `list<string?>`).
//! Spaces around `<`, `>` and `?` are allowed; a type is optional once
//! (`T??` is an error), and types nest at most 16 levels deep.
//!
//! An aggregate's `id` (default `uuid`) is `uuid`, `string` or `int`: a
//! required, scalar value that an event store, a URL path and a message key
//! can all hold. Squall decides this where the format is silent, so that
//! every generated service can key its aggregates the same way.
//!
//! The diagnostic points at the part of the type that is wrong (`strng` in
//! `list<strng>`). The field is kept, with an unknown type, so the other
//! checks still see it.
//!
//! ## Why
//!
//! Field types become Rust types, JSON Schema types and database columns in
//! the generated code; one that means nothing cannot be generated, and a
//! misspelt one (`strng`) is almost always a typo worth catching at once.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Sales:
//!     aggregates:
//!       Order:
//!         id: list<uuid>             # not an id type
//!         fields:
//!           total: money             # not a type
//!           lines: list<strng>       # `strng` is not a type
//! ```
//!
//! ## Fix
//!
//! Use one of the types above, as the help suggests (`list<string>`). A
//! domain type such as `money` is written with the type that holds it
//! (`decimal`, with the currency in a field of its own).
