use anchor_lang::compat::solana_sysvar::slot_hashes;
use std::cell::RefMut;

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, AuditSeedRecorded, Revealed};
use crate::logic::{commitment, Phase, SALT_LEN};
use crate::state::in_place;
use crate::state::*;

/// Reveals a committed value. Reads no task-wide account: the round holds
/// the schedule. The round and the submission are read and written in
/// place (`state::in_place`), with `Account<T>`'s checks.
#[derive(Accounts)]
pub struct Reveal<'info> {
    pub node: Signer<'info>,
    /// CHECK: the submission's `Round` (`RoundData::check_is`).
    #[account(mut)]
    pub round_account: UncheckedAccount<'info>,
    /// CHECK: the node's `Submission` (`SubmissionView`).
    #[account(mut)]
    pub submission: UncheckedAccount<'info>,
    /// CHECK: the SlotHashes sysvar (address-checked), read in place: the
    /// first reveal after the seed slot's block records the round's audit
    /// seed, so no crank is needed. Optional: a reveal without it only
    /// leaves the seed to the next one or to `record_audit_seed`.
    #[account(address = slot_hashes::ID @ TasknetError::WrongSysvar)]
    pub slot_hashes: Option<UncheckedAccount<'info>>,
}

impl Reveal<'_> {
    /// Checks the reveal and hands the handler the accounts it checked,
    /// loaded once.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub(crate) fn validate(
        &self,
        value: &[u8],
        salt: &[u8; SALT_LEN],
    ) -> Result<(RefMut<'_, RoundData>, SubmissionView<'_>)> {
        let round = in_place::load_mut::<RoundData>(&self.round_account)?;
        let mut submission = SubmissionView::load_mut(&self.submission)?;
        let head = submission.head;
        round.check_is(&head.task, head.round)?;
        require_keys_eq!(head.node, self.node.key(), TasknetError::NotSubmissionOwner);
        let schedule = round.schedule;
        require!(schedule.commit_reveal(), TasknetError::ValueRequired);
        submission.status()?.check_revealable()?;
        require!(
            schedule.phase(head.round, Clock::get()?.slot) == Phase::Reveal,
            TasknetError::OutsideRevealWindow
        );
        require!(
            !value.is_empty() && value.len() <= MAX_VALUE_LEN,
            TasknetError::InvalidValueLength
        );
        require!(
            commitment(value, salt, &head.node) == head.commitment,
            TasknetError::RevealMismatch
        );
        Ok((round, submission))
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub(crate) fn handler(ctx: Context<Self>, value: Vec<u8>, salt: [u8; SALT_LEN]) -> Result<()> {
        let accounts = ctx.accounts;
        let (mut round, mut submission) = accounts.validate(&value, &salt)?;
        submission.reveal(&value)?;
        round.revealed = round.revealed.plus_one()?;
        if let (false, Some(slot_hashes)) = (round.seed_recorded(), &accounts.slot_hashes) {
            // Not there yet (a reveal in the seed slot itself) or gone:
            // a later reveal or the crank records it.
            let data = slot_hashes.try_borrow_data()?;
            if round.record_seed(&data).is_ok() {
                emit(AuditSeedRecorded {
                    task: round.task,
                    round: round.round,
                    slot: round.seed_slot,
                });
            }
        }
        let head = submission.head;
        emit(Revealed {
            task: head.task,
            round: head.round,
            node: head.node,
        });
        Ok(())
    }
}
