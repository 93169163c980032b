use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Voted};
use crate::logic::Phase;
use crate::pda;
use crate::state::*;

/// An eligible node's stake-weighted vote in an audit. Writes the audit and
/// the voter's new vote account only.
#[derive(Accounts)]
#[instruction(invalid: bool, vote_bump: u8)]
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
    /// CHECK: created here at its canonical PDA, with the bump the client
    /// derived (checked without a search: see `crate::pda`).
    #[account(mut)]
    pub vote: UncheckedAccount<'info>,
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
        require!(!self.vote.owner.eq(&crate::ID), TasknetError::AlreadyVoted);
        self.weight().map(|_| ())
    }

    /// The voter's weight in the audited round, if eligible by the round's
    /// terms (its minimum stake, copied into the audit).
    fn weight(&self) -> Result<u64> {
        self.voter_stake
            .eligible_weight(self.audit.min_stake, self.audit.round)
    }

    pub(crate) fn handler(ctx: Context<Self>, invalid: bool, vote_bump: u8) -> Result<()> {
        let weight = ctx.accounts.weight()?;
        let voter = ctx.accounts.voter.key();
        let audit_key = ctx.accounts.audit.key();
        let account = ctx.accounts.vote.to_account_info();
        let seeds = [VOTE_SEED, audit_key.as_ref(), voter.as_ref()];
        pda::check_canonical(&seeds, vote_bump, account.key)?;
        pda::create_at(
            &ctx.accounts.voter.to_account_info(),
            &account,
            &ctx.accounts.system_program.to_account_info(),
            &seeds,
            vote_bump,
            8 + Vote::INIT_SPACE,
        )?;
        pda::write(
            &account,
            &Vote {
                audit: audit_key,
                voter,
                weight,
                invalid,
                bump: vote_bump,
            },
        )?;
        let audit = &mut ctx.accounts.audit;
        audit.tally(weight, invalid)?;
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
