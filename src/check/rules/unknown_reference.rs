//! # unknown-reference (error)
//!
//! Reported while the model is built: every reference must name an existing
//! element of the kind its key expects.
//!
//! A reference is a bare name, looked up in the current context, or
//! `Context.Name`, looked up in that context. What it may name depends on
//! its key:
//!
//! | key | names |
//! |---|---|
//! | `actor`, `actors` | actors |
//! | `emits` | events (of the command's own aggregate; see `foreign-event`) |
//! | `on` (policy), `from` | events |
//! | `then` | a command (of the policy's own context; see `cross-context-command`) |
//! | `owns` | aggregates, policies and read models |
//! | flow `steps` | commands, events and policies |
//! | hot spot `on` | any element: an actor, a context or an element of a context |
//! | `upstream`, `downstream`, `between` | contexts |
//!
//! A name of the wrong kind is reported as such ("`AcceptedMerchants` is a
//! read model, not an event"). A bare name that exists only in another
//! context gets the help "did you mean `Other.Name`?"; any other unknown
//! name gets the closest existing name of the right kind. In
//! `Context.Name`, an unknown context is reported at the context part.
//!
//! A reference that does not resolve is left out of the model, so the other
//! checks go on without it.
//!
//! ## Why
//!
//! References are the wiring of the model: which actor issues a command,
//! which events a policy reacts to, which context is upstream of which. One
//! that points nowhere is a typo or an element that was renamed, and the
//! generator cannot wire a handler to nothing.
//!
//! ## Example
//!
//! ```yaml
//! contexts:
//!   Transactions:
//!     aggregates:
//!       Payment:
//!         events:
//!           PaymentCompleted: { public: true }
//!   Billing:
//!     policies:
//!       BillCompletedPayment:
//!         on: PaymentCompleted       # declared in Transactions, not Billing
//!         then: AddInvoiceLine
//! ```
//!
//! ## Fix
//!
//! Correct the name as the help suggests; for an element of another context
//! write `Context.Name` (`Transactions.PaymentCompleted`). If the element
//! does not exist yet, declare it.
