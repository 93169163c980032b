//! The creator and operator commands of the `tasknet` CLI.

pub mod amount;
pub mod config;
pub mod manifest;
pub mod output;

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;

use tasknet::instructions::{CreateTaskArgs, UpdateTaskArgs};
use tasknet::logic::{Phase, Schedule};
use tasknet::state::{Audit, Economics, Round, Stake, Submission, Task};

use crate::chain::{ChainClient, ChainError};
use crate::keys::{read_keypair, KeypairError};
use crate::sdk::{self, pda};
use amount::format_sol;
use output::Output;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Keypair(#[from] KeypairError),
    #[error("transaction failed: {0}")]
    Chain(#[from] ChainError),
    #[error("task {0} does not exist on this cluster")]
    UnknownTask(Pubkey),
    #[error("round {round} of task {task} has no account (no submission yet, or already closed)")]
    UnknownRound { task: Pubkey, round: u64 },
}

/// A progress line on stderr while the command waits (only on a terminal,
/// so scripts and pipes see clean output); erased when dropped.
struct Progress(bool);

impl Progress {
    fn show(message: &str) -> Self {
        let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
        if tty {
            eprint!("{message}\r");
        }
        Progress(tty)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.0 {
            eprint!("\x1b[2K\r");
        }
    }
}

/// What every command needs: the cluster and who signs.
pub struct Ctx {
    pub chain: ChainClient,
    pub keypair_path: PathBuf,
}

impl Ctx {
    pub fn signer(&self) -> Result<Keypair, CliError> {
        Ok(read_keypair(&self.keypair_path)?)
    }

    async fn task(&self, task: &Pubkey) -> Result<Task, CliError> {
        match self.chain.account::<Task>(task).await {
            Ok(Some(t)) => Ok(t),
            Ok(None) | Err(ChainError::Decode { .. }) => Err(CliError::UnknownTask(*task)),
            Err(e) => Err(e.into()),
        }
    }

    async fn send(
        &self,
        signer: &Keypair,
        ix: anchor_lang::solana_program::instruction::Instruction,
    ) -> Result<String, CliError> {
        let _progress = Progress::show("sending and confirming the transaction…");
        Ok(self.chain.send(&[ix], signer, &[]).await?.to_string())
    }
}

fn sol(lamports: u64) -> Value {
    json!(format_sol(lamports))
}

fn state_name(task: &Task) -> &'static str {
    match task.state {
        tasknet::state::TaskState::Active => "active",
        tasknet::state::TaskState::Paused => "paused",
        tasknet::state::TaskState::Closed => "closed",
    }
}

/// Everything `task create` takes besides the ids of who and what.
pub struct CreateOptions {
    pub task_id: u64,
    pub name: String,
    pub metadata_uri: String,
    pub code_hash: [u8; 32],
    pub start_in_slots: u64,
    pub schedule: Schedule,
    pub economics: Economics,
    pub fund: u64,
}

pub async fn task_create(ctx: &Ctx, mut o: CreateOptions) -> Result<Output, CliError> {
    let creator = ctx.signer()?;
    // Checked here first, so a bad schedule sends nothing.
    o.schedule.start_slot = ctx.chain.slot().await? + o.start_in_slots;
    let commit_reveal = o.schedule.reveal_slots > 0;
    o.schedule
        .validate(commit_reveal)
        .map_err(|e| CliError::Input(format!("invalid schedule: {e:?} (see --round-slots, --submit-slots, --reveal-slots, --audit-slots)")))?;
    let task = pda::task(&creator.pubkey(), o.task_id);
    if ctx.chain.raw_account(&task).await?.is_some() {
        return Err(CliError::Input(format!(
            "task id {} is taken: {task} exists; choose another --id",
            o.task_id
        )));
    }
    let args = CreateTaskArgs {
        task_id: o.task_id,
        name: o.name,
        metadata_uri: o.metadata_uri,
        code_hash: o.code_hash,
        schedule: o.schedule,
        economics: o.economics,
        commit_reveal,
    };
    let mut ixs = vec![sdk::create_task(&creator.pubkey(), args)];
    if o.fund > 0 {
        ixs.push(sdk::fund_task(&creator.pubkey(), &task, o.fund));
    }
    let signature = {
        let _progress = Progress::show("creating the task…");
        ctx.chain.send(&ixs, &creator, &[]).await?
    };
    Ok(Output::Fields(vec![
        ("task", json!(task.to_string())),
        ("signature", json!(signature.to_string())),
        ("start_slot", json!(o.schedule.start_slot)),
        ("commit_reveal", json!(commit_reveal)),
        ("funded_sol", sol(o.fund)),
    ]))
}

/// After a bounty change: the task, the signature and the new bounty.
async fn bounty_output(ctx: &Ctx, task: Pubkey, signature: String) -> Result<Output, CliError> {
    let t = ctx.task(&task).await?;
    Ok(Output::Fields(vec![
        ("task", json!(task.to_string())),
        ("signature", json!(signature)),
        ("bounty_available_sol", sol(t.ledger.bounty_available)),
    ]))
}

pub async fn task_fund(ctx: &Ctx, task: Pubkey, amount: u64) -> Result<Output, CliError> {
    ctx.task(&task).await?;
    let funder = ctx.signer()?;
    let signature = ctx
        .send(&funder, sdk::fund_task(&funder.pubkey(), &task, amount))
        .await?;
    bounty_output(ctx, task, signature).await
}

pub async fn task_update(
    ctx: &Ctx,
    task: Pubkey,
    args: UpdateTaskArgs,
) -> Result<Output, CliError> {
    ctx.task(&task).await?;
    let creator = ctx.signer()?;
    let signature = ctx
        .send(&creator, sdk::update_task(&creator.pubkey(), &task, args))
        .await?;
    Ok(Output::Fields(vec![
        ("task", json!(task.to_string())),
        ("signature", json!(signature)),
    ]))
}

/// pause, resume, close: creator-only instructions with no arguments.
pub async fn task_simple(ctx: &Ctx, task: Pubkey, action: &str) -> Result<Output, CliError> {
    ctx.task(&task).await?;
    let creator = ctx.signer()?;
    let c = creator.pubkey();
    let ix = match action {
        "pause" => sdk::pause_task(&c, &task),
        "resume" => sdk::resume_task(&c, &task),
        _ => sdk::close_task(&c, &task),
    };
    let signature = ctx.send(&creator, ix).await?;
    let state = match ctx.chain.account::<Task>(&task).await? {
        Some(t) => state_name(&t),
        None => "closed (accounts closed)",
    };
    Ok(Output::Fields(vec![
        ("task", json!(task.to_string())),
        ("signature", json!(signature)),
        ("state", json!(state)),
    ]))
}

pub async fn task_withdraw(ctx: &Ctx, task: Pubkey, amount: u64) -> Result<Output, CliError> {
    ctx.task(&task).await?;
    let creator = ctx.signer()?;
    let signature = ctx
        .send(
            &creator,
            sdk::withdraw_bounty(&creator.pubkey(), &task, amount),
        )
        .await?;
    bounty_output(ctx, task, signature).await
}

pub async fn task_show(ctx: &Ctx, task: Pubkey) -> Result<Output, CliError> {
    let t = ctx.task(&task).await?;
    let slot = ctx.chain.slot().await?;
    let s = t.schedule;
    Ok(Output::Fields(vec![
        ("task", json!(task.to_string())),
        ("name", json!(t.name)),
        ("creator", json!(t.creator.to_string())),
        ("task_id", json!(t.task_id)),
        ("state", json!(state_name(&t))),
        ("metadata_uri", json!(t.metadata_uri)),
        ("code_hash", json!(hex::encode(t.code_hash))),
        ("commit_reveal", json!(s.commit_reveal())),
        ("start_slot", json!(s.start_slot)),
        ("round_slots", json!(s.round_slots)),
        ("submit_slots", json!(s.submit_slots)),
        ("reveal_slots", json!(s.reveal_slots)),
        ("audit_slots", json!(s.audit_slots)),
        ("claim_rounds", json!(s.claim_rounds)),
        ("current_slot", json!(slot)),
        ("current_round", json!(s.round_at(slot))),
        ("reward_per_round_sol", sol(t.economics.reward_per_round)),
        ("min_stake_sol", sol(t.economics.min_stake)),
        ("challenge_bond_sol", sol(t.economics.challenge_bond)),
        ("slash_bps", json!(t.economics.slash_bps)),
        (
            "challenger_share_bps",
            json!(t.economics.challenger_share_bps),
        ),
        ("vote_threshold_bps", json!(t.economics.vote_threshold_bps)),
        ("quorum_bps", json!(t.economics.quorum_bps)),
        ("bounty_available_sol", sol(t.ledger.bounty_available)),
        ("staked_total_sol", sol(t.ledger.staked_total)),
        ("pools_outstanding_sol", sol(t.ledger.pools_outstanding)),
        ("bonds_held_sol", sol(t.ledger.bonds_held)),
        ("node_count", json!(t.node_count)),
        ("total_paid_sol", sol(t.total_paid)),
        ("total_slashed_sol", sol(t.total_slashed)),
    ]))
}

pub async fn task_list(ctx: &Ctx, creator: Option<Pubkey>) -> Result<Output, CliError> {
    // `creator` is the first field of Task.
    let filters: Vec<(usize, Vec<u8>)> =
        creator.iter().map(|c| (8, c.to_bytes().to_vec())).collect();
    let mut tasks = ctx.chain.program_accounts::<Task>(&filters).await?;
    tasks.sort_by_key(|(_, t)| (t.creator, t.task_id));
    Ok(Output::Table {
        columns: vec!["task", "name", "state", "bounty_sol", "staked_sol", "nodes"],
        rows: tasks
            .iter()
            .map(|(key, t)| {
                vec![
                    json!(key.to_string()),
                    json!(t.name),
                    json!(state_name(t)),
                    sol(t.ledger.bounty_available),
                    sol(t.ledger.staked_total),
                    json!(t.node_count),
                ]
            })
            .collect(),
    })
}

pub async fn node_stake(
    ctx: &Ctx,
    task: Pubkey,
    amount: u64,
    endpoint: Option<String>,
) -> Result<Output, CliError> {
    ctx.task(&task).await?;
    let node = ctx.signer()?;
    let signature = ctx
        .send(&node, sdk::stake(&node.pubkey(), &task, amount, endpoint))
        .await?;
    node_status_fields(ctx, task, node.pubkey(), Some(signature)).await
}

/// unstake and withdraw: the node's own stake, no arguments.
pub async fn node_simple(ctx: &Ctx, task: Pubkey, action: &str) -> Result<Output, CliError> {
    ctx.task(&task).await?;
    let node = ctx.signer()?;
    let n = node.pubkey();
    if ctx
        .chain
        .raw_account(&pda::stake(&task, &n))
        .await?
        .is_none()
    {
        return Err(CliError::Input(format!(
            "node {n} has no stake on task {task}"
        )));
    }
    let ix = if action == "unstake" {
        sdk::unstake(&n, &task)
    } else {
        sdk::withdraw_stake(&n, &task)
    };
    let signature = ctx.send(&node, ix).await?;
    node_status_fields(ctx, task, n, Some(signature)).await
}

pub async fn node_status(
    ctx: &Ctx,
    task: Pubkey,
    node: Option<Pubkey>,
) -> Result<Output, CliError> {
    ctx.task(&task).await?;
    let node = match node {
        Some(n) => n,
        None => ctx.signer()?.pubkey(),
    };
    node_status_fields(ctx, task, node, None).await
}

async fn node_status_fields(
    ctx: &Ctx,
    task: Pubkey,
    node: Pubkey,
    signature: Option<String>,
) -> Result<Output, CliError> {
    let t = ctx.task(&task).await?;
    let stake: Option<Stake> = ctx.chain.account(&pda::stake(&task, &node)).await?;
    let slot = ctx.chain.slot().await?;
    let round = t.schedule.round_at(slot);
    let mut fields = vec![
        ("task", json!(task.to_string())),
        ("node", json!(node.to_string())),
    ];
    if let Some(signature) = signature {
        fields.push(("signature", json!(signature)));
    }
    match stake {
        None => fields.push(("staked", json!(false))),
        Some(s) => {
            let eligible = round.map(|r| {
                s.bonded
                    .eligibility(s.unbonding, t.economics.min_stake, r)
                    .is_ok()
            });
            fields.extend([
                ("staked", json!(true)),
                ("active_sol", sol(s.bonded.active)),
                ("pending_sol", sol(s.bonded.pending)),
                ("pending_activates_in_round", json!(s.bonded.pending_round)),
                ("unbonding_sol", sol(s.unbonding)),
                (
                    "unbonding_frees_at_slot",
                    json!((s.unbonding > 0).then_some(s.unbonding_frees_at)),
                ),
                ("endpoint", json!(s.endpoint)),
                ("open_audits", json!(s.open_audits)),
                ("submissions", json!(s.submissions)),
                ("slashed_total_sol", sol(s.slashed_total)),
                ("current_round", json!(round)),
                ("eligible_this_round", json!(eligible)),
            ]);
        }
    }
    Ok(Output::Fields(fields))
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::NotStarted => "not started",
        Phase::Submit => "submit",
        Phase::Reveal => "reveal",
        Phase::Audit => "audit",
        Phase::Settle => "settle",
        Phase::Closable => "closable",
    }
}

pub async fn round_show(ctx: &Ctx, task: Pubkey, round: u64) -> Result<Output, CliError> {
    let t = ctx.task(&task).await?;
    let slot = ctx.chain.slot().await?;
    let Some(r): Option<Round> = ctx.chain.account(&pda::round(&task, round)).await? else {
        return Err(CliError::UnknownRound { task, round });
    };
    let submissions = ctx
        .chain
        .program_accounts::<Submission>(&[
            (Submission::TASK_OFFSET, task.to_bytes().to_vec()),
            (Submission::ROUND_OFFSET, round.to_le_bytes().to_vec()),
        ])
        .await?;
    let audits = ctx
        .chain
        .program_accounts::<Audit>(&[
            (8, task.to_bytes().to_vec()),
            (40, round.to_le_bytes().to_vec()),
        ])
        .await?;
    let mut nodes: Vec<Value> = submissions
        .iter()
        .map(|(_, s)| json!({"node": s.node.to_string(), "status": format!("{:?}", s.status)}))
        .collect();
    nodes.sort_by_key(|v| v["node"].as_str().unwrap_or_default().to_string());
    let audits: Vec<Value> = audits
        .iter()
        .map(|(_, a)| {
            json!({
                "node": a.node.to_string(),
                "challenger": a.challenger.to_string(),
                "invalid_weight_sol": format_sol(a.invalid_weight),
                "valid_weight_sol": format_sol(a.valid_weight),
                "verdict": format!("{:?}", a.verdict),
            })
        })
        .collect();
    let s = t.schedule;
    Ok(Output::Fields(vec![
        ("task", json!(task.to_string())),
        ("round", json!(round)),
        ("phase", json!(phase_name(s.phase(round, slot)))),
        (
            "submit_window",
            json!(format!("{}..{}", s.round_start(round), s.submit_end(round))),
        ),
        (
            "reveal_window",
            json!(format!("{}..{}", s.submit_end(round), s.reveal_end(round))),
        ),
        (
            "audit_window",
            json!(format!("{}..{}", s.reveal_end(round), s.audit_end(round))),
        ),
        ("claim_deadline", json!(s.claim_deadline(round))),
        ("reward_pool_sol", sol(r.reward_pool)),
        ("eligible_stake_sol", sol(r.eligible_stake)),
        ("submitted", json!(r.submissions)),
        ("revealed", json!(r.revealed)),
        ("invalidated", json!(r.invalidated)),
        ("open_audits", json!(r.open_audits)),
        ("claimed", json!(r.claimed_count)),
        ("claimed_sol", sol(r.claimed_sum)),
        ("submissions", Value::Array(nodes)),
        ("audits", Value::Array(audits)),
    ]))
}

pub async fn airdrop(ctx: &Ctx, amount: u64, to: Option<Pubkey>) -> Result<Output, CliError> {
    let to = match to {
        Some(to) => to,
        None => ctx.signer()?.pubkey(),
    };
    ctx.chain.airdrop(&to, amount).await?;
    Ok(Output::Fields(vec![
        ("address", json!(to.to_string())),
        ("balance_sol", sol(ctx.chain.balance(&to).await?)),
    ]))
}
