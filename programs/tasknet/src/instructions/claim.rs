use anchor_lang::prelude::*;

use crate::constants::VAULT_SEED;
use crate::errors::TasknetError;
use crate::events::{emit, RewardClaimed};
use crate::logic::reward_share;
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
    pub fn validate(&self) -> Result<()> {
        match self.submission.status {
            SubmissionStatus::Revealed | SubmissionStatus::Valid => {}
            SubmissionStatus::Claimed => return err!(TasknetError::AlreadyClaimed),
            _ => return err!(TasknetError::NotClaimable),
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

    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let round_account = &mut ctx.accounts.round_account;
        let share = reward_share(round_account.reward_pool, round_account.valid_count())
            .ok_or(TasknetError::NotClaimable)?
            .share;
        let task = &mut ctx.accounts.task;
        task.ledger.pools_outstanding = checked_sub(task.ledger.pools_outstanding, share)?;
        task.total_paid = checked_add(task.total_paid, share)?;
        round_account.claimed_count = round_account
            .claimed_count
            .checked_add(1)
            .ok_or(TasknetError::ArithmeticOverflow)?;
        round_account.claimed_sum = checked_add(round_account.claimed_sum, share)?;
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
