use anchor_lang::prelude::*;

use crate::constants::MAX_VALUE_LEN;
use crate::errors::TasknetError;
use crate::state::AuditVerdict;

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

    // The life cycle: Committed → Revealed → (Challenged → Valid | Invalid)
    // → Claimed. Each step refuses a submission in the wrong status with
    // its named error, so no handler writes a status by hand.

    /// Refuses a submission that is not a commitment waiting for its value.
    pub fn check_revealable(&self) -> Result<()> {
        require!(
            self.status == SubmissionStatus::Committed,
            TasknetError::AlreadyRevealed
        );
        Ok(())
    }

    /// Its committed value is revealed (`reveal`).
    pub fn reveal(&mut self, value: Vec<u8>) -> Result<()> {
        self.check_revealable()?;
        self.value = value;
        self.status = SubmissionStatus::Revealed;
        Ok(())
    }

    /// Refuses a submission that cannot be challenged: not revealed yet,
    /// or already under (or past) an audit.
    pub fn check_challengeable(&self) -> Result<()> {
        match self.status {
            SubmissionStatus::Revealed => Ok(()),
            SubmissionStatus::Committed => err!(TasknetError::NotRevealed),
            _ => err!(TasknetError::AlreadyChallenged),
        }
    }

    /// An audit opens on it (`challenge`).
    pub fn challenge(&mut self) -> Result<()> {
        self.check_challengeable()?;
        self.status = SubmissionStatus::Challenged;
        self.audited = true;
        Ok(())
    }

    /// Takes its audit's verdict (`resolve_audit`, once the audit has one).
    pub fn resolve(&mut self, verdict: AuditVerdict) -> Result<()> {
        require!(
            self.status == SubmissionStatus::Challenged,
            TasknetError::AuditAlreadyResolved
        );
        self.status = match verdict {
            AuditVerdict::Invalid => SubmissionStatus::Invalid,
            AuditVerdict::Valid => SubmissionStatus::Valid,
            AuditVerdict::Pending => return err!(TasknetError::AuditNotResolved),
        };
        Ok(())
    }

    /// Refuses a submission that earns nothing now: paid already, or not
    /// (or not yet) valid.
    pub fn check_claimable(&self) -> Result<()> {
        match self.status {
            _ if self.claimable() => Ok(()),
            SubmissionStatus::Claimed => err!(TasknetError::AlreadyClaimed),
            _ => err!(TasknetError::NotClaimable),
        }
    }

    /// Its reward is paid (`claim`, `close_submission`).
    pub fn mark_claimed(&mut self) -> Result<()> {
        self.check_claimable()?;
        self.status = SubmissionStatus::Claimed;
        Ok(())
    }
}
