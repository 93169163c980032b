use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

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
    // A token round's accounts (see `PoolAccounts`), required when an
    // unclaimed share is paid: into a token account of the node.
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

impl<'info> CloseSubmission<'info> {
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
            PoolAccounts {
                pool: self.pool_tokens.as_ref(),
                to: self.node_tokens.as_ref(),
                mint: self.mint.as_ref(),
                token_program: self.token_program.as_ref(),
            }
            .check(&self.round_account, &self.node.key())?;
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
        let node = accounts.node.to_account_info();
        let reward_paid = if accounts.submission.claimable() {
            let pool = PoolAccounts {
                pool: accounts.pool_tokens.as_ref(),
                to: accounts.node_tokens.as_ref(),
                mint: accounts.mint.as_ref(),
                token_program: accounts.token_program.as_ref(),
            };
            pay_share(
                &mut accounts.round_account,
                &mut accounts.submission,
                pool.payee(&node)?,
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
