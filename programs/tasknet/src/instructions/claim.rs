use anchor_lang::prelude::*;

use crate::constants::VAULT_SEED;
use crate::errors::TasknetError;
use crate::events::{emit, RewardClaimed};
use crate::state::*;
use crate::utils::pay_out;

/// A valid submitter pulls its share of the round's pool: O(1), no list.
#[derive(Accounts)]
pub struct Claim<'info> {
    #[account(mut)]
    pub node: Signer<'info>,
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        constraint = round_account.round == submission.round @ TasknetError::WrongRound,
    )]
    pub round_account: Box<Account<'info, Round>>,
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        has_one = node @ TasknetError::NotSubmissionOwner,
    )]
    pub submission: Box<Account<'info, Submission>>,
}

impl Claim<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        if !self.submission.claimable() {
            return match self.submission.status {
                SubmissionStatus::Claimed => err!(TasknetError::AlreadyClaimed),
                _ => err!(TasknetError::NotClaimable),
            };
        }
        require!(
            Clock::get()?.slot >= self.task.schedule.audit_end(self.submission.round),
            TasknetError::AuditWindowOpen
        );
        require!(
            self.round_account.open_audits == 0,
            TasknetError::AuditsPending
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let round_account = &mut ctx.accounts.round_account;
        let share = round_account.share()?;
        let task = &mut ctx.accounts.task;
        task.ledger.pay_from_pool(share)?;
        task.record_paid(share)?;
        round_account.record_claim(share)?;
        ctx.accounts.submission.status = SubmissionStatus::Claimed;
        pay_out(
            &ctx.accounts.vault.to_account_info(),
            &ctx.accounts.node.to_account_info(),
            share,
        )?;
        emit(RewardClaimed {
            task: task.key(),
            round: round_account.round,
            node: ctx.accounts.node.key(),
            amount: share,
        });
        Ok(())
    }
}
