use anchor_lang::prelude::*;

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
    /// Submissions that earn a share: revealed and not invalidated.
    pub fn valid_count(&self) -> u64 {
        u64::from(self.revealed.saturating_sub(self.invalidated))
    }
}
