//! `tasknet task crank <TASK>`: settles and closes a task's finished rounds
//! so the task can close. Anyone may send these instructions; nodes send
//! them as they go, and this is for whatever they left. It is the node's
//! own round driver with the [`Crank`] policy (resolve every audit whose
//! window closed; after the claim deadline close every vote, submission —
//! paying any reward a node had not claimed — and round, with no grace),
//! so the order of closes exists once, in `tasknet_node::decide`.

use std::sync::Mutex;

use anchor_lang::prelude::Pubkey;
use serde::Serialize;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::logic::Phase;
use tasknet::state::Round;
use tasknet_node::driver::{drive_round, Records, RoundHost};
use tasknet_node::snapshot::{RoundMemory, RoundSnapshot, TaskView};
use tasknet_node::{Action, Crank, NodeError};
use tasknet_sdk::accounts::filters;
use tasknet_sdk::chain::ChainClient;

use crate::context::{CliError, Ctx};
use crate::sol::Sol;

#[derive(Serialize, Default, Clone, PartialEq, Eq)]
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

/// Passes over one round: resolving its audits frees their votes, closing
/// the votes frees the submissions, and those the round.
const PASSES: usize = 4;

pub async fn crank(ctx: &Ctx, task: Pubkey) -> Result<Cranked, CliError> {
    let bounty_before = ctx.task(&task).await?.ledger.bounty_available;
    let signer = ctx.signer()?;
    let mut rounds: Vec<(Pubkey, Round)> = ctx
        .chain
        .program_accounts(&filters::task_rounds(&task))
        .await?;
    rounds.sort_by_key(|(_, r)| r.round);
    let host = CrankHost {
        chain: &ctx.chain,
        signer: &signer,
        task,
        done: Mutex::new(Cranked {
            task: task.to_string(),
            ..Cranked::default()
        }),
    };
    for (_, round) in rounds {
        let mut phase = Phase::NotStarted;
        for _pass in 0..PASSES {
            let view = TaskView::read(&ctx.chain, signer.pubkey(), task, 0).await?;
            phase = view.task.schedule.phase(round.round, view.slot);
            let before = host.done();
            let mut memory = RoundMemory::default();
            drive_round(&host, &Crank, &view, round.round, &mut memory).await?;
            if host.done() == before {
                break;
            }
        }
        if phase != Phase::Closable {
            host.lock().rounds_waiting += 1;
        }
    }
    let mut done = host.done();
    let bounty_after = ctx.task(&task).await?.ledger.bounty_available;
    done.returned_to_bounty_sol = Sol(bounty_after.saturating_sub(bounty_before));
    Ok(done)
}

/// The crank as the round driver's host: it sends each action's
/// transaction at once, signed by the CLI's keypair, and counts it.
struct CrankHost<'a> {
    chain: &'a ChainClient,
    signer: &'a Keypair,
    task: Pubkey,
    done: Mutex<Cranked>,
}

impl CrankHost<'_> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Cranked> {
        self.done.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn done(&self) -> Cranked {
        self.lock().clone()
    }
}

impl RoundHost for CrankHost<'_> {
    type Source = ChainClient;

    fn source(&self) -> &ChainClient {
        self.chain
    }

    fn round_done(&self, _round: u64) -> Result<bool, NodeError> {
        Ok(false)
    }

    /// The crank keeps no records: it never runs code or audits.
    fn records(&self, _round: u64, _verdicts: bool) -> Result<Records, NodeError> {
        Ok(Records::default())
    }

    /// The crank does no off-chain work.
    async fn perform(&self, _s: &RoundSnapshot<'_>, _action: Action) -> Result<bool, NodeError> {
        Ok(false)
    }

    /// One transaction per action: a crank another crank beat to it fails
    /// alone, not with the rest.
    async fn send(&self, view: &TaskView, actions: Vec<(u64, Action)>) -> Result<(), NodeError> {
        // A crank pays other nodes' unclaimed shares: in a token task, into
        // their token accounts, which it creates when missing.
        let asset = tasknet_sdk::tokens::TokenAsset::of(&view.task);
        let payout = tasknet_node::action::Payout {
            asset: asset.as_ref(),
            account_exists: false,
        };
        for (round, action) in actions {
            let instructions =
                action.instructions(&self.signer.pubkey(), &self.task, round, payout);
            if instructions.is_empty() {
                continue;
            }
            self.chain.send(&instructions, self.signer, &[]).await?;
            let mut done = self.lock();
            match action {
                Action::Resolve { .. } => done.audits_resolved += 1,
                Action::CloseVote { .. } => done.votes_closed += 1,
                Action::CloseSubmission { .. } => done.submissions_closed += 1,
                Action::CloseRound { .. } => done.rounds_closed += 1,
                _ => {}
            }
        }
        Ok(())
    }
}
