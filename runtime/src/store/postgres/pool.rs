//! A small connection pool for the PostgreSQL store.
//!
//! Kept in the crate rather than taken from a pool crate: the store needs
//! only "a bounded number of connections, each with its prepared statements",
//! and one more dependency would cost every generated workspace compile time.
//! A connection that is dropped in the middle of a transaction (a cancelled
//! future, a panic) is closed rather than reused, so the server rolls the
//! transaction back.

use std::collections::HashMap;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use futures_util::future::{join, join_all};
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
            None => Conn::open(&self.config).await?,
        };
        Ok(Pooled { conn: Some(conn), pool: self.clone(), _permit: permit })
    }
}

/// One connection with its cache of prepared statements.
pub(crate) struct Conn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
    in_transaction: bool,
    /// Transaction control not sent yet (`BEGIN`, `SAVEPOINT`, `RELEASE`,
    /// `ROLLBACK TO`): it goes out in the same flight as the next statement
    /// (pipelined: no round trip of its own).
    pending: String,
    /// Events appended in the current transaction block: the offset of the
    /// next append's positions within the transaction's range.
    tx_events: u64,
    /// The highest position appended in the current transaction block.
    tx_last_position: u64,
    /// The first query of the next transaction, run in the commit flight of
    /// the previous one: the transaction it opened is the next one begun.
    pub(super) next_begun: Option<Prefetched>,
}

/// A query sent behind a `COMMIT`, with its result: the first statement of
/// the next transaction (`BEGIN` went with it).
pub(crate) struct Prefetched {
    /// What it asked, to be matched by the caller that wants its answer.
    pub(super) key: String,
    pub(super) rows: Vec<Row>,
}

impl Conn {
    /// A connection of its own, outside any pool.
    pub(crate) async fn open(config: &Config) -> Result<Conn, StoreError> {
        Ok(Conn {
            client: connect(config).await?,
            statements: HashMap::new(),
            in_transaction: false,
            pending: String::new(),
            tx_events: 0,
            tx_last_position: 0,
            next_begun: None,
        })
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Where the next append's positions start within its transaction's
    /// range: after the earlier appends of the same transaction block (a
    /// statement outside a block is a transaction of its own).
    pub(crate) fn append_offset(&self) -> u64 {
        if self.in_transaction { self.tx_events } else { 0 }
    }

    /// Records an append of `count` events ending at `last`.
    pub(crate) fn appended(&mut self, count: u64, last: u64) {
        if self.in_transaction {
            self.tx_events += count;
            self.tx_last_position = self.tx_last_position.max(last);
        }
    }

    /// The highest position appended in the current transaction block.
    pub(crate) fn last_appended(&self) -> u64 {
        self.tx_last_position
    }

    /// Open and outside any transaction, or inside the one its last commit
    /// began: fit for the next one.
    pub(crate) fn is_idle(&self) -> bool {
        (!self.in_transaction || self.next_begun.is_some()) && !self.client.is_closed()
    }

    /// The result of the query that began the current transaction, if it was
    /// the one asked for as `key` (taken: it answers once).
    pub(super) fn take_prefetched(&mut self, key: &str) -> Option<Vec<Row>> {
        match self.next_begun.take() {
            Some(p) if p.key == key => Some(p.rows),
            _ => None,
        }
    }

    async fn prepare(&mut self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let statement = self.client.prepare(sql).await?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    /// Runs `request` (which must use `client`) in one flight with the
    /// pending transaction control, if any.
    async fn flight<T>(
        client: &Client,
        pending: String,
        request: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, tokio_postgres::Error> {
        if pending.is_empty() {
            return request.await;
        }
        let (control, result) = join(client.batch_execute(&pending), request).await;
        control?;
        result
    }

    pub(crate) async fn query(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        let pending = std::mem::take(&mut self.pending);
        Self::flight(&self.client, pending, self.client.query(&statement, params)).await
    }

    pub(crate) async fn query_opt(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        let pending = std::mem::take(&mut self.pending);
        Self::flight(&self.client, pending, self.client.query_opt(&statement, params)).await
    }

    pub(crate) async fn query_one(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Row, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        let pending = std::mem::take(&mut self.pending);
        Self::flight(&self.client, pending, self.client.query_one(&statement, params)).await
    }

    pub(crate) async fn execute(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<u64, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        let pending = std::mem::take(&mut self.pending);
        Self::flight(&self.client, pending, self.client.execute(&statement, params)).await
    }

    /// Ends the transaction begun with [`Conn::begin`]: runs `statements`,
    /// then `query` (whose rows it returns), and commits, all in one flight.
    /// If one of them fails the `COMMIT` rolls the transaction back and the
    /// error is returned.
    ///
    /// `then`, if given, goes out in the same flight behind the `COMMIT`, with
    /// a `BEGIN`: the first query of the next transaction, whose answer
    /// [`Conn::take_prefetched`] gives under `then`'s key. The server runs it
    /// once the commit is done, so the next transaction starts without a round
    /// trip of its own. After a failure the connection is left unfit for
    /// reuse.
    pub(crate) async fn commit_with(
        &mut self,
        statements: &[(&'static str, Params<'_>)],
        query: Option<(&'static str, Params<'_>)>,
        then: Option<(String, &'static str, Params<'_>)>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.next_begun = None;
        if statements.is_empty() && query.is_none() && then.is_none() && self.pending.starts_with("BEGIN") {
            // Nothing was sent: there is no transaction to end.
            self.pending.clear();
            self.in_transaction = false;
            return Ok(Vec::new());
        }
        let mut prepared = Vec::with_capacity(statements.len());
        for (sql, _) in statements {
            prepared.push(self.prepare(sql).await?);
        }
        let query = match query {
            Some((sql, params)) => Some((self.prepare(sql).await?, params)),
            None => None,
        };
        let then = match then {
            Some((key, sql, params)) => Some((key, self.prepare(sql).await?, params)),
            None => None,
        };
        let pending = std::mem::take(&mut self.pending);
        let client = &self.client;
        let executed = join_all(prepared.iter().zip(statements).map(|(st, (_, params))| client.execute(st, params)));
        let queried = async {
            match &query {
                Some((statement, params)) => client.query(statement, params).await,
                None => Ok(Vec::new()),
            }
        };
        // Polled in order, so sent in order: the next transaction's BEGIN
        // and query go behind the COMMIT.
        let next = async {
            match &then {
                Some((_, statement, params)) => {
                    let (begun, rows) = join(client.batch_execute("BEGIN"), client.query(statement, params)).await;
                    begun.and(rows).map(Some)
                }
                None => Ok(None),
            }
        };
        let flight = async { Ok(join(join(join(executed, queried), client.batch_execute("COMMIT")), next).await) };
        let (((executed, rows), commit), next) = Self::flight(client, pending, flight).await?;
        commit?;
        // Committed, or rolled back by the COMMIT after a failure. A
        // transaction begun behind it stays open: unless everything went
        // well, the connection is not reused.
        self.in_transaction = then.is_some();
        for result in executed {
            result?;
        }
        let rows = rows?;
        // The commit went through: a failed lookup behind it only means the
        // connection, its transaction left open, is not reused.
        if let (Some((key, _, _)), Ok(Some(next))) = (then, next) {
            self.in_transaction = false;
            self.begin();
            self.pending.clear();
            self.next_begun = Some(Prefetched { key, rows: next });
        }
        Ok(rows)
    }

    /// Runs several statements in one flight, in order; each sees what the
    /// ones before it did (each is a statement of its own, with its own
    /// snapshot). Returns their row counts.
    pub(crate) async fn execute_all(
        &mut self,
        statements: &[(&'static str, Params<'_>)],
    ) -> Result<Vec<u64>, tokio_postgres::Error> {
        let mut prepared = Vec::with_capacity(statements.len());
        for (sql, _) in statements {
            prepared.push(self.prepare(sql).await?);
        }
        let pending = std::mem::take(&mut self.pending);
        let client = &self.client;
        let requests =
            prepared.iter().zip(statements).map(|(statement, (_, params))| client.execute(statement, params));
        let results = Self::flight(client, pending, async { Ok(join_all(requests).await) }).await?;
        results.into_iter().collect()
    }

    /// Starts a transaction (READ COMMITTED: every statement sees what was
    /// committed before it began, which the store's locking relies on). The
    /// `BEGIN` is sent with the first statement.
    pub(crate) fn begin(&mut self) {
        if self.in_transaction && self.next_begun.is_some() {
            // Begun by the last commit's flight.
            return;
        }
        self.next_begun = None;
        self.in_transaction = true;
        self.pending = "BEGIN".to_owned();
        self.tx_events = 0;
        self.tx_last_position = 0;
    }

    /// Queues transaction control to go out with the next statement.
    fn control(&mut self, sql: &str) {
        if !self.pending.is_empty() {
            self.pending.push_str("; ");
        }
        self.pending.push_str(sql);
    }

    /// Sets a savepoint (sent with the next statement).
    pub(crate) fn savepoint(&mut self, name: &str) {
        self.control(&format!("SAVEPOINT {name}"));
    }

    /// Ends a savepoint: keeps what was done since (`keep`) or undoes it.
    /// Sent with the next statement; an error that aborted the transaction
    /// since the savepoint is cleared by the rollback.
    pub(crate) fn end_savepoint(&mut self, name: &str, keep: bool) {
        if keep {
            self.control(&format!("RELEASE {name}"));
        } else {
            self.control(&format!("ROLLBACK TO {name}; RELEASE {name}"));
        }
    }

    /// Commits if `result` is `Ok`, else rolls back; returns `result` (or the
    /// commit's error).
    pub(crate) async fn finish<R>(&mut self, result: Result<R, StoreError>) -> Result<R, StoreError> {
        // An answer kept for this transaction's first query is of no use now.
        self.next_begun = None;
        if self.pending.starts_with("BEGIN") {
            // Nothing was sent: there is no transaction to end.
            self.pending.clear();
            self.in_transaction = false;
            return result;
        }
        match result {
            Ok(value) => {
                self.control("COMMIT");
                let sql = std::mem::take(&mut self.pending);
                self.client.batch_execute(&sql).await?;
                self.in_transaction = false;
                Ok(value)
            }
            Err(e) => {
                self.pending.clear();
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
