use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, TaskCreated};
use crate::logic::Schedule;
use crate::pda;
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct CreateTaskArgs {
    pub task_id: u64,
    pub name: String,
    pub metadata_uri: String,
    pub code_hash: [u8; 32],
    /// Where nodes fetch the code (see `Task::code_uri`); may be empty.
    pub code_uri: String,
    /// What a call of the code may use (see `CodeLimits`).
    pub code_limits: CodeLimits,
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
    /// CHECK: created here (`pda::create_at`, which a donation to the
    /// address cannot block); refused if it exists.
    #[account(
        mut,
        seeds = [TASK_SEED, creator.key().as_ref(), &args.task_id.to_le_bytes()],
        bump,
    )]
    pub task: UncheckedAccount<'info>,
    /// CHECK: created here like the task; lamports donated to it before
    /// join the bounty.
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl CreateTask<'_> {
    pub(crate) fn validate(&self, args: &CreateTaskArgs) -> Result<()> {
        // A closed task's vault closes with it: either one owned by the
        // program means the task exists.
        require!(
            !pda::exists(&self.task) && !pda::exists(&self.vault),
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
        require!(
            args.code_uri.len() <= MAX_CODE_URI_LEN,
            TasknetError::CodeUriTooLong
        );
        args.schedule
            .validate(args.commit_reveal)
            .map_err(TasknetError::from)?;
        args.economics.validate()
    }

    pub(crate) fn handler(ctx: Context<Self>, args: CreateTaskArgs) -> Result<()> {
        let accounts = ctx.accounts;
        let (creator, task_key) = (accounts.creator.key(), accounts.task.key());
        let (payer, system) = (
            accounts.creator.to_account_info(),
            accounts.system_program.to_account_info(),
        );
        let task_id = args.task_id.to_le_bytes();
        // Lamports sent to the task's address stay with it and return to
        // the creator with its rent when it closes.
        pda::create_at(
            &payer,
            &accounts.task,
            &system,
            &[TASK_SEED, creator.as_ref(), &task_id],
            ctx.bumps.task,
            8 + Task::INIT_SPACE,
        )?;
        let donated = pda::create_at(
            &payer,
            &accounts.vault,
            &system,
            &[VAULT_SEED, task_key.as_ref()],
            ctx.bumps.vault,
            8 + Vault::INIT_SPACE,
        )?;
        let commit_reveal = args.commit_reveal;
        let mut task = Task::new(creator, args, ctx.bumps.task, ctx.bumps.vault);
        // The vault's lamports above rent are always the ledger's.
        task.ledger.fund_bounty(donated)?;
        pda::write(&accounts.task, &task)?;
        pda::write(
            &accounts.vault,
            &Vault {
                task: task_key,
                bump: ctx.bumps.vault,
            },
        )?;
        emit(TaskCreated {
            task: task_key,
            creator,
            task_id: task.task_id,
            start_slot: task.schedule.start_slot,
            commit_reveal,
        });
        Ok(())
    }
}
