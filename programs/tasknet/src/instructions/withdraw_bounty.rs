use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::{TASK_SEED, VAULT_SEED};
use crate::errors::TasknetError;
use crate::events::{emit, BountyWithdrawn};
use crate::state::*;
use crate::tokens::{self, TokenMove};
use crate::utils::pay_out;

/// A paused task's creator takes back part of the bounty: lamports for a
/// SOL task, tokens (into a token account of the creator's) for a token
/// task.
#[derive(Accounts)]
pub struct WithdrawBounty<'info> {
    #[account(mut)]
    pub creator: Signer<'info>,
    #[account(mut, has_one = creator @ TasknetError::NotTaskCreator)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    // A token task's accounts (see `CreatorTokens`).
    #[account(mut)]
    pub creator_tokens: Option<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub bounty_tokens: Option<InterfaceAccount<'info, TokenAccount>>,
    pub mint: Option<InterfaceAccount<'info, Mint>>,
    pub token_program: Option<Interface<'info, TokenInterface>>,
}

impl<'info> WithdrawBounty<'info> {
    fn creator_tokens(&self) -> CreatorTokens<'_, 'info> {
        CreatorTokens {
            task: &self.task,
            to: self.creator_tokens.as_ref(),
            bounty: self.bounty_tokens.as_ref(),
            mint: self.mint.as_ref(),
            token_program: self.token_program.as_ref(),
        }
    }

    pub(crate) fn validate(&self, amount: u64) -> Result<()> {
        require!(amount > 0, TasknetError::ZeroAmount);
        require!(!self.task.is_active(), TasknetError::BountyLocked);
        let available = match &self.task.reward_token {
            Some(reward) => reward.bounty,
            None => self.task.ledger.bounty_available,
        };
        require!(amount <= available, TasknetError::InsufficientBounty);
        self.creator_tokens().check()
    }

    pub(crate) fn handler(ctx: Context<Self>, amount: u64) -> Result<()> {
        let accounts = ctx.accounts;
        let bounty_available = if accounts.task.reward_token.is_some() {
            accounts.creator_tokens().pay(amount)?;
            let reward = accounts
                .task
                .reward_token
                .as_mut()
                .ok_or(TasknetError::TokenAccountsRequired)?;
            reward.withdraw_bounty(amount)?;
            reward.bounty
        } else {
            let task = &mut accounts.task;
            task.ledger.withdraw_bounty(amount)?;
            pay_out(
                &accounts.vault.to_account_info(),
                &accounts.creator.to_account_info(),
                amount,
            )?;
            task.ledger.bounty_available
        };
        emit(BountyWithdrawn {
            task: accounts.task.key(),
            amount,
            bounty_available,
        });
        Ok(())
    }
}

/// A token task's bounty account and the creator's token account it pays
/// into (`withdraw_bounty`, `close_task`).
pub struct CreatorTokens<'a, 'info> {
    pub task: &'a Account<'info, Task>,
    pub to: Option<&'a InterfaceAccount<'info, TokenAccount>>,
    pub bounty: Option<&'a InterfaceAccount<'info, TokenAccount>>,
    pub mint: Option<&'a InterfaceAccount<'info, Mint>>,
    pub token_program: Option<&'a Interface<'info, TokenInterface>>,
}

impl<'info> CreatorTokens<'_, 'info> {
    /// All given on a token task, none on a SOL task; the task's own bounty
    /// account, mint and token program, paying into the creator's account.
    pub fn check(&self) -> Result<()> {
        let given = [
            self.to.is_some(),
            self.bounty.is_some(),
            self.mint.is_some(),
            self.token_program.is_some(),
        ];
        let reward = self.task.reward_token;
        if let (true, Some(reward), Some(to), Some(bounty), Some(mint), Some(program)) = (
            tokens::expect_accounts(reward.is_some(), &given)?,
            reward,
            self.to,
            self.bounty,
            self.mint,
            self.token_program,
        ) {
            reward.check(&mint.key(), &program.key())?;
            require_keys_eq!(
                bounty.key(),
                reward.bounty_account,
                TasknetError::WrongTokenAccount
            );
            tokens::check_holder(to, &reward.mint, &self.task.creator)?;
        }
        Ok(())
    }

    /// Pays `amount` from the bounty account to the creator's, signed by
    /// the task.
    pub fn pay(&self, amount: u64) -> Result<()> {
        self.with_task_signer(|token, bounty, seeds| {
            let to = self.to.ok_or(TasknetError::TokenAccountsRequired)?;
            token.transfer(
                bounty,
                tokens::info(to),
                &self.task.to_account_info(),
                &[seeds],
                amount,
            )
        })
    }

    /// Closes the emptied bounty account; its rent goes to the creator.
    pub fn close(&self, creator: &AccountInfo<'info>) -> Result<()> {
        self.with_task_signer(|token, bounty, seeds| {
            token.close(bounty, creator, &self.task.to_account_info(), &[seeds])
        })
    }

    /// Runs `movement` with the token program, the bounty account and the
    /// task's signer seeds.
    fn with_task_signer(
        &self,
        movement: impl FnOnce(&TokenMove<'_, 'info>, &AccountInfo<'info>, &[&[u8]]) -> Result<()>,
    ) -> Result<()> {
        let (Some(reward), Some(bounty), Some(mint), Some(program)) = (
            self.task.reward_token,
            self.bounty,
            self.mint,
            self.token_program,
        ) else {
            return err!(TasknetError::TokenAccountsRequired);
        };
        let task = self.task;
        let (task_id, bump) = (task.task_id.to_le_bytes(), [task.bump]);
        let seeds: &[&[u8]] = &[TASK_SEED, task.creator.as_ref(), &task_id, &bump];
        let token = TokenMove {
            token_program: program.as_ref(),
            mint: tokens::info(mint),
            decimals: reward.decimals,
        };
        movement(&token, tokens::info(bounty), seeds)
    }
}
