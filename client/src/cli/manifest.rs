//! Task manifests: the tasks a creator wants, declared in TOML, reconciled
//! with the chain. `apply` creates missing tasks, tops bounties up to their
//! target and updates metadata, code hash, reward and minimum stake where
//! they differ; it touches nothing else (schedules never change on-chain)
//! and a second apply of the same manifest changes nothing.
//!
//! ```toml
//! [[task]]
//! id = 1
//! name = "iterated-hash"
//! metadata_uri = "https://example.org/tasks/iterated-hash.json"
//! code_file = "target/debug/examples/iterated_hash"   # or code_hash = "<hex>", or example = true
//! reward = "0.1"            # SOL per round
//! bounty_target = "5"       # top the bounty up to this
//! min_stake = "1"
//! challenge_bond = "0.05"
//! slash_bps = 2000
//! challenger_share_bps = 2500
//! vote_threshold_bps = 5000
//! quorum_bps = 3000
//! [task.schedule]           # used only when the task is created
//! start_in = 150
//! round_slots = 150
//! submit_slots = 50
//! reveal_slots = 40         # 0: no commit-reveal
//! audit_slots = 60
//! claim_rounds = 2
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use solana_signer::Signer;

use tasknet::instructions::UpdateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::{Economics, Task};

use super::amount::{format_sol, parse_sol};
use super::output::Output;
use super::{CliError, CreateOptions, Ctx};
use crate::node::code::{IteratedHash, TaskCode};
use crate::sdk::{self, pda};

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    task: Vec<TaskEntry>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct TaskEntry {
    id: u64,
    name: String,
    #[serde(default)]
    metadata_uri: String,
    code_hash: Option<String>,
    code_file: Option<PathBuf>,
    #[serde(default)]
    example: bool,
    reward: String,
    #[serde(default = "zero")]
    bounty_target: String,
    #[serde(default = "one")]
    min_stake: String,
    #[serde(default = "bond")]
    challenge_bond: String,
    #[serde(default = "slash")]
    slash_bps: u16,
    #[serde(default = "share")]
    challenger_share_bps: u16,
    #[serde(default = "threshold")]
    vote_threshold_bps: u16,
    #[serde(default = "quorum")]
    quorum_bps: u16,
    schedule: ScheduleEntry,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ScheduleEntry {
    #[serde(default = "start_in")]
    start_in: u64,
    round_slots: u64,
    submit_slots: u64,
    #[serde(default)]
    reveal_slots: u64,
    audit_slots: u64,
    #[serde(default = "claim_rounds")]
    claim_rounds: u64,
}

fn zero() -> String {
    "0".into()
}
fn one() -> String {
    "1".into()
}
fn bond() -> String {
    "0.05".into()
}
fn slash() -> u16 {
    2_000
}
fn share() -> u16 {
    2_500
}
fn threshold() -> u16 {
    5_000
}
fn quorum() -> u16 {
    3_000
}
fn start_in() -> u64 {
    150
}
fn claim_rounds() -> u64 {
    2
}

/// A manifest task, checked and in lamports.
struct Desired {
    options: CreateOptions,
    bounty_target: u64,
}

fn input(path: &Path, id: Option<u64>, field: &str, detail: impl std::fmt::Display) -> CliError {
    match id {
        Some(id) => CliError::Input(format!("{}: task {id}: {field}: {detail}", path.display())),
        None => CliError::Input(format!("{}: {detail}", path.display())),
    }
}

fn load(path: &Path) -> Result<Vec<Desired>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| input(path, None, "", e))?;
    let manifest: Manifest =
        toml::from_str(&text).map_err(|e| input(path, None, "", e.message().to_string()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    manifest
        .task
        .into_iter()
        .map(|t| {
            let id = Some(t.id);
            let sol =
                |field: &str, value: &str| parse_sol(value).map_err(|e| input(path, id, field, e));
            let code_hash: [u8; 32] = match (&t.code_hash, &t.code_file, t.example) {
                (Some(hex_hash), None, false) => hex::decode(hex_hash)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| input(path, id, "code_hash", "not a 64-digit hex sha256"))?,
                (None, Some(file), false) => {
                    let file = if file.is_absolute() {
                        file.clone()
                    } else {
                        base.join(file)
                    };
                    let bytes = std::fs::read(&file).map_err(|e| {
                        input(path, id, "code_file", format!("{}: {e}", file.display()))
                    })?;
                    Sha256::digest(bytes).into()
                }
                (None, None, true) => IteratedHash.code_hash(),
                _ => {
                    return Err(input(
                        path,
                        id,
                        "code",
                        "give exactly one of code_hash, code_file, example = true",
                    ))
                }
            };
            let schedule = Schedule {
                start_slot: 0,
                round_slots: t.schedule.round_slots,
                submit_slots: t.schedule.submit_slots,
                reveal_slots: t.schedule.reveal_slots,
                audit_slots: t.schedule.audit_slots,
                claim_rounds: t.schedule.claim_rounds,
            };
            schedule
                .validate(schedule.reveal_slots > 0)
                .map_err(|e| input(path, id, "schedule", format!("{e:?}")))?;
            Ok(Desired {
                bounty_target: sol("bounty_target", &t.bounty_target)?,
                options: CreateOptions {
                    task_id: t.id,
                    name: t.name,
                    metadata_uri: t.metadata_uri,
                    code_hash,
                    start_in_slots: t.schedule.start_in,
                    schedule,
                    economics: Economics {
                        reward_per_round: sol("reward", &t.reward)?,
                        min_stake: sol("min_stake", &t.min_stake)?,
                        challenge_bond: sol("challenge_bond", &t.challenge_bond)?,
                        slash_bps: t.slash_bps,
                        challenger_share_bps: t.challenger_share_bps,
                        vote_threshold_bps: t.vote_threshold_bps,
                        quorum_bps: t.quorum_bps,
                    },
                    fund: 0,
                },
            })
        })
        .collect()
}

/// What must change for an existing task to match the manifest.
fn update_for(task: &Task, want: &CreateOptions) -> (UpdateTaskArgs, Vec<&'static str>) {
    let mut args = UpdateTaskArgs::default();
    let mut changed = Vec::new();
    if task.metadata_uri != want.metadata_uri {
        args.metadata_uri = Some(want.metadata_uri.clone());
        changed.push("metadata_uri");
    }
    if task.code_hash != want.code_hash {
        args.code_hash = Some(want.code_hash);
        changed.push("code_hash");
    }
    if task.economics.reward_per_round != want.economics.reward_per_round {
        args.reward_per_round = Some(want.economics.reward_per_round);
        changed.push("reward");
    }
    if task.economics.min_stake != want.economics.min_stake {
        args.min_stake = Some(want.economics.min_stake);
        changed.push("min_stake");
    }
    (args, changed)
}

/// Reconciles the chain with the manifest; one row per task.
pub async fn apply(ctx: &Ctx, path: &Path) -> Result<Output, CliError> {
    let desired = load(path)?;
    let creator = ctx.signer()?;
    let mut rows = Vec::new();
    for want in desired {
        let id = want.options.task_id;
        let address = pda::task(&creator.pubkey(), id);
        let mut actions: Vec<String> = Vec::new();
        let existing: Option<Task> = ctx.chain.account(&address).await?;
        let bounty = match &existing {
            None => {
                let target = want.bounty_target;
                let mut options = want.options;
                options.fund = target;
                super::task_create(ctx, options).await?;
                actions.push("created".into());
                if target > 0 {
                    actions.push(format!("funded {}", format_sol(target)));
                }
                target
            }
            Some(task) => {
                let (args, changed) = update_for(task, &want.options);
                if !changed.is_empty() {
                    ctx.chain
                        .send(
                            &[sdk::update_task(&creator.pubkey(), &address, args)],
                            &creator,
                            &[],
                        )
                        .await?;
                    actions.push(format!("updated {}", changed.join(",")));
                }
                let have = task.ledger.bounty_available;
                if have < want.bounty_target {
                    let top_up = want.bounty_target - have;
                    ctx.chain
                        .send(
                            &[sdk::fund_task(&creator.pubkey(), &address, top_up)],
                            &creator,
                            &[],
                        )
                        .await?;
                    actions.push(format!("funded {}", format_sol(top_up)));
                }
                have.max(want.bounty_target)
            }
        };
        if actions.is_empty() {
            actions.push("unchanged".into());
        }
        rows.push(vec![
            json!(id),
            json!(address.to_string()),
            json!(actions.join("; ")),
            json!(format_sol(bounty)),
        ]);
    }
    Ok(Output::Table {
        columns: vec!["id", "task", "actions", "bounty_sol"],
        rows,
    })
}
