use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, RoundOpened};
use crate::logic::{round_pool, Phase};
use crate::state::*;
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
    #[account(
        init_if_needed,
        payer = payer,
        space = 8 + Round::INIT_SPACE,
        seeds = [ROUND_SEED, task.key().as_ref(), &round.to_le_bytes()],
        bump,
    )]
    pub round_account: Box<Account<'info, Round>>,
    pub system_program: Program<'info, System>,
}

impl OpenRound<'_> {
    pub(crate) fn validate(&self, round: u64) -> Result<()> {
        let task = &self.task;
        require!(task.is_active(), TasknetError::TaskNotActive);
        require!(
            task.schedule.phase(round, Clock::get()?.slot) == Phase::Submit,
            TasknetError::OutsideSubmitWindow
        );
        Ok(())
    }

    /// Whether `init_if_needed` just created the round (its `task` is zeroed).
    fn is_new(&self) -> bool {
        self.round_account.task == Pubkey::default()
    }

    pub(crate) fn handler(ctx: Context<Self>, round: u64) -> Result<()> {
        if !ctx.accounts.is_new() {
            return Ok(());
        }
        let task = &mut ctx.accounts.task;
        let pool = round_pool(
            task.economics.reward_per_round,
            task.ledger.bounty_available,
        );
        task.ledger.open_pool(pool)?;
        task.rounds_open.increment()?;
        let round_account = &mut ctx.accounts.round_account;
        round_account.set_inner(Round::open(
            task.key(),
            round,
            task.schedule,
            pool,
            task.bonded.weight_at(round),
            ctx.accounts.payer.key(),
            ctx.bumps.round_account,
        ));
        pay_out(
            &ctx.accounts.vault.to_account_info(),
            &round_account.to_account_info(),
            pool,
        )?;
        emit(RoundOpened {
            task: task.key(),
            round,
            pool,
            opened_by: ctx.accounts.payer.key(),
        });
        Ok(())
    }
}
