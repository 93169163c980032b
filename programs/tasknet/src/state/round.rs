use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::logic::{reward_share, Schedule};
use crate::state::{checked_add, checked_sub, Counter, Economics, Submission, Task};
use crate::utils::pay_out;

/// One round of one task; opened in its submit window (by the transaction
/// of its first submission), closed after the claim deadline once every
/// submission account is closed. It holds its own pool: its lamports minus
/// rent always equal `outstanding()`, so claims never touch the task or its
/// vault, and no claim can pay more than the pool.
///
/// Everything that judges the round is fixed when it opens (its schedule,
/// economics and code hash): a creator's `update_task` applies from the next
/// round opened, so it cannot turn a vote, a challenge or a verdict already
/// under way, nor the code a round's nodes ran.
#[account]
#[derive(InitSpace, Debug)]
pub struct Round {
    pub task: Pubkey,
    pub round: u64,
    /// The task's schedule (which never changes), copied at opening so that
    /// `reveal` and `claim` need not read the task at all.
    pub schedule: Schedule,
    /// The task's economics when the round opened: its minimum stake,
    /// challenge bond, slash and verdict rules apply to this round whatever
    /// the creator changes later.
    pub economics: Economics,
    /// The code the round's nodes run and are audited with.
    pub code_hash: [u8; 32],
    /// Taken from the bounty when the round opened.
    pub reward_pool: u64,
    /// The task's active stake before the round began: the quorum base.
    pub eligible_stake: u64,
    pub submissions: u32,
    /// Submission accounts that exist; the round closes after them.
    pub submissions_open: u32,
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
    /// Offset of `task` in the account data (after the discriminator).
    pub const TASK_OFFSET: usize = 8;

    /// A round of `task` (at `task_key`) opened with its pool and terms
    /// fixed.
    pub fn open(
        task_key: Pubkey,
        task: &Task,
        round: u64,
        reward_pool: u64,
        eligible_stake: u64,
        rent_payer: Pubkey,
        bump: u8,
    ) -> Self {
        Self {
            task: task_key,
            round,
            schedule: task.schedule,
            economics: task.economics,
            code_hash: task.code_hash,
            reward_pool,
            eligible_stake,
            submissions: 0,
            submissions_open: 0,
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
        self.submissions_open.increment()?;
        if revealed {
            self.revealed.increment()?;
        }
        Ok(())
    }

    /// Counts a paid share; refuses one the pool cannot cover, whatever
    /// the other counters say.
    pub fn record_claim(&mut self, share: u64) -> Result<()> {
        let claimed_sum = checked_add(self.claimed_sum, share)?;
        require!(claimed_sum <= self.reward_pool, TasknetError::PoolExhausted);
        self.claimed_count.increment()?;
        self.claimed_sum = claimed_sum;
        Ok(())
    }

    /// The part of the pool not yet paid: what this account holds above
    /// rent, and what returns to the bounty when the round closes.
    pub fn outstanding(&self) -> Result<u64> {
        checked_sub(self.reward_pool, self.claimed_sum)
    }
}

/// Pays a claimable submission its share from its round's pool and marks it
/// claimed (`claim`, and `close_submission` for a reward left unclaimed).
/// The caller has checked that the round's audits are done.
pub fn pay_share<'info>(
    round_account: &mut Account<'info, Round>,
    submission: &mut Submission,
    node: &AccountInfo<'info>,
) -> Result<u64> {
    let share = round_account.share()?;
    submission.mark_claimed()?;
    round_account.record_claim(share)?;
    pay_out(&round_account.to_account_info(), node, share)?;
    Ok(share)
}
