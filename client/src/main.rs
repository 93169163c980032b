//! The `tasknet` command.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use clap::{Parser, Subcommand};
use solana_signer::Signer;
use tokio::sync::watch;

use tasknet_client::chain::SendConfig;
use tasknet_client::demo::{self, DemoConfig};
use tasknet_client::keys::read_keypair;
use tasknet_client::localnet::{divert_program_stdout, Localnet, LocalnetConfig};
use tasknet_client::node::code::{ExternalCommand, IteratedHash, TaskCode};
use tasknet_client::node::{Node, NodeConfig, Strategy, TaskSpec};

#[derive(Parser)]
#[command(
    name = "tasknet",
    version,
    about = "Pay a network of nodes to run code, audit each other and settle on Solana"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
        #[arg(short = 'k', long, default_value_t = 2)]
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
    /// Node operations.
    Node {
        #[command(subcommand)]
        command: NodeCommand,
    },
}

#[derive(Subcommand)]
enum NodeCommand {
    /// Run the node: follow the rounds of each task and send every phase's
    /// transaction.
    Run {
        /// JSON-RPC URL of the cluster.
        #[arg(long, short = 'u', default_value = "http://127.0.0.1:8899")]
        url: String,
        /// The node's keypair file (Solana CLI format).
        #[arg(long, short = 'k')]
        keypair: PathBuf,
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
    },
}

fn init_logging(default: &str) {
    // tarpc (inside the embedded bank) warns on every request about tracing
    // contexts; that is noise to a user.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{default},tarpc=error")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
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
            Ok(if report.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
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
            Ok(ExitCode::SUCCESS)
        }
        Command::Node {
            command:
                NodeCommand::Run {
                    url,
                    keypair,
                    tasks,
                    command,
                    code_timeout,
                    db,
                    poll_ms,
                    priority_fee,
                },
        } => {
            init_logging("info");
            let keypair = read_keypair(&keypair)?;
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
                    rpc_url: url,
                    db_path: db,
                    poll_interval: Duration::from_millis(poll_ms),
                    send: SendConfig {
                        priority_fee,
                        ..SendConfig::default()
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
            tracing::info!(node = %node.pubkey(), "node running");
            node.run(specs, stopped).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
