//! `tasknet round …`: a round's windows, pool, submissions and audits.

use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use serde::Serialize;
use tasknet::logic::Phase;
use tasknet::state::{Audit, Round, Submission};
use tasknet_sdk::accounts::filters;
use tasknet_sdk::pda;

use super::create::AssetUnits;
use crate::context::{CliError, Ctx};
use crate::output::{Output, TableRow};
use crate::sol::Sol;

#[derive(Subcommand)]
pub enum RoundCommand {
    /// A round's windows, pool, submissions and audits.
    Show {
        /// The task's address.
        task: Pubkey,
        /// The round's number (0 is the first).
        round: u64,
    },
    /// The task's latest rounds: each one's phase, pool, submissions and
    /// audits (one read for all).
    List {
        /// The task's address.
        task: Pubkey,
        /// How many rounds, counting back from the current one.
        #[arg(long, default_value_t = 10)]
        last: u64,
    },
}

impl RoundCommand {
    pub async fn run(self, ctx: &Ctx) -> Result<Output, CliError> {
        match self {
            Self::Show { task, round } => Ok(Output::record(&show(ctx, task, round).await?)),
            Self::List { task, last } => Ok(Output::table(&list(ctx, task, last).await?)),
        }
    }
}

#[derive(Serialize)]
pub struct RoundRow {
    pub round: u64,
    pub phase: &'static str,
    /// Whether the round's account exists (opened by a first submission,
    /// not yet closed).
    pub account: &'static str,
    /// What the round's pool holds, in the task's asset (`asset`).
    pub pool: Option<String>,
    pub asset: String,
    /// The same in SOL, for a SOL task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_sol: Option<Sol>,
    pub submitted: Option<u32>,
    pub revealed: Option<u32>,
    pub open_audits: Option<u32>,
    pub claimed: Option<u32>,
}

impl TableRow for RoundRow {
    const COLUMNS: &'static [&'static str] = &[
        "round",
        "phase",
        "account",
        "pool",
        "asset",
        "submitted",
        "revealed",
        "open_audits",
        "claimed",
    ];
}

/// The latest `last` rounds up to the current one (or round 0 before it
/// starts), newest first.
async fn list(ctx: &Ctx, task: Pubkey, last: u64) -> Result<Vec<RoundRow>, CliError> {
    let t = ctx.task(&task).await?;
    let units = AssetUnits::of_task(ctx, &t).await?;
    let slot = ctx.chain.slot().await?;
    let current = t.schedule.round_at(slot).unwrap_or(0);
    let rounds: Vec<u64> = (current.saturating_sub(last.saturating_sub(1))..=current)
        .rev()
        .collect();
    let keys: Vec<Pubkey> = rounds.iter().map(|r| pda::round(&task, *r)).collect();
    let found = ctx.chain.raw_accounts(&keys).await?;
    rounds
        .iter()
        .zip(keys.iter().zip(found))
        .map(|(&round, (key, account))| {
            let account: Option<Round> = account
                .map(|a| tasknet_sdk::chain::decode_account(key, &a.data))
                .transpose()?;
            let phase = phase_name(t.schedule.phase(round, slot));
            Ok(RoundRow {
                round,
                phase,
                account: match (&account, phase) {
                    (Some(_), _) => "open",
                    (None, "not started" | "submit") => "none yet",
                    (None, _) => "none (no submission, or closed)",
                },
                pool: account
                    .as_ref()
                    .map(|r| units.format(r.reward_pool.saturating_sub(r.claimed_sum))),
                asset: units.label(),
                pool_sol: account
                    .as_ref()
                    .filter(|_| t.reward_token.is_none())
                    .map(|r| Sol(r.reward_pool.saturating_sub(r.claimed_sum))),
                submitted: account.as_ref().map(|r| r.submissions),
                revealed: account.as_ref().map(|r| r.revealed),
                open_audits: account.as_ref().map(|r| r.open_audits),
                claimed: account.as_ref().map(|r| r.claimed_count),
            })
        })
        .collect()
}

pub fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::NotStarted => "not started",
        Phase::Submit => "submit",
        Phase::Reveal => "reveal",
        Phase::Audit => "audit",
        Phase::Settle => "settle",
        Phase::Closable => "closable",
    }
}

#[derive(Serialize)]
pub struct SubmissionRow {
    pub node: String,
    pub status: String,
}

#[derive(Serialize)]
pub struct AuditRow {
    pub node: String,
    pub challenger: String,
    pub invalid_weight_sol: Sol,
    pub valid_weight_sol: Sol,
    pub verdict: String,
}

#[derive(Serialize)]
pub struct Shown {
    pub task: String,
    pub round: u64,
    pub phase: &'static str,
    pub submit_window: String,
    pub reveal_window: String,
    pub audit_window: String,
    pub claim_deadline: u64,
    /// Until the current phase's window closes (none once settling).
    pub phase_ends_in_seconds: Option<f64>,
    /// Until anyone may close the round (negative: since).
    pub claim_deadline_in_seconds: f64,
    /// "SOL", or the token's symbol or mint.
    pub asset: String,
    /// In the task's asset.
    pub reward_pool: String,
    pub claimed_amount: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward_pool_sol: Option<Sol>,
    pub eligible_stake_sol: Sol,
    pub submitted: u32,
    pub revealed: u32,
    pub invalidated: u32,
    pub open_audits: u32,
    pub claimed: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_sol: Option<Sol>,
    pub submissions: Vec<SubmissionRow>,
    pub audits: Vec<AuditRow>,
}

async fn show(ctx: &Ctx, task: Pubkey, round: u64) -> Result<Shown, CliError> {
    let t = ctx.task(&task).await?;
    let clock = ctx.slot_clock().await?;
    let slot = clock.slot;
    let Some(r): Option<Round> = ctx.chain.account(&pda::round(&task, round)).await? else {
        return Err(CliError::UnknownRound { task, round });
    };
    let submissions: Vec<(Pubkey, Submission)> = ctx
        .chain
        .program_accounts(&filters::round_submissions(&task, round))
        .await?;
    let audits: Vec<(Pubkey, Audit)> = ctx
        .chain
        .program_accounts(&filters::round_audits(&task, round))
        .await?;
    let mut submissions: Vec<SubmissionRow> = submissions
        .iter()
        .map(|(_, s)| SubmissionRow {
            node: s.node.to_string(),
            status: format!("{:?}", s.status),
        })
        .collect();
    submissions.sort_by(|a, b| a.node.cmp(&b.node));
    let audits = audits
        .iter()
        .map(|(_, a)| AuditRow {
            node: a.node.to_string(),
            challenger: a.challenger.to_string(),
            invalid_weight_sol: Sol(a.invalid_weight),
            valid_weight_sol: Sol(a.valid_weight),
            verdict: format!("{:?}", a.verdict),
        })
        .collect();
    let s = t.schedule;
    let units = AssetUnits::of_task(ctx, &t).await?;
    let sol = t.reward_token.is_none();
    let window = |from: u64, to: u64| format!("{from}..{to}");
    let phase = s.phase(round, slot);
    let phase_end = match phase {
        Phase::NotStarted => Some(s.round_start(round)),
        Phase::Submit => Some(s.submit_end(round)),
        Phase::Reveal => Some(s.reveal_end(round)),
        Phase::Audit => Some(s.audit_end(round)),
        Phase::Settle => Some(s.claim_deadline(round)),
        Phase::Closable => None,
    };
    Ok(Shown {
        task: task.to_string(),
        round,
        phase: phase_name(phase),
        submit_window: window(s.round_start(round), s.submit_end(round)),
        reveal_window: window(s.submit_end(round), s.reveal_end(round)),
        audit_window: window(s.reveal_end(round), s.audit_end(round)),
        claim_deadline: s.claim_deadline(round),
        phase_ends_in_seconds: phase_end.map(|end| clock.seconds_until(end)),
        claim_deadline_in_seconds: clock.seconds_until(s.claim_deadline(round)),
        asset: units.label(),
        reward_pool: units.format(r.reward_pool),
        claimed_amount: units.format(r.claimed_sum),
        reward_pool_sol: sol.then_some(Sol(r.reward_pool)),
        eligible_stake_sol: Sol(r.eligible_stake),
        submitted: r.submissions,
        revealed: r.revealed,
        invalidated: r.invalidated,
        open_audits: r.open_audits,
        claimed: r.claimed_count,
        claimed_sol: sol.then_some(Sol(r.claimed_sum)),
        submissions,
        audits,
    })
}
