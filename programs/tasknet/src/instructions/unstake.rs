use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::events::{emit, UnstakeStarted};
use crate::logic::Bonded;
use crate::state::*;

/// Starts unbonding the node's whole stake. It stays slashable for two
/// whole rounds, so audits of its last submissions can still reach it.
#[derive(Accounts)]
pub struct Unstake<'info> {
    pub node: Signer<'info>,
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        has_one = node @ TasknetError::WrongStake,
    )]
    pub stake: Box<Account<'info, Stake>>,
}

impl Unstake<'_> {
    pub fn validate(&self) -> Result<()> {
        require!(self.stake.unbonding == 0, TasknetError::StakeUnbonding);
        require!(
            self.stake.bonded.total() > 0,
            TasknetError::NothingToUnstake
        );
        Ok(())
    }

    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let task = &mut ctx.accounts.task;
        let stake = &mut ctx.accounts.stake;
        let bonded = stake.bonded;
        task.bonded
            .remove_node_stake(bonded.active, bonded.pending, bonded.pending_round)
            .map_err(TasknetError::from)?;
        stake.unbonding = bonded.total();
        stake.bonded = Bonded::default();
        // A closed task has no rounds left to audit: nothing to wait for.
        stake.unbonding_frees_at = if task.state == TaskState::Closed {
            slot
        } else {
            task.schedule.unbonding_frees_at(slot)
        };
        emit(UnstakeStarted {
            task: task.key(),
            node: stake.node,
            amount: stake.unbonding,
            frees_at_slot: stake.unbonding_frees_at,
        });
        Ok(())
    }
}
