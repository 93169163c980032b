use std::cell::RefMut;

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Submitted};
use crate::logic::{plain_value_hash, Phase};
use crate::pda;
use crate::state::in_place;
use crate::state::*;

/// What a node posts in the submit window.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum SubmissionPayload {
    /// `sha256(value ‖ salt ‖ node)`, for commit–reveal tasks.
    Commitment([u8; 32]),
    /// The value itself, for plain tasks.
    Value(Vec<u8>),
}

/// A node's result for a round that is open (see `open_round`). Writes only
/// the round and the node's own new submission: no task-wide account, so
/// every node's submit can run in parallel. The task, stake and round are
/// read in place (`state::in_place`), with `Account<T>`'s checks.
#[derive(Accounts)]
#[instruction(round: u64, payload: SubmissionPayload, submission_bump: u8)]
pub struct Submit<'info> {
    #[account(mut)]
    pub node: Signer<'info>,
    /// CHECK: a `Task` (`Task::terms_in_place`).
    pub task: UncheckedAccount<'info>,
    /// CHECK: the node's `Stake` on the task (`StakeHead::check_is`).
    pub stake: UncheckedAccount<'info>,
    /// CHECK: the task's `Round` `round` (`RoundData::check_is`).
    #[account(mut)]
    pub round_account: UncheckedAccount<'info>,
    /// CHECK: created here at its canonical PDA, with the bump the client
    /// derived (checked without a search: see `crate::pda`).
    #[account(mut)]
    pub submission: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl Submit<'_> {
    /// Checks the submission and hands the handler the round it checked,
    /// loaded once.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub(crate) fn validate(
        &self,
        round: u64,
        payload: &SubmissionPayload,
    ) -> Result<RefMut<'_, RoundData>> {
        let (state, _) = Task::terms_in_place(&self.task)?;
        let stake = in_place::load::<StakeHead>(&self.stake)?;
        stake.check_is(self.task.key, self.node.key)?;
        let round_data = in_place::load_mut::<RoundData>(&self.round_account)?;
        round_data.check_is(self.task.key, round)?;
        require!(state == TaskState::Active, TasknetError::TaskNotActive);
        // The round's schedule is the task's (it never changes), and its
        // terms were fixed when it opened.
        let schedule = round_data.schedule;
        require!(
            schedule.phase(round, Clock::get()?.slot) == Phase::Submit,
            TasknetError::OutsideSubmitWindow
        );
        require!(
            !self.submission.owner.eq(&crate::ID),
            TasknetError::AlreadySubmitted
        );
        stake.eligible_weight(round_data.economics.min_stake, round)?;
        match payload {
            SubmissionPayload::Commitment(_) => {
                require!(schedule.commit_reveal(), TasknetError::ValueRequired);
            }
            SubmissionPayload::Value(value) => {
                require!(!schedule.commit_reveal(), TasknetError::CommitmentRequired);
                require!(
                    !value.is_empty() && value.len() <= MAX_VALUE_LEN,
                    TasknetError::InvalidValueLength
                );
            }
        }
        Ok(round_data)
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub(crate) fn handler(
        ctx: Context<Self>,
        round: u64,
        payload: SubmissionPayload,
        submission_bump: u8,
    ) -> Result<()> {
        let accounts = ctx.accounts;
        let mut round_data = accounts.validate(round, &payload)?;
        let slot = Clock::get()?.slot;
        let node = accounts.node.key();
        let task = accounts.task.key();
        let (commitment, value, status) = match &payload {
            SubmissionPayload::Commitment(c) => (*c, &[][..], SubmissionStatus::Committed),
            SubmissionPayload::Value(v) => {
                (plain_value_hash(v), &v[..], SubmissionStatus::Revealed)
            }
        };
        let revealed = status == SubmissionStatus::Revealed;
        // Numbered in landing order, before the count moves: 0..submissions.
        let index = round_data.submissions;
        round_data.record_submission(revealed)?;
        let account = accounts.submission.to_account_info();
        let round_bytes = round.to_le_bytes();
        let seeds = [SUBMISSION_SEED, task.as_ref(), &round_bytes, node.as_ref()];
        pda::check_canonical(&seeds, submission_bump, account.key)?;
        pda::create_at(
            &accounts.node.to_account_info(),
            &account,
            &seeds,
            submission_bump,
            8 + Submission::INIT_SPACE,
        )?;
        let head = SubmissionHead {
            task,
            round,
            node,
            index,
            commitment,
        };
        let tail = SubmissionTail {
            slot,
            status: status as u8,
            audited: 0,
            bump: submission_bump,
        };
        SubmissionView::write_new(&account, &head, value, &tail)?;
        emit(Submitted {
            task,
            round,
            node,
            revealed,
        });
        Ok(())
    }
}
