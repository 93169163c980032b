use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, RoundOpened};
use crate::logic::{round_pool, Phase};
use crate::pda;
use crate::state::*;
use crate::tokens::{self, TokenMove};
use crate::utils::pay_out;

/// Opens a round in its submit window: creates its account and moves its
/// pool from the vault into it. The only per-round write of the task and
/// its vault; a node sends it in the same transaction as its submission
/// when it sees the round unopened. Opening an open round does nothing, so
/// two nodes racing to open it both get their submissions in.
#[derive(Accounts)]
#[instruction(round: u64)]
pub struct OpenRound<'info> {
    /// Pays the round's rent; gets it back when the round closes.
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    /// CHECK: created here (`pda::create_at`, which a donation to the
    /// address cannot block) unless it exists.
    #[account(
        mut,
        seeds = [ROUND_SEED, task.key().as_ref(), &round.to_le_bytes()],
        bump,
    )]
    pub round_account: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
    // A token task's accounts (see `tokens::expect_accounts`): the pool
    // moves from the bounty account into the round's own token account.
    #[account(mut)]
    pub bounty_tokens: Option<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: created here at `[POOL_SEED, round_account]` unless the round
    /// exists.
    #[account(mut, seeds = [POOL_SEED, round_account.key().as_ref()], bump)]
    pub pool_tokens: Option<UncheckedAccount<'info>>,
    pub mint: Option<InterfaceAccount<'info, Mint>>,
    pub token_program: Option<Interface<'info, TokenInterface>>,
}

impl OpenRound<'_> {
    pub(crate) fn validate(&self, round: u64) -> Result<()> {
        let task = &self.task;
        require!(task.is_active(), TasknetError::TaskNotActive);
        require!(
            task.schedule.phase(round, Clock::get()?.slot) == Phase::Submit,
            TasknetError::OutsideSubmitWindow
        );
        let given = [
            self.bounty_tokens.is_some(),
            self.pool_tokens.is_some(),
            self.mint.is_some(),
            self.token_program.is_some(),
        ];
        if let (true, Some(reward), Some(bounty), Some(mint), Some(program)) = (
            tokens::expect_accounts(task.reward_token.is_some(), &given)?,
            task.reward_token,
            &self.bounty_tokens,
            &self.mint,
            &self.token_program,
        ) {
            reward.check(&mint.key(), &program.key())?;
            require_keys_eq!(
                bounty.key(),
                reward.bounty_account,
                TasknetError::WrongTokenAccount
            );
        }
        Ok(())
    }

    /// Takes the round's pool from the bounty (the token bounty for a
    /// token task, with any tokens sent to its account outside the
    /// protocol swept in first, as `fund_task` does).
    fn take_pool(&mut self) -> Result<u64> {
        let task = &mut self.task;
        let reward_per_round = task.economics.reward_per_round;
        match &mut task.reward_token {
            Some(reward) => {
                let held = self.bounty_tokens.as_ref().map_or(0, |b| b.amount);
                reward.fund_bounty(held.saturating_sub(reward.bounty))?;
                let pool = round_pool(reward_per_round, reward.bounty);
                reward.withdraw_bounty(pool)?;
                Ok(pool)
            }
            None => {
                let pool = round_pool(reward_per_round, task.ledger.bounty_available);
                task.ledger.open_pool(pool)?;
                Ok(pool)
            }
        }
    }

    /// Moves `pool` to the new round: into its own lamports for a SOL task;
    /// for a token task into a new token account the round owns, whose
    /// address the round records.
    fn move_pool(&self, round: &mut Round, pool_bump: Option<u8>, pool: u64) -> Result<()> {
        let round_info = self.round_account.to_account_info();
        let (Some(bounty), Some(pool_tokens), Some(mint), Some(program), Some(reward)) = (
            &self.bounty_tokens,
            &self.pool_tokens,
            &self.mint,
            &self.token_program,
            self.task.reward_token,
        ) else {
            return pay_out(&self.vault.to_account_info(), &round_info, pool);
        };
        let (program, mint) = (program.to_account_info(), mint.to_account_info());
        tokens::create_token_account(
            &self.payer.to_account_info(),
            pool_tokens,
            &mint,
            &round_info,
            &program,
            &[POOL_SEED, round_info.key.as_ref()],
            pool_bump.ok_or(TasknetError::TokenAccountsRequired)?,
        )?;
        round.pool_tokens = pool_tokens.key();
        let task = &self.task;
        let (task_id, bump) = (task.task_id.to_le_bytes(), [task.bump]);
        let task_seeds: &[&[u8]] = &[TASK_SEED, task.creator.as_ref(), &task_id, &bump];
        TokenMove {
            token_program: &program,
            mint: &mint,
            decimals: reward.decimals,
        }
        .transfer(
            &bounty.to_account_info(),
            pool_tokens,
            &task.to_account_info(),
            &[task_seeds],
            pool,
        )
    }

    pub(crate) fn handler(ctx: Context<Self>, round: u64) -> Result<()> {
        let accounts = ctx.accounts;
        if pda::exists(&accounts.round_account) {
            return Ok(());
        }
        let task_key = accounts.task.key();
        let round_info = accounts.round_account.to_account_info();
        let donated = pda::create_at(
            &accounts.payer.to_account_info(),
            &round_info,
            &[ROUND_SEED, task_key.as_ref(), &round.to_le_bytes()],
            ctx.bumps.round_account,
            8 + Round::INIT_SPACE,
        )?;
        // A round account holds exactly its pool above rent: lamports sent
        // to its address before it opened join the bounty.
        pay_out(&round_info, &accounts.vault.to_account_info(), donated)?;
        accounts.task.ledger.fund_bounty(donated)?;
        let pool = accounts.take_pool()?;
        let task = &mut accounts.task;
        task.rounds_open.increment()?;
        let mut opened = Round::open(
            task_key,
            task,
            round,
            pool,
            task.bonded.weight_at(round),
            accounts.payer.key(),
            ctx.bumps.round_account,
        );
        accounts.move_pool(&mut opened, ctx.bumps.pool_tokens, pool)?;
        pda::write(&round_info, &opened)?;
        emit(RoundOpened {
            task: task_key,
            round,
            pool,
            opened_by: accounts.payer.key(),
        });
        Ok(())
    }
}
