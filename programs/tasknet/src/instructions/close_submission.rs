use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::events::{emit, SubmissionClosed};
use crate::state::*;

/// After the claim deadline anyone may close a submission (and its audit,
/// once the audit's votes are closed); rent returns to who paid it. A
/// reward the node earned and has not claimed is paid to it first: nobody
/// but the node can make it lose a reward.
#[derive(Accounts)]
pub struct CloseSubmission<'info> {
    pub task: Box<Account<'info, Task>>,
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        constraint = round_account.round == submission.round @ TasknetError::WrongRound,
    )]
    pub round_account: Box<Account<'info, Round>>,
    #[account(
        mut,
        close = node,
        has_one = task @ TasknetError::WrongTask,
        has_one = node @ TasknetError::WrongPayoutAccount,
    )]
    pub submission: Box<Account<'info, Submission>>,
    /// CHECK: receives the submission's rent and any unclaimed reward; must
    /// be the submitting node.
    #[account(mut)]
    pub node: UncheckedAccount<'info>,
    /// Required when the submission was audited.
    #[account(mut, has_one = submission @ TasknetError::WrongAudit)]
    pub audit: Option<Box<Account<'info, Audit>>>,
    /// CHECK: receives the audit's rent; must be the recorded challenger.
    #[account(mut)]
    pub challenger: Option<UncheckedAccount<'info>>,
}

impl CloseSubmission<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        let submission = &self.submission;
        require!(
            Clock::get()?.slot >= self.task.schedule.claim_deadline(submission.round),
            TasknetError::ClaimDeadlineNotReached
        );
        if submission.claimable() {
            // Its share is final only once the round's audits are done.
            require!(
                self.round_account.open_audits == 0,
                TasknetError::AuditsPending
            );
        }
        if submission.audited {
            let audit = self
                .audit
                .as_ref()
                .ok_or(TasknetError::AuditAccountRequired)?;
            let challenger = self
                .challenger
                .as_ref()
                .ok_or(TasknetError::AuditAccountRequired)?;
            require_keys_eq!(
                challenger.key(),
                audit.challenger,
                TasknetError::WrongPayoutAccount
            );
            require!(
                audit.verdict != AuditVerdict::Pending,
                TasknetError::AuditNotResolved
            );
            require!(audit.votes_open == 0, TasknetError::VotesOutstanding);
        }
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        let reward_paid = if accounts.submission.claimable() {
            pay_share(
                &mut accounts.round_account,
                &mut accounts.submission,
                &accounts.node.to_account_info(),
            )?
        } else {
            0
        };
        accounts.round_account.submissions_open.decrement()?;
        if let (Some(audit), Some(challenger)) = (&accounts.audit, &accounts.challenger) {
            if accounts.submission.audited {
                audit.close(challenger.to_account_info())?;
            }
        }
        let submission = &accounts.submission;
        emit(SubmissionClosed {
            task: submission.task,
            round: submission.round,
            node: submission.node,
            reward_paid,
        });
        Ok(())
    }
}
