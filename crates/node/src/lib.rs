//! The tasknet node: follows the slot clock of each task it runs and, for
//! every live round, reads one snapshot, decides, and acts.
//!
//! ```text
//! slot clock ─▶ TaskView (task + our stake, one call)
//!            ─▶ per live round: RoundSnapshot::read (chain + store, by phase)
//!            ─▶ Policy::decide (pure)                   → Vec<Action>
//!            ─▶ perform: off-chain (Execute, Audit)     → store, then decide again
//!                        on-chain                       → Outbox → ChainClient
//! ```
//!
//! - [`snapshot`]: what is read, per phase; [`decide`]: the policy;
//! - [`action`]: what can be done and the outbox key of each transaction;
//! - [`outbox`]: store-before-send, resume-before-resign;
//! - [`store`]: the node's SQLite state; [`payloads`]: serving and
//!   fetching payloads; [`code`]: task code, native or external;
//!   [`metrics`]: the operator's `/metrics` and `/status`.

pub mod action;
pub mod code;
pub mod decide;
pub mod lock;
pub mod metrics;
pub mod outbox;
pub mod payloads;
pub mod runtime;
pub mod snapshot;
pub mod store;

use anchor_lang::prelude::Pubkey;
use tasknet_sdk::chain::ChainError;

pub use action::{Action, OutboxKey};
pub use decide::{decide, Honest, Policy};
pub use runtime::{Node, NodeConfig, TaskSpec};
pub use snapshot::{Reads, RoundSnapshot, TaskView};

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("node state database holds an unreadable {0}")]
    CorruptStore(String),
    #[error(transparent)]
    Code(#[from] code::CodeError),
    #[error("task {0} does not exist on this cluster")]
    UnknownTask(Pubkey),
    #[error("this node has no stake on task {0}; stake first")]
    NotStaked(Pubkey),
    #[error("payload server: {0}")]
    PayloadServer(std::io::Error),
    #[error("task code stopped unexpectedly: {0}")]
    CodeTask(String),
    #[error(transparent)]
    Locked(#[from] lock::LockError),
    #[error(transparent)]
    OtherChain(Box<OtherChain>),
}

/// The database belongs to one chain, the endpoint serves another.
#[derive(Debug, thiserror::Error)]
#[error(
    "node state database {db} belongs to another chain (genesis {recorded_genesis}, \
     program {recorded_program}), but this endpoint serves genesis {genesis}, program \
     {program}; give this node another --db, or delete {db} and its -wal, -shm and \
     .lock files to start fresh",
    db = db.display()
)]
pub struct OtherChain {
    pub db: std::path::PathBuf,
    pub recorded_genesis: String,
    pub recorded_program: String,
    pub genesis: String,
    pub program: Pubkey,
}
