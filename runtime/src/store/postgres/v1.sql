-- Schema version 1 of the PostgreSQL event store. Applied by the runtime
-- itself (see migrate.rs); documented in runtime/docs/postgres.md.
CREATE TABLE events (
    position        bigint  PRIMARY KEY,   -- (tx_id << 16) + index in the transaction: the reading order
    tx_id           xid8    NOT NULL,      -- pg_current_xact_id() of the appending transaction
    event_id        uuid    NOT NULL,      -- UUIDv7
    context         text    NOT NULL,
    aggregate_type  text    NOT NULL,
    aggregate_id    text    NOT NULL,
    version         bigint  NOT NULL,      -- 1, 2, 3 … within the stream
    public_seq      bigint,                -- n-th public event of the stream; NULL if private
    event_type      text    NOT NULL,
    schema_version  integer NOT NULL,
    occurred_at     bigint  NOT NULL,      -- µs since the Unix epoch, UTC
    correlation_id  uuid    NOT NULL,
    causation_id    uuid    NOT NULL,
    command_id      uuid    NOT NULL,
    payload         jsonb   NOT NULL,
    UNIQUE (aggregate_type, aggregate_id, version)  -- the final guard against a lost race
);
CREATE TABLE streams (
    aggregate_type  text    NOT NULL,
    aggregate_id    text    NOT NULL,
    version         bigint  NOT NULL,
    public_seq      bigint  NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
CREATE TABLE outbox (
    position        bigint  PRIMARY KEY    -- events.position of a public event not yet relayed
);
CREATE TABLE commands (
    command_id      uuid    PRIMARY KEY,
    aggregate_type  text    NOT NULL,
    aggregate_id    text    NOT NULL,
    version         bigint  NOT NULL,      -- stream version after the command
    first_position  bigint,                -- position of its first event; NULL if none
    event_count     bigint  NOT NULL,
    recorded_at     bigint  NOT NULL
);
CREATE TABLE snapshots (
    aggregate_type        text    NOT NULL,
    aggregate_id          text    NOT NULL,
    version               bigint  NOT NULL,
    state_schema_version  integer NOT NULL,
    state                 jsonb   NOT NULL,
    taken_at              bigint  NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
CREATE TABLE checkpoints (
    name            text    PRIMARY KEY,   -- 'relay', 'projection:<name>', 'consumer:<name>'
    position        bigint  NOT NULL
);
CREATE TABLE projections (
    name            text    PRIMARY KEY,   -- an inline projection
    live            boolean NOT NULL       -- false while it is being built: appends skip it
);
CREATE TABLE read_models (
    projection      text    NOT NULL,
    key             text    COLLATE "C" NOT NULL,  -- byte order, as on SQLite
    doc             jsonb   NOT NULL,
    PRIMARY KEY (projection, key)
);
CREATE TABLE inbox (
    consumer        text    NOT NULL,
    message_id      uuid    NOT NULL,      -- event id
    processed_at    bigint  NOT NULL,
    PRIMARY KEY (consumer, message_id)
);
CREATE TABLE inbox_streams (
    consumer        text    NOT NULL,
    aggregate_type  text    NOT NULL,
    aggregate_id    text    NOT NULL,
    seq             bigint  NOT NULL,      -- last public_seq processed
    PRIMARY KEY (consumer, aggregate_type, aggregate_id)
);
CREATE TABLE inbox_held (
    consumer        text    NOT NULL,
    aggregate_type  text    NOT NULL,
    aggregate_id    text    NOT NULL,
    seq             bigint  NOT NULL,
    envelope        jsonb   NOT NULL,      -- the whole envelope
    held_at         bigint  NOT NULL,
    PRIMARY KEY (consumer, aggregate_type, aggregate_id, seq)
);
CREATE TABLE dead_letters (
    id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer        text    NOT NULL,
    message_id      uuid    NOT NULL,
    envelope        jsonb   NOT NULL,      -- the whole envelope
    error           text    NOT NULL,
    attempts        integer NOT NULL,
    failed_at       bigint  NOT NULL
);
