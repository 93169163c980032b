use anchor_lang::prelude::*;

use crate::constants::VAULT_SEED;
use crate::errors::TasknetError;
use crate::events::{emit, StakeWithdrawn};
use crate::state::*;
use crate::utils::pay_out;

/// Pays out unbonded stake and closes the stake account.
#[derive(Accounts)]
pub struct WithdrawStake<'info> {
    #[account(mut)]
    pub node: Signer<'info>,
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    #[account(
        mut,
        close = node,
        has_one = task @ TasknetError::WrongTask,
        has_one = node @ TasknetError::WrongStake,
    )]
    pub stake: Box<Account<'info, Stake>>,
}

impl WithdrawStake<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        let stake = &self.stake;
        require!(stake.unbonding > 0, TasknetError::NotUnbonding);
        require!(
            Clock::get()?.slot >= stake.unbonding_frees_at,
            TasknetError::UnbondingNotFinished
        );
        require!(stake.open_audits == 0, TasknetError::OpenAuditsAgainstNode);
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let amount = ctx.accounts.stake.unbonding;
        let task = &mut ctx.accounts.task;
        task.ledger.remove_stake(amount)?;
        task.node_count.decrement()?;
        pay_out(
            &ctx.accounts.vault.to_account_info(),
            &ctx.accounts.node.to_account_info(),
            amount,
        )?;
        emit(StakeWithdrawn {
            task: task.key(),
            node: ctx.accounts.node.key(),
            amount,
        });
        Ok(())
    }
}
