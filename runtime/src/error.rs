//! Errors of the storage layer and of the command path.

use crate::envelope::StreamId;

/// An error from the event store. Cloneable so that one failed commit can be
/// reported to every caller whose work was in it.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The stream is not at the expected version: another writer appended
    /// first. The caller may load again and retry.
    #[error("version conflict on {stream}: expected {expected}, found {actual}")]
    Conflict {
        /// The stream.
        stream: StreamId,
        /// The version the append expected.
        expected: u64,
        /// The stream's current version.
        actual: u64,
    },
    /// The consumer already processed this message (inbox or checkpoint); the
    /// transaction carrying it was rolled back.
    #[error("message already processed by this consumer")]
    DuplicateMessage,
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(String),
    /// Stored data could not be (de)serialized.
    #[error("serialization error: {0}")]
    Serialization(String),
    /// The store URL is not understood, or its backend is not compiled in.
    #[error("unsupported store url {0:?}")]
    UnsupportedUrl(String),
    /// The store's writer has stopped (shut down or crashed).
    #[error("the store is closed")]
    Closed,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Serialization(e.to_string())
    }
}

/// Why a command was not carried out. `E` is the aggregate's domain error.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E> {
    /// The aggregate rejected the command (the generator maps this to HTTP 422
    /// with the error's name).
    #[error("rejected: {0}")]
    Domain(E),
    /// The expected version (If-Match) did not match, a creating command hit an
    /// existing stream, or version conflicts persisted past the retry limit.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A non-creating command addressed a stream that does not exist.
    #[error("not found")]
    NotFound,
    /// The authorization hook refused the caller.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The store failed; the command may or may not have been recorded if the
    /// failure happened at commit (retry with the same command id to find out).
    #[error(transparent)]
    Storage(#[from] StoreError),
}
