//! Building a runtime from a service's configuration: the two URLs a
//! generated service takes (`--database-url` / `SQUALL_DATABASE_URL` and
//! `--nats-url` / `SQUALL_NATS_URL`).
//!
//! * A database URL is a file path or `sqlite://path` (SQLite), or, with the
//!   `postgres` feature, `postgres://user@host:port/db?schema=…&pool_size=…`.
//!   Several contexts share one PostgreSQL database with one schema each:
//!   [`context_store_url`] places a context in schema `<schema_prefix><context>`
//!   unless the URL names a schema itself.
//! * A NATS URL is `nats://host:port` (several servers separated by commas),
//!   with the bus's names as optional query parameters ([`NatsUrl`]):
//!   `?stream=NAME&subject_prefix=PREFIX&replicas=N`, so that systems (or test
//!   runs) sharing a NATS server keep apart.

use std::sync::Arc;

use crate::bus::{BusError, EventBus, InProcessBus};
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
    /// * `nats_url`, with the `nats` feature: `nats://host:port`, with the
    ///   optional parameters of [`NatsUrl`] — the NATS JetStream bus, which
    ///   dead-letters exhausted messages into this store. The connection is
    ///   made in the background: a server that is down at start-up only backs
    ///   up the outbox until it is reachable.
    ///
    /// Several replicas of one service may run against the same database:
    /// their relays elect one leader, and their bus consumers share the
    /// durable consumer of the same name.
    pub async fn from_urls(database_url: &str, nats_url: Option<&str>) -> Result<RuntimeBuilder, StoreError> {
        let store = Store::open(database_url).await?;
        let bus = ProcessBus::connect(nats_url).await.map_err(|e| StoreError::UnsupportedUrl(e.to_string()))?;
        Ok(Runtime::builder(store.clone()).bus(bus.for_store(&store)))
    }
}

/// Whether `url` names a PostgreSQL database (whether or not this build
/// has the `postgres` feature).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The store URL of `context` (a name of `a-z`, `0-9` and `_`) in the
/// database `url` names, for systems that keep several contexts in one
/// PostgreSQL database: the context's schema is `<schema_prefix><context>`,
/// with `schema_prefix=` taken from the URL (default: none), unless the URL
/// names its `schema=` itself, which then wins. Any other URL is returned as
/// it is.
///
/// Fails when the URL gives both `schema=` and `schema_prefix=`.
pub fn context_store_url(url: &str, context: &str) -> Result<String, StoreError> {
    if !is_postgres_url(url) {
        return Ok(url.to_owned());
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let value = |key: &str| pairs.iter().find_map(|p| p.strip_prefix(key)?.strip_prefix('='));
    let (schema, prefix) = (value("schema"), value("schema_prefix"));
    if schema.is_some() && prefix.is_some() {
        // Which one was meant cannot be guessed; the URL is not echoed, as
        // it may carry a password.
        return Err(StoreError::UnsupportedUrl(
            "a PostgreSQL URL takes `schema=` or `schema_prefix=`, not both".into(),
        ));
    }
    let mut kept: Vec<String> =
        pairs.iter().filter(|p| !p.starts_with("schema_prefix=")).map(|p| (*p).to_owned()).collect();
    if schema.is_none() {
        kept.push(format!("schema={}{context}", prefix.unwrap_or("")));
    }
    Ok(format!("{base}?{}", kept.join("&")))
}

/// A `--nats-url`: the servers to connect to and the bus settings given as
/// query parameters.
///
/// | parameter | meaning | default |
/// | --- | --- | --- |
/// | `stream` | the JetStream stream every context publishes to | `SQUALL` |
/// | `subject_prefix` | the first token(s) of every subject | `squall` |
/// | `replicas` | copies the server cluster keeps of each message | 1 |
///
/// Two systems (or two test runs) on one NATS server need different streams
/// and subject prefixes: a stream's subjects may not overlap another's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NatsUrl {
    /// What the client connects to: the URL without its query.
    pub servers: String,
    /// `stream=`, if given.
    pub stream: Option<String>,
    /// `subject_prefix=`, if given.
    pub subject_prefix: Option<String>,
    /// `replicas=`, if given.
    pub replicas: Option<usize>,
}

impl NatsUrl {
    /// Parses a NATS URL; an unknown parameter is an error rather than
    /// ignored, since a misspelt stream name would silently join the default
    /// stream.
    pub fn parse(url: &str) -> Result<NatsUrl, BusError> {
        let bad = |why: String| BusError::Other(format!("NATS URL: {why}"));
        let (servers, query) = url.split_once('?').unwrap_or((url, ""));
        if servers.trim().is_empty() {
            return Err(bad("no server".into()));
        }
        let mut parsed = NatsUrl { servers: servers.to_owned(), stream: None, subject_prefix: None, replicas: None };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "stream" if valid_stream(value) => parsed.stream = Some(value.to_owned()),
                "stream" => {
                    return Err(bad(format!("`stream={value}`: a stream name has no `.`, `*`, `>`, `/` or space")));
                }
                "subject_prefix" if valid_subject_prefix(value) => parsed.subject_prefix = Some(value.to_owned()),
                "subject_prefix" => {
                    return Err(bad(format!(
                        "`subject_prefix={value}`: subject tokens are separated by single dots and have no `*`, `>` or space"
                    )));
                }
                "replicas" => match value.parse::<usize>() {
                    Ok(n) if (1..=5).contains(&n) => parsed.replicas = Some(n),
                    _ => return Err(bad(format!("`replicas={value}`: a number from 1 to 5"))),
                },
                other => {
                    return Err(bad(format!("unknown parameter `{other}` (known: stream, subject_prefix, replicas)")));
                }
            }
        }
        Ok(parsed)
    }

    /// The bus options this URL asks for, the rest at their defaults.
    #[cfg(feature = "nats")]
    pub fn options(&self) -> crate::bus::NatsOptions {
        let defaults = crate::bus::NatsOptions::default();
        crate::bus::NatsOptions {
            stream: self.stream.clone().unwrap_or(defaults.stream.clone()),
            subject_prefix: self.subject_prefix.clone().unwrap_or(defaults.subject_prefix.clone()),
            replicas: self.replicas.unwrap_or(defaults.replicas),
            ..defaults
        }
    }
}

fn valid_stream(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.chars().any(|c| matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace() || c.is_control())
}

fn valid_subject_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.split('.').all(|token| {
            !token.is_empty() && !token.chars().any(|c| matches!(c, '*' | '>') || c.is_whitespace() || c.is_control())
        })
}

/// The bus of one process, chosen by its `--nats-url`, and shared by every
/// context the process runs: the in-process bus, or one NATS connection.
/// Cheap to clone.
#[derive(Clone)]
pub struct ProcessBus {
    kind: BusKind,
}

#[derive(Clone)]
enum BusKind {
    InProcess(Arc<InProcessBus>),
    #[cfg(feature = "nats")]
    Nats(crate::bus::NatsBus),
}

impl ProcessBus {
    /// The in-process bus when `nats_url` is absent or empty, else (with the
    /// `nats` feature) a NATS JetStream bus as the URL's parameters say
    /// ([`NatsUrl`]). Without the feature a NATS URL is an error that names it.
    pub async fn connect(nats_url: Option<&str>) -> Result<ProcessBus, BusError> {
        let Some(url) = nats_url.filter(|u| !u.is_empty()) else {
            return Ok(ProcessBus { kind: BusKind::InProcess(Arc::new(InProcessBus::new())) });
        };
        let parsed = NatsUrl::parse(url)?;
        #[cfg(feature = "nats")]
        {
            let bus = crate::bus::NatsBus::connect(&parsed.servers, parsed.options()).await?;
            Ok(ProcessBus { kind: BusKind::Nats(bus) })
        }
        #[cfg(not(feature = "nats"))]
        {
            let _ = parsed;
            Err(BusError::Other("this build has no NATS support: enable the cargo feature `nats`".into()))
        }
    }

    /// The bus as the context whose store is `store` uses it: on NATS, the
    /// process's one connection, dead-lettering that context's exhausted
    /// messages into its own store (where its inbox is).
    pub fn for_store(&self, store: &Store) -> Arc<dyn EventBus> {
        match &self.kind {
            BusKind::InProcess(bus) => {
                // One bus for every context: nothing is dead-lettered by it.
                let _ = store;
                bus.clone()
            }
            #[cfg(feature = "nats")]
            BusKind::Nats(bus) => Arc::new(bus.clone().with_store(store.clone())),
        }
    }

    /// Whether this is NATS JetStream (else the in-process bus).
    pub fn is_nats(&self) -> bool {
        !matches!(self.kind, BusKind::InProcess(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_get_a_schema_each_unless_the_url_names_one() {
        let url = |u: &str| context_store_url(u, "billing").unwrap();
        assert_eq!(url("postgres://u@h/db"), "postgres://u@h/db?schema=billing");
        assert_eq!(url("postgresql://u@h/db?sslmode=disable"), "postgresql://u@h/db?sslmode=disable&schema=billing");
        assert_eq!(
            url("postgres://u@h/db?schema_prefix=run7_&pool_size=4"),
            "postgres://u@h/db?pool_size=4&schema=run7_billing"
        );
        assert_eq!(url("postgres://u@h/db?schema=mine"), "postgres://u@h/db?schema=mine");
        assert_eq!(url("data/billing.db"), "data/billing.db");
        assert_eq!(url("sqlite://x.db?schema_prefix=p"), "sqlite://x.db?schema_prefix=p");
        let both = context_store_url("postgres://u:secret@h/db?schema=a&schema_prefix=b", "c").unwrap_err();
        assert!(!both.to_string().contains("secret"), "{both}");
        assert!(is_postgres_url("postgresql://h/db") && !is_postgres_url("sqlite://x.db"));
    }

    #[test]
    fn nats_urls_carry_the_bus_names() {
        let parsed = NatsUrl::parse("nats://127.0.0.1:4222?stream=RUN_1&subject_prefix=run.one&replicas=3").unwrap();
        assert_eq!(parsed.servers, "nats://127.0.0.1:4222");
        assert_eq!(parsed.stream.as_deref(), Some("RUN_1"));
        assert_eq!(parsed.subject_prefix.as_deref(), Some("run.one"));
        assert_eq!(parsed.replicas, Some(3));
        let plain = NatsUrl::parse("nats://a:4222,nats://b:4222").unwrap();
        assert_eq!((plain.servers.as_str(), plain.stream, plain.replicas), ("nats://a:4222,nats://b:4222", None, None));
        for bad in [
            "nats://h?stream=a.b",
            "nats://h?stream=",
            "nats://h?subject_prefix=a..b",
            "nats://h?subject_prefix=a.>",
            "nats://h?replicas=0",
            "nats://h?steam=S",
            "?stream=S",
        ] {
            assert!(NatsUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[cfg(feature = "nats")]
    #[test]
    fn nats_url_parameters_become_bus_options() {
        let options = NatsUrl::parse("nats://h?stream=S1&subject_prefix=p1").unwrap().options();
        assert_eq!((options.stream.as_str(), options.subject_prefix.as_str(), options.replicas), ("S1", "p1", 1));
        let defaults = NatsUrl::parse("nats://h").unwrap().options();
        assert_eq!((defaults.stream.as_str(), defaults.subject_prefix.as_str()), ("SQUALL", "squall"));
    }

    #[tokio::test]
    async fn without_a_nats_url_the_bus_is_in_process() {
        assert!(!ProcessBus::connect(None).await.unwrap().is_nats());
        assert!(!ProcessBus::connect(Some("")).await.unwrap().is_nats());
        #[cfg(not(feature = "nats"))]
        {
            let refused = ProcessBus::connect(Some("nats://127.0.0.1:4222")).await.err().unwrap();
            assert!(refused.to_string().contains("feature `nats`"), "{refused}");
        }
    }
}
