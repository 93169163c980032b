use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::logic::reward_share;
use crate::state::{checked_add, checked_sub, Counter};

/// One round of one task; created by its first submission, closed after the
/// claim deadline.
#[account]
#[derive(InitSpace, Debug)]
pub struct Round {
    pub task: Pubkey,
    pub round: u64,
    /// Taken from the bounty when the round opened.
    pub reward_pool: u64,
    /// The task's active stake before the round began: the quorum base.
    pub eligible_stake: u64,
    pub submissions: u32,
    /// Submissions with a value (revealed, or plain submissions).
    pub revealed: u32,
    pub invalidated: u32,
    pub open_audits: u32,
    pub claimed_count: u32,
    pub claimed_sum: u64,
    /// Paid this account's rent; gets it back at close.
    pub rent_payer: Pubkey,
    pub bump: u8,
}

impl Round {
    /// A round opened by its first submission, with its pool fixed.
    pub fn open(
        task: Pubkey,
        round: u64,
        reward_pool: u64,
        eligible_stake: u64,
        rent_payer: Pubkey,
        bump: u8,
    ) -> Self {
        Self {
            task,
            round,
            reward_pool,
            eligible_stake,
            submissions: 0,
            revealed: 0,
            invalidated: 0,
            open_audits: 0,
            claimed_count: 0,
            claimed_sum: 0,
            rent_payer,
            bump,
        }
    }

    /// Submissions that earn a share: revealed and not invalidated.
    pub fn valid_count(&self) -> u64 {
        u64::from(self.revealed.saturating_sub(self.invalidated))
    }

    /// One valid submitter's share of the pool.
    pub fn share(&self) -> Result<u64> {
        Ok(reward_share(self.reward_pool, self.valid_count())
            .ok_or(TasknetError::NotClaimable)?
            .share)
    }

    pub fn record_submission(&mut self, revealed: bool) -> Result<()> {
        self.submissions.increment()?;
        if revealed {
            self.revealed.increment()?;
        }
        Ok(())
    }

    pub fn record_claim(&mut self, share: u64) -> Result<()> {
        self.claimed_count.increment()?;
        self.claimed_sum = checked_add(self.claimed_sum, share)?;
        Ok(())
    }

    /// What was not claimed; returns to the bounty when the round closes.
    pub fn unclaimed(&self) -> Result<u64> {
        checked_sub(self.reward_pool, self.claimed_sum)
    }
}
