use anchor_lang::prelude::*;

use crate::state::in_place::InPlace;

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

/// `Vote` as it lies in its account (`state::in_place`): `vote` writes a
/// new one field by field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, packed)]
pub struct VoteData {
    pub audit: Pubkey,
    pub voter: Pubkey,
    pub weight: u64,
    pub invalid: u8,
    pub bump: u8,
}

impl InPlace for VoteData {
    const DISCRIMINATOR: &'static [u8] = Vote::DISCRIMINATOR;
}
