//! Building a runtime from a service's configuration: the two URLs a
//! generated service takes (`--database-url` / `SQUALL_DATABASE_URL` and
//! `--nats-url` / `SQUALL_NATS_URL`).

use crate::error::StoreError;
use crate::runtime::{Runtime, RuntimeBuilder};
use crate::store::Store;

impl Runtime {
    /// A runtime builder over the store at `database_url`, with the bus at
    /// `nats_url` if given (else the in-process bus).
    ///
    /// * `database_url`: a file path or `sqlite://path` (SQLite), or, with the
    ///   `postgres` feature, `postgres://user@host:port/db` with optional
    ///   `?schema=name&pool_size=n` (PostgreSQL; the tables are created or
    ///   upgraded on the spot, safely when several replicas start at once).
    /// * `nats_url`, with the `nats` feature: `nats://host:port` — the NATS
    ///   JetStream bus with [`NatsOptions::default`](crate::NatsOptions), which
    ///   dead-letters exhausted messages into this store. The connection is
    ///   made in the background: a server that is down at start-up only backs
    ///   up the outbox until it is reachable.
    ///
    /// Several replicas of one service may run against the same database:
    /// their relays elect one leader, and their bus consumers share the
    /// durable consumer of the same name.
    pub async fn from_urls(database_url: &str, nats_url: Option<&str>) -> Result<RuntimeBuilder, StoreError> {
        let store = Store::open(database_url).await?;
        let builder = Runtime::builder(store.clone());
        let Some(url) = nats_url.filter(|u| !u.is_empty()) else {
            return Ok(builder);
        };
        #[cfg(feature = "nats")]
        {
            let bus = crate::bus::NatsBus::connect(url, crate::bus::NatsOptions::default())
                .await
                .map_err(|e| StoreError::UnsupportedUrl(format!("{url}: {e}")))?
                .with_store(store);
            Ok(builder.bus(std::sync::Arc::new(bus)))
        }
        #[cfg(not(feature = "nats"))]
        {
            let _ = (builder, store);
            Err(StoreError::UnsupportedUrl(format!("{url}: this build has no NATS support (feature `nats`)")))
        }
    }
}
