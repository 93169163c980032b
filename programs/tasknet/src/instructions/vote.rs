use std::cell::RefMut;

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Voted};
use crate::logic::Phase;
use crate::pda;
use crate::state::in_place;
use crate::state::*;

/// An eligible node's stake-weighted vote in an audit. Writes the audit and
/// the voter's new vote account only. The task, stake and audit are read
/// in place (`state::in_place`), with `Account<T>`'s checks.
#[derive(Accounts)]
#[instruction(invalid: bool, vote_bump: u8)]
pub struct CastVote<'info> {
    #[account(mut)]
    pub voter: Signer<'info>,
    /// CHECK: a `Task` (`Task::terms_in_place`).
    pub task: UncheckedAccount<'info>,
    /// CHECK: the voter's `Stake` on the task (`StakeHead::check_is`).
    pub voter_stake: UncheckedAccount<'info>,
    /// CHECK: an `Audit` of the task (`in_place::load_mut`).
    #[account(mut)]
    pub audit: UncheckedAccount<'info>,
    /// CHECK: created here at its canonical PDA, with the bump the client
    /// derived (checked without a search: see `crate::pda`).
    #[account(mut)]
    pub vote: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl CastVote<'_> {
    /// Checks the vote and hands the handler the audit it checked, loaded
    /// once, and the voter's weight in the audited round (by the round's
    /// terms: its minimum stake, copied into the audit).
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub(crate) fn validate(&self) -> Result<(RefMut<'_, AuditData>, u64)> {
        let (state, schedule) = Task::terms_in_place(&self.task)?;
        let stake = in_place::load::<StakeHead>(&self.voter_stake)?;
        stake.check_is(self.task.key, self.voter.key)?;
        let audit = in_place::load_mut::<AuditData>(&self.audit)?;
        require_keys_eq!(audit.task, self.task.key(), TasknetError::WrongTask);
        require!(state != TaskState::Closed, TasknetError::TaskClosed);
        require!(audit.is_pending(), TasknetError::AuditAlreadyResolved);
        require!(
            schedule.phase(audit.round, Clock::get()?.slot) == Phase::Audit,
            TasknetError::OutsideAuditWindow
        );
        require_keys_neq!(audit.node, self.voter.key(), TasknetError::SelfVote);
        require!(!self.vote.owner.eq(&crate::ID), TasknetError::AlreadyVoted);
        let weight = stake.eligible_weight(audit.min_stake, audit.round)?;
        Ok((audit, weight))
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub(crate) fn handler(ctx: Context<Self>, invalid: bool, vote_bump: u8) -> Result<()> {
        let accounts = ctx.accounts;
        let (mut audit, weight) = accounts.validate()?;
        let voter = accounts.voter.key();
        let audit_key = accounts.audit.key();
        let account = accounts.vote.to_account_info();
        let seeds = [VOTE_SEED, audit_key.as_ref(), voter.as_ref()];
        pda::check_canonical(&seeds, vote_bump, account.key)?;
        pda::create_at(
            &accounts.voter.to_account_info(),
            &account,
            &seeds,
            vote_bump,
            8 + Vote::INIT_SPACE,
        )?;
        in_place::write_new(
            &account,
            &VoteData {
                audit: audit_key,
                voter,
                weight,
                invalid: u8::from(invalid),
                bump: vote_bump,
            },
        )?;
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
