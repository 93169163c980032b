use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, TaskCreated};
use crate::logic::Schedule;
use crate::pda;
use crate::state::*;
use crate::tokens;

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
    /// For a token task: the creator accepts a mint whose freeze authority
    /// could freeze the task's tokens (and with them every payout).
    pub accept_freeze_authority: bool,
    /// A program that decides the task's challenges exactly (the
    /// `verifier` interface); `None`: challenges go to a stake vote.
    pub verifier: Option<Pubkey>,
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
    // A token task names its mint and token program and gets its bounty
    // account; a SOL task leaves these out (or passes the program id).
    /// CHECK: read by `tokens::check_mint` (owner, layout, extensions).
    pub mint: Option<UncheckedAccount<'info>>,
    /// CHECK: SPL Token or Token-2022, the mint's owner (validate).
    pub token_program: Option<UncheckedAccount<'info>>,
    /// CHECK: the PDA `[BOUNTY_SEED, task]` (validate), created here.
    #[account(mut)]
    pub bounty_tokens: Option<UncheckedAccount<'info>>,
}

/// A token task's accounts, all given or none.
struct TokenSetup<'a, 'info> {
    mint: &'a AccountInfo<'info>,
    token_program: &'a AccountInfo<'info>,
    bounty_tokens: &'a AccountInfo<'info>,
}

impl<'info> CreateTask<'info> {
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
        args.economics.validate()?;
        require!(
            args.verifier != Some(crate::ID),
            TasknetError::VerifierIsTasknet
        );
        if let Some(tokens) = self.token_setup()? {
            require!(
                tokens::is_token_program(tokens.token_program.key)
                    && tokens.mint.owner == tokens.token_program.key,
                TasknetError::WrongTokenProgram
            );
            let (address, _) =
                Pubkey::find_program_address(&[BOUNTY_SEED, self.task.key.as_ref()], &crate::ID);
            require_keys_eq!(
                *tokens.bounty_tokens.key,
                address,
                TasknetError::WrongTokenAccount
            );
        }
        Ok(())
    }

    /// The token accounts when all three are given, `None` when none is.
    fn token_setup(&self) -> Result<Option<TokenSetup<'_, 'info>>> {
        match (&self.mint, &self.token_program, &self.bounty_tokens) {
            (None, None, None) => Ok(None),
            (Some(mint), Some(token_program), Some(bounty_tokens)) => Ok(Some(TokenSetup {
                mint,
                token_program,
                bounty_tokens,
            })),
            _ => err!(TasknetError::TokenAccountsRequired),
        }
    }

    /// Checks the mint and creates the bounty token account, owned by the
    /// task.
    fn set_up_tokens(&self, task: &mut Task, accept_freeze_authority: bool) -> Result<()> {
        let Some(tokens) = self.token_setup()? else {
            return Ok(());
        };
        let decimals = tokens::check_mint(tokens.mint, accept_freeze_authority)?;
        let task_key = self.task.key();
        let (_, bump) = Pubkey::find_program_address(&[BOUNTY_SEED, task_key.as_ref()], &crate::ID);
        tokens::create_token_account(
            &self.creator.to_account_info(),
            tokens.bounty_tokens,
            tokens.mint,
            &self.task.to_account_info(),
            tokens.token_program,
            &[BOUNTY_SEED, task_key.as_ref()],
            bump,
        )?;
        task.reward_token = Some(TokenReward {
            mint: tokens.mint.key(),
            token_program: tokens.token_program.key(),
            decimals,
            bounty_account: tokens.bounty_tokens.key(),
            bounty: 0,
            freeze_authority_accepted: accept_freeze_authority,
        });
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>, args: CreateTaskArgs) -> Result<()> {
        let accounts = ctx.accounts;
        let (creator, task_key) = (accounts.creator.key(), accounts.task.key());
        let payer = accounts.creator.to_account_info();
        let task_id = args.task_id.to_le_bytes();
        // Lamports sent to the task's address stay with it and return to
        // the creator with its rent when it closes.
        pda::create_at(
            &payer,
            &accounts.task,
            &[TASK_SEED, creator.as_ref(), &task_id],
            ctx.bumps.task,
            8 + Task::INIT_SPACE,
        )?;
        let donated = pda::create_at(
            &payer,
            &accounts.vault,
            &[VAULT_SEED, task_key.as_ref()],
            ctx.bumps.vault,
            8 + Vault::INIT_SPACE,
        )?;
        let commit_reveal = args.commit_reveal;
        let accept_freeze_authority = args.accept_freeze_authority;
        let mut task = Task::new(creator, args, ctx.bumps.task, ctx.bumps.vault);
        // The vault's lamports above rent are always the ledger's.
        task.ledger.fund_bounty(donated)?;
        accounts.set_up_tokens(&mut task, accept_freeze_authority)?;
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
