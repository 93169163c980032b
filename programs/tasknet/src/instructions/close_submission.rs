use std::cell::RefMut;

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

use crate::errors::TasknetError;
use crate::events::{emit, SubmissionClosed};
use crate::state::in_place;
use crate::state::*;

/// After the claim deadline anyone may close a submission (and its audit,
/// once the audit's votes are closed); rent returns to who paid it. A
/// reward the node earned and has not claimed is paid to it first: nobody
/// but the node can make it lose a reward. The round and the submission
/// are read and written in place (`state::in_place`), as `claim` does.
#[derive(Accounts)]
pub struct CloseSubmission<'info> {
    pub task: Box<Account<'info, Task>>,
    /// CHECK: the submission's `Round` (`RoundData::check_is`).
    #[account(mut)]
    pub round_account: UncheckedAccount<'info>,
    /// CHECK: a `Submission` of the task (`SubmissionView`).
    #[account(mut)]
    pub submission: UncheckedAccount<'info>,
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
    fn pool_accounts(&self) -> PoolAccounts<'_, 'info> {
        PoolAccounts {
            pool: self.pool_tokens.as_ref(),
            to: self.node_tokens.as_ref(),
            mint: self.mint.as_ref(),
            token_program: self.token_program.as_ref(),
        }
    }

    /// Checks the close and hands the handler the accounts it checked,
    /// loaded once.
    pub(crate) fn validate(&self) -> Result<(RefMut<'_, RoundData>, SubmissionView<'_>)> {
        let round = in_place::load_mut::<RoundData>(&self.round_account)?;
        let mut submission = SubmissionView::load_mut(&self.submission)?;
        let head = submission.head;
        require_keys_eq!(head.task, self.task.key(), TasknetError::WrongTask);
        round.check_is(&head.task, head.round)?;
        require_keys_eq!(head.node, self.node.key(), TasknetError::WrongPayoutAccount);
        require!(
            Clock::get()?.slot >= self.task.schedule.claim_deadline(head.round),
            TasknetError::ClaimDeadlineNotReached
        );
        if submission.status()?.claimable() {
            // Its share is final only once the round's audits are done.
            require!(round.open_audits == 0, TasknetError::AuditsPending);
            self.pool_accounts().check(&round, &self.node.key())?;
        }
        if submission.audited()? {
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
        Ok((round, submission))
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        let (mut round, mut submission) = accounts.validate()?;
        let node = accounts.node.to_account_info();
        round.submissions_open = round.submissions_open.minus_one()?;
        let reward_paid = if submission.status()?.claimable() {
            let payee = accounts.pool_accounts().payee(&node)?;
            pay_share(round, &accounts.round_account, &mut submission, payee)?
        } else {
            drop(round);
            0
        };
        let (head, audited) = (submission.head, submission.audited()?);
        drop(submission);
        if let (Some(audit), Some(challenger), true) =
            (&accounts.audit, &accounts.challenger, audited)
        {
            audit.close(challenger.to_account_info())?;
        }
        in_place::close(&accounts.submission, &node)?;
        emit(SubmissionClosed {
            task: head.task,
            round: head.round,
            node: head.node,
            reward_paid,
        });
        Ok(())
    }
}
