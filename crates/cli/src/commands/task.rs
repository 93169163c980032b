//! `tasknet task …`: what creators do.

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use clap::{Args, Subcommand};
use serde::Serialize;
use solana_signer::Signer;
use tasknet::instructions::UpdateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::{Economics, Task, TaskState};
use tasknet_sdk::accounts::filters;
use tasknet_sdk::defaults::{ECONOMICS, SCHEDULE, START_IN_SLOTS};
use tasknet_sdk::{self as sdk};

use super::create::{code_source, create, parse_hash, AssetUnits, CreateOptions};
use crate::context::{CliError, Ctx};
use crate::output::{Output, TableRow};
use crate::sol::{Amount, Sol};
use tasknet_sdk::amount::format_units;

#[derive(Subcommand)]
pub enum TaskCommand {
    /// Create a task (and optionally fund it).
    Create(Box<CreateArgs>),
    /// Add to a task's bounty (anyone may): SOL, or a token task's token
    /// from your associated token account.
    Fund {
        /// The task's address.
        task: Pubkey,
        /// The amount, in the task's asset (SOL or the mint's units).
        amount: Amount,
    },
    /// Change reward, metadata, code hash or minimum stake (creator).
    ///
    /// A change applies from the next round opened: a round already open
    /// keeps the reward, minimum stake, code hash and verdict rules it
    /// opened with, so no update can turn a vote or a verdict under way.
    Update(UpdateArgs),
    /// Stop new stakes and submissions (creator).
    Pause {
        /// The task's address.
        task: Pubkey,
    },
    /// Resume a paused task (creator).
    Resume {
        /// The task's address.
        task: Pubkey,
    },
    /// Take back part of the bounty of a paused or closed task (creator):
    /// SOL, or a token task's token into your associated token account.
    Withdraw {
        /// The task's address.
        task: Pubkey,
        /// The amount, in the task's asset (SOL or the mint's units).
        amount: Amount,
    },
    /// Close a paused task: returns the bounty; closes its accounts once no stake is left.
    Close {
        /// The task's address.
        task: Pubkey,
    },
    /// Settle and close the task's finished rounds (resolve audits, close
    /// votes, submissions and rounds), so that it can close.
    Crank {
        /// The task's address.
        task: Pubkey,
    },
    /// Show a task.
    Show {
        /// The task's address.
        task: Pubkey,
    },
    /// Reconcile the chain with a task manifest (TOML): create missing
    /// tasks, top bounties up, update metadata and code hash. Idempotent.
    Apply {
        /// The manifest file (TOML, one [[task]] table per task).
        manifest: PathBuf,
    },
    /// List tasks.
    List {
        /// Only this creator's tasks.
        #[arg(long)]
        creator: Option<Pubkey>,
    },
    /// Scaffold a task crate: two functions (execute, audit) that build to
    /// a WebAssembly module with `cargo build --release`.
    New(super::scaffold::NewArgs),
    /// Try a task module without a chain: N simulated nodes execute it and
    /// audit their sampled peers for R rounds in the node's own sandbox; a
    /// table of payloads, verdicts, fuel and time per call. Fails if two
    /// runs of one input differ, an honest payload is judged invalid, or a
    /// call hits a limit.
    Test(super::trial::TestArgs),
}

impl TaskCommand {
    pub async fn run(self, ctx: &Ctx) -> Result<Output, CliError> {
        Ok(match self {
            Self::Create(args) => Output::record(&create(ctx, args.options()?).await?),
            Self::Fund { task, amount } => {
                Output::record(&move_bounty(ctx, task, amount, false).await?)
            }
            Self::Update(args) => Output::record(&update(ctx, args).await?),
            Self::Pause { task } => Output::record(&lifecycle(ctx, task, Lifecycle::Pause).await?),
            Self::Resume { task } => {
                Output::record(&lifecycle(ctx, task, Lifecycle::Resume).await?)
            }
            Self::Close { task } => Output::record(&lifecycle(ctx, task, Lifecycle::Close).await?),
            Self::Withdraw { task, amount } => {
                Output::record(&move_bounty(ctx, task, amount, true).await?)
            }
            Self::Crank { task } => Output::record(&super::crank::crank(ctx, task).await?),
            Self::Show { task } => Output::record(&show(ctx, task).await?),
            Self::Apply { manifest } => {
                Output::table(&super::manifest::apply(ctx, &manifest).await?)
            }
            Self::List { creator } => Output::table(&list(ctx, creator).await?),
            // Both run without a cluster: `main` takes them before a
            // context is made.
            Self::New(_) | Self::Test(_) => {
                return Err(CliError::Input(
                    "task new and task test need no cluster".into(),
                ))
            }
        })
    }
}

#[derive(Args)]
pub struct CreateArgs {
    /// Task id, unique per creator (a number; part of the task's address).
    #[arg(long)]
    id: u64,
    /// Display name (at most 32 bytes).
    #[arg(long)]
    name: String,
    /// Where the task's description lives (at most 128 bytes).
    #[arg(long, default_value = "")]
    metadata_uri: String,
    /// Hex sha256 of the task code.
    #[arg(long, value_parser = parse_hash, group = "code")]
    code_hash: Option<[u8; 32]>,
    /// The task code: a WebAssembly module (.wasm, run sandboxed by
    /// nodes) or a trusted executable; its sha256 becomes the code hash.
    #[arg(long, group = "code")]
    code_file: Option<PathBuf>,
    /// Where nodes fetch the code (http:// or https://, e.g. an IPFS or
    /// Arweave gateway; at most 200 bytes). Nodes check every byte against
    /// the code hash; without it they fetch it from staked peers.
    #[arg(long, default_value = "")]
    code_uri: String,
    #[command(flatten)]
    limits: super::create::LimitArgs,
    /// Use the built-in example task's code hash.
    #[arg(long, group = "code")]
    example: bool,
    /// Round 0 starts this many slots from now (about 0.4 s each on a
    /// validator).
    #[arg(long, default_value_t = START_IN_SLOTS)]
    start_in: u64,
    /// Length of a round, in slots (about 0.4 s each on a validator).
    #[arg(long, default_value_t = SCHEDULE.round_slots)]
    round_slots: u64,
    /// Length of the submit window at each round's start, in slots.
    #[arg(long, default_value_t = SCHEDULE.submit_slots)]
    submit_slots: u64,
    /// Length of the reveal window after the submit window, in slots; 0
    /// turns commit-reveal off.
    #[arg(long, default_value_t = SCHEDULE.reveal_slots)]
    reveal_slots: u64,
    /// Length of the audit window after the reveal window, in slots.
    #[arg(long, default_value_t = SCHEDULE.audit_slots)]
    audit_slots: u64,
    /// Rounds after the audit window during which only the node may claim
    /// its share; then anyone may close the round.
    #[arg(long, default_value_t = SCHEDULE.claim_rounds)]
    claim_rounds: u64,
    /// Reward per round, split among the valid submitters: in SOL, or in
    /// the mint's units with its decimals (`--mint`).
    #[arg(long)]
    reward: Amount,
    /// Pay rewards in this SPL Token or Token-2022 mint instead of SOL
    /// (stakes, bonds and slashes stay in SOL). Mints whose tokens someone
    /// outside the protocol could move, freeze or shrink are refused:
    /// transfer hooks, permanent delegates, non-transferable, default-frozen
    /// accounts, confidential transfers, transfer fees, pausable.
    #[arg(long)]
    mint: Option<Pubkey>,
    /// Accept a mint with a freeze authority (USDC has one). Its holder can
    /// freeze the task's bounty, any round's pool or a node's token
    /// account, stopping every payout from or to it until thawed.
    #[arg(long, requires = "mint")]
    accept_freeze_authority: bool,
    /// A verifier program (its address) that decides this task's
    /// challenges exactly, by a call, with no vote: a wrong result is
    /// slashed at once, a right one clears its challenger's bond to the
    /// node. Fixed for the task's life. See docs/design.md "Verifier
    /// programs" for the interface.
    #[arg(long)]
    verifier: Option<Pubkey>,
    /// Least stake, in SOL, that may submit and vote.
    #[arg(long, default_value_t = Sol(ECONOMICS.min_stake))]
    min_stake: Sol,
    /// SOL a challenger posts (returned with a reward if the challenge
    /// holds, paid to the accused if not).
    #[arg(long, default_value_t = Sol(ECONOMICS.challenge_bond))]
    challenge_bond: Sol,
    /// Share of a cheat's stake slashed, in basis points (1/100 of a
    /// percent; 10000 = all).
    #[arg(long, default_value_t = ECONOMICS.slash_bps)]
    slash_bps: u16,
    /// Share of a slash paid to the challenger, in basis points.
    #[arg(long, default_value_t = ECONOMICS.challenger_share_bps)]
    challenger_share_bps: u16,
    /// Share of the weight cast that must say invalid, in basis points.
    #[arg(long, default_value_t = ECONOMICS.vote_threshold_bps)]
    vote_threshold_bps: u16,
    /// Share of the task's eligible stake that must vote, in basis points.
    #[arg(long, default_value_t = ECONOMICS.quorum_bps)]
    quorum_bps: u16,
    /// Bounty to fund at creation: SOL, or the mint's units with `--mint`.
    #[arg(long, default_value = "0")]
    fund: Amount,
}

impl CreateArgs {
    fn options(self) -> Result<CreateOptions, CliError> {
        let code = code_source(self.code_hash, self.code_file, self.example).ok_or_else(|| {
            CliError::Input("give the task code: --code-hash, --code-file or --example".into())
        })?;
        Ok(CreateOptions {
            task_id: self.id,
            name: self.name,
            metadata_uri: self.metadata_uri,
            code_hash: code.code_hash()?,
            code_uri: self.code_uri,
            code_limits: self.limits.code_limits(),
            start_in_slots: self.start_in,
            schedule: Schedule {
                start_slot: 0,
                round_slots: self.round_slots,
                submit_slots: self.submit_slots,
                reveal_slots: self.reveal_slots,
                audit_slots: self.audit_slots,
                claim_rounds: self.claim_rounds,
            },
            economics: Economics {
                // Set from `reward` once the asset's decimals are known.
                reward_per_round: 0,
                min_stake: self.min_stake.lamports(),
                challenge_bond: self.challenge_bond.lamports(),
                slash_bps: self.slash_bps,
                challenger_share_bps: self.challenger_share_bps,
                vote_threshold_bps: self.vote_threshold_bps,
                quorum_bps: self.quorum_bps,
            },
            reward: self.reward,
            fund: self.fund,
            mint: self.mint,
            accept_freeze_authority: self.accept_freeze_authority,
            verifier: self.verifier,
        })
    }
}

/// After a bounty change: the task, the signature and the new bounty.
#[derive(Serialize)]
pub struct BountyChanged {
    pub task: String,
    pub signature: String,
    /// "SOL", or the token's symbol or mint.
    pub asset: String,
    /// Added (fund) or taken back (withdraw), in the task's asset.
    pub amount: String,
    pub bounty: String,
    /// The same in SOL, for a SOL task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_sol: Option<Sol>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounty_available_sol: Option<Sol>,
}

/// Funds (`withdraw` false) or withdraws from a task's bounty in its asset.
async fn move_bounty(
    ctx: &Ctx,
    task: Pubkey,
    amount: Amount,
    withdraw: bool,
) -> Result<BountyChanged, CliError> {
    let before = ctx.task(&task).await?;
    let units = AssetUnits::of_task(ctx, &before).await?;
    let value = units.units(&amount)?;
    let signer = ctx.signer()?;
    let asset = units.asset();
    let ix = if withdraw {
        sdk::withdraw_bounty_in(&signer.pubkey(), &task, value, asset.as_ref())
    } else {
        sdk::fund_task_in(&signer.pubkey(), &task, value, asset.as_ref())
    };
    // A withdrawal pays into the creator's token account: create it if
    // missing (idempotent).
    let mut ixs = Vec::new();
    if let (Some(asset), true) = (&asset, withdraw) {
        ixs.push(asset.create_ata(&signer.pubkey(), &signer.pubkey()));
    }
    ixs.push(ix);
    let signature = ctx.send(&signer, &ixs).await?;
    let t = ctx.task(&task).await?;
    let bounty = t
        .reward_token
        .map_or(t.ledger.bounty_available, |r| r.bounty);
    let sol = asset.is_none();
    Ok(BountyChanged {
        task: task.to_string(),
        signature,
        asset: units.label(),
        amount: units.format(value),
        bounty: units.format(bounty),
        amount_sol: sol.then_some(Sol(value)),
        bounty_available_sol: sol.then_some(Sol(bounty)),
    })
}

#[derive(Args)]
pub struct UpdateArgs {
    /// The task's address.
    task: Pubkey,
    /// New reward per round, in SOL.
    #[arg(long)]
    reward: Option<Sol>,
    /// New metadata URI (at most 128 bytes).
    #[arg(long)]
    metadata_uri: Option<String>,
    /// Hex sha256 of the new task code; it applies from the next round
    /// that opens (rounds in flight keep theirs).
    #[arg(long, value_parser = parse_hash)]
    code_hash: Option<[u8; 32]>,
    /// New code URI (http:// or https://; an empty string removes it).
    #[arg(long)]
    code_uri: Option<String>,
    /// New least stake, in SOL.
    #[arg(long)]
    min_stake: Option<Sol>,
}

#[derive(Serialize)]
pub struct Updated {
    pub task: String,
    pub signature: String,
}

async fn update(ctx: &Ctx, a: UpdateArgs) -> Result<Updated, CliError> {
    ctx.task(&a.task).await?;
    let creator = ctx.signer()?;
    if let Some(uri) = &a.code_uri {
        super::create::check_code_uri(uri)?;
    }
    let args = UpdateTaskArgs {
        reward_per_round: a.reward.map(Sol::lamports),
        metadata_uri: a.metadata_uri,
        code_hash: a.code_hash,
        min_stake: a.min_stake.map(Sol::lamports),
        code_uri: a.code_uri,
        code_limits: None,
    };
    let signature = ctx
        .send(
            &creator,
            &[sdk::update_task(&creator.pubkey(), &a.task, args)],
        )
        .await?;
    Ok(Updated {
        task: a.task.to_string(),
        signature,
    })
}

/// The creator-only instructions that change a task's state.
#[derive(Clone, Copy)]
enum Lifecycle {
    Pause,
    Resume,
    Close,
}

#[derive(Serialize)]
pub struct StateChanged {
    pub task: String,
    pub signature: String,
    pub state: &'static str,
    /// What closing returned to the creator: the bounty left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned_sol: Option<Sol>,
    /// A token task's token bounty returned, in the mint's units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned_tokens: Option<String>,
}

pub fn state_name(state: TaskState) -> &'static str {
    match state {
        TaskState::Active => "active",
        TaskState::Paused => "paused",
        TaskState::Closed => "closed",
    }
}

async fn lifecycle(ctx: &Ctx, task: Pubkey, step: Lifecycle) -> Result<StateChanged, CliError> {
    let before = ctx.task(&task).await?;
    let creator = ctx.signer()?;
    let c = creator.pubkey();
    let asset = sdk::tokens::TokenAsset::of(&before);
    let mut ixs = Vec::new();
    let ix = match step {
        Lifecycle::Pause => sdk::pause_task(&c, &task),
        Lifecycle::Resume => sdk::resume_task(&c, &task),
        Lifecycle::Close => {
            // A token task returns its tokens into the creator's token
            // account: create it if missing (idempotent).
            if let Some(asset) = &asset {
                ixs.push(asset.create_ata(&c, &c));
            }
            sdk::close_task_in(&c, &task, asset.as_ref())
        }
    };
    ixs.push(ix);
    let signature = ctx.send(&creator, &ixs).await?;
    let state = match ctx.chain.account::<Task>(&task).await? {
        Some(t) => state_name(t.state),
        None => "closed (accounts closed)",
    };
    Ok(StateChanged {
        task: task.to_string(),
        signature,
        state,
        // close_task pays out the whole available bounty (and a token
        // task's tokens, shown by `returned_tokens`).
        returned_sol: matches!(step, Lifecycle::Close)
            .then_some(Sol(before.ledger.bounty_available)),
        returned_tokens: before
            .reward_token
            .filter(|_| matches!(step, Lifecycle::Close))
            .map(|r| format_units(r.bounty, r.decimals)),
    })
}

#[derive(Serialize)]
pub struct Shown {
    pub task: String,
    pub name: String,
    pub creator: String,
    pub task_id: u64,
    pub state: &'static str,
    pub metadata_uri: String,
    pub code_hash: String,
    pub code_uri: String,
    pub commit_reveal: bool,
    /// The program that decides challenges (none: a stake vote does).
    pub verifier: Option<String>,
    pub start_slot: u64,
    pub round_slots: u64,
    pub submit_slots: u64,
    pub reveal_slots: u64,
    pub audit_slots: u64,
    pub claim_rounds: u64,
    pub current_slot: u64,
    pub current_round: Option<u64>,
    /// The cluster's pace, measured from its block times.
    pub slot_seconds: f64,
    pub round_seconds: f64,
    /// Until the next round starts (round 0, before the task begins).
    pub next_round_in_seconds: f64,
    /// "SOL", or the token's symbol (or mint) for a token task.
    pub asset: String,
    /// A token task's reward: its mint, token program and bounty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenShown>,
    /// Per round, in the task's asset.
    pub reward_per_round: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward_per_round_sol: Option<Sol>,
    pub min_stake_sol: Sol,
    pub challenge_bond_sol: Sol,
    pub slash_bps: u16,
    pub challenger_share_bps: u16,
    pub vote_threshold_bps: u16,
    pub quorum_bps: u16,
    pub bounty_available_sol: Sol,
    pub staked_total_sol: Sol,
    /// Rounds whose accounts (holding their pools) still exist.
    pub rounds_open: u32,
    pub bonds_held_sol: Sol,
    pub node_count: u32,
    /// Paid to nodes, in the task's asset.
    pub total_paid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_paid_sol: Option<Sol>,
    pub total_slashed_sol: Sol,
}

/// A token task's reward asset in `task show`.
#[derive(Serialize)]
pub struct TokenShown {
    pub mint: String,
    pub token_program: String,
    pub decimals: u8,
    pub symbol: Option<String>,
    /// The token bounty (the bounty account's balance), in the mint's units.
    pub bounty: String,
    pub bounty_account: String,
    pub freeze_authority_accepted: bool,
}

async fn show(ctx: &Ctx, task: Pubkey) -> Result<Shown, CliError> {
    let t = ctx.task(&task).await?;
    let clock = ctx.slot_clock().await?;
    let slot = clock.slot;
    let (s, e, l) = (t.schedule, t.economics, t.ledger);
    let next_round = s.round_at(slot).map_or(0, |r| r + 1);
    let units = AssetUnits::of_task(ctx, &t).await?;
    let sol = t.reward_token.is_none();
    let token = t.reward_token.map(|r| TokenShown {
        mint: r.mint.to_string(),
        token_program: r.token_program.to_string(),
        decimals: r.decimals,
        symbol: units.token.as_ref().and_then(|m| m.symbol.clone()),
        bounty: format_units(r.bounty, r.decimals),
        bounty_account: r.bounty_account.to_string(),
        freeze_authority_accepted: r.freeze_authority_accepted,
    });
    Ok(Shown {
        task: task.to_string(),
        name: t.name,
        creator: t.creator.to_string(),
        task_id: t.task_id,
        state: state_name(t.state),
        metadata_uri: t.metadata_uri,
        code_hash: hex::encode(t.code_hash),
        code_uri: t.code_uri,
        commit_reveal: s.commit_reveal(),
        verifier: t.verifier.map(|v| v.to_string()),
        start_slot: s.start_slot,
        round_slots: s.round_slots,
        submit_slots: s.submit_slots,
        reveal_slots: s.reveal_slots,
        audit_slots: s.audit_slots,
        claim_rounds: s.claim_rounds,
        current_slot: slot,
        current_round: s.round_at(slot),
        slot_seconds: clock.seconds_per_slot,
        round_seconds: clock.seconds(s.round_slots),
        next_round_in_seconds: clock.seconds_until(s.round_start(next_round)),
        asset: units.label(),
        token,
        reward_per_round: units.format(e.reward_per_round),
        reward_per_round_sol: sol.then_some(Sol(e.reward_per_round)),
        min_stake_sol: Sol(e.min_stake),
        challenge_bond_sol: Sol(e.challenge_bond),
        slash_bps: e.slash_bps,
        challenger_share_bps: e.challenger_share_bps,
        vote_threshold_bps: e.vote_threshold_bps,
        quorum_bps: e.quorum_bps,
        bounty_available_sol: Sol(l.bounty_available),
        staked_total_sol: Sol(l.staked_total),
        rounds_open: t.rounds_open,
        bonds_held_sol: Sol(l.bonds_held),
        node_count: t.node_count,
        total_paid: units.format(t.total_paid),
        total_paid_sol: sol.then_some(Sol(t.total_paid)),
        total_slashed_sol: Sol(t.total_slashed),
    })
}

#[derive(Serialize)]
pub struct TaskRow {
    pub task: String,
    pub name: String,
    pub state: &'static str,
    pub bounty_sol: Sol,
    pub staked_sol: Sol,
    pub nodes: u32,
}

impl TableRow for TaskRow {
    const COLUMNS: &'static [&'static str] =
        &["task", "name", "state", "bounty_sol", "staked_sol", "nodes"];
}

async fn list(ctx: &Ctx, creator: Option<Pubkey>) -> Result<Vec<TaskRow>, CliError> {
    let filters = creator
        .map(|c| filters::creator_tasks(&c))
        .unwrap_or_default();
    let mut tasks = ctx.chain.program_accounts::<Task>(&filters).await?;
    tasks.sort_by_key(|(_, t)| (t.creator, t.task_id));
    Ok(tasks
        .into_iter()
        .map(|(key, t)| TaskRow {
            task: key.to_string(),
            name: t.name,
            state: state_name(t.state),
            bounty_sol: Sol(t.ledger.bounty_available),
            staked_sol: Sol(t.ledger.staked_total),
            nodes: t.node_count,
        })
        .collect())
}
