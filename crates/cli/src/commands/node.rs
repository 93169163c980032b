//! `tasknet node …`: what operators do.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use clap::{Args, Subcommand};
use serde::Serialize;
use solana_signer::Signer;
use tasknet::state::Stake;
use tasknet_node::code::{CodeError, ExternalCommand, IteratedHash, TaskCode};
use tasknet_node::{ModuleLibrary, Node, NodeConfig, TaskSpec};
use tasknet_sandbox::Limits;
use tasknet_sdk::chain::SendConfig;
use tasknet_sdk::{self as sdk, pda};
use tokio::sync::watch;

use crate::context::{CliError, Ctx};
use crate::output::Output;
use crate::sol::Sol;

#[derive(Subcommand)]
pub enum NodeCommand {
    /// Bond SOL to a task.
    Stake {
        /// The task's address.
        task: Pubkey,
        /// SOL to bond (up to 9 decimals); it counts from the next round on.
        amount: Sol,
        /// URL where this node serves its payloads to auditors (what
        /// `node run --serve` listens on), e.g. http://203.0.113.7:9000.
        #[arg(long)]
        endpoint: Option<String>,
    },
    /// Start unbonding the whole stake.
    Unstake {
        /// The task's address.
        task: Pubkey,
    },
    /// Withdraw unbonded stake.
    Withdraw {
        /// The task's address.
        task: Pubkey,
    },
    /// A node's stake and eligibility on a task.
    Status {
        /// The task's address.
        task: Pubkey,
        /// Another node than the keypair's.
        #[arg(long)]
        node: Option<Pubkey>,
    },
    /// Run the node: follow the rounds of each task and send every phase's
    /// transaction.
    Run(RunArgs),
    /// What this node earned, per task and round (from its state database,
    /// which records each claim's amount from the chain's event), and what
    /// the chain says was slashed from its stake on each task.
    Earnings {
        /// The node's state database (as given to node run).
        #[arg(long, default_value = "tasknet-node.db")]
        db: PathBuf,
    },
}

impl NodeCommand {
    /// The command's result; `None` for `run`, which logs instead.
    pub async fn run(self, ctx: &Ctx) -> Result<Option<Output>, CliError> {
        let status = match self {
            Self::Stake {
                task,
                amount,
                endpoint,
            } => stake(ctx, task, amount, endpoint).await?,
            Self::Unstake { task } => leave(ctx, task, Leave::Unstake).await?,
            Self::Withdraw { task } => leave(ctx, task, Leave::Withdraw).await?,
            Self::Status { task, node } => {
                ctx.task(&task).await?;
                let node = match node {
                    Some(n) => n,
                    None => ctx.signer()?.pubkey(),
                };
                status(ctx, task, node, None).await?
            }
            Self::Run(args) => {
                run_node(ctx, args).await?;
                return Ok(None);
            }
            Self::Earnings { db } => return Ok(Some(Output::table(&earnings(ctx, &db).await?))),
        };
        Ok(Some(Output::record(&status)))
    }
}

/// A node's stake on a task, as the program counts it.
#[derive(Serialize)]
pub struct Status {
    pub task: String,
    pub node: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// What `node withdraw` paid back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_sol: Option<Sol>,
    pub staked: bool,
    #[serde(flatten)]
    pub stake: Option<StakeFields>,
}

#[derive(Serialize)]
pub struct StakeFields {
    pub active_sol: Sol,
    pub pending_sol: Sol,
    pub pending_activates_in_round: u64,
    pub unbonding_sol: Sol,
    pub unbonding_frees_at_slot: Option<u64>,
    /// Until the unbonding stake may be withdrawn (negative: since).
    pub unbonding_frees_in_seconds: Option<f64>,
    /// The stake the program counts for the current round: active stake,
    /// without what is still pending.
    pub counts_this_round_sol: Option<Sol>,
    pub endpoint: String,
    pub open_audits: u32,
    pub slashed_total_sol: Sol,
    pub current_round: Option<u64>,
    pub eligible_this_round: Option<bool>,
}

async fn status(
    ctx: &Ctx,
    task: Pubkey,
    node: Pubkey,
    signature: Option<String>,
) -> Result<Status, CliError> {
    let t = ctx.task(&task).await?;
    let stake: Option<Stake> = ctx.chain.account(&pda::stake(&task, &node)).await?;
    let clock = ctx.slot_clock().await?;
    let round = t.schedule.round_at(clock.slot);
    let fields = stake.map(|s| StakeFields {
        active_sol: Sol(s.bonded.active),
        pending_sol: Sol(s.bonded.pending),
        pending_activates_in_round: s.bonded.pending_round,
        unbonding_sol: Sol(s.unbonding),
        unbonding_frees_at_slot: (s.unbonding > 0).then_some(s.unbonding_frees_at),
        unbonding_frees_in_seconds: (s.unbonding > 0)
            .then(|| clock.seconds_until(s.unbonding_frees_at)),
        counts_this_round_sol: round.map(|r| Sol(s.bonded.weight_at(r))),
        open_audits: s.open_audits,
        slashed_total_sol: Sol(s.slashed_total),
        current_round: round,
        eligible_this_round: round.map(|r| s.eligible_weight(t.economics.min_stake, r).is_ok()),
        endpoint: s.endpoint,
    });
    Ok(Status {
        task: task.to_string(),
        node: node.to_string(),
        signature,
        withdrawn_sol: None,
        staked: fields.is_some(),
        stake: fields,
    })
}

async fn stake(
    ctx: &Ctx,
    task: Pubkey,
    amount: Sol,
    endpoint: Option<String>,
) -> Result<Status, CliError> {
    ctx.task(&task).await?;
    let node = ctx.signer()?;
    let ix = sdk::stake(&node.pubkey(), &task, amount.lamports(), endpoint);
    let signature = ctx.send(&node, &[ix]).await?;
    status(ctx, task, node.pubkey(), Some(signature)).await
}

/// The two ways a node leaves: start unbonding, then withdraw.
#[derive(Clone, Copy)]
enum Leave {
    Unstake,
    Withdraw,
}

async fn leave(ctx: &Ctx, task: Pubkey, step: Leave) -> Result<Status, CliError> {
    ctx.task(&task).await?;
    let node = ctx.signer()?;
    let n = node.pubkey();
    let Some(before): Option<Stake> = ctx.chain.account(&pda::stake(&task, &n)).await? else {
        return Err(CliError::Input(format!(
            "node {n} has no stake on task {task}"
        )));
    };
    let ix = match step {
        Leave::Unstake => sdk::unstake(&n, &task),
        Leave::Withdraw => sdk::withdraw_stake(&n, &task),
    };
    let signature = ctx.send(&node, &[ix]).await?;
    let mut status = status(ctx, task, n, Some(signature)).await?;
    if matches!(step, Leave::Withdraw) {
        // withdraw_stake pays out the whole unbonded stake.
        status.withdrawn_sol = Some(Sol(before.unbonding));
    }
    Ok(status)
}

#[derive(Args)]
pub struct RunArgs {
    /// Address of a task to run (repeat the flag for several).
    #[arg(long = "task", required = true)]
    tasks: Vec<Pubkey>,
    /// Trusted, in-house task code as an executable (JSON on stdin/stdout),
    /// run with this node's full rights; its sha256 must be the task's
    /// code hash. Without --command or --example, the node runs each
    /// round's WebAssembly module, found by its hash (--code-dir, then the
    /// task's code URI, then the staked peers), in its sandbox.
    #[arg(long, group = "code")]
    command: Option<PathBuf>,
    /// A WebAssembly module (wasm32-wasip1) to add to --code-dir before
    /// starting, for a node that has the file; its sha256 must be the
    /// tasks' code hash. It runs in the sandbox like any fetched module.
    #[arg(long, group = "code")]
    module: Option<PathBuf>,
    /// Run the built-in native example task (tasks created with
    /// `task create --example`).
    #[arg(long, group = "code")]
    example: bool,
    /// Where modules are kept by hash (<sha256>.wasm, and their compiled
    /// form), and served to peers from at /code/<sha256> with --serve.
    #[arg(long, default_value = "~/.cache/tasknet/code")]
    code_dir: String,
    /// Most fuel any task's module may burn per call (a task asks for its
    /// own; this caps it).
    #[arg(long, default_value_t = Limits::default().fuel)]
    max_fuel: u64,
    /// Most linear memory any task's module may use, in MiB.
    #[arg(long, default_value_t = Limits::default().memory_bytes >> 20)]
    max_memory_mib: usize,
    /// Most seconds a call of task code may run (a module's deadline, a
    /// --command's timeout).
    #[arg(long, default_value_t = 30)]
    code_timeout: u64,
    /// The node's state database (SQLite; one running node per file).
    #[arg(long, default_value = "tasknet-node.db")]
    db: PathBuf,
    /// Milliseconds between looks at the clock while the endpoint's
    /// websocket is down (with it, slot and account notifications drive
    /// the node and reads come from memory).
    #[arg(long, default_value_t = 200)]
    poll_ms: u64,
    /// Priority fee, in micro-lamports per compute unit.
    #[arg(long)]
    priority_fee: Option<u64>,
    /// Submissions of others to audit per round (payload fetches and audit
    /// runs). Auditors are assigned deterministically, so each submission
    /// gets this many; a larger value audits a superset of the default.
    #[arg(long, default_value_t = tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
          value_parser = clap::value_parser!(u32).range(1..))]
    audits_per_round: u32,
    /// Serve this node's payloads to auditors on this address (host:port;
    /// 127.0.0.1:9000 if given without one); the endpoint staked with
    /// `node stake --endpoint` must reach it. The same address serves the
    /// operator's dashboard at /, /metrics and /status, all read-only.
    #[arg(long, num_args = 0..=1, default_missing_value = "127.0.0.1:9000")]
    serve: Option<SocketAddr>,
}

/// Runs the node until SIGINT (Ctrl-C) or SIGTERM.
async fn run_node(ctx: &Ctx, args: RunArgs) -> Result<(), CliError> {
    let keypair = ctx.signer()?;
    let timeout = Duration::from_secs(args.code_timeout);
    let given: Option<Arc<dyn TaskCode>> = match (&args.command, args.example) {
        (Some(path), _) => Some(Arc::new(ExternalCommand::new(path.clone(), timeout)?)),
        (None, true) => Some(Arc::new(IteratedHash)),
        (None, false) => None,
    };
    let caps = Limits {
        fuel: args.max_fuel,
        memory_bytes: args.max_memory_mib.saturating_mul(1 << 20),
        deadline: timeout,
        ..Limits::default()
    };
    let library = Arc::new(ModuleLibrary::new(
        crate::config::expand_home(&args.code_dir),
        caps,
    )?);
    if let Some(path) = &args.module {
        add_module(ctx, &library, path, &args.tasks).await?;
    }
    let config = NodeConfig {
        rpc_url: ctx.chain.url(),
        db_path: args.db,
        poll_interval: Duration::from_millis(args.poll_ms),
        send: SendConfig {
            priority_fee: args.priority_fee,
            ..ctx.chain.config.clone()
        },
        audits_per_round: args.audits_per_round,
        follow: Default::default(),
    };
    let node = Node::new(keypair, config)?;
    let specs = args
        .tasks
        .into_iter()
        .map(|task| match &given {
            Some(code) => TaskSpec::new(task, code.clone()),
            None => TaskSpec::by_hash(task, library.clone()),
        })
        .collect();
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        let signal = stop_signal().await;
        tracing::info!("{signal}: stopping after the current step");
        let _ = stop.send(true);
    });
    if let Some(bind) = args.serve {
        let addr = node.serve_payloads_and_code(bind, &library).await?;
        tracing::info!(%addr, "serving payloads, modules, the dashboard at http://{addr}/, /metrics and /status");
    }
    tracing::info!(node = %node.pubkey(), "node running");
    node.run(specs, stopped).await?;
    tracing::info!(node = %node.pubkey(), "node stopped");
    Ok(())
}

/// Adds the operator's module file to the library, refusing one that is
/// not every task's code (a typo'd path must not start a node that can
/// only skip rounds).
async fn add_module(
    ctx: &Ctx,
    library: &ModuleLibrary,
    path: &Path,
    tasks: &[Pubkey],
) -> Result<(), CliError> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    let hash = library.add(&bytes)?;
    for task in tasks {
        let t = ctx.task(task).await?;
        if t.code_hash != hash {
            return Err(CodeError::HashMismatch {
                task: *task,
                expected: hex::encode(t.code_hash),
                actual: hex::encode(hash),
            }
            .into());
        }
    }
    Ok(())
}

/// The first of SIGINT (Ctrl-C) and SIGTERM (a service manager's stop).
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

#[derive(Serialize)]
pub struct EarningRow {
    pub task: String,
    /// A round, or "total" for the task's sum.
    pub round: String,
    /// In the task's asset (`asset`).
    pub earned: String,
    /// "SOL", or the token's symbol or mint.
    pub asset: String,
    /// The claim's signature; on a total row, the slash recorded on-chain.
    pub claim: String,
}

impl crate::output::TableRow for EarningRow {
    const COLUMNS: &'static [&'static str] = &["task", "round", "earned", "asset", "claim"];
}

/// Per task: each round's earning, then a total row with the stake's
/// slashes as the chain records them.
async fn earnings(ctx: &Ctx, db: &std::path::Path) -> Result<Vec<EarningRow>, CliError> {
    if !db.exists() {
        return Err(CliError::Input(format!(
            "no node state database at {} (give the --db node run uses)",
            db.display()
        )));
    }
    let store = tasknet_node::store::Store::open(db).map_err(tasknet_node::NodeError::from)?;
    let me = ctx.signer()?.pubkey();
    let all = store
        .all_earnings()
        .map_err(tasknet_node::NodeError::from)?;
    let mut rows = Vec::new();
    let mut tasks: Vec<Pubkey> = all.iter().map(|e| e.task).collect();
    tasks.dedup();
    for task in tasks {
        let mine: Vec<_> = all.iter().filter(|e| e.task == task).collect();
        // Every earning of a task is in its one asset.
        let units = match mine.first().and_then(|e| e.mint) {
            Some(mint) => super::create::AssetUnits::of_mint(ctx, &mint).await?,
            None => super::create::AssetUnits::SOL,
        };
        for e in &mine {
            rows.push(EarningRow {
                task: task.to_string(),
                round: e.round.to_string(),
                earned: units.format(e.amount),
                asset: units.label(),
                claim: e.signature.clone(),
            });
        }
        let stake: Option<Stake> = ctx.chain.account(&pda::stake(&task, &me)).await?;
        let slashed = stake.map_or(0, |s| s.slashed_total);
        rows.push(EarningRow {
            task: task.to_string(),
            round: "total".into(),
            earned: units.format(mine.iter().map(|e| e.amount).sum()),
            asset: units.label(),
            claim: format!("slashed {} SOL", Sol(slashed)),
        });
    }
    Ok(rows)
}
