use anchor_lang::prelude::*;

use crate::constants::MAX_VALUE_LEN;

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmissionStatus {
    /// Commitment posted, value not yet revealed.
    Committed,
    /// Value known; valid unless an audit says otherwise.
    Revealed,
    /// Under audit.
    Challenged,
    /// An audit found it valid.
    Valid,
    /// An audit found it invalid.
    Invalid,
    /// Its reward was paid.
    Claimed,
}

/// One node's result for one round. `task` and `round` lead the data so
/// nodes can find a round's submissions with memcmp filters.
#[account]
#[derive(InitSpace, Debug)]
pub struct Submission {
    pub task: Pubkey,
    pub round: u64,
    pub node: Pubkey,
    /// Its place in the round's order of submissions (`0..submissions`):
    /// what audit sampling (`logic::AuditSample`) assigns auditors by.
    pub index: u32,
    /// `sha256(value ‖ salt ‖ node)`; for plain tasks, `sha256(value)`.
    pub commitment: [u8; 32],
    #[max_len(MAX_VALUE_LEN)]
    pub value: Vec<u8>,
    pub slot: u64,
    pub status: SubmissionStatus,
    /// An audit account exists for it (closed together with it).
    pub audited: bool,
    pub bump: u8,
}

impl Submission {
    /// Offset of `task` in the account data (after the discriminator).
    pub const TASK_OFFSET: usize = 8;
    /// Offset of `round` in the account data.
    pub const ROUND_OFFSET: usize = 8 + 32;
    /// Offset of `node` in the account data.
    pub const NODE_OFFSET: usize = 8 + 32 + 8;
    /// Offset of `index` in the account data.
    pub const INDEX_OFFSET: usize = 8 + 32 + 8 + 32;

    /// Whether its reward may be claimed (once the round's audits are done).
    pub fn claimable(&self) -> bool {
        matches!(
            self.status,
            SubmissionStatus::Revealed | SubmissionStatus::Valid
        )
    }
}
