use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Submitted};
use crate::logic::{plain_value_hash, Phase};
use crate::pda;
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
/// every node's submit can run in parallel.
#[derive(Accounts)]
#[instruction(round: u64, payload: SubmissionPayload, submission_bump: u8)]
pub struct Submit<'info> {
    #[account(mut)]
    pub node: Signer<'info>,
    pub task: Box<Account<'info, Task>>,
    #[account(
        has_one = task @ TasknetError::WrongTask,
        has_one = node @ TasknetError::WrongStake,
    )]
    pub stake: Box<Account<'info, Stake>>,
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        constraint = round_account.round == round @ TasknetError::WrongRound,
    )]
    pub round_account: Box<Account<'info, Round>>,
    /// CHECK: created here at its canonical PDA, with the bump the client
    /// derived (checked without a search: see `crate::pda`).
    #[account(mut)]
    pub submission: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl Submit<'_> {
    pub(crate) fn validate(&self, round: u64, payload: &SubmissionPayload) -> Result<()> {
        let task = &self.task;
        require!(task.is_active(), TasknetError::TaskNotActive);
        let slot = Clock::get()?.slot;
        require!(
            task.schedule.phase(round, slot) == Phase::Submit,
            TasknetError::OutsideSubmitWindow
        );
        require!(
            !self.submission.owner.eq(&crate::ID),
            TasknetError::AlreadySubmitted
        );
        // The round's terms, fixed when it opened.
        self.stake
            .eligible_weight(self.round_account.economics.min_stake, round)?;
        match payload {
            SubmissionPayload::Commitment(_) => {
                require!(task.schedule.commit_reveal(), TasknetError::ValueRequired);
            }
            SubmissionPayload::Value(value) => {
                require!(
                    !task.schedule.commit_reveal(),
                    TasknetError::CommitmentRequired
                );
                require!(
                    !value.is_empty() && value.len() <= MAX_VALUE_LEN,
                    TasknetError::InvalidValueLength
                );
            }
        }
        Ok(())
    }

    pub(crate) fn handler(
        ctx: Context<Self>,
        round: u64,
        payload: SubmissionPayload,
        submission_bump: u8,
    ) -> Result<()> {
        let slot = Clock::get()?.slot;
        let node = ctx.accounts.node.key();
        let task = ctx.accounts.task.key();
        let (commitment, value, status) = match payload {
            SubmissionPayload::Commitment(c) => (c, Vec::new(), SubmissionStatus::Committed),
            SubmissionPayload::Value(v) => (plain_value_hash(&v), v, SubmissionStatus::Revealed),
        };
        let revealed = status == SubmissionStatus::Revealed;
        // Numbered in landing order, before the count moves: 0..submissions.
        let index = ctx.accounts.round_account.submissions;
        ctx.accounts.round_account.record_submission(revealed)?;
        let account = ctx.accounts.submission.to_account_info();
        let round_bytes = round.to_le_bytes();
        let seeds = [SUBMISSION_SEED, task.as_ref(), &round_bytes, node.as_ref()];
        pda::check_canonical(&seeds, submission_bump, account.key)?;
        pda::create_at(
            &ctx.accounts.node.to_account_info(),
            &account,
            &ctx.accounts.system_program.to_account_info(),
            &seeds,
            submission_bump,
            8 + Submission::INIT_SPACE,
        )?;
        pda::write(
            &account,
            &Submission {
                task,
                round,
                node,
                index,
                commitment,
                value,
                slot,
                status,
                audited: false,
                bump: submission_bump,
            },
        )?;
        emit(Submitted {
            task,
            round,
            node,
            revealed,
        });
        Ok(())
    }
}
