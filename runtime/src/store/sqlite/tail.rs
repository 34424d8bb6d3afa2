//! The newest outbox rows, kept in memory for the relay.
//!
//! The writer hands the public events of each commit to the [`OutboxTail`]
//! after the commit and before it announces the new head, so the relay, woken
//! by that announcement, publishes them without reading them back (a hop to
//! a reader thread and a read transaction). The `outbox` table stays the
//! durable record: the tail only mirrors its newest part, and wherever it
//! cannot vouch for a range — at start, after it overflowed, after another
//! process wrote to the file, after a quiet spell — the relay reads the table
//! as before.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::envelope::Envelope;

/// Most events kept: a relay further behind than this reads the table.
const CAPACITY: usize = 4096;
/// How long the tail is trusted without a commit. Another process writing to
/// the file is noticed by the writer at its next transaction only; the
/// relay's safety poll (every second) reads the table once this has passed.
const TRUSTED_FOR: Duration = Duration::from_millis(500);

pub(super) struct OutboxTail {
    /// Whether the writer hands over its commits; only the writer turns this
    /// on, at a commit, so no transaction is ever half in the tail.
    following: bool,
    /// A reader asked for the tail: the writer follows from its next commit.
    wanted: bool,
    /// Every committed outbox row after this position is in `events`.
    base: u64,
    events: VecDeque<Envelope>,
    /// What a complete read of the table established: no outbox row lies in
    /// (`.0`, `.1`].
    covered: (u64, u64),
    last_commit: Instant,
}

impl OutboxTail {
    pub(super) fn new() -> OutboxTail {
        OutboxTail {
            following: false,
            wanted: false,
            base: 0,
            events: VecDeque::new(),
            covered: (0, 0),
            last_commit: Instant::now(),
        }
    }

    /// Up to `limit` events after position `after`, if the tail holds all
    /// the outbox rows after it (`None`: read the table). The events up to
    /// `after` are dropped: the relay asks from the last event it read, and
    /// should a publication fail it asks again from its checkpoint, below
    /// what the tail still holds, and so reads the table.
    pub(super) fn after(&mut self, after: u64, limit: usize) -> Option<Vec<Envelope>> {
        let (read_to, empty_to) = self.covered;
        let from = if after >= read_to && after < empty_to { empty_to } else { after };
        if !self.following || from < self.base || self.last_commit.elapsed() > TRUSTED_FOR {
            self.wanted = true;
            return None;
        }
        while self.events.front().is_some_and(|e| e.position <= from) {
            self.events.pop_front();
        }
        self.base = from;
        Some(self.events.iter().take(limit).cloned().collect())
    }

    /// Records a complete read of the table: it returned every outbox row
    /// after `after` up to `head`, the last of them at `last` (if any).
    pub(super) fn read(&mut self, after: u64, last: Option<u64>, head: u64) {
        self.covered = (last.unwrap_or(after), head);
    }

    /// The writer committed up to position `head`; `events` are the
    /// transaction's public events, if the tail was followed when it began.
    /// Returns whether to collect them for the next transaction.
    pub(super) fn committed(&mut self, head: u64, events: Option<Vec<Envelope>>) -> bool {
        self.last_commit = Instant::now();
        match (self.following, events) {
            (true, Some(events)) => {
                self.events.extend(events);
                while self.events.len() > CAPACITY {
                    if let Some(dropped) = self.events.pop_front() {
                        self.base = dropped.position;
                    }
                }
            }
            _ if self.wanted => {
                self.following = true;
                self.base = head;
                self.events.clear();
            }
            _ => self.following = false,
        }
        self.following
    }

    /// Stops following (the file changed under the writer): reads go to the
    /// table until the writer's next commit starts the tail again.
    pub(super) fn forget(&mut self) {
        self.following = false;
        self.events.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{AggregateId, StreamId};
    use crate::time::Timestamp;
    use uuid::Uuid;

    fn event(position: u64) -> Envelope {
        Envelope {
            event_id: Uuid::now_v7(),
            context: "c".into(),
            stream: StreamId { aggregate_type: "T".into(), aggregate_id: AggregateId::new("a".to_owned()) },
            version: position,
            position,
            public_seq: Some(position),
            event_type: "E".into(),
            schema_version: 1,
            occurred_at: Timestamp::from_micros(0),
            correlation_id: Uuid::nil(),
            causation_id: Uuid::nil(),
            command_id: Uuid::nil(),
            payload: serde_json::Value::Null,
        }
    }

    fn positions(events: Option<Vec<Envelope>>) -> Option<Vec<u64>> {
        events.map(|e| e.iter().map(|e| e.position).collect())
    }

    #[test]
    fn serves_only_what_it_saw_committed_from_its_start() {
        let mut tail = OutboxTail::new();
        // Not followed yet: the table is read, and the writer is asked to follow.
        assert_eq!(positions(tail.after(0, 10)), None);
        assert!(tail.committed(5, None));
        // Rows up to 5 were committed before the tail started.
        assert_eq!(positions(tail.after(3, 10)), None);
        assert!(tail.committed(8, Some(vec![event(7), event(8)])));
        assert_eq!(positions(tail.after(5, 10)), Some(vec![7, 8]));
        assert_eq!(positions(tail.after(7, 1)), Some(vec![8]));
        // Published rows are gone: asking from before them reads the table.
        assert_eq!(positions(tail.after(6, 10)), None);
    }

    #[test]
    fn a_complete_read_of_the_table_bridges_to_the_tail() {
        let mut tail = OutboxTail::new();
        assert_eq!(positions(tail.after(0, 10)), None);
        assert!(tail.committed(9, None));
        // The table held rows up to 4, the head was 9 (5..=9 private).
        tail.read(0, Some(4), 9);
        assert!(tail.committed(10, Some(vec![event(10)])));
        assert_eq!(positions(tail.after(4, 10)), Some(vec![10]));
        // A read that was cut short by its limit proves nothing beyond.
        assert_eq!(positions(tail.after(3, 10)), None);
    }

    #[test]
    fn overflow_and_forgetting_fall_back_to_the_table() {
        let mut tail = OutboxTail::new();
        tail.after(0, 1);
        tail.committed(0, None);
        let many: Vec<_> = (1..=CAPACITY as u64 + 2).map(event).collect();
        assert!(tail.committed(CAPACITY as u64 + 2, Some(many)));
        assert_eq!(positions(tail.after(1, 1)), None);
        assert_eq!(positions(tail.after(2, 1)), Some(vec![3]));
        tail.forget();
        assert_eq!(positions(tail.after(2, 1)), None);
        // Restarted by the next commit, from its head.
        assert!(tail.committed(CAPACITY as u64 + 3, None));
        assert_eq!(positions(tail.after(CAPACITY as u64 + 3, 1)), Some(vec![]));
    }
}
