use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, RoundOpened};
use crate::logic::{round_pool, Phase};
use crate::pda;
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
    /// CHECK: created here (`pda::create_at`, which a donation to the
    /// address cannot block) unless it exists.
    #[account(
        mut,
        seeds = [ROUND_SEED, task.key().as_ref(), &round.to_le_bytes()],
        bump,
    )]
    pub round_account: UncheckedAccount<'info>,
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
            &accounts.system_program.to_account_info(),
            &[ROUND_SEED, task_key.as_ref(), &round.to_le_bytes()],
            ctx.bumps.round_account,
            8 + Round::INIT_SPACE,
        )?;
        let vault = accounts.vault.to_account_info();
        let task = &mut accounts.task;
        // A round account holds exactly its pool above rent: lamports sent
        // to its address before it opened join the bounty.
        pay_out(&round_info, &vault, donated)?;
        task.ledger.fund_bounty(donated)?;
        let pool = round_pool(
            task.economics.reward_per_round,
            task.ledger.bounty_available,
        );
        task.ledger.open_pool(pool)?;
        task.rounds_open.increment()?;
        let opened = Round::open(
            task_key,
            task,
            round,
            pool,
            task.bonded.weight_at(round),
            accounts.payer.key(),
            ctx.bumps.round_account,
        );
        pda::write(&round_info, &opened)?;
        pay_out(&vault, &round_info, pool)?;
        emit(RoundOpened {
            task: task_key,
            round,
            pool,
            opened_by: accounts.payer.key(),
        });
        Ok(())
    }
}
