use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::VAULT_SEED;
use crate::errors::TasknetError;
use crate::events::{emit, TaskClosed};
use crate::instructions::CreatorTokens;
use crate::state::*;
use crate::utils::pay_out;

/// Ends a paused task: returns the bounty to the creator. Once no stake is
/// left, it also closes the task and vault accounts and returns their rent;
/// until then nodes may unstake and withdraw without waiting (nothing is
/// left to audit), and the creator calls this again.
#[derive(Accounts)]
pub struct CloseTask<'info> {
    #[account(mut)]
    pub creator: Signer<'info>,
    #[account(mut, has_one = creator @ TasknetError::NotTaskCreator)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    // A token task's accounts (see `CreatorTokens`): the token bounty goes
    // to the creator's token account; the bounty account closes with the
    // task.
    #[account(mut)]
    pub creator_tokens: Option<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub bounty_tokens: Option<InterfaceAccount<'info, TokenAccount>>,
    pub mint: Option<InterfaceAccount<'info, Mint>>,
    pub token_program: Option<Interface<'info, TokenInterface>>,
}

impl<'info> CloseTask<'info> {
    fn creator_tokens(&self) -> CreatorTokens<'_, 'info> {
        CreatorTokens {
            task: &self.task,
            to: self.creator_tokens.as_ref(),
            bounty: self.bounty_tokens.as_ref(),
            mint: self.mint.as_ref(),
            token_program: self.token_program.as_ref(),
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        require!(!self.task.is_active(), TasknetError::TaskNotPaused);
        require!(self.task.rounds_open == 0, TasknetError::RoundsStillOpen);
        require!(
            !self.task.ledger.has_obligations(),
            TasknetError::TaskHasObligations
        );
        self.creator_tokens().check()
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        let creator = accounts.creator.to_account_info();
        // A token task returns every token its bounty account holds (with
        // any sent to it outside the protocol); its lamport bounty (slash
        // remainders, donations) returns too.
        let tokens_returned = match (&accounts.task.reward_token, &accounts.bounty_tokens) {
            (Some(_), Some(bounty)) => {
                let held = bounty.amount;
                accounts.creator_tokens().pay(held)?;
                Some(held)
            }
            _ => None,
        };
        if let Some(reward) = accounts.task.reward_token.as_mut() {
            reward.bounty = 0;
        }
        let vault = accounts.vault.to_account_info();
        let task = &mut accounts.task;
        let lamports = task.ledger.bounty_available;
        task.ledger.withdraw_bounty(lamports)?;
        task.state = TaskState::Closed;
        pay_out(&vault, &creator, lamports)?;

        let accounts_closed = task.ledger.staked_total == 0 && task.node_count == 0;
        emit(TaskClosed {
            task: task.key(),
            bounty_returned: tokens_returned.unwrap_or(lamports),
            accounts_closed,
        });
        if accounts_closed {
            if tokens_returned.is_some() {
                accounts.creator_tokens().close(&creator)?;
            }
            accounts.vault.close(creator.clone())?;
            accounts.task.close(creator)?;
        }
        Ok(())
    }
}
