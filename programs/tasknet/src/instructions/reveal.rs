use anchor_lang::compat::solana_sysvar::slot_hashes;
use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, AuditSeedRecorded, Revealed};
use crate::logic::{commitment, Phase, SALT_LEN};
use crate::state::*;

/// Reveals a committed value. Reads no task-wide account: the round holds
/// the schedule.
#[derive(Accounts)]
pub struct Reveal<'info> {
    pub node: Signer<'info>,
    #[account(
        mut,
        constraint = round_account.round == submission.round @ TasknetError::WrongRound,
    )]
    pub round_account: Box<Account<'info, Round>>,
    #[account(
        mut,
        constraint = submission.task == round_account.task @ TasknetError::WrongTask,
        has_one = node @ TasknetError::NotSubmissionOwner,
    )]
    pub submission: Box<Account<'info, Submission>>,
    /// CHECK: the SlotHashes sysvar (address-checked), read in place: the
    /// first reveal after the seed slot's block records the round's audit
    /// seed, so no crank is needed. Optional: a reveal without it only
    /// leaves the seed to the next one or to `record_audit_seed`.
    #[account(address = slot_hashes::ID @ TasknetError::WrongSysvar)]
    pub slot_hashes: Option<UncheckedAccount<'info>>,
}

impl Reveal<'_> {
    pub(crate) fn validate(&self, value: &[u8], salt: &[u8; SALT_LEN]) -> Result<()> {
        let schedule = &self.round_account.schedule;
        let submission = &self.submission;
        require!(schedule.commit_reveal(), TasknetError::ValueRequired);
        submission.check_revealable()?;
        require!(
            schedule.phase(submission.round, Clock::get()?.slot) == Phase::Reveal,
            TasknetError::OutsideRevealWindow
        );
        require!(
            !value.is_empty() && value.len() <= MAX_VALUE_LEN,
            TasknetError::InvalidValueLength
        );
        require!(
            commitment(value, salt, &submission.node) == submission.commitment,
            TasknetError::RevealMismatch
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>, value: Vec<u8>, _salt: [u8; SALT_LEN]) -> Result<()> {
        let submission = &mut ctx.accounts.submission;
        submission.reveal(value)?;
        let round_account = &mut ctx.accounts.round_account;
        round_account.revealed.increment()?;
        if let (false, Some(slot_hashes)) =
            (round_account.seed_recorded(), &ctx.accounts.slot_hashes)
        {
            // Not there yet (a reveal in the seed slot itself) or gone:
            // a later reveal or the crank records it.
            let data = slot_hashes.try_borrow_data()?;
            if round_account.record_seed(&data).is_ok() {
                emit(AuditSeedRecorded {
                    task: round_account.task,
                    round: round_account.round,
                    slot: round_account.seed_slot,
                });
            }
        }
        emit(Revealed {
            task: submission.task,
            round: submission.round,
            node: submission.node,
        });
        Ok(())
    }
}
