use anchor_lang::prelude::*;

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
}

impl Claim<'_> {
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
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        let share = pay_share(
            &mut accounts.round_account,
            &mut accounts.submission,
            &accounts.node.to_account_info(),
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
