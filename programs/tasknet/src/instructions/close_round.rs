use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::events::{emit, RoundClosed};
use crate::state::*;

/// After the claim deadline anyone may close a round: what was not claimed
/// (dust included) returns to the bounty, the rent to whoever opened it.
#[derive(Accounts)]
pub struct CloseRound<'info> {
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
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
        require!(
            Clock::get()?.slot >= self.task.schedule.claim_deadline(self.round_account.round),
            TasknetError::ClaimDeadlineNotReached
        );
        require!(
            self.round_account.open_audits == 0,
            TasknetError::AuditsPending
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let round_account = &ctx.accounts.round_account;
        let unclaimed = round_account.unclaimed()?;
        let task = &mut ctx.accounts.task;
        task.ledger.return_to_bounty(unclaimed)?;
        emit(RoundClosed {
            task: task.key(),
            round: round_account.round,
            returned_to_bounty: unclaimed,
        });
        Ok(())
    }
}
