//! PostgreSQL + NATS benchmark (filled in below).
fn main() {}
