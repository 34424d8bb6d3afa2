-- Schema of the SQLite event store (version 1). See runtime/README.md.
CREATE TABLE IF NOT EXISTS events (
    position        INTEGER PRIMARY KEY,   -- global position, assigned in commit order
    event_id        TEXT    NOT NULL,      -- UUIDv7
    context         TEXT    NOT NULL,
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    version         INTEGER NOT NULL,      -- 1, 2, 3 … within the stream
    public_seq      INTEGER,               -- n-th public event of the stream; NULL if private
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL,
    occurred_at     INTEGER NOT NULL,      -- µs since the Unix epoch, UTC
    correlation_id  TEXT    NOT NULL,
    causation_id    TEXT    NOT NULL,
    command_id      TEXT    NOT NULL,
    payload         TEXT    NOT NULL,      -- JSON
    UNIQUE (aggregate_type, aggregate_id, version)
);
CREATE TABLE IF NOT EXISTS streams (
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    public_seq      INTEGER NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    position        INTEGER PRIMARY KEY    -- events.position of a public event not yet relayed
);
CREATE TABLE IF NOT EXISTS commands (
    command_id      TEXT    PRIMARY KEY,
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    version         INTEGER NOT NULL,      -- stream version after the command
    first_position  INTEGER,               -- position of its first event; NULL if none
    event_count     INTEGER NOT NULL,
    recorded_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    aggregate_type        TEXT    NOT NULL,
    aggregate_id          TEXT    NOT NULL,
    version               INTEGER NOT NULL,
    state_schema_version  INTEGER NOT NULL,
    state                 TEXT    NOT NULL, -- JSON
    taken_at              INTEGER NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    name            TEXT    PRIMARY KEY,   -- 'relay', 'projection:<name>', 'consumer:<name>'
    position        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS read_models (
    projection      TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    doc             TEXT    NOT NULL,      -- JSON
    PRIMARY KEY (projection, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
    consumer        TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,      -- event id
    processed_at    INTEGER NOT NULL,
    PRIMARY KEY (consumer, message_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox_streams (
    consumer        TEXT    NOT NULL,
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    seq             INTEGER NOT NULL,      -- last public_seq processed
    PRIMARY KEY (consumer, aggregate_type, aggregate_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox_held (
    consumer        TEXT    NOT NULL,
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    envelope        TEXT    NOT NULL,      -- JSON of the whole envelope
    held_at         INTEGER NOT NULL,
    PRIMARY KEY (consumer, aggregate_type, aggregate_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letters (
    id              INTEGER PRIMARY KEY,
    consumer        TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    envelope        TEXT    NOT NULL,      -- JSON of the whole envelope
    error           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    failed_at       INTEGER NOT NULL
);
PRAGMA user_version = 1;
