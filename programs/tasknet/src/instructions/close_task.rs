use anchor_lang::prelude::*;

use crate::constants::VAULT_SEED;
use crate::errors::TasknetError;
use crate::events::{emit, TaskClosed};
use crate::state::*;
use crate::utils::pay_out;

/// Ends a paused task: returns the bounty to the creator. Once no stake is
/// left, it also closes the task and vault accounts and returns their rent;
/// until then nodes may unstake and withdraw without waiting (nothing is
/// left to audit), and the creator calls this again.
#[derive(Accounts)]
pub struct CloseTask<'info> {
    #[account(mut)]
    pub creator: Signer<'info>,
    #[account(mut, has_one = creator @ TasknetError::NotTaskCreator)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
}

impl CloseTask<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        require!(!self.task.is_active(), TasknetError::TaskNotPaused);
        require!(self.task.rounds_open == 0, TasknetError::RoundsStillOpen);
        require!(
            !self.task.ledger.has_obligations(),
            TasknetError::TaskHasObligations
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let creator = ctx.accounts.creator.to_account_info();
        let vault = ctx.accounts.vault.to_account_info();
        let task = &mut ctx.accounts.task;
        let bounty = task.ledger.bounty_available;
        task.ledger.withdraw_bounty(bounty)?;
        task.state = TaskState::Closed;
        pay_out(&vault, &creator, bounty)?;

        let accounts_closed = task.ledger.staked_total == 0 && task.node_count == 0;
        emit(TaskClosed {
            task: task.key(),
            bounty_returned: bounty,
            accounts_closed,
        });
        if accounts_closed {
            ctx.accounts.vault.close(creator.clone())?;
            ctx.accounts.task.close(creator)?;
        }
        Ok(())
    }
}
