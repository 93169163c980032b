use anchor_lang::prelude::*;

use crate::constants::VAULT_SEED;
use crate::errors::TasknetError;
use crate::events::{emit, BountyWithdrawn};
use crate::state::*;
use crate::utils::pay_out;

#[derive(Accounts)]
pub struct WithdrawBounty<'info> {
    #[account(mut)]
    pub creator: Signer<'info>,
    #[account(mut, has_one = creator @ TasknetError::NotTaskCreator)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
}

impl WithdrawBounty<'_> {
    pub(crate) fn validate(&self, amount: u64) -> Result<()> {
        require!(amount > 0, TasknetError::ZeroAmount);
        require!(!self.task.is_active(), TasknetError::BountyLocked);
        require!(
            amount <= self.task.ledger.bounty_available,
            TasknetError::InsufficientBounty
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>, amount: u64) -> Result<()> {
        let task = &mut ctx.accounts.task;
        task.ledger.withdraw_bounty(amount)?;
        pay_out(
            &ctx.accounts.vault.to_account_info(),
            &ctx.accounts.creator.to_account_info(),
            amount,
        )?;
        emit(BountyWithdrawn {
            task: task.key(),
            amount,
            bounty_available: task.ledger.bounty_available,
        });
        Ok(())
    }
}
