use anchor_lang::prelude::*;

use crate::constants::MAX_ENDPOINT_LEN;
use crate::errors::TasknetError;
use crate::logic::{Bonded, SlashSplit};
use crate::state::in_place::InPlace;
use crate::state::{checked_add, checked_sub};

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
    pub slashed_total: u64,
    pub bump: u8,
}

impl Stake {
    /// Offset of `task` in the account data: lists a task's stakes.
    pub const TASK_OFFSET: usize = 8;
    /// Offset of `node` in the account data: lists a node's stakes.
    pub const NODE_OFFSET: usize = 8 + 32;

    /// A node's first stake on a task, before any lamports are bonded.
    pub fn open(task: Pubkey, node: Pubkey, slot: u64, bump: u8) -> Self {
        Self {
            task,
            node,
            bonded: Bonded::default(),
            unbonding: 0,
            unbonding_frees_at: 0,
            active_since: slot,
            endpoint: String::new(),
            open_audits: 0,
            slashed_total: 0,
            bump,
        }
    }

    pub fn total(&self) -> u64 {
        self.bonded.total().saturating_add(self.unbonding)
    }

    /// The node's weight in `round` if it may submit or vote on it.
    pub fn eligible_weight(&self, min_stake: u64, round: u64) -> Result<u64> {
        eligible_weight(&self.bonded, self.unbonding, min_stake, round)
    }

    /// Takes a slash out of the node's buckets (`slash_split` computed it
    /// from them, so each part fits its bucket).
    pub fn apply_slash(&mut self, slash: &SlashSplit) -> Result<()> {
        self.bonded.active = checked_sub(self.bonded.active, slash.from_active)?;
        self.bonded.pending = checked_sub(self.bonded.pending, slash.from_pending)?;
        self.unbonding = checked_sub(self.unbonding, slash.from_unbonding)?;
        self.slashed_total = checked_add(self.slashed_total, slash.total())?;
        Ok(())
    }

    /// Moves the whole bonded stake to unbonding, free from `frees_at`.
    /// Returns what was bonded, for the task's totals.
    pub fn begin_unbonding(&mut self, frees_at: u64) -> Bonded {
        let bonded = self.bonded;
        self.unbonding = bonded.total();
        self.bonded = Bonded::default();
        self.unbonding_frees_at = frees_at;
        bonded
    }
}

/// A node's weight in `round` by the round's minimum stake, or why it has
/// none.
#[cfg_attr(target_os = "solana", optimize(speed))]
fn eligible_weight(bonded: &Bonded, unbonding: u64, min_stake: u64, round: u64) -> Result<u64> {
    Ok(bonded
        .eligibility(unbonding, min_stake, round)
        .map_err(TasknetError::from)?)
}

/// The fixed start of a `Stake` where it lies (`state::in_place`): what
/// `submit` and `vote` read of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, packed)]
pub struct StakeHead {
    pub task: Pubkey,
    pub node: Pubkey,
    pub bonded: Bonded,
    pub unbonding: u64,
    pub unbonding_frees_at: u64,
    pub active_since: u64,
}

impl InPlace for StakeHead {
    const DISCRIMINATOR: &'static [u8] = Stake::DISCRIMINATOR;
}

impl StakeHead {
    /// Refuses a stake that is not `node`'s on `task`, with `Account<Stake>`
    /// constraints' errors.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn check_is(&self, task: &Pubkey, node: &Pubkey) -> Result<()> {
        require_keys_eq!(self.task, *task, TasknetError::WrongTask);
        require_keys_eq!(self.node, *node, TasknetError::WrongStake);
        Ok(())
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn eligible_weight(&self, min_stake: u64, round: u64) -> Result<u64> {
        let bonded = self.bonded;
        eligible_weight(&bonded, self.unbonding, min_stake, round)
    }
}
