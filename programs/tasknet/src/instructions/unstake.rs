use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::events::{emit, UnstakeStarted};
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
    pub(crate) fn validate(&self) -> Result<()> {
        require!(self.stake.unbonding == 0, TasknetError::StakeUnbonding);
        require!(
            self.stake.bonded.total() > 0,
            TasknetError::NothingToUnstake
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let task = &mut ctx.accounts.task;
        let stake = &mut ctx.accounts.stake;
        // A closed task has no rounds left to audit: nothing to wait for.
        let frees_at = if task.state == TaskState::Closed {
            slot
        } else {
            task.schedule.unbonding_frees_at(slot)
        };
        let bonded = stake.begin_unbonding(frees_at);
        task.bonded
            .remove_node_stake(bonded.active, bonded.pending, bonded.pending_round)
            .map_err(TasknetError::from)?;
        emit(UnstakeStarted {
            task: task.key(),
            node: stake.node,
            amount: stake.unbonding,
            frees_at_slot: stake.unbonding_frees_at,
        });
        Ok(())
    }
}
