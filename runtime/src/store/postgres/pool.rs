//! A small connection pool for the PostgreSQL store.
//!
//! Kept in the crate rather than taken from a pool crate: the store needs
//! only "a bounded number of connections, each with its prepared statements",
//! and one more dependency would cost every generated workspace compile time.
//! A connection that is dropped in the middle of a transaction (a cancelled
//! future, a panic) is closed rather than reused, so the server rolls the
//! transaction back.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use futures_util::future::join;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

use crate::error::StoreError;

/// Parameters of a statement.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Opens one connection and drives it on a task of the current runtime.
pub(crate) async fn connect(config: &Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("postgres connection ended: {e}");
        }
    });
    Ok(client)
}

/// A bounded set of connections.
pub(crate) struct Pool {
    config: Config,
    idle: Mutex<Vec<Conn>>,
    permits: Arc<Semaphore>,
}

impl Pool {
    pub(crate) fn new(config: Config, size: usize) -> Arc<Pool> {
        Arc::new(Pool { config, idle: Mutex::new(Vec::new()), permits: Arc::new(Semaphore::new(size.max(1))) })
    }

    /// A connection: an idle one, or a new one while fewer than the pool's
    /// size are in use (else waits for one to come back).
    pub(crate) async fn get(self: &Arc<Self>) -> Result<Pooled, StoreError> {
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| StoreError::Closed)?;
        let reused = loop {
            let conn = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            match conn {
                Some(c) if c.client.is_closed() => continue,
                other => break other,
            }
        };
        let conn = match reused {
            Some(c) => c,
            None => Conn {
                client: connect(&self.config).await?,
                statements: HashMap::new(),
                in_transaction: false,
                pending_begin: false,
            },
        };
        Ok(Pooled { conn: Some(conn), pool: self.clone(), _permit: permit })
    }
}

/// One connection with its cache of prepared statements.
pub(crate) struct Conn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
    in_transaction: bool,
    pending_begin: bool,
}

impl Conn {
    async fn prepare(&mut self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let statement = self.client.prepare(sql).await?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    /// If a transaction was begun and nothing sent since, the `BEGIN` goes
    /// out in the same flight as the first statement (pipelined: one round
    /// trip instead of two).
    fn take_pending_begin(&mut self) -> bool {
        std::mem::take(&mut self.pending_begin)
    }

    pub(crate) async fn query(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        if self.take_pending_begin() {
            let (begin, result) = join(self.client.batch_execute("BEGIN"), self.client.query(&statement, params)).await;
            begin?;
            return result;
        }
        self.client.query(&statement, params).await
    }

    pub(crate) async fn query_opt(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        if self.take_pending_begin() {
            let (begin, result) =
                join(self.client.batch_execute("BEGIN"), self.client.query_opt(&statement, params)).await;
            begin?;
            return result;
        }
        self.client.query_opt(&statement, params).await
    }

    pub(crate) async fn query_one(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Row, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        if self.take_pending_begin() {
            let (begin, result) =
                join(self.client.batch_execute("BEGIN"), self.client.query_one(&statement, params)).await;
            begin?;
            return result;
        }
        self.client.query_one(&statement, params).await
    }

    pub(crate) async fn execute(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<u64, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        if self.take_pending_begin() {
            let (begin, result) =
                join(self.client.batch_execute("BEGIN"), self.client.execute(&statement, params)).await;
            begin?;
            return result;
        }
        self.client.execute(&statement, params).await
    }

    /// Starts a transaction (READ COMMITTED: every statement sees what was
    /// committed before it began, which the store's locking relies on). The
    /// `BEGIN` is sent with the first statement.
    pub(crate) fn begin(&mut self) {
        self.in_transaction = true;
        self.pending_begin = true;
    }

    /// Commits if `result` is `Ok`, else rolls back; returns `result` (or the
    /// commit's error).
    pub(crate) async fn finish<R>(&mut self, result: Result<R, StoreError>) -> Result<R, StoreError> {
        if self.take_pending_begin() {
            // Nothing was sent: there is no transaction to end.
            self.in_transaction = false;
            return result;
        }
        match result {
            Ok(value) => {
                self.client.batch_execute("COMMIT").await?;
                self.in_transaction = false;
                Ok(value)
            }
            Err(e) => {
                if self.client.batch_execute("ROLLBACK").await.is_ok() {
                    self.in_transaction = false;
                }
                Err(e)
            }
        }
    }
}

/// A connection lent by the pool; goes back to it when dropped (unless it is
/// broken or still inside a transaction).
pub(crate) struct Pooled {
    conn: Option<Conn>,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
}

impl Deref for Pooled {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("a pooled connection is present until dropped")
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("a pooled connection is present until dropped")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if conn.in_transaction || conn.client.is_closed() {
            // Dropping the client closes the socket: the server rolls back.
            return;
        }
        if let Ok(mut idle) = self.pool.idle.lock() {
            idle.push(conn);
        }
    }
}
