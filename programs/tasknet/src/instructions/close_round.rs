use anchor_lang::prelude::*;

use crate::constants::VAULT_SEED;
use crate::errors::TasknetError;
use crate::events::{emit, RoundClosed};
use crate::state::*;
use crate::utils::pay_out;

/// After the claim deadline, once its submissions are closed (which pays
/// every earned reward), anyone may close a round: what is left of its pool
/// (dust, or all of it when nothing was valid) returns to the bounty, the
/// rent to whoever opened it.
#[derive(Accounts)]
pub struct CloseRound<'info> {
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    #[account(
        mut,
        close = rent_payer,
        has_one = task @ TasknetError::WrongTask,
        has_one = rent_payer @ TasknetError::WrongPayoutAccount,
    )]
    pub round_account: Box<Account<'info, Round>>,
    /// CHECK: receives the round's rent; must be the recorded payer.
    #[account(mut)]
    pub rent_payer: UncheckedAccount<'info>,
}

impl CloseRound<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        let round_account = &self.round_account;
        require!(
            Clock::get()?.slot >= self.task.schedule.claim_deadline(round_account.round),
            TasknetError::ClaimDeadlineNotReached
        );
        require!(round_account.open_audits == 0, TasknetError::AuditsPending);
        require!(
            round_account.submissions_open == 0,
            TasknetError::SubmissionsOutstanding
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let round_account = &ctx.accounts.round_account;
        let unclaimed = round_account.outstanding()?;
        let task = &mut ctx.accounts.task;
        task.ledger.return_to_bounty(unclaimed)?;
        task.record_paid(round_account.claimed_sum)?;
        task.rounds_open.decrement()?;
        // Before `close` sweeps the rest (the rent) to the payer.
        pay_out(
            &round_account.to_account_info(),
            &ctx.accounts.vault.to_account_info(),
            unclaimed,
        )?;
        emit(RoundClosed {
            task: task.key(),
            round: round_account.round,
            returned_to_bounty: unclaimed,
        });
        Ok(())
    }
}
