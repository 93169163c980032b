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
