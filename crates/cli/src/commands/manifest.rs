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
//! code_file = "iterated_hash.wasm"   # or code_hash = "<hex>", or example = true
//! code_uri = "https://example.org/tasks/iterated_hash.wasm"   # where nodes fetch it
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
//! [task.limits]             # what a module's call may use; 0 or absent: the node's default
//! fuel = 2000000000
//! memory_mib = 64
//! deadline_ms = 5000
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use solana_signer::Signer;

use tasknet::instructions::UpdateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::{CodeLimits, Economics, Task};
use tasknet_node::code::CodeSource;
use tasknet_sdk::amount::parse_sol;
use tasknet_sdk::defaults::{ECONOMICS, START_IN_SLOTS};
use tasknet_sdk::{self as sdk, pda};

use super::create::{code_source, create, parse_hash, AssetUnits, CreateOptions};
use crate::context::{CliError, Ctx};
use crate::output::TableRow;
use crate::sol::Amount;
use anchor_lang::prelude::Pubkey;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    task: Vec<TaskEntry>,
}

/// One `[[task]]`. Amounts are SOL strings, parsed here so an error can
/// name the task and the field; what is left out comes from
/// `tasknet_sdk::defaults`.
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
    #[serde(default)]
    code_uri: String,
    #[serde(default)]
    limits: LimitsEntry,
    reward: String,
    /// Pay rewards in this SPL Token or Token-2022 mint (then `reward` and
    /// `bounty_target` are in its units).
    mint: Option<String>,
    #[serde(default)]
    accept_freeze_authority: bool,
    /// A verifier program that decides challenges exactly (fixed at
    /// creation).
    verifier: Option<String>,
    bounty_target: Option<String>,
    min_stake: Option<String>,
    challenge_bond: Option<String>,
    slash_bps: Option<u16>,
    challenger_share_bps: Option<u16>,
    vote_threshold_bps: Option<u16>,
    quorum_bps: Option<u16>,
    schedule: ScheduleEntry,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ScheduleEntry {
    start_in: Option<u64>,
    round_slots: u64,
    submit_slots: u64,
    #[serde(default)]
    reveal_slots: u64,
    audit_slots: u64,
    claim_rounds: Option<u64>,
}

/// `[task.limits]`: what the creator asks a module's call may use.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct LimitsEntry {
    #[serde(default)]
    fuel: u64,
    #[serde(default)]
    memory_mib: u32,
    #[serde(default)]
    deadline_ms: u32,
}

/// A manifest task, checked; amounts still in text until the asset's
/// decimals are known.
struct Desired {
    options: CreateOptions,
    bounty_target: Amount,
}

/// A manifest file and its text, to name where a problem is.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    /// "<file>:<line>: task <id>: <field>: <detail>", the line being the
    /// field's in that task's `[[task]]` table (or the table's own).
    fn error(&self, id: Option<u64>, field: &str, detail: impl std::fmt::Display) -> CliError {
        let file = self.path.display();
        match id {
            Some(id) => {
                let line = self
                    .line_of(id, field)
                    .map_or(String::new(), |l| format!(":{l}"));
                CliError::Input(format!("{file}{line}: task {id}: {field}: {detail}"))
            }
            None => CliError::Input(format!("{file}: {detail}")),
        }
    }

    /// The 1-based line of `field` (the last part of a dotted name) inside
    /// the `[[task]]` whose id is `id`, else that table's first line.
    fn line_of(&self, id: u64, field: &str) -> Option<usize> {
        let key = field.rsplit('.').next().unwrap_or(field);
        let lines: Vec<&str> = self.text.lines().collect();
        let starts: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].trim() == "[[task]]")
            .collect();
        for (n, &start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(lines.len());
            let block = &lines[start..end];
            let assigns = |line: &str, name: &str| {
                line.trim()
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            };
            let is_ours = block.iter().any(|l| {
                assigns(l, "id")
                    && l.split('=')
                        .nth(1)
                        .and_then(|v| v.split('#').next())
                        .map(str::trim)
                        == Some(&id.to_string())
            });
            if is_ours {
                let at = block.iter().position(|l| assigns(l, key)).unwrap_or(0);
                return Some(start + at + 1);
            }
        }
        None
    }

    /// A TOML syntax or shape error, with the line it points at.
    fn toml_error(&self, e: &toml::de::Error) -> CliError {
        let line = e.span().map(|span| {
            self.text[..span.start.min(self.text.len())]
                .matches('\n')
                .count()
                + 1
        });
        let file = self.path.display();
        let line = line.map_or(String::new(), |l| format!(":{l}"));
        CliError::Input(format!("{file}{line}: {}", e.message()))
    }
}

fn load(path: &Path) -> Result<Vec<Desired>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    let source = Source { path, text: &text };
    let manifest: Manifest = toml::from_str(&text).map_err(|e| source.toml_error(&e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    manifest
        .task
        .into_iter()
        .map(|t| desired(&source, base, t))
        .collect()
}

fn task_code(source: &Source, base: &Path, t: &TaskEntry) -> Result<CodeSource, CliError> {
    let id = Some(t.id);
    let hash = t
        .code_hash
        .as_deref()
        .map(parse_hash)
        .transpose()
        .map_err(|e| source.error(id, "code_hash", e))?;
    let file = t.code_file.as_ref().map(|f| base.join(f));
    code_source(hash, file, t.example).ok_or_else(|| {
        source.error(
            id,
            "code",
            "give exactly one of code_hash, code_file, example = true",
        )
    })
}

fn desired(source: &Source, base: &Path, t: TaskEntry) -> Result<Desired, CliError> {
    let id = Some(t.id);
    let sol = |field: &str, value: Option<&String>, default: u64| match value {
        Some(text) => parse_sol(text).map_err(|e| source.error(id, field, e)),
        None => Ok(default),
    };
    let code_hash = task_code(source, base, &t)?
        .code_hash()
        .map_err(|e| source.error(id, "code_file", e))?;
    super::create::check_code_uri(&t.code_uri).map_err(|e| source.error(id, "code_uri", e))?;
    let schedule = Schedule {
        start_slot: 0,
        round_slots: t.schedule.round_slots,
        submit_slots: t.schedule.submit_slots,
        reveal_slots: t.schedule.reveal_slots,
        audit_slots: t.schedule.audit_slots,
        claim_rounds: t
            .schedule
            .claim_rounds
            .unwrap_or(sdk::defaults::SCHEDULE.claim_rounds),
    };
    schedule
        .validate(schedule.reveal_slots > 0)
        .map_err(|e| source.error(id, "schedule", format!("{e:?}")))?;
    // A SOL task's amounts are checked as SOL here (naming the field); a
    // token task's once its mint's decimals are read.
    let sol_task = t.mint.is_none();
    let amount = |field: &str, text: &str| -> Result<Amount, CliError> {
        if sol_task {
            parse_sol(text).map_err(|e| source.error(id, field, e))?;
        }
        text.parse().map_err(|e: String| source.error(id, field, e))
    };
    let address = |field: &str, text: Option<&str>| {
        text.map(str::parse::<Pubkey>)
            .transpose()
            .map_err(|_| source.error(id, field, "not a base-58 address"))
    };
    let mint = address("mint", t.mint.as_deref())?;
    let verifier = address("verifier", t.verifier.as_deref())?;
    let economics = Economics {
        // Set from `reward` once the asset's decimals are known.
        reward_per_round: 0,
        min_stake: sol("min_stake", t.min_stake.as_ref(), ECONOMICS.min_stake)?,
        challenge_bond: sol(
            "challenge_bond",
            t.challenge_bond.as_ref(),
            ECONOMICS.challenge_bond,
        )?,
        slash_bps: t.slash_bps.unwrap_or(ECONOMICS.slash_bps),
        challenger_share_bps: t
            .challenger_share_bps
            .unwrap_or(ECONOMICS.challenger_share_bps),
        vote_threshold_bps: t.vote_threshold_bps.unwrap_or(ECONOMICS.vote_threshold_bps),
        quorum_bps: t.quorum_bps.unwrap_or(ECONOMICS.quorum_bps),
    };
    Ok(Desired {
        bounty_target: amount("bounty_target", t.bounty_target.as_deref().unwrap_or("0"))?,
        options: CreateOptions {
            task_id: t.id,
            name: t.name,
            metadata_uri: t.metadata_uri,
            code_hash,
            code_uri: t.code_uri,
            code_limits: CodeLimits {
                fuel: t.limits.fuel,
                memory_mib: t.limits.memory_mib,
                deadline_ms: t.limits.deadline_ms,
            },
            start_in_slots: t.schedule.start_in.unwrap_or(START_IN_SLOTS),
            schedule,
            economics,
            reward: amount("reward", &t.reward)?,
            fund: amount("bounty_target", "0")?,
            mint,
            accept_freeze_authority: t.accept_freeze_authority,
            verifier,
        },
    })
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
    if task.code_uri != want.code_uri {
        args.code_uri = Some(want.code_uri.clone());
        changed.push("code_uri");
    }
    if task.code_limits != want.code_limits {
        args.code_limits = Some(want.code_limits);
        changed.push("code_limits");
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

/// One manifest task after `apply`.
#[derive(Serialize)]
pub struct Applied {
    pub id: u64,
    pub task: String,
    pub actions: String,
    /// "SOL", or the token's symbol or mint.
    pub asset: String,
    pub bounty: String,
}

impl TableRow for Applied {
    const COLUMNS: &'static [&'static str] = &["id", "task", "actions", "bounty", "asset"];
}

/// Reconciles the chain with the manifest; one row per task.
pub async fn apply(ctx: &Ctx, path: &Path) -> Result<Vec<Applied>, CliError> {
    let desired = load(path)?;
    let creator = ctx.signer()?;
    let mut rows = Vec::new();
    for mut want in desired {
        let id = want.options.task_id;
        let units = match &want.options.mint {
            Some(mint) => AssetUnits::of_mint(ctx, mint).await?,
            None => AssetUnits::SOL,
        };
        want.options.economics.reward_per_round = units.units(&want.options.reward)?;
        let target = units.units(&want.bounty_target)?;
        let address = pda::task(&creator.pubkey(), id);
        let existing: Option<Task> = ctx.chain.account(&address).await?;
        let (mut actions, bounty) = match &existing {
            None => create_missing(ctx, want, &units, target).await?,
            Some(task) => reconcile(ctx, &creator, &address, task, &want, &units, target).await?,
        };
        if actions.is_empty() {
            actions.push("unchanged".into());
        }
        rows.push(Applied {
            id,
            task: address.to_string(),
            actions: actions.join("; "),
            asset: units.label(),
            bounty: units.format(bounty),
        });
    }
    Ok(rows)
}

/// An amount in an action line: SOL plain ("funded 3"), a token with its
/// name ("funded 3 PAY").
fn amount_text(units: &AssetUnits, amount: u64) -> String {
    match units.token {
        Some(_) => format!("{} {}", units.format(amount), units.label()),
        None => units.format(amount),
    }
}

async fn create_missing(
    ctx: &Ctx,
    want: Desired,
    units: &AssetUnits,
    target: u64,
) -> Result<(Vec<String>, u64), CliError> {
    let mut options = want.options;
    options.fund = want.bounty_target;
    create(ctx, options).await?;
    let mut actions = vec!["created".to_string()];
    if target > 0 {
        actions.push(format!("funded {}", amount_text(units, target)));
    }
    Ok((actions, target))
}

async fn reconcile(
    ctx: &Ctx,
    creator: &solana_keypair::Keypair,
    address: &anchor_lang::prelude::Pubkey,
    task: &Task,
    want: &Desired,
    units: &AssetUnits,
    target: u64,
) -> Result<(Vec<String>, u64), CliError> {
    let mut actions = Vec::new();
    let (args, changed) = update_for(task, &want.options);
    if !changed.is_empty() {
        ctx.send(
            creator,
            &[sdk::update_task(&creator.pubkey(), address, args)],
        )
        .await?;
        actions.push(format!("updated {}", changed.join(",")));
    }
    let have = task
        .reward_token
        .map_or(task.ledger.bounty_available, |r| r.bounty);
    if have < target {
        let top_up = target - have;
        let asset = units.asset();
        let fund = sdk::fund_task_in(&creator.pubkey(), address, top_up, asset.as_ref());
        ctx.send(creator, &[fund]).await?;
        actions.push(format!("funded {}", amount_text(units, top_up)));
    }
    Ok((actions, have.max(target)))
}
