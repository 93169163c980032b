use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, TaskCreated};
use crate::logic::Schedule;
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct CreateTaskArgs {
    pub task_id: u64,
    pub name: String,
    pub metadata_uri: String,
    pub code_hash: [u8; 32],
    pub schedule: Schedule,
    pub economics: Economics,
    /// Commit–reveal on or off; must agree with `schedule.reveal_slots`.
    pub commit_reveal: bool,
}

#[derive(Accounts)]
#[instruction(args: CreateTaskArgs)]
pub struct CreateTask<'info> {
    #[account(mut)]
    pub creator: Signer<'info>,
    /// `init_if_needed`, so that creating an existing task is refused with
    /// a named error (`init` would end in the system program's).
    #[account(
        init_if_needed,
        payer = creator,
        space = 8 + Task::INIT_SPACE,
        seeds = [TASK_SEED, creator.key().as_ref(), &args.task_id.to_le_bytes()],
        bump,
    )]
    pub task: Box<Account<'info, Task>>,
    #[account(
        init_if_needed,
        payer = creator,
        space = 8 + Vault::INIT_SPACE,
        seeds = [VAULT_SEED, task.key().as_ref()],
        bump,
    )]
    pub vault: Account<'info, Vault>,
    pub system_program: Program<'info, System>,
}

impl CreateTask<'_> {
    pub(crate) fn validate(&self, args: &CreateTaskArgs) -> Result<()> {
        // A zeroed creator marks a task `init_if_needed` just created.
        require_keys_eq!(
            self.task.creator,
            Pubkey::default(),
            TasknetError::TaskAlreadyExists
        );
        require!(
            !args.name.is_empty() && args.name.len() <= MAX_NAME_LEN,
            TasknetError::InvalidName
        );
        require!(
            args.metadata_uri.len() <= MAX_METADATA_URI_LEN,
            TasknetError::MetadataUriTooLong
        );
        args.schedule
            .validate(args.commit_reveal)
            .map_err(TasknetError::from)?;
        args.economics.validate()
    }

    pub(crate) fn handler(ctx: Context<Self>, args: CreateTaskArgs) -> Result<()> {
        let commit_reveal = args.commit_reveal;
        let creator = ctx.accounts.creator.key();
        let task = &mut ctx.accounts.task;
        task.set_inner(Task::new(creator, args, ctx.bumps.task, ctx.bumps.vault));
        ctx.accounts.vault.set_inner(Vault {
            task: task.key(),
            bump: ctx.bumps.vault,
        });
        emit(TaskCreated {
            task: task.key(),
            creator: task.creator,
            task_id: task.task_id,
            start_slot: task.schedule.start_slot,
            commit_reveal,
        });
        Ok(())
    }
}
