use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::events::{emit, TaskPaused};
use crate::state::*;

/// Stops new stakes and submissions. Rounds already open still reveal,
/// audit and settle, so honest nodes get paid and cheats still get slashed.
#[derive(Accounts)]
pub struct PauseTask<'info> {
    pub creator: Signer<'info>,
    #[account(mut, has_one = creator @ TasknetError::NotTaskCreator)]
    pub task: Box<Account<'info, Task>>,
}

impl PauseTask<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        require!(self.task.is_active(), TasknetError::TaskNotActive);
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        ctx.accounts.task.state = TaskState::Paused;
        emit(TaskPaused {
            task: ctx.accounts.task.key(),
        });
        Ok(())
    }
}
