use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditVerdict {
    Pending,
    Valid,
    Invalid,
}

/// A challenge of one submission and its tally.
#[account]
#[derive(InitSpace, Debug)]
pub struct Audit {
    pub task: Pubkey,
    pub round: u64,
    pub submission: Pubkey,
    /// The challenged node.
    pub node: Pubkey,
    pub challenger: Pubkey,
    pub bond: u64,
    pub invalid_weight: u64,
    pub valid_weight: u64,
    pub voter_count: u32,
    /// Vote accounts not yet closed; the audit closes after them.
    pub votes_open: u32,
    pub verdict: AuditVerdict,
    pub bump: u8,
}
