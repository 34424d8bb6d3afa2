//! The transactional outbox.
//!
//! Every public event gets an `outbox` row in the transaction that appends it
//! (see the store); private events get none, so they never leave their
//! context. The [`relay`] publishes the rows to the bus in position order.

#[cfg(feature = "postgres")]
mod postgres;
pub mod relay;
