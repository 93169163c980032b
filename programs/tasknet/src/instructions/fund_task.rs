use anchor_lang::prelude::*;

use crate::constants::VAULT_SEED;
use crate::errors::TasknetError;
use crate::events::{emit, TaskFunded};
use crate::state::*;
use crate::utils::deposit;

#[derive(Accounts)]
pub struct FundTask<'info> {
    #[account(mut)]
    pub funder: Signer<'info>,
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    pub system_program: Program<'info, System>,
}

impl FundTask<'_> {
    pub(crate) fn validate(&self, amount: u64) -> Result<()> {
        require!(amount > 0, TasknetError::ZeroAmount);
        require!(
            self.task.state != TaskState::Closed,
            TasknetError::TaskClosed
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>, amount: u64) -> Result<()> {
        let task = &mut ctx.accounts.task;
        task.ledger.fund_bounty(amount)?;
        deposit(
            &ctx.accounts.funder,
            &ctx.accounts.vault.to_account_info(),
            &ctx.accounts.system_program,
            amount,
        )?;
        emit(TaskFunded {
            task: task.key(),
            funder: ctx.accounts.funder.key(),
            amount,
            bounty_available: task.ledger.bounty_available,
        });
        Ok(())
    }
}
