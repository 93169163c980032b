use anchor_lang::prelude::*;

use crate::constants::VAULT_SEED;
use crate::errors::TasknetError;
use crate::events::{emit, AuditResolved};
use crate::logic::{slash_split, verdict, SlashSplit, Verdict};
use crate::state::*;
use crate::utils::pay_out;

/// Anyone may resolve an audit once its window has closed. The verdict is
/// computed here, on-chain, from the stake-weighted votes.
#[derive(Accounts)]
pub struct ResolveAudit<'info> {
    #[account(mut)]
    pub task: Box<Account<'info, Task>>,
    #[account(mut, seeds = [VAULT_SEED, task.key().as_ref()], bump = task.vault_bump)]
    pub vault: Account<'info, Vault>,
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        constraint = round_account.round == audit.round @ TasknetError::WrongRound,
    )]
    pub round_account: Box<Account<'info, Round>>,
    #[account(mut, has_one = task @ TasknetError::WrongTask)]
    pub submission: Box<Account<'info, Submission>>,
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        has_one = submission @ TasknetError::WrongAudit,
    )]
    pub audit: Box<Account<'info, Audit>>,
    #[account(
        mut,
        has_one = task @ TasknetError::WrongTask,
        constraint = node_stake.node == audit.node @ TasknetError::WrongStake,
    )]
    pub node_stake: Box<Account<'info, Stake>>,
    /// CHECK: receives the bond and slash share; must be the recorded challenger.
    #[account(mut, address = audit.challenger @ TasknetError::WrongPayoutAccount)]
    pub challenger: UncheckedAccount<'info>,
    /// CHECK: receives the bond on a valid verdict; must be the audited node.
    #[account(mut, address = audit.node @ TasknetError::WrongPayoutAccount)]
    pub node: UncheckedAccount<'info>,
}

impl ResolveAudit<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        require!(
            self.audit.verdict == AuditVerdict::Pending,
            TasknetError::AuditAlreadyResolved
        );
        require!(
            Clock::get()?.slot >= self.task.schedule.audit_end(self.audit.round),
            TasknetError::AuditWindowOpen
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        // The round's terms, fixed when it opened, judge it.
        let terms = accounts.round_account.economics;
        let outcome = verdict(
            accounts.audit.invalid_weight,
            accounts.audit.valid_weight,
            accounts.round_account.eligible_stake,
            terms.vote_threshold_bps,
            terms.quorum_bps,
        );
        accounts.settle(outcome == Verdict::Invalid)
    }

    /// Settles the audit on `invalid`, by vote (`resolve_audit`) or by the
    /// task's verifier (`verify_audit`): the bond, the slash and the
    /// counters.
    pub(crate) fn settle(&mut self, invalid: bool) -> Result<()> {
        let vault = self.vault.to_account_info();
        let task = &mut self.task;
        let audit = &mut self.audit;
        let stake = &mut self.node_stake;
        let submission = &mut self.submission;
        let round_account = &mut self.round_account;
        let terms = round_account.economics;
        audit.resolve(invalid)?;
        submission.resolve(audit.verdict)?;
        task.ledger.release_bond(audit.bond)?;
        let mut slash = SlashSplit::default();
        if invalid {
            slash = slash_split(
                stake.bonded.active,
                stake.bonded.pending,
                stake.unbonding,
                terms.slash_bps,
                terms.challenger_share_bps,
            );
            // Unbonding stake already left the task's bonded totals.
            task.bonded
                .remove_node_stake(
                    slash.from_active,
                    slash.from_pending,
                    stake.bonded.pending_round,
                )
                .map_err(TasknetError::from)?;
            stake.apply_slash(&slash)?;
            task.ledger.apply_slash(&slash)?;
            task.record_slash(slash.total())?;
            pay_out(
                &vault,
                &self.challenger,
                checked_add(audit.bond, slash.to_challenger)?,
            )?;
            round_account.invalidated.increment()?;
        } else {
            // A failed challenge pays its bond to the node it accused.
            pay_out(&vault, &self.node, audit.bond)?;
        }
        round_account.open_audits.decrement()?;
        stake.open_audits.decrement()?;
        emit(AuditResolved {
            task: task.key(),
            round: audit.round,
            submission: submission.key(),
            node: audit.node,
            invalid,
            invalid_weight: audit.invalid_weight,
            valid_weight: audit.valid_weight,
            slashed: slash.total(),
            to_challenger: slash.to_challenger,
        });
        Ok(())
    }
}
