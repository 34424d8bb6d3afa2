//! Access to the real PostgreSQL and NATS servers for the backend tests.
//!
//! Each test gets its own schema and its own JetStream stream and subject
//! prefix, so tests run in parallel; both are removed when the guard is
//! dropped, also when the test fails. A server that cannot be reached fails
//! the test with a message saying which (the tests never skip: a skipped
//! test would let CI pass without them).
#![allow(dead_code)]

use std::time::Duration;

use squall_runtime::uuid::Uuid;
use squall_runtime::{NatsBus, NatsOptions};

/// The database the tests use (`SQUALL_TEST_DATABASE_URL`, default the local
/// server's `test` database).
pub fn database_url() -> String {
    std::env::var("SQUALL_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The NATS server the tests use (`SQUALL_TEST_NATS_URL`).
pub fn nats_url() -> String {
    std::env::var("SQUALL_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

fn short_id() -> String {
    Uuid::now_v7().simple().to_string()[20..].to_owned()
}

async fn admin() -> tokio_postgres::Client {
    let url = database_url();
    let (client, connection) = match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL is required for this test and is not reachable at {url} ({e}); start it or set SQUALL_TEST_DATABASE_URL"
        ),
    };
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// A schema of its own for one test; dropped (with everything in it) when the
/// guard is.
pub struct TestSchema {
    pub name: String,
}

impl TestSchema {
    pub async fn new(label: &str) -> TestSchema {
        // Reachability is checked up front so that a missing server fails
        // with a clear message rather than deep inside a store call.
        let _ = admin().await;
        TestSchema { name: format!("t_{label}_{}", short_id()) }
    }

    /// The store URL for this schema (a small pool: tests run in parallel
    /// against one server).
    pub fn url(&self) -> String {
        format!("{}?schema={}&pool_size=4", database_url(), self.name)
    }

    /// An administrative connection whose search path is this schema.
    pub async fn client(&self) -> tokio_postgres::Client {
        let client = admin().await;
        client.batch_execute(&format!("SET search_path TO {}", self.name)).await.expect("search_path");
        client
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let name = self.name.clone();
        // A fresh runtime on its own thread: the test's runtime may be
        // shutting down (or panicking) while this runs.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let client = admin().await;
                // A test that failed may leave a transaction open (its
                // runtime still runs while this guard drops): give up on the
                // schema rather than wait for it for ever.
                let _ = client.batch_execute("SET lock_timeout = '2s'").await;
                // Connections of the stores under test may still be closing.
                for _ in 0..20 {
                    match client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await {
                        Ok(()) => return,
                        Err(e) => {
                            eprintln!("dropping schema {name}: {e}");
                            tokio::time::sleep(Duration::from_millis(250)).await;
                        }
                    }
                }
            });
        })
        .join();
    }
}

/// A JetStream stream and subject prefix of its own for one test; the stream
/// is deleted when the guard is dropped.
pub struct TestStream {
    pub stream: String,
    pub prefix: String,
}

impl TestStream {
    pub async fn new(label: &str) -> TestStream {
        let url = nats_url();
        if let Err(e) = async_nats::connect(&url).await {
            panic!(
                "NATS with JetStream is required for this test and is not reachable at {url} ({e}); start it or set SQUALL_TEST_NATS_URL"
            );
        }
        let id = short_id();
        TestStream { stream: format!("T_{}_{id}", label.to_uppercase()), prefix: format!("t_{label}_{id}") }
    }

    /// Bus options for this stream, with short redelivery times for tests.
    pub fn options(&self) -> NatsOptions {
        NatsOptions {
            stream: self.stream.clone(),
            subject_prefix: self.prefix.clone(),
            ack_wait: Duration::from_secs(2),
            redelivery_delay: Duration::from_millis(50),
            max_deliver: 20,
            ..NatsOptions::default()
        }
    }

    pub async fn bus(&self) -> NatsBus {
        NatsBus::connect(&nats_url(), self.options()).await.expect("nats bus")
    }
}

impl Drop for TestStream {
    fn drop(&mut self) {
        let name = self.stream.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let Ok(client) = async_nats::connect(&nats_url()).await else { return };
                let js = async_nats::jetstream::new(client);
                // When a test fails, its relays and consumers are still running
                // while this runs and may create the stream again: delete it
                // until it stays deleted.
                for _ in 0..5 {
                    let _ = js.delete_stream(&name).await;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    if js.get_stream(&name).await.is_err() {
                        return;
                    }
                }
            });
        })
        .join();
    }
}
