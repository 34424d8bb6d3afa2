//! A small bank domain shared by the scenario tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use squall_runtime::serde_json::{self, Value, json};
use squall_runtime::{Aggregate, AggregateId, CommandMeta, Envelope, EventMeta, Projection, ProjectionUpdate};

pub struct Account;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountState {
    pub owner: String,
    pub balance: i64,
    pub notes: u32,
    pub deposits: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AccountCommand {
    Open {
        owner: String,
    },
    Deposit {
        amount: i64,
    },
    Withdraw {
        amount: i64,
    },
    /// Emits a private event.
    Note {
        text: String,
    },
    /// Decides nothing.
    Nothing,
}

impl CommandMeta for AccountCommand {
    fn command_type(&self) -> &'static str {
        match self {
            Self::Open { .. } => "Open",
            Self::Deposit { .. } => "Deposit",
            Self::Withdraw { .. } => "Withdraw",
            Self::Note { .. } => "Note",
            Self::Nothing => "Nothing",
        }
    }
    fn is_creation(&self) -> bool {
        matches!(self, Self::Open { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AccountEvent {
    Opened { owner: String },
    Deposited { amount: i64 },
    Withdrawn { amount: i64 },
    Noted { text: String },
}

impl EventMeta for AccountEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::Opened { .. } => "Opened",
            Self::Deposited { .. } => "Deposited",
            Self::Withdrawn { .. } => "Withdrawn",
            Self::Noted { .. } => "Noted",
        }
    }
    fn is_public(&self) -> bool {
        !matches!(self, Self::Noted { .. })
    }
}

#[derive(Debug, Serialize, PartialEq)]
pub enum AccountError {
    InsufficientFunds { balance: i64, wanted: i64 },
    InvalidAmount,
}

impl std::fmt::Display for AccountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
impl std::error::Error for AccountError {}

impl Aggregate for Account {
    const CONTEXT: &'static str = "bank";
    const TYPE: &'static str = "Account";
    const STATE_SCHEMA_VERSION: u32 = 1;
    type State = AccountState;
    type Command = AccountCommand;
    type Event = AccountEvent;
    type Error = AccountError;

    fn decide(
        state: &AccountState,
        _id: &AggregateId,
        command: &AccountCommand,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        Ok(match command {
            AccountCommand::Open { owner } => vec![AccountEvent::Opened { owner: owner.clone() }],
            AccountCommand::Deposit { amount } if *amount <= 0 => {
                return Err(AccountError::InvalidAmount);
            }
            AccountCommand::Deposit { amount } => vec![AccountEvent::Deposited { amount: *amount }],
            AccountCommand::Withdraw { amount } if *amount > state.balance => {
                return Err(AccountError::InsufficientFunds { balance: state.balance, wanted: *amount });
            }
            AccountCommand::Withdraw { amount } => vec![AccountEvent::Withdrawn { amount: *amount }],
            AccountCommand::Note { text } => vec![AccountEvent::Noted { text: text.clone() }],
            AccountCommand::Nothing => vec![],
        })
    }

    fn evolve(mut state: AccountState, event: &AccountEvent) -> AccountState {
        match event {
            AccountEvent::Opened { owner } => state.owner = owner.clone(),
            AccountEvent::Deposited { amount } => {
                state.balance += amount;
                state.deposits += 1;
            }
            AccountEvent::Withdrawn { amount } => state.balance -= amount,
            AccountEvent::Noted { .. } => state.notes += 1,
        }
        state
    }
}

/// Full replay of a stream's envelopes, without the runtime.
pub fn replay(events: &[Envelope]) -> AccountState {
    events.iter().fold(AccountState::default(), |s, e| {
        let ev: AccountEvent = serde_json::from_value(e.payload.clone()).expect("payload");
        Account::evolve(s, &ev)
    })
}

/// Records, per account, every event it applies (id and sequence), so tests
/// can check "exactly once, in order".
pub struct Ledger(pub &'static str);

impl Projection for Ledger {
    fn name(&self) -> &str {
        self.0
    }
    fn key(&self, event: &Envelope) -> Option<String> {
        (event.stream.aggregate_type == "Account").then(|| event.stream.aggregate_id.to_string())
    }
    fn apply(&self, current: Option<Value>, event: &Envelope) -> ProjectionUpdate {
        let mut doc = current.unwrap_or_else(|| json!({"ids": [], "seqs": [], "balance": 0}));
        doc["ids"].as_array_mut().expect("ids").push(json!(event.event_id.to_string()));
        doc["seqs"].as_array_mut().expect("seqs").push(json!(event.public_seq.unwrap_or(event.version)));
        let amount = event.payload["amount"].as_i64().unwrap_or(0);
        let sign = if event.event_type == "Withdrawn" { -1 } else { 1 };
        doc["balance"] = json!(doc["balance"].as_i64().unwrap_or(0) + sign * amount);
        ProjectionUpdate::Upsert(doc)
    }
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("squall-test-{name}-{}", squall_runtime::uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Polls `check` until it returns true or `timeout` passes.
pub async fn wait_until<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
