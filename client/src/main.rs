//! The `tasknet` command.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use clap::{Args, Parser, Subcommand, ValueEnum};
use sha2::{Digest, Sha256};
use solana_commitment_config::CommitmentConfig;
use solana_signer::Signer;
use tokio::sync::watch;

use tasknet::instructions::UpdateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::Economics;
use tasknet_client::chain::{ChainClient, SendConfig};
use tasknet_client::cli::amount::parse_sol;
use tasknet_client::cli::config::{cluster_url, default_config_path, expand_home, SolanaConfig};
use tasknet_client::cli::{self, CliError, CreateOptions, Ctx};
use tasknet_client::demo::{self, DemoConfig};
use tasknet_client::keys::{read_keypair, write_keypair};
use tasknet_client::localnet::{divert_program_stdout, Localnet, LocalnetConfig};
use tasknet_client::node::code::{ExternalCommand, IteratedHash, TaskCode};
use tasknet_client::node::payloads::Serving;
use tasknet_client::node::{Node, NodeConfig, Strategy, TaskSpec};

#[derive(Parser)]
#[command(
    name = "tasknet",
    version,
    about = "Pay a network of nodes to run code, audit each other and settle on Solana"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// JSON-RPC URL or moniker (l, d, t, m); default from the Solana CLI config.
    #[arg(long, short = 'u', global = true)]
    url: Option<String>,
    /// Keypair file (Solana CLI format); default from the Solana CLI config.
    #[arg(long, short = 'k', global = true)]
    keypair: Option<PathBuf>,
    /// processed, confirmed or finalized; default from the Solana CLI config.
    #[arg(long, global = true)]
    commitment: Option<String>,
    /// The Solana CLI config file.
    #[arg(long, short = 'C', global = true)]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Format::Human)]
    output: Format,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run a task with honest nodes and cheaters on an embedded local chain
    /// and show that honest work is paid and cheating is not.
    Demo {
        /// Honest nodes.
        #[arg(short = 'n', long, default_value_t = 3)]
        honest: usize,
        /// Cheaters (alternately a copier and a liar).
        #[arg(short = 'c', long, default_value_t = 2)]
        cheaters: usize,
        /// Rounds to run.
        #[arg(short = 'r', long, default_value_t = 3)]
        rounds: u64,
        /// Milliseconds per slot on the embedded chain.
        #[arg(long, default_value_t = 50)]
        slot_ms: u64,
    },
    /// Serve a single-bank development chain over Solana JSON-RPC.
    ///
    /// This is a real Agave bank with the tasknet program loaded natively,
    /// not a validator: one bank, no consensus, no forks; every processed
    /// transaction is final at once. For development and tests on machines
    /// without the Solana toolchain. `requestAirdrop` funds any account.
    Localnet {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8899")]
        bind: SocketAddr,
        /// Milliseconds per slot.
        #[arg(long, default_value_t = 400)]
        slot_ms: u64,
    },
    /// Create, fund and manage tasks (creators).
    Task {
        #[command(subcommand)]
        command: TaskCommand,
    },
    /// Stake, run and watch a node (operators).
    Node {
        #[command(subcommand)]
        command: NodeCommand,
    },
    /// Write a new keypair file (Solana CLI format).
    Keygen {
        /// Where to write it.
        #[arg(long)]
        outfile: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Request SOL from the cluster's faucet (localnet, devnet, testnet).
    Airdrop {
        #[arg(value_parser = parse_sol)]
        amount: u64,
        /// Recipient; default the keypair's address.
        #[arg(long)]
        to: Option<Pubkey>,
    },
    /// Inspect rounds.
    Round {
        #[command(subcommand)]
        command: RoundCommand,
    },
}

#[derive(Subcommand)]
enum TaskCommand {
    /// Create a task (and optionally fund it).
    Create(Box<CreateArgs>),
    /// Add SOL to a task's bounty (anyone may).
    Fund {
        task: Pubkey,
        #[arg(value_parser = parse_sol)]
        amount: u64,
    },
    /// Change reward, metadata, code hash or minimum stake (creator).
    Update {
        task: Pubkey,
        #[arg(long, value_parser = parse_sol)]
        reward: Option<u64>,
        #[arg(long)]
        metadata_uri: Option<String>,
        /// Hex sha256 of the new task code.
        #[arg(long, value_parser = parse_hash)]
        code_hash: Option<[u8; 32]>,
        #[arg(long, value_parser = parse_sol)]
        min_stake: Option<u64>,
    },
    /// Stop new stakes and submissions (creator).
    Pause { task: Pubkey },
    /// Resume a paused task (creator).
    Resume { task: Pubkey },
    /// Take SOL back from the bounty of a paused or closed task (creator).
    Withdraw {
        task: Pubkey,
        #[arg(value_parser = parse_sol)]
        amount: u64,
    },
    /// Close a paused task: returns the bounty; closes its accounts once no stake is left.
    Close { task: Pubkey },
    /// Show a task.
    Show { task: Pubkey },
    /// Reconcile the chain with a task manifest (TOML): create missing
    /// tasks, top bounties up, update metadata and code hash. Idempotent.
    Apply { manifest: PathBuf },
    /// List tasks.
    List {
        /// Only this creator's tasks.
        #[arg(long)]
        creator: Option<Pubkey>,
    },
}

#[derive(Args)]
struct CreateArgs {
    /// Task id, unique per creator.
    #[arg(long)]
    id: u64,
    #[arg(long)]
    name: String,
    #[arg(long, default_value = "")]
    metadata_uri: String,
    /// Hex sha256 of the task code.
    #[arg(long, value_parser = parse_hash, group = "code")]
    code_hash: Option<[u8; 32]>,
    /// The task code executable; its sha256 becomes the code hash.
    #[arg(long, group = "code")]
    code_file: Option<PathBuf>,
    /// Use the built-in example task's code hash.
    #[arg(long, group = "code")]
    example: bool,
    /// Round 0 starts this many slots from now.
    #[arg(long, default_value_t = 150)]
    start_in: u64,
    #[arg(long, default_value_t = 150)]
    round_slots: u64,
    #[arg(long, default_value_t = 50)]
    submit_slots: u64,
    /// 0 turns commit-reveal off.
    #[arg(long, default_value_t = 40)]
    reveal_slots: u64,
    #[arg(long, default_value_t = 60)]
    audit_slots: u64,
    #[arg(long, default_value_t = 2)]
    claim_rounds: u64,
    /// SOL per round.
    #[arg(long, value_parser = parse_sol)]
    reward: u64,
    #[arg(long, value_parser = parse_sol, default_value = "1")]
    min_stake: u64,
    #[arg(long, value_parser = parse_sol, default_value = "0.05")]
    challenge_bond: u64,
    #[arg(long, default_value_t = 2_000)]
    slash_bps: u16,
    #[arg(long, default_value_t = 2_500)]
    challenger_share_bps: u16,
    #[arg(long, default_value_t = 5_000)]
    vote_threshold_bps: u16,
    #[arg(long, default_value_t = 3_000)]
    quorum_bps: u16,
    /// SOL to fund the bounty with at creation.
    #[arg(long, value_parser = parse_sol, default_value = "0")]
    fund: u64,
}

#[derive(Subcommand)]
enum NodeCommand {
    /// Bond SOL to a task.
    Stake {
        task: Pubkey,
        #[arg(value_parser = parse_sol)]
        amount: u64,
        /// Where this node serves its payloads.
        #[arg(long)]
        endpoint: Option<String>,
    },
    /// Start unbonding the whole stake.
    Unstake { task: Pubkey },
    /// Withdraw unbonded stake.
    Withdraw { task: Pubkey },
    /// A node's stake and eligibility on a task.
    Status {
        task: Pubkey,
        /// Another node than the keypair's.
        #[arg(long)]
        node: Option<Pubkey>,
    },
    /// Run the node: follow the rounds of each task and send every phase's
    /// transaction.
    Run {
        /// Task to run (repeatable).
        #[arg(long = "task", required = true)]
        tasks: Vec<Pubkey>,
        /// Executable task code (JSON on stdin/stdout); its sha256 must be
        /// the task's code hash. Without it the built-in example task runs.
        #[arg(long)]
        command: Option<PathBuf>,
        /// Seconds the task code may run per call.
        #[arg(long, default_value_t = 30)]
        code_timeout: u64,
        /// The node's state database.
        #[arg(long, default_value = "tasknet-node.db")]
        db: PathBuf,
        /// Milliseconds between looks at the clock.
        #[arg(long, default_value_t = 200)]
        poll_ms: u64,
        /// Priority fee in micro-lamports per compute unit.
        #[arg(long)]
        priority_fee: Option<u64>,
        /// Serve this node's payloads to auditors on this address; the
        /// endpoint staked with `node stake --endpoint` must reach it.
        #[arg(long)]
        serve: Option<SocketAddr>,
    },
}

#[derive(Subcommand)]
enum RoundCommand {
    /// A round's windows, pool, submissions and audits.
    Show { task: Pubkey, round: u64 },
}

fn parse_hash(text: &str) -> Result<[u8; 32], String> {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("'{text}' is not a 64-digit hex sha256"))
}

fn init_logging(default: &str) {
    // tarpc (inside the embedded bank) warns on every request about tracing
    // contexts; that is noise to a user.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{default},tarpc=error")));
    // Colours only for a terminal: a log file gets plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // One line: clap's first line names the argument and the problem.
            let text = e.to_string();
            eprintln!(
                "{}",
                text.lines().next().unwrap_or("error: invalid arguments")
            );
            return ExitCode::from(2);
        }
    };
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.to_string().replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// Flags first, then the Solana CLI config, then defaults.
fn context(
    global: &Global,
) -> Result<(String, PathBuf, CommitmentConfig), Box<dyn std::error::Error>> {
    let config = match global.config.clone().or_else(default_config_path) {
        Some(path) => SolanaConfig::load(&path)?,
        None => SolanaConfig::default(),
    };
    let url = global
        .url
        .clone()
        .or(config.json_rpc_url)
        .map(|u| cluster_url(&u))
        .unwrap_or_else(|| "http://localhost:8899".into());
    let keypair = global
        .keypair
        .clone()
        .or_else(|| config.keypair_path.map(|p| expand_home(&p)))
        .unwrap_or_else(|| expand_home("~/.config/solana/id.json"));
    let commitment = match global.commitment.clone().or(config.commitment).as_deref() {
        None | Some("confirmed") => CommitmentConfig::confirmed(),
        Some("processed") => CommitmentConfig::processed(),
        Some("finalized") => CommitmentConfig::finalized(),
        Some(other) => {
            return Err(
                format!("unknown commitment '{other}' (processed, confirmed, finalized)").into(),
            )
        }
    };
    Ok((url, keypair, commitment))
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let json = cli.global.output == Format::Json;
    let (url, keypair_path, commitment) = context(&cli.global)?;
    let send = SendConfig {
        commitment,
        ..SendConfig::default()
    };
    let ctx = || Ctx {
        chain: ChainClient::new(&url, send.clone()),
        keypair_path: keypair_path.clone(),
    };
    let output = match cli.command {
        Command::Demo {
            honest,
            cheaters,
            rounds,
            slot_ms,
        } => {
            init_logging("warn");
            let mut out = divert_program_stdout()?;
            let config = DemoConfig {
                honest,
                cheaters,
                rounds,
                slot_duration: Duration::from_millis(slot_ms),
            };
            let report = demo::run(config.clone()).await?;
            out.write_all(report.render(&config).as_bytes())?;
            return Ok(if report.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        Command::Localnet { bind, slot_ms } => {
            init_logging("info");
            let mut out = divert_program_stdout()?;
            let net = Localnet::start(LocalnetConfig {
                bind,
                slot_duration: Duration::from_millis(slot_ms),
            })
            .await?;
            writeln!(
                out,
                "tasknet localnet: single-bank development chain (no consensus), JSON-RPC at {}",
                net.url
            )?;
            writeln!(
                out,
                "program {} loaded; faucet {}; Ctrl-C to stop",
                tasknet::ID,
                net.faucet().pubkey()
            )?;
            tokio::signal::ctrl_c().await?;
            net.stop().await;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Task { command } => match command {
            TaskCommand::Create(a) => {
                let code_hash = match (a.code_hash, &a.code_file, a.example) {
                    (Some(hash), _, _) => hash,
                    (None, Some(path), _) => {
                        let bytes = std::fs::read(path).map_err(|e| {
                            CliError::Input(format!("code file {}: {e}", path.display()))
                        })?;
                        Sha256::digest(bytes).into()
                    }
                    (None, None, true) => IteratedHash.code_hash(),
                    (None, None, false) => {
                        return Err(CliError::Input(
                            "give the task code: --code-hash, --code-file or --example".into(),
                        )
                        .into())
                    }
                };
                let options = CreateOptions {
                    task_id: a.id,
                    name: a.name,
                    metadata_uri: a.metadata_uri,
                    code_hash,
                    start_in_slots: a.start_in,
                    schedule: Schedule {
                        start_slot: 0,
                        round_slots: a.round_slots,
                        submit_slots: a.submit_slots,
                        reveal_slots: a.reveal_slots,
                        audit_slots: a.audit_slots,
                        claim_rounds: a.claim_rounds,
                    },
                    economics: Economics {
                        reward_per_round: a.reward,
                        min_stake: a.min_stake,
                        challenge_bond: a.challenge_bond,
                        slash_bps: a.slash_bps,
                        challenger_share_bps: a.challenger_share_bps,
                        vote_threshold_bps: a.vote_threshold_bps,
                        quorum_bps: a.quorum_bps,
                    },
                    fund: a.fund,
                };
                cli::task_create(&ctx(), options).await?
            }
            TaskCommand::Fund { task, amount } => cli::task_fund(&ctx(), task, amount).await?,
            TaskCommand::Update {
                task,
                reward,
                metadata_uri,
                code_hash,
                min_stake,
            } => {
                let args = UpdateTaskArgs {
                    reward_per_round: reward,
                    metadata_uri,
                    code_hash,
                    min_stake,
                };
                cli::task_update(&ctx(), task, args).await?
            }
            TaskCommand::Pause { task } => cli::task_simple(&ctx(), task, "pause").await?,
            TaskCommand::Resume { task } => cli::task_simple(&ctx(), task, "resume").await?,
            TaskCommand::Close { task } => cli::task_simple(&ctx(), task, "close").await?,
            TaskCommand::Withdraw { task, amount } => {
                cli::task_withdraw(&ctx(), task, amount).await?
            }
            TaskCommand::Show { task } => cli::task_show(&ctx(), task).await?,
            TaskCommand::Apply { manifest } => cli::manifest::apply(&ctx(), &manifest).await?,
            TaskCommand::List { creator } => cli::task_list(&ctx(), creator).await?,
        },
        Command::Round {
            command: RoundCommand::Show { task, round },
        } => cli::round_show(&ctx(), task, round).await?,
        Command::Keygen { outfile, force } => {
            if outfile.exists() && !force {
                let message = format!("{} exists; pass --force to overwrite it", outfile.display());
                return Err(CliError::Input(message).into());
            }
            let keypair = solana_keypair::Keypair::new();
            write_keypair(&keypair, &outfile)?;
            cli::output::Output::Fields(vec![
                ("address", serde_json::json!(keypair.pubkey().to_string())),
                ("outfile", serde_json::json!(outfile.display().to_string())),
            ])
        }
        Command::Airdrop { amount, to } => cli::airdrop(&ctx(), amount, to).await?,
        Command::Node { command } => match command {
            NodeCommand::Stake {
                task,
                amount,
                endpoint,
            } => cli::node_stake(&ctx(), task, amount, endpoint).await?,
            NodeCommand::Unstake { task } => cli::node_simple(&ctx(), task, "unstake").await?,
            NodeCommand::Withdraw { task } => cli::node_simple(&ctx(), task, "withdraw").await?,
            NodeCommand::Status { task, node } => cli::node_status(&ctx(), task, node).await?,
            NodeCommand::Run {
                tasks,
                command,
                code_timeout,
                db,
                poll_ms,
                priority_fee,
                serve,
            } => {
                init_logging("info");
                let keypair = read_keypair(&keypair_path)?;
                let code: Arc<dyn TaskCode> = match command {
                    Some(path) => Arc::new(ExternalCommand::new(
                        path,
                        Duration::from_secs(code_timeout),
                    )?),
                    None => Arc::new(IteratedHash),
                };
                let node = Node::new(
                    keypair,
                    NodeConfig {
                        rpc_url: url.clone(),
                        db_path: db,
                        poll_interval: Duration::from_millis(poll_ms),
                        send: SendConfig {
                            priority_fee,
                            ..send.clone()
                        },
                    },
                )?;
                let specs = tasks
                    .into_iter()
                    .map(|task| TaskSpec {
                        task,
                        code: code.clone(),
                        strategy: Strategy::Honest,
                    })
                    .collect();
                let (stop, stopped) = watch::channel(false);
                tokio::spawn(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    let _ = stop.send(true);
                });
                if let Some(bind) = serve {
                    let addr = node.serve_payloads(bind, Serving::Honest).await?;
                    tracing::info!(%addr, "serving payloads");
                }
                tracing::info!(node = %node.pubkey(), "node running");
                node.run(specs, stopped).await?;
                return Ok(ExitCode::SUCCESS);
            }
        },
    };
    print!("{}", output.render(json));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clap's own consistency checks (unique flags, valid defaults) for
    /// every subcommand, which otherwise only fire when one is used.
    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
