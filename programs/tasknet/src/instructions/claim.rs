use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

use crate::errors::TasknetError;
use crate::events::{emit, RewardClaimed};
use crate::state::*;

/// A valid submitter pulls its share out of the round account, which holds
/// the pool: O(1), no list, and no task-wide account read or written (the
/// round holds the schedule). An unaudited submission closes in the same
/// instruction, so a second claim finds no submission account.
#[derive(Accounts)]
pub struct Claim<'info> {
    #[account(mut)]
    pub node: Signer<'info>,
    #[account(
        mut,
        constraint = round_account.round == submission.round @ TasknetError::WrongRound,
    )]
    pub round_account: Box<Account<'info, Round>>,
    #[account(
        mut,
        constraint = submission.task == round_account.task @ TasknetError::WrongTask,
        has_one = node @ TasknetError::NotSubmissionOwner,
    )]
    pub submission: Box<Account<'info, Submission>>,
    // A token round's accounts (see `PoolAccounts`): the share moves from
    // the round's pool into the node's token account (its associated token
    // account, which the node's transaction creates when missing).
    /// CHECK: the round's pool account (`PoolAccounts::check`).
    #[account(mut)]
    pub pool_tokens: Option<UncheckedAccount<'info>>,
    /// CHECK: a token account of the node's, of the round's mint
    /// (`PoolAccounts::check`).
    #[account(mut)]
    pub node_tokens: Option<UncheckedAccount<'info>>,
    /// CHECK: the round's mint (`PoolAccounts::check`).
    pub mint: Option<UncheckedAccount<'info>>,
    pub token_program: Option<Interface<'info, TokenInterface>>,
}

impl<'info> Claim<'info> {
    fn pool_accounts(&self) -> PoolAccounts<'_, 'info> {
        PoolAccounts {
            pool: self.pool_tokens.as_ref(),
            to: self.node_tokens.as_ref(),
            mint: self.mint.as_ref(),
            token_program: self.token_program.as_ref(),
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        self.submission.check_claimable()?;
        require!(
            Clock::get()?.slot >= self.round_account.schedule.audit_end(self.submission.round),
            TasknetError::AuditWindowOpen
        );
        require!(
            self.round_account.open_audits == 0,
            TasknetError::AuditsPending
        );
        self.pool_accounts()
            .check(&self.round_account, &self.node.key())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        let node = accounts.node.to_account_info();
        let pool = PoolAccounts {
            pool: accounts.pool_tokens.as_ref(),
            to: accounts.node_tokens.as_ref(),
            mint: accounts.mint.as_ref(),
            token_program: accounts.token_program.as_ref(),
        };
        let share = pay_share(
            &mut accounts.round_account,
            &mut accounts.submission,
            pool.payee(&node)?,
        )?;
        // Nothing more can happen to a paid, unaudited submission: it closes
        // now, its rent back to the node, so a node's round costs three
        // transactions, not four. An audited one closes later, together
        // with its audit (after the audit's votes), through close_submission.
        if !accounts.submission.audited {
            accounts.round_account.submissions_open.decrement()?;
            accounts.submission.close(accounts.node.to_account_info())?;
        }
        emit(RewardClaimed {
            task: accounts.round_account.task,
            round: accounts.round_account.round,
            node: accounts.node.key(),
            amount: share,
        });
        Ok(())
    }
}
