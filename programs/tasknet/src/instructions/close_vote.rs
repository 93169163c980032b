use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::events::{emit, VoteClosed};
use crate::state::*;

/// Once an audit is resolved anyone may close its votes, returning each
/// vote's rent to its voter.
#[derive(Accounts)]
pub struct CloseVote<'info> {
    #[account(mut)]
    pub audit: Box<Account<'info, Audit>>,
    #[account(
        mut,
        close = voter,
        has_one = audit @ TasknetError::WrongAudit,
        has_one = voter @ TasknetError::WrongPayoutAccount,
    )]
    pub vote: Box<Account<'info, Vote>>,
    /// CHECK: receives the vote's rent; must be the recorded voter.
    #[account(mut)]
    pub voter: UncheckedAccount<'info>,
}

impl CloseVote<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        require!(
            self.audit.verdict != AuditVerdict::Pending,
            TasknetError::AuditNotResolved
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let audit = &mut ctx.accounts.audit;
        audit.votes_open.decrement()?;
        emit(VoteClosed {
            audit: audit.key(),
            voter: ctx.accounts.vote.voter,
        });
        Ok(())
    }
}
