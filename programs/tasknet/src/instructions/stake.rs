use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Staked};
use crate::pda;
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
    /// CHECK: the node's stake: created here on its first stake
    /// (`pda::create_at`, which a donation to the address cannot block),
    /// read and written back on a top-up.
    #[account(
        mut,
        seeds = [STAKE_SEED, task.key().as_ref(), node.key().as_ref()],
        bump,
    )]
    pub stake: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl StakeOnTask<'_> {
    pub(crate) fn validate(&self, amount: u64, endpoint: &Option<String>) -> Result<()> {
        require!(amount > 0, TasknetError::ZeroAmount);
        require!(self.task.is_active(), TasknetError::TaskNotActive);
        if let Some(endpoint) = endpoint {
            require!(
                endpoint.len() <= MAX_ENDPOINT_LEN,
                TasknetError::EndpointTooLong
            );
        }
        Ok(())
    }

    /// The node's stake account, created on its first stake.
    fn open_or_load(&mut self, bump: u8, slot: u64) -> Result<Stake> {
        if pda::exists(&self.stake) {
            let stake: Stake = pda::read(&self.stake)?;
            require!(stake.unbonding == 0, TasknetError::StakeUnbonding);
            return Ok(stake);
        }
        let (task, node) = (self.task.key(), self.node.key());
        // Lamports sent to the address beforehand stay with the account
        // and return to the node with its rent.
        pda::create_at(
            &self.node.to_account_info(),
            &self.stake,
            &[STAKE_SEED, task.as_ref(), node.as_ref()],
            bump,
            8 + Stake::INIT_SPACE,
        )?;
        self.task.node_count.increment()?;
        Ok(Stake::open(task, node, slot, bump))
    }

    pub(crate) fn handler(ctx: Context<Self>, amount: u64, endpoint: Option<String>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let accounts = ctx.accounts;
        let mut stake = accounts.open_or_load(ctx.bumps.stake, slot)?;
        let task = &mut accounts.task;
        let current_round = task.current_round(slot);
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
        deposit(&accounts.node, &accounts.vault.to_account_info(), amount)?;
        pda::write(&accounts.stake, &stake)?;
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
