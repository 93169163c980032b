//! `tasknet task crank <TASK>`: settles and closes a task's finished rounds
//! so the task can close. Anyone may send these instructions; nodes send
//! them as they go, and this is for whatever they left: audits whose
//! window closed are resolved, and after the claim deadline votes,
//! submissions (paying any reward a node had not claimed) and rounds are
//! closed, every rent back to whoever paid it and the dust to the bounty.

use anchor_lang::prelude::Pubkey;
use serde::Serialize;
use tasknet::state::{Audit, AuditVerdict, Round, Submission, Vote};
use tasknet_sdk::accounts::filters;
use tasknet_sdk::{self as sdk};

use crate::context::{CliError, Ctx};
use crate::sol::Sol;

#[derive(Serialize, Default)]
pub struct Cranked {
    pub task: String,
    pub audits_resolved: u32,
    pub votes_closed: u32,
    pub submissions_closed: u32,
    pub rounds_closed: u32,
    /// Rounds still open: their claim deadline has not passed.
    pub rounds_waiting: u32,
    pub returned_to_bounty_sol: Sol,
}

pub async fn crank(ctx: &Ctx, task: Pubkey) -> Result<Cranked, CliError> {
    let t = ctx.task(&task).await?;
    let signer = ctx.signer()?;
    let slot = ctx.chain.slot().await?;
    let bounty_before = t.ledger.bounty_available;
    let mut rounds: Vec<(Pubkey, Round)> = ctx
        .chain
        .program_accounts(&filters::task_rounds(&task))
        .await?;
    rounds.sort_by_key(|(_, r)| r.round);
    let mut done = Cranked {
        task: task.to_string(),
        ..Cranked::default()
    };
    let schedule = t.schedule;
    for (_, round) in rounds {
        let r = round.round;
        if slot < schedule.audit_end(r) {
            done.rounds_waiting += 1;
            continue;
        }
        let audits: Vec<(Pubkey, Audit)> = ctx
            .chain
            .program_accounts(&filters::round_audits(&task, r))
            .await?;
        for (_, audit) in audits
            .iter()
            .filter(|(_, a)| a.verdict == AuditVerdict::Pending)
        {
            let ix = sdk::resolve_audit(&task, r, &audit.node, &audit.challenger);
            ctx.send(&signer, &[ix]).await?;
            done.audits_resolved += 1;
        }
        if slot < schedule.claim_deadline(r) {
            done.rounds_waiting += 1;
            continue;
        }
        for (audit_key, audit) in &audits {
            let votes: Vec<(Pubkey, Vote)> = ctx
                .chain
                .program_accounts(&filters::audit_votes(audit_key))
                .await?;
            for (_, vote) in votes {
                let ix = sdk::close_vote(&task, r, &audit.node, &vote.voter);
                ctx.send(&signer, &[ix]).await?;
                done.votes_closed += 1;
            }
        }
        let submissions: Vec<(Pubkey, Submission)> = ctx
            .chain
            .program_accounts(&filters::round_submissions(&task, r))
            .await?;
        for (key, submission) in submissions {
            let challenger = audits
                .iter()
                .find(|(_, a)| a.submission == key)
                .map(|(_, a)| a.challenger);
            let ix = sdk::close_submission(&task, r, &submission.node, challenger.as_ref());
            ctx.send(&signer, &[ix]).await?;
            done.submissions_closed += 1;
        }
        ctx.send(&signer, &[sdk::close_round(&task, r, &round.rent_payer)])
            .await?;
        done.rounds_closed += 1;
    }
    let bounty_after = ctx.task(&task).await?.ledger.bounty_available;
    done.returned_to_bounty_sol = Sol(bounty_after.saturating_sub(bounty_before));
    Ok(done)
}
