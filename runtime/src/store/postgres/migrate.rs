//! Schema migrations: the store creates and upgrades its own tables.
//!
//! Several replicas may start at the same moment against an empty database.
//! Each runs the migrations in one transaction that first takes a
//! transaction-scoped advisory lock keyed by the schema: the first replica
//! creates everything and commits; the others wait on the lock, then find the
//! version already recorded in `squall_schema_version` and do nothing. DDL is
//! transactional in PostgreSQL, so a replica that dies half-way leaves nothing
//! behind.

use tokio_postgres::Client;

use super::{LockKeys, pg_error, pg_message, quote_ident};
use crate::error::StoreError;

/// The migrations, in order: (version, SQL). Append only: a released
/// migration is never edited.
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("v1.sql"))];

/// The schema version this runtime writes.
pub(crate) const CURRENT: i32 = 1;

/// Brings `schema` up to [`CURRENT`]; returns the version found before.
pub(crate) async fn migrate(client: &mut Client, schema: &str, keys: &LockKeys) -> Result<i32, StoreError> {
    let tx = client.transaction().await.map_err(pg_error)?;
    let (class, object) = keys.migrations();
    tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&class, &object]).await.map_err(pg_error)?;
    let schema_ident = quote_ident(schema);
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema_ident};
         CREATE TABLE IF NOT EXISTS {schema_ident}.squall_schema_version (
             version    integer     PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         );"
    ))
    .await
    .map_err(pg_error)?;
    let found: i32 = tx
        .query_one(&format!("SELECT coalesce(max(version), 0) FROM {schema_ident}.squall_schema_version"), &[])
        .await
        .map_err(pg_error)?
        .get(0);
    if found > CURRENT {
        // A newer runtime migrated this schema. Migrations only ever add, so
        // an older replica keeps working during a rolling upgrade.
        tracing::warn!(schema, found, ours = CURRENT, "the store's schema is newer than this runtime");
    }
    // The statements of a migration name tables without a schema: they land
    // in the first schema of the search path, which is ours for this session.
    tx.batch_execute(&format!("SET LOCAL search_path TO {schema_ident}")).await.map_err(pg_error)?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| StoreError::Database(format!("migration {version}: {}", pg_message(&e))))?;
        tx.execute(&format!("INSERT INTO {schema_ident}.squall_schema_version (version) VALUES ($1)"), &[version])
            .await
            .map_err(pg_error)?;
        tracing::info!(schema, version, "applied store migration");
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(found)
}
