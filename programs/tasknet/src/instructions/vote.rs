use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Voted};
use crate::logic::Phase;
use crate::state::*;

#[derive(Accounts)]
pub struct CastVote<'info> {
    #[account(mut)]
    pub voter: Signer<'info>,
    pub task: Box<Account<'info, Task>>,
    #[account(
        has_one = task @ TasknetError::WrongTask,
        constraint = voter_stake.node == voter.key() @ TasknetError::WrongStake,
    )]
    pub voter_stake: Box<Account<'info, Stake>>,
    #[account(mut, has_one = task @ TasknetError::WrongTask)]
    pub audit: Box<Account<'info, Audit>>,
    #[account(
        init_if_needed,
        payer = voter,
        space = 8 + Vote::INIT_SPACE,
        seeds = [VOTE_SEED, audit.key().as_ref(), voter.key().as_ref()],
        bump,
    )]
    pub vote: Box<Account<'info, Vote>>,
    pub system_program: Program<'info, System>,
}

impl CastVote<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        let task = &self.task;
        let audit = &self.audit;
        require!(task.state != TaskState::Closed, TasknetError::TaskClosed);
        require!(
            audit.verdict == AuditVerdict::Pending,
            TasknetError::AuditAlreadyResolved
        );
        require!(
            task.schedule.phase(audit.round, Clock::get()?.slot) == Phase::Audit,
            TasknetError::OutsideAuditWindow
        );
        require_keys_neq!(audit.node, self.voter.key(), TasknetError::SelfVote);
        // A zeroed `voter` marks a vote `init_if_needed` just created.
        require!(
            self.vote.voter == Pubkey::default(),
            TasknetError::AlreadyVoted
        );
        self.weight().map(|_| ())
    }

    /// The voter's weight in the audited round, if eligible.
    fn weight(&self) -> Result<u64> {
        self.voter_stake
            .eligible_weight(self.task.economics.min_stake, self.audit.round)
    }

    pub(crate) fn handler(ctx: Context<Self>, invalid: bool) -> Result<()> {
        let weight = ctx.accounts.weight()?;
        let voter = ctx.accounts.voter.key();
        let audit_key = ctx.accounts.audit.key();
        let audit = &mut ctx.accounts.audit;
        audit.tally(weight, invalid)?;
        ctx.accounts.vote.set_inner(Vote {
            audit: audit_key,
            voter,
            weight,
            invalid,
            bump: ctx.bumps.vote,
        });
        emit(Voted {
            task: audit.task,
            audit: audit_key,
            voter,
            invalid,
            weight,
        });
        Ok(())
    }
}
