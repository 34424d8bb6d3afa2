//! # ambiguous-reference (error)
//!
//! Reported while the model is built: a bare name in a top-level flow (or in
//! a hot spot of the system) is looked up in every context and must be found
//! in exactly one of them.
//!
//! Elsewhere a bare name is looked up in the current context only, so it
//! cannot be ambiguous; outside any context there is no current context to
//! prefer.
//!
//! ## Why
//!
//! Flows read best with bare names (`PlaceOrder, OrderPlaced, …`), and most
//! names are unique in a model. When two contexts declare the same name (an
//! `OrderPlaced` in `Sales` and in `Shipping`), picking one would be a guess,
//! and a wrong guess would draw the flow through the wrong context.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Sales:
//!     aggregates:
//!       Order: { events: { OrderPlaced: {} } }
//!   Shipping:
//!     aggregates:
//!       Shipment: { events: { OrderPlaced: {} } }
//! flows:
//!   Checkout:
//!     steps: [OrderPlaced]           # Sales.OrderPlaced or Shipping.OrderPlaced?
//! ```
//!
//! ## Fix
//!
//! Write the step as `Context.Name` (`Sales.OrderPlaced`); the diagnostic
//! lists the candidates and points at each declaration. Renaming one of the
//! two so that each name says what it is also works.
