use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::{ROUND_SEED, VAULT_SEED};
use crate::errors::TasknetError;
use crate::events::{emit, RoundClosed};
use crate::state::*;
use crate::tokens::{self, TokenMove};
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
    // A token round's accounts (see `tokens::expect_accounts`): the pool
    // account returns what it holds to the bounty account and closes, its
    // rent to the round's payer.
    #[account(mut)]
    pub pool_tokens: Option<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub bounty_tokens: Option<InterfaceAccount<'info, TokenAccount>>,
    pub mint: Option<InterfaceAccount<'info, Mint>>,
    pub token_program: Option<Interface<'info, TokenInterface>>,
}

impl<'info> CloseRound<'info> {
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
        self.check_tokens()
    }

    fn check_tokens(&self) -> Result<()> {
        let given = [
            self.pool_tokens.is_some(),
            self.bounty_tokens.is_some(),
            self.mint.is_some(),
            self.token_program.is_some(),
        ];
        // `has_one = task`: a token round belongs to a token task.
        let round = &self.round_account;
        if let (true, Some(reward), Some(pool), Some(bounty), Some(mint), Some(program)) = (
            tokens::expect_accounts(round.is_token_round(), &given)?,
            self.task.reward_token,
            &self.pool_tokens,
            &self.bounty_tokens,
            &self.mint,
            &self.token_program,
        ) {
            reward.check(&mint.key(), &program.key())?;
            require_keys_eq!(
                pool.key(),
                round.pool_tokens,
                TasknetError::WrongTokenAccount
            );
            require_keys_eq!(
                bounty.key(),
                reward.bounty_account,
                TasknetError::WrongTokenAccount
            );
        }
        Ok(())
    }

    /// Moves everything the pool account holds (the unclaimed part, and
    /// any tokens sent to it outside the protocol) into the bounty, then
    /// closes it. Returns the amount moved.
    fn return_token_pool(&mut self) -> Result<u64> {
        let (Some(reward), Some(pool), Some(bounty), Some(mint), Some(program)) = (
            &mut self.task.reward_token,
            &self.pool_tokens,
            &self.bounty_tokens,
            &self.mint,
            &self.token_program,
        ) else {
            return err!(TasknetError::TokenAccountsRequired);
        };
        let held = pool.amount;
        reward.fund_bounty(held)?;
        let round = &self.round_account;
        let round_info = round.to_account_info();
        let (task, number, bump) = (round.task, round.round.to_le_bytes(), [round.bump]);
        let seeds: &[&[u8]] = &[ROUND_SEED, task.as_ref(), &number, &bump];
        let token = TokenMove {
            token_program: program.as_ref(),
            mint: tokens::info(mint),
            decimals: reward.decimals,
        };
        token.transfer(
            tokens::info(pool),
            tokens::info(bounty),
            &round_info,
            &[seeds],
            held,
        )?;
        token.close(
            tokens::info(pool),
            &self.rent_payer.to_account_info(),
            &round_info,
            &[seeds],
        )?;
        Ok(held)
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        let claimed = accounts.round_account.claimed_sum;
        let unclaimed = if accounts.round_account.is_token_round() {
            accounts.return_token_pool()?
        } else {
            let unclaimed = accounts.round_account.outstanding()?;
            accounts.task.ledger.return_to_bounty(unclaimed)?;
            // Before `close` sweeps the rest (the rent) to the payer.
            pay_out(
                &accounts.round_account.to_account_info(),
                &accounts.vault.to_account_info(),
                unclaimed,
            )?;
            unclaimed
        };
        let task = &mut accounts.task;
        task.record_paid(claimed)?;
        task.rounds_open.decrement()?;
        let round_account = &accounts.round_account;
        emit(RoundClosed {
            task: task.key(),
            round: round_account.round,
            returned_to_bounty: unclaimed,
        });
        Ok(())
    }
}
