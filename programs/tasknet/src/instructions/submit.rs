use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Submitted};
use crate::logic::{plain_value_hash, round_pool, Phase};
use crate::state::*;

/// What a node posts in the submit window.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum SubmissionPayload {
    /// `sha256(value ‖ salt ‖ node)`, for commit–reveal tasks.
    Commitment([u8; 32]),
    /// The value itself, for plain tasks.
    Value(Vec<u8>),
}

#[derive(Accounts)]
#[instruction(round: u64)]
pub struct Submit<'info> {
    #[account(mut)]
    pub node: Signer<'info>,
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        has_one = node @ TasknetError::WrongStake,
    )]
    pub stake: Box<Account<'info, Stake>>,
    /// Opened by the round's first submission, which pays its rent.
    #[account(
        init_if_needed,
        payer = node,
        space = 8 + Round::INIT_SPACE,
        seeds = [ROUND_SEED, task.key().as_ref(), &round.to_le_bytes()],
        bump,
    )]
    pub round_account: Box<Account<'info, Round>>,
    #[account(
        init_if_needed,
        payer = node,
        space = 8 + Submission::INIT_SPACE,
        seeds = [SUBMISSION_SEED, task.key().as_ref(), &round.to_le_bytes(), node.key().as_ref()],
        bump,
    )]
    pub submission: Box<Account<'info, Submission>>,
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
        // A zeroed `node` marks a submission `init_if_needed` just created.
        require!(
            self.submission.node == Pubkey::default(),
            TasknetError::AlreadySubmitted
        );
        self.stake
            .eligible_weight(task.economics.min_stake, round)?;
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
    ) -> Result<()> {
        let slot = Clock::get()?.slot;
        let node = ctx.accounts.node.key();
        let task = &mut ctx.accounts.task;
        let round_account = &mut ctx.accounts.round_account;

        // The first submission opens the round and fixes its pool.
        let mut opened_with_pool = None;
        if round_account.task == Pubkey::default() {
            let pool = round_pool(
                task.economics.reward_per_round,
                task.ledger.bounty_available,
            );
            task.ledger.open_pool(pool)?;
            round_account.set_inner(Round::open(
                task.key(),
                round,
                pool,
                task.bonded.weight_at(round),
                node,
                ctx.bumps.round_account,
            ));
            opened_with_pool = Some(pool);
        }

        let (commitment, value, status) = match payload {
            SubmissionPayload::Commitment(c) => (c, Vec::new(), SubmissionStatus::Committed),
            SubmissionPayload::Value(v) => (plain_value_hash(&v), v, SubmissionStatus::Revealed),
        };
        let revealed = status == SubmissionStatus::Revealed;
        round_account.record_submission(revealed)?;
        ctx.accounts.submission.set_inner(Submission {
            task: task.key(),
            round,
            node,
            commitment,
            value,
            slot,
            status,
            audited: false,
            bump: ctx.bumps.submission,
        });
        let stake = &mut ctx.accounts.stake;
        stake.submissions.increment()?;
        emit(Submitted {
            task: task.key(),
            round,
            node,
            revealed,
            round_opened_with_pool: opened_with_pool,
        });
        Ok(())
    }
}
