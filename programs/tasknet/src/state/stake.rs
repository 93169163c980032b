use anchor_lang::prelude::*;

use crate::constants::MAX_ENDPOINT_LEN;
use crate::logic::Bonded;

#[account]
#[derive(InitSpace, Debug)]
pub struct Stake {
    pub task: Pubkey,
    /// The node's authority: signs its transactions and receives its payouts.
    pub node: Pubkey,
    pub bonded: Bonded,
    /// Stake leaving the task; withdrawable from `unbonding_frees_at`.
    pub unbonding: u64,
    pub unbonding_frees_at: u64,
    /// Slot of the node's first stake on this task.
    pub active_since: u64,
    /// Where the node serves its payloads.
    #[max_len(MAX_ENDPOINT_LEN)]
    pub endpoint: String,
    /// Unresolved audits against this node; withdrawal waits for them.
    pub open_audits: u32,
    pub submissions: u64,
    pub slashed_total: u64,
    pub bump: u8,
}

impl Stake {
    pub fn total(&self) -> u64 {
        self.bonded.total().saturating_add(self.unbonding)
    }
}
