//! The tasknet node: follows the slot clock of each task it runs and, for
//! every live round, reads one snapshot, decides, and acts.
//!
//! ```text
//! runtime: slot clock ─▶ TaskView::read (task + our stake, one call)
//! driver:  per live round: RoundSnapshot (base → Policy::reads → more)
//!          ─▶ Policy::decide (pure)                → Vec<Action>
//!          ─▶ RoundHost::perform: off-chain (work) → store, then decide again
//!                                 on-chain (host)  → Outbox → ChainClient
//! ```
//!
//! - [`snapshot`]: reading a round; [`decide`]: the policies (what to read
//!   and what to do); [`driver`]: snapshot → decide → perform, generic over
//!   its [`driver::RoundHost`];
//! - [`runtime`]: the loop; `host`: this node's host (outbox, earnings);
//!   `work`: running and auditing task code; [`report`]: what the
//!   operator hears;
//! - [`action`]: what can be done and the outbox key of each transaction;
//! - [`outbox`]: store-before-send, resume-before-resign;
//! - [`store`]: the node's SQLite state; [`payloads`]: serving and
//!   fetching payloads; [`code`]: task code, native or external;
//!   [`metrics`]: the operator's `/metrics` and `/status`; [`dashboard`]:
//!   the operator's page at `/`.

pub mod action;
pub mod code;
pub mod dashboard;
pub mod decide;
pub mod driver;
pub mod follow;
mod host;
pub mod lock;
pub mod metrics;
pub mod outbox;
mod parts;
pub mod payloads;
pub mod report;
pub mod runtime;
pub mod snapshot;
pub mod store;
pub mod supply;
pub mod wasm;
mod work;

use anchor_lang::prelude::Pubkey;
use tasknet_sdk::chain::ChainError;

pub use action::{Action, OutboxKey};
pub use decide::{decide, Crank, Honest, Policy};
pub use driver::{drive_round, drive_task, Records, RoundHost};
pub use parts::TaskSpec;
pub use runtime::{Node, NodeConfig};
pub use snapshot::{Reads, RoundSnapshot, TaskView};
pub use supply::{CodeSupply, ModuleLibrary};

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
