use anchor_lang::prelude::*;

use crate::constants::{MAX_METADATA_URI_LEN, MAX_NAME_LEN};
use crate::errors::TasknetError;
use crate::logic::{Bonded, Schedule};

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    Active,
    Paused,
    Closed,
}

/// What a task pays and how it judges.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Economics {
    /// Lamports paid out per round, split among valid submitters.
    pub reward_per_round: u64,
    /// Least active stake that makes a node eligible.
    pub min_stake: u64,
    /// Lamports a challenger posts with a challenge.
    pub challenge_bond: u64,
    /// Share of a node's stake slashed by an invalid verdict.
    pub slash_bps: u16,
    /// Share of a slash paid to the challenger; the rest goes to the bounty.
    pub challenger_share_bps: u16,
    /// Invalid weight must exceed this share of the weight cast.
    pub vote_threshold_bps: u16,
    /// Weight cast must reach this share of the round's eligible stake.
    pub quorum_bps: u16,
}

/// Lamports the task vault holds, by purpose. The vault's lamports minus its
/// rent always equal `Ledger::total`.
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct Ledger {
    /// Funded and not yet committed to a round.
    pub bounty_available: u64,
    /// All nodes' stake: active, pending and unbonding.
    pub staked_total: u64,
    /// Reward pools of open rounds not yet claimed or returned.
    pub pools_outstanding: u64,
    /// Challenge bonds of unresolved audits.
    pub bonds_held: u64,
}

impl Ledger {
    pub fn total(&self) -> Option<u64> {
        self.bounty_available
            .checked_add(self.staked_total)?
            .checked_add(self.pools_outstanding)?
            .checked_add(self.bonds_held)
    }
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Task {
    pub creator: Pubkey,
    pub task_id: u64,
    #[max_len(MAX_NAME_LEN)]
    pub name: String,
    #[max_len(MAX_METADATA_URI_LEN)]
    pub metadata_uri: String,
    /// sha256 of the code nodes must run.
    pub code_hash: [u8; 32],
    pub schedule: Schedule,
    pub economics: Economics,
    pub state: TaskState,
    pub ledger: Ledger,
    /// Active and pending stake of nodes that are not unbonding; a round
    /// snapshots its weight as the quorum base.
    pub bonded: Bonded,
    pub node_count: u32,
    pub total_paid: u64,
    pub total_slashed: u64,
    pub bump: u8,
    pub vault_bump: u8,
}

/// Checked arithmetic on ledger fields, mapped to the program's error.
pub fn checked_add(a: u64, b: u64) -> Result<u64> {
    a.checked_add(b)
        .ok_or_else(|| error!(TasknetError::ArithmeticOverflow))
}

pub fn checked_sub(a: u64, b: u64) -> Result<u64> {
    a.checked_sub(b)
        .ok_or_else(|| error!(TasknetError::ArithmeticOverflow))
}

impl Task {
    pub fn is_active(&self) -> bool {
        self.state == TaskState::Active
    }

    /// The round whose submit window can hold the current slot.
    pub fn current_round(&self, slot: u64) -> Option<u64> {
        self.schedule.round_at(slot)
    }
}
