use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::events::{emit, TaskResumed};
use crate::state::*;

#[derive(Accounts)]
pub struct ResumeTask<'info> {
    pub creator: Signer<'info>,
    #[account(mut, has_one = creator @ TasknetError::NotTaskCreator)]
    pub task: Box<Account<'info, Task>>,
}

impl ResumeTask<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        require!(
            self.task.state == TaskState::Paused,
            TasknetError::TaskNotPaused
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        ctx.accounts.task.state = TaskState::Active;
        emit(TaskResumed {
            task: ctx.accounts.task.key(),
        });
        Ok(())
    }
}
