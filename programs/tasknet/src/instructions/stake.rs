use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Staked};
use crate::state::*;
use crate::utils::deposit;

/// Bonds lamports to a task (first stake or top-up). Stake counts from the
/// round after this one.
#[derive(Accounts)]
pub struct StakeOnTask<'info> {
    #[account(mut)]
    pub node: Signer<'info>,
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    #[account(
        init_if_needed,
        payer = node,
        space = 8 + Stake::INIT_SPACE,
        seeds = [STAKE_SEED, task.key().as_ref(), node.key().as_ref()],
        bump,
    )]
    pub stake: Box<Account<'info, Stake>>,
    pub system_program: Program<'info, System>,
}

impl StakeOnTask<'_> {
    pub(crate) fn validate(&self, amount: u64, endpoint: &Option<String>) -> Result<()> {
        require!(amount > 0, TasknetError::ZeroAmount);
        require!(self.task.is_active(), TasknetError::TaskNotActive);
        require!(self.stake.unbonding == 0, TasknetError::StakeUnbonding);
        if let Some(endpoint) = endpoint {
            require!(
                endpoint.len() <= MAX_ENDPOINT_LEN,
                TasknetError::EndpointTooLong
            );
        }
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>, amount: u64, endpoint: Option<String>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let task = &mut ctx.accounts.task;
        let stake = &mut ctx.accounts.stake;
        let current_round = task.current_round(slot);

        // A zeroed `node` marks an account `init_if_needed` just created.
        if stake.node == Pubkey::default() {
            let node = ctx.accounts.node.key();
            stake.set_inner(Stake::open(task.key(), node, slot, ctx.bumps.stake));
            task.node_count.increment()?;
        }
        if let Some(endpoint) = endpoint {
            stake.endpoint = endpoint;
        }
        stake
            .bonded
            .add_node_stake(amount, current_round)
            .map_err(TasknetError::from)?;
        task.bonded
            .add_task_stake(amount, current_round)
            .map_err(TasknetError::from)?;
        task.ledger.add_stake(amount)?;
        deposit(
            &ctx.accounts.node,
            &ctx.accounts.vault.to_account_info(),
            &ctx.accounts.system_program,
            amount,
        )?;
        emit(Staked {
            task: task.key(),
            node: stake.node,
            amount,
            activates_in_round: stake.bonded.pending_round,
            node_total: stake.total(),
        });
        Ok(())
    }
}
