use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::VAULT_SEED;
use crate::errors::TasknetError;
use crate::events::{emit, TaskFunded};
use crate::state::*;
use crate::tokens::{self, TokenMove};
use crate::utils::deposit;

/// Anyone may fund a task: lamports into the vault for a SOL task, the
/// task's token into its bounty account for a token task.
#[derive(Accounts)]
pub struct FundTask<'info> {
    #[account(mut)]
    pub funder: Signer<'info>,
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    pub system_program: Program<'info, System>,
    // A token task's accounts (see `tokens::expect_accounts`).
    /// The funder's token account (the token program checks it is theirs).
    #[account(mut)]
    pub funder_tokens: Option<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub bounty_tokens: Option<InterfaceAccount<'info, TokenAccount>>,
    pub mint: Option<InterfaceAccount<'info, Mint>>,
    pub token_program: Option<Interface<'info, TokenInterface>>,
}

impl FundTask<'_> {
    pub(crate) fn validate(&self, amount: u64) -> Result<()> {
        require!(amount > 0, TasknetError::ZeroAmount);
        require!(
            self.task.state != TaskState::Closed,
            TasknetError::TaskClosed
        );
        self.check_tokens()
    }

    fn check_tokens(&self) -> Result<()> {
        let given = [
            self.funder_tokens.is_some(),
            self.bounty_tokens.is_some(),
            self.mint.is_some(),
            self.token_program.is_some(),
        ];
        let reward = self.task.reward_token;
        if !tokens::expect_accounts(reward.is_some(), &given)? {
            return Ok(());
        }
        if let (Some(reward), Some(bounty), Some(mint), Some(program)) =
            (reward, &self.bounty_tokens, &self.mint, &self.token_program)
        {
            reward.check(&mint.key(), &program.key())?;
            require_keys_eq!(
                bounty.key(),
                reward.bounty_account,
                TasknetError::WrongTokenAccount
            );
        }
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>, amount: u64) -> Result<()> {
        let accounts = ctx.accounts;
        let bounty_available = match (
            &mut accounts.task.reward_token,
            &accounts.funder_tokens,
            &accounts.bounty_tokens,
            &accounts.mint,
            &accounts.token_program,
        ) {
            (Some(reward), Some(from), Some(bounty), Some(mint), Some(program)) => {
                // Tokens sent to the bounty account outside the protocol
                // join the bounty, as lamports sent to a vault's address do.
                reward.fund_bounty(bounty.amount.saturating_sub(reward.bounty))?;
                reward.fund_bounty(amount)?;
                TokenMove {
                    token_program: &program.to_account_info(),
                    mint: &mint.to_account_info(),
                    decimals: reward.decimals,
                }
                .transfer(
                    &from.to_account_info(),
                    &bounty.to_account_info(),
                    &accounts.funder.to_account_info(),
                    &[],
                    amount,
                )?;
                reward.bounty
            }
            _ => {
                accounts.task.ledger.fund_bounty(amount)?;
                deposit(&accounts.funder, &accounts.vault.to_account_info(), amount)?;
                accounts.task.ledger.bounty_available
            }
        };
        emit(TaskFunded {
            task: accounts.task.key(),
            funder: accounts.funder.key(),
            amount,
            bounty_available,
        });
        Ok(())
    }
}
