use anchor_lang::prelude::*;

/// One node's vote in one audit. Its existence forbids a second vote.
#[account]
#[derive(InitSpace, Debug)]
pub struct Vote {
    pub audit: Pubkey,
    pub voter: Pubkey,
    pub weight: u64,
    pub invalid: bool,
    pub bump: u8,
}

impl Vote {
    /// Offset of `audit` in the account data: lists an audit's votes.
    pub const AUDIT_OFFSET: usize = 8;
    /// Offset of `voter` in the account data.
    pub const VOTER_OFFSET: usize = 8 + 32;
}
