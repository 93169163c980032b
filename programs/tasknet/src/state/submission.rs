use anchor_lang::prelude::*;

use crate::constants::MAX_VALUE_LEN;
use crate::errors::TasknetError;
use crate::state::in_place::{self, InPlace, Writer};
use crate::state::AuditVerdict;
use anchor_lang::error::ErrorCode;
use std::cell::RefMut;
use std::mem::size_of;

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

impl SubmissionStatus {
    /// Its Borsh byte (the variant's index), as it lies in the account.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn from_byte(byte: u8) -> Result<Self> {
        use SubmissionStatus::*;
        Ok(match byte {
            0 => Committed,
            1 => Revealed,
            2 => Challenged,
            3 => Valid,
            4 => Invalid,
            5 => Claimed,
            _ => return err!(anchor_lang::error::ErrorCode::AccountDidNotDeserialize),
        })
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn claimable(self) -> bool {
        matches!(self, SubmissionStatus::Revealed | SubmissionStatus::Valid)
    }

    // The life cycle: Committed → Revealed → (Challenged → Valid | Invalid)
    // → Claimed. Each step refuses a submission in the wrong status with
    // its named error, so no handler writes a status by hand.

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn check_revealable(self) -> Result<()> {
        require!(
            self == SubmissionStatus::Committed,
            TasknetError::AlreadyRevealed
        );
        Ok(())
    }

    /// Refuses a submission that earns nothing now: paid already, or not
    /// (or not yet) valid.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn check_claimable(self) -> Result<()> {
        match self {
            _ if self.claimable() => Ok(()),
            SubmissionStatus::Claimed => err!(TasknetError::AlreadyClaimed),
            _ => err!(TasknetError::NotClaimable),
        }
    }
}

impl Submission {
    pub const TASK_OFFSET: usize = 8;
    pub const ROUND_OFFSET: usize = 8 + 32;
    pub const NODE_OFFSET: usize = 8 + 32 + 8;
    pub const INDEX_OFFSET: usize = 8 + 32 + 8 + 32;

    pub fn claimable(&self) -> bool {
        self.status.claimable()
    }

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
}

/// The fixed start of a `Submission` where it lies (`state::in_place`);
/// its value (a Borsh `Vec<u8>`) and then `SubmissionTail` follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, packed)]
pub struct SubmissionHead {
    pub task: Pubkey,
    pub round: u64,
    pub node: Pubkey,
    pub index: u32,
    pub commitment: [u8; 32],
}

impl InPlace for SubmissionHead {
    const DISCRIMINATOR: &'static [u8] = Submission::DISCRIMINATOR;
}

/// The fields of a `Submission` after its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, packed)]
pub struct SubmissionTail {
    pub slot: u64,
    pub status: u8,
    pub audited: u8,
    pub bump: u8,
}

/// A `Submission` where it lies, for `reveal`, `claim` and
/// `close_submission`: its head read in place, its value and tail found
/// by the value's length.
pub struct SubmissionView<'a> {
    pub head: SubmissionHead,
    /// The data after the head: the value's length and bytes, the tail.
    rest: RefMut<'a, [u8]>,
}

const LEN_PREFIX: usize = 4;

impl<'a> SubmissionView<'a> {
    /// Writes a new submission, as Borsh lays it out, into the account
    /// `pda::create_at` made for it.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn write_new(
        info: &AccountInfo<'_>,
        head: &SubmissionHead,
        value: &[u8],
        tail: &SubmissionTail,
    ) -> Result<()> {
        let len = u32::try_from(value.len()).map_err(|_| TasknetError::InvalidValueLength)?;
        let mut data = info.try_borrow_mut_data()?;
        let mut out = Writer::new(&mut data);
        out.put(Submission::DISCRIMINATOR)?;
        out.put(bytemuck::bytes_of(head))?;
        out.put(&len.to_le_bytes())?;
        out.put(value)?;
        out.put(bytemuck::bytes_of(tail))
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn load_mut(info: &'a AccountInfo<'_>) -> Result<Self> {
        let head = *in_place::load::<SubmissionHead>(info)?;
        let rest = in_place::rest_mut::<SubmissionHead>(info)?;
        Ok(Self { head, rest })
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    fn value_len(&self) -> Result<usize> {
        let prefix = self
            .rest
            .get(..LEN_PREFIX)
            .ok_or(ErrorCode::AccountDidNotDeserialize)?;
        let len = u32::from_le_bytes(
            bytemuck::try_pod_read_unaligned(prefix)
                .map_err(|_| ErrorCode::AccountDidNotDeserialize)?,
        );
        usize::try_from(len).map_err(|_| ErrorCode::AccountDidNotDeserialize.into())
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    fn tail_bytes(&mut self) -> Result<&mut [u8]> {
        let at = LEN_PREFIX.saturating_add(self.value_len()?);
        self.rest
            .get_mut(at..at.saturating_add(size_of::<SubmissionTail>()))
            .ok_or(ErrorCode::AccountDidNotDeserialize.into())
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn tail(&mut self) -> Result<SubmissionTail> {
        bytemuck::try_pod_read_unaligned(self.tail_bytes()?)
            .map_err(|_| ErrorCode::AccountDidNotDeserialize.into())
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    fn set_tail(&mut self, tail: SubmissionTail) -> Result<()> {
        self.tail_bytes()?
            .copy_from_slice(bytemuck::bytes_of(&tail));
        Ok(())
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn status(&mut self) -> Result<SubmissionStatus> {
        SubmissionStatus::from_byte(self.tail()?.status)
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn audited(&mut self) -> Result<bool> {
        Ok(self.tail()?.audited != 0)
    }

    /// Writes the revealed value; the tail moves behind it.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn reveal(&mut self, value: &[u8]) -> Result<()> {
        let mut tail = self.tail()?;
        SubmissionStatus::from_byte(tail.status)?.check_revealable()?;
        let len = u32::try_from(value.len()).map_err(|_| TasknetError::InvalidValueLength)?;
        let end = LEN_PREFIX.saturating_add(value.len());
        let (prefix, bytes) = self
            .rest
            .get_mut(..end)
            .ok_or(ErrorCode::AccountDidNotDeserialize)?
            .split_at_mut(LEN_PREFIX);
        prefix.copy_from_slice(&len.to_le_bytes());
        bytes.copy_from_slice(value);
        tail.status = SubmissionStatus::Revealed as u8;
        self.set_tail(tail)
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn mark_claimed(&mut self) -> Result<()> {
        let mut tail = self.tail()?;
        SubmissionStatus::from_byte(tail.status)?.check_claimable()?;
        tail.status = SubmissionStatus::Claimed as u8;
        self.set_tail(tail)
    }
}
