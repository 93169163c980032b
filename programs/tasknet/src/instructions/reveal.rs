use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Revealed};
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
        emit(Revealed {
            task: submission.task,
            round: submission.round,
            node: submission.node,
        });
        Ok(())
    }
}
