use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::events::{emit, StakeClosed};
use crate::state::*;

/// Closes a stake that holds nothing (a node slashed to zero, which can
/// neither unstake nor withdraw), returning its rent to the node. The node
/// may close its own; once the task is closed anyone may, so that a node
/// that walked away cannot keep the task and its vault open forever.
#[derive(Accounts)]
pub struct CloseStake<'info> {
    pub closer: Signer<'info>,
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(
        mut,
        close = node,
        has_one = task @ TasknetError::WrongTask,
        has_one = node @ TasknetError::WrongPayoutAccount,
    )]
    pub stake: Box<Account<'info, Stake>>,
    /// CHECK: receives the stake's rent; must be the staking node.
    #[account(mut)]
    pub node: UncheckedAccount<'info>,
}

impl CloseStake<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        require!(
            self.closer.key() == self.stake.node || self.task.state == TaskState::Closed,
            TasknetError::NotStakeOwner
        );
        require!(self.stake.total() == 0, TasknetError::StakeNotEmpty);
        require!(
            self.stake.open_audits == 0,
            TasknetError::OpenAuditsAgainstNode
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let task = &mut ctx.accounts.task;
        task.node_count.decrement()?;
        emit(StakeClosed {
            task: task.key(),
            node: ctx.accounts.stake.node,
            closed_by: ctx.accounts.closer.key(),
        });
        Ok(())
    }
}
