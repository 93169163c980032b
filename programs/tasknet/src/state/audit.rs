use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::state::in_place::InPlace;
use crate::state::{checked_add, Counter, Economics, Submission};

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
    /// The audited round's minimum stake (fixed when the round opened),
    /// copied here so that `vote` judges eligibility by the round's terms
    /// without reading the round.
    pub min_stake: u64,
    /// Vote accounts not yet closed; the audit closes after them.
    pub votes_open: u32,
    pub verdict: AuditVerdict,
    pub bump: u8,
}

impl Audit {
    /// Offset of `task` in the account data.
    pub const TASK_OFFSET: usize = 8;
    /// Offset of `round` in the account data: lists a round's audits.
    pub const ROUND_OFFSET: usize = 8 + 32;

    /// The audit a challenge opens on `submission` (at `submission_key`):
    /// the challenger's `weight` is its first invalid vote, its bond and
    /// the minimum stake of voters are the round's `terms`.
    pub fn open(
        submission_key: Pubkey,
        submission: &Submission,
        challenger: Pubkey,
        terms: &Economics,
        weight: u64,
        bump: u8,
    ) -> Self {
        Self {
            task: submission.task,
            round: submission.round,
            submission: submission_key,
            node: submission.node,
            challenger,
            bond: terms.challenge_bond,
            invalid_weight: weight,
            valid_weight: 0,
            voter_count: 1,
            min_stake: terms.min_stake,
            votes_open: 1,
            verdict: AuditVerdict::Pending,
            bump,
        }
    }

    /// Counts one vote of `weight`; its `Vote` account stays open until
    /// `close_vote`.
    pub fn resolve(&mut self, invalid: bool) -> Result<()> {
        require!(
            self.verdict == AuditVerdict::Pending,
            TasknetError::AuditAlreadyResolved
        );
        self.verdict = if invalid {
            AuditVerdict::Invalid
        } else {
            AuditVerdict::Valid
        };
        Ok(())
    }
}

/// `Audit` where it lies in its account (`state::in_place`): the view
/// `vote` reads and tallies into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, packed)]
pub struct AuditData {
    pub task: Pubkey,
    pub round: u64,
    pub submission: Pubkey,
    pub node: Pubkey,
    pub challenger: Pubkey,
    pub bond: u64,
    pub invalid_weight: u64,
    pub valid_weight: u64,
    pub voter_count: u32,
    pub min_stake: u64,
    pub votes_open: u32,
    /// `AuditVerdict`'s Borsh byte.
    pub verdict: u8,
    pub bump: u8,
}

impl InPlace for AuditData {
    const DISCRIMINATOR: &'static [u8] = Audit::DISCRIMINATOR;
}

impl AuditData {
    pub fn is_pending(&self) -> bool {
        self.verdict == AuditVerdict::Pending as u8
    }

    pub fn tally(&mut self, weight: u64, invalid: bool) -> Result<()> {
        if invalid {
            self.invalid_weight = checked_add(self.invalid_weight, weight)?;
        } else {
            self.valid_weight = checked_add(self.valid_weight, weight)?;
        }
        self.voter_count = self.voter_count.plus_one()?;
        self.votes_open = self.votes_open.plus_one()?;
        Ok(())
    }
}
