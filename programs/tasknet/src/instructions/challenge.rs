use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::TasknetError;
use crate::events::{emit, Challenged};
use crate::logic::Phase;
use crate::pda;
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
    /// CHECK: created here (`pda::create_at`, which a donation to the
    /// address cannot block); its existence means the submission was
    /// challenged.
    #[account(mut, seeds = [AUDIT_SEED, submission.key().as_ref()], bump)]
    pub audit: UncheckedAccount<'info>,
    /// CHECK: the challenger's invalid vote, created here like the audit.
    #[account(
        mut,
        seeds = [VOTE_SEED, audit.key().as_ref(), challenger.key().as_ref()],
        bump,
    )]
    pub vote: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl<'info> Challenge<'info> {
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
        submission.check_challengeable()?;
        require!(
            !pda::exists(&self.audit) && !pda::exists(&self.vote),
            TasknetError::AlreadyChallenged
        );
        self.weight().map(|_| ())
    }

    /// The challenger's weight in the submission's round, if eligible by
    /// the round's terms (fixed when it opened).
    fn weight(&self) -> Result<u64> {
        self.challenger_stake.eligible_weight(
            self.round_account.economics.min_stake,
            self.submission.round,
        )
    }

    /// Creates the audit and the challenger's vote accounts. Lamports sent
    /// to either address beforehand stay with the account and go with its
    /// rent when it closes (to the challenger, the voter).
    fn create_accounts(&self, bumps: &ChallengeBumps) -> Result<()> {
        let challenger = self.challenger.key();
        let (audit_key, submission_key) = (self.audit.key(), self.submission.key());
        let payer = self.challenger.to_account_info();
        let create = |account: &AccountInfo<'info>, seeds: &[&[u8]], bump, space| {
            pda::create_at(&payer, account, seeds, bump, space).map(|_| ())
        };
        let audit_seeds = [AUDIT_SEED, submission_key.as_ref()];
        create(
            &self.audit,
            &audit_seeds,
            bumps.audit,
            8 + Audit::INIT_SPACE,
        )?;
        let vote_seeds = [VOTE_SEED, audit_key.as_ref(), challenger.as_ref()];
        create(&self.vote, &vote_seeds, bumps.vote, 8 + Vote::INIT_SPACE)
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let weight = ctx.accounts.weight()?;
        ctx.accounts.create_accounts(&ctx.bumps)?;
        let accounts = ctx.accounts;
        let challenger = accounts.challenger.key();
        let (audit_key, submission_key) = (accounts.audit.key(), accounts.submission.key());
        let terms = accounts.round_account.economics;
        let task = &mut accounts.task;
        let bond = terms.challenge_bond;
        task.ledger.hold_bond(bond)?;
        deposit(
            &accounts.challenger,
            &accounts.vault.to_account_info(),
            bond,
        )?;

        let submission = &mut accounts.submission;
        submission.challenge()?;
        let audit = Audit::open(
            submission_key,
            submission,
            challenger,
            &terms,
            weight,
            ctx.bumps.audit,
        );
        pda::write(&accounts.audit, &audit)?;
        pda::write(
            &accounts.vote,
            &Vote {
                audit: audit_key,
                voter: challenger,
                weight,
                invalid: true,
                bump: ctx.bumps.vote,
            },
        )?;
        accounts.round_account.open_audits.increment()?;
        accounts.node_stake.open_audits.increment()?;
        emit(Challenged {
            task: task.key(),
            round: submission.round,
            submission: submission_key,
            node: submission.node,
            challenger,
            bond,
            weight,
        });
        Ok(())
    }
}
