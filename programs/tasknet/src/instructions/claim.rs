use std::cell::RefMut;

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

use crate::errors::TasknetError;
use crate::events::{emit, RewardClaimed};
use crate::state::in_place;
use crate::state::*;

/// A valid submitter pulls its share out of the round account, which holds
/// the pool: O(1), no list, and no task-wide account read or written (the
/// round holds the schedule). An unaudited submission closes in the same
/// instruction, so a second claim finds no submission account. The round
/// and the submission are read and written in place (`state::in_place`),
/// with `Account<T>`'s checks.
#[derive(Accounts)]
pub struct Claim<'info> {
    #[account(mut)]
    pub node: Signer<'info>,
    /// CHECK: the submission's `Round` (`RoundData::check_is`).
    #[account(mut)]
    pub round_account: UncheckedAccount<'info>,
    /// CHECK: the node's `Submission` (`SubmissionView`).
    #[account(mut)]
    pub submission: UncheckedAccount<'info>,
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
    #[cfg_attr(target_os = "solana", optimize(speed))]
    fn pool_accounts(&self) -> PoolAccounts<'_, 'info> {
        PoolAccounts {
            pool: self.pool_tokens.as_ref(),
            to: self.node_tokens.as_ref(),
            mint: self.mint.as_ref(),
            token_program: self.token_program.as_ref(),
        }
    }

    /// Checks the claim and hands the handler the accounts it checked,
    /// loaded once.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub(crate) fn validate(&self) -> Result<(RefMut<'_, RoundData>, SubmissionView<'_>)> {
        let round = in_place::load_mut::<RoundData>(&self.round_account)?;
        let mut submission = SubmissionView::load_mut(&self.submission)?;
        let head = submission.head;
        round.check_is(&head.task, head.round)?;
        require_keys_eq!(head.node, self.node.key(), TasknetError::NotSubmissionOwner);
        submission.status()?.check_claimable()?;
        let schedule = round.schedule;
        require!(
            Clock::get()?.slot >= schedule.audit_end(head.round),
            TasknetError::AuditWindowOpen
        );
        require!(round.open_audits == 0, TasknetError::AuditsPending);
        self.pool_accounts().check(&round, &self.node.key())?;
        Ok((round, submission))
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        let (mut round, mut submission) = accounts.validate()?;
        let node = accounts.node.to_account_info();
        // Nothing more can happen to a paid, unaudited submission: it closes
        // now, its rent back to the node, so a node's round costs three
        // transactions, not four. An audited one closes later, together
        // with its audit (after the audit's votes), through close_submission.
        let closes = !submission.audited()?;
        if closes {
            round.submissions_open = round.submissions_open.minus_one()?;
        }
        let payee = accounts.pool_accounts().payee(&node)?;
        let share = pay_share(round, &accounts.round_account, &mut submission, payee)?;
        let head = submission.head;
        drop(submission);
        if closes {
            in_place::close(&accounts.submission, &node)?;
        }
        emit(RewardClaimed {
            task: head.task,
            round: head.round,
            node: head.node,
            amount: share,
        });
        Ok(())
    }
}
