use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Challenged};
use crate::logic::Phase;
use crate::state::*;
use crate::utils::deposit;

/// Opens an audit of a revealed submission. The bond is at stake and the
/// challenger's weight counts as the first invalid vote.
#[derive(Accounts)]
pub struct Challenge<'info> {
    #[account(mut)]
    pub challenger: Signer<'info>,
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    #[account(
        has_one = task @ TasknetError::WrongTask,
        constraint = challenger_stake.node == challenger.key() @ TasknetError::WrongStake,
    )]
    pub challenger_stake: Box<Account<'info, Stake>>,
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        constraint = round_account.round == submission.round @ TasknetError::WrongRound,
    )]
    pub round_account: Box<Account<'info, Round>>,
    #[account(mut, has_one = task @ TasknetError::WrongTask)]
    pub submission: Box<Account<'info, Submission>>,
    /// The challenged node's stake: it may not leave while the audit is open.
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        constraint = node_stake.node == submission.node @ TasknetError::WrongStake,
    )]
    pub node_stake: Box<Account<'info, Stake>>,
    #[account(
        init_if_needed,
        payer = challenger,
        space = 8 + Audit::INIT_SPACE,
        seeds = [AUDIT_SEED, submission.key().as_ref()],
        bump,
    )]
    pub audit: Box<Account<'info, Audit>>,
    #[account(
        init_if_needed,
        payer = challenger,
        space = 8 + Vote::INIT_SPACE,
        seeds = [VOTE_SEED, audit.key().as_ref(), challenger.key().as_ref()],
        bump,
    )]
    pub vote: Box<Account<'info, Vote>>,
    pub system_program: Program<'info, System>,
}

impl Challenge<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        let task = &self.task;
        let submission = &self.submission;
        require!(task.state != TaskState::Closed, TasknetError::TaskClosed);
        require!(
            task.schedule.phase(submission.round, Clock::get()?.slot) == Phase::Audit,
            TasknetError::OutsideAuditWindow
        );
        require_keys_neq!(
            submission.node,
            self.challenger.key(),
            TasknetError::SelfChallenge
        );
        match submission.status {
            SubmissionStatus::Revealed => {}
            SubmissionStatus::Committed => return err!(TasknetError::NotRevealed),
            _ => return err!(TasknetError::AlreadyChallenged),
        }
        self.weight().map(|_| ())
    }

    /// The challenger's weight in the submission's round, if eligible.
    fn weight(&self) -> Result<u64> {
        self.challenger_stake
            .eligible_weight(self.task.economics.min_stake, self.submission.round)
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let weight = ctx.accounts.weight()?;
        let challenger = ctx.accounts.challenger.key();
        let task = &mut ctx.accounts.task;
        let bond = task.economics.challenge_bond;
        task.ledger.hold_bond(bond)?;
        deposit(
            &ctx.accounts.challenger,
            &ctx.accounts.vault.to_account_info(),
            &ctx.accounts.system_program,
            bond,
        )?;

        let submission = &mut ctx.accounts.submission;
        submission.status = SubmissionStatus::Challenged;
        submission.audited = true;
        let audit_key = ctx.accounts.audit.key();
        ctx.accounts.audit.set_inner(Audit {
            task: task.key(),
            round: submission.round,
            submission: submission.key(),
            node: submission.node,
            challenger,
            bond,
            invalid_weight: weight,
            valid_weight: 0,
            voter_count: 1,
            votes_open: 1,
            verdict: AuditVerdict::Pending,
            bump: ctx.bumps.audit,
        });
        ctx.accounts.vote.set_inner(Vote {
            audit: audit_key,
            voter: challenger,
            weight,
            invalid: true,
            bump: ctx.bumps.vote,
        });
        ctx.accounts.round_account.open_audits.increment()?;
        ctx.accounts.node_stake.open_audits.increment()?;
        emit(Challenged {
            task: task.key(),
            round: submission.round,
            submission: submission.key(),
            node: submission.node,
            challenger,
            bond,
            weight,
        });
        Ok(())
    }
}
