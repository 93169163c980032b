//! What every cluster command needs: the RPC endpoint, who signs, the
//! commitment — from flags first, then the Solana CLI config, then
//! defaults — and the errors commands report in one line.

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use clap::{Args, ValueEnum};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use tasknet::state::Task;
use tasknet_sdk::chain::{ChainClient, ChainError, SendConfig};
use tasknet_sdk::keys::{read_keypair, KeypairError};

use crate::config::{cluster_url, default_config_path, expand_home, SolanaConfig};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Keypair(#[from] KeypairError),
    /// Says "transaction … failed" only for a transaction that was sent
    /// and failed; a refusal in simulation (nothing sent) names its cause.
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("task {0} does not exist on this cluster")]
    UnknownTask(Pubkey),
    #[error("round {round} of task {task} has no account (no submission yet, or already closed)")]
    UnknownRound { task: Pubkey, round: u64 },
    #[error(transparent)]
    Code(#[from] tasknet_node::code::CodeError),
    #[error(transparent)]
    Node(#[from] tasknet_node::NodeError),
    #[error(transparent)]
    Localnet(#[from] tasknet_localnet::LocalnetError),
    #[error(transparent)]
    Demo(#[from] tasknet_demo::DemoError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Flags every command accepts.
#[derive(Args)]
pub struct Global {
    /// JSON-RPC URL or moniker (l, d, t, m); default from the Solana CLI config.
    #[arg(long, short = 'u', global = true, help_heading = "Global options")]
    pub url: Option<String>,
    /// Keypair file (Solana CLI format); default from the Solana CLI config.
    #[arg(long, short = 'k', global = true, help_heading = "Global options")]
    pub keypair: Option<PathBuf>,
    /// Commitment to read and confirm at: processed, confirmed or
    /// finalized; default from the Solana CLI config.
    #[arg(long, global = true, help_heading = "Global options")]
    pub commitment: Option<String>,
    /// The Solana CLI config file (default ~/.config/solana/cli/config.yml).
    #[arg(long, short = 'C', global = true, help_heading = "Global options")]
    pub config: Option<PathBuf>,
    /// Output format: human (tables) or json (one JSON document).
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Format::Human, help_heading = "Global options")]
    pub output: Format,
}

/// The cluster flags, for commands that never read them (keygen,
/// localnet): still accepted, since they are global, but shadowed by hidden
/// copies so that the command's help does not offer them.
#[derive(Args)]
pub struct UnusedClusterFlags {
    #[arg(long, short = 'u', hide = true)]
    url: Option<String>,
    #[command(flatten)]
    signer: UnusedSignerFlags,
}

/// The signing flags, for commands that sign with keys of their own (the
/// demo, which does read --url).
#[derive(Args)]
pub struct UnusedSignerFlags {
    #[arg(long, short = 'k', hide = true)]
    keypair: Option<PathBuf>,
    #[arg(long, hide = true)]
    commitment: Option<String>,
    #[arg(long, short = 'C', hide = true)]
    config: Option<PathBuf>,
}

/// Slots told in seconds, for people: the cluster's pace measured from its
/// block times over up to the last 100 slots (at least 20), else Solana's
/// 400 ms target.
#[derive(Clone, Copy, Debug)]
pub struct SlotClock {
    pub slot: u64,
    pub seconds_per_slot: f64,
}

impl SlotClock {
    /// Seconds from now until `slot` (negative: since), to 0.1 s.
    pub fn seconds_until(&self, slot: u64) -> f64 {
        let seconds = (slot as f64 - self.slot as f64) * self.seconds_per_slot;
        (seconds * 10.0).round() / 10.0
    }

    /// A span of `slots`, in seconds, to 0.1 s.
    pub fn seconds(&self, slots: u64) -> f64 {
        (slots as f64 * self.seconds_per_slot * 10.0).round() / 10.0
    }
}

/// A progress line on stderr while the command waits (only on a terminal,
/// so scripts and pipes see clean output); erased when dropped.
pub struct Progress(bool);

impl Progress {
    pub fn show(message: &str) -> Self {
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

/// The cluster and who signs.
pub struct Ctx {
    pub chain: ChainClient,
    pub keypair_path: PathBuf,
}

impl Ctx {
    /// Flags first, then the Solana CLI config, then defaults.
    pub fn from_flags(global: &Global) -> Result<Self, CliError> {
        let config = match global.config.clone().or_else(default_config_path) {
            Some(path) => SolanaConfig::load(&path).map_err(CliError::Input)?,
            None => SolanaConfig::default(),
        };
        let url = global
            .url
            .clone()
            .or(config.json_rpc_url)
            .map(|u| cluster_url(&u))
            .unwrap_or_else(|| "http://localhost:8899".into());
        let keypair_path = global
            .keypair
            .clone()
            .or_else(|| config.keypair_path.map(|p| expand_home(&p)))
            .unwrap_or_else(|| expand_home("~/.config/solana/id.json"));
        let commitment = match global.commitment.clone().or(config.commitment).as_deref() {
            None | Some("confirmed") => CommitmentConfig::confirmed(),
            Some("processed") => CommitmentConfig::processed(),
            Some("finalized") => CommitmentConfig::finalized(),
            Some(other) => {
                return Err(CliError::Input(format!(
                    "unknown commitment '{other}' (processed, confirmed, finalized)"
                )))
            }
        };
        let send = SendConfig {
            commitment,
            ..SendConfig::default()
        };
        Ok(Self {
            chain: ChainClient::new(&url, send),
            keypair_path,
        })
    }

    pub fn signer(&self) -> Result<Keypair, CliError> {
        Ok(read_keypair(&self.keypair_path)?)
    }

    /// The task at `task`, or a clear "does not exist".
    pub async fn task(&self, task: &Pubkey) -> Result<Task, CliError> {
        match self.chain.account::<Task>(task).await {
            Ok(Some(t)) => Ok(t),
            Ok(None) | Err(ChainError::Decode { .. }) => Err(CliError::UnknownTask(*task)),
            Err(e) => Err(e.into()),
        }
    }

    /// The current slot and the cluster's seconds per slot.
    pub async fn slot_clock(&self) -> Result<SlotClock, CliError> {
        let slot = self.chain.slot().await?;
        let rpc = self.chain.rpc();
        let (recent, earlier) = (slot.saturating_sub(1), slot.saturating_sub(101));
        let measured = match (
            rpc.get_block_time(recent).await,
            rpc.get_block_time(earlier).await,
        ) {
            // Block times are whole seconds: half a second's error either
            // way, small against a span of 20 slots or more.
            (Ok(now), Ok(then)) if recent - earlier >= 20 && now >= then => {
                Some(((now - then) as f64 + 0.5) / (recent - earlier) as f64)
            }
            _ => None,
        };
        Ok(SlotClock {
            slot,
            seconds_per_slot: measured.unwrap_or(0.4),
        })
    }

    /// Sends and confirms; returns the signature.
    pub async fn send(&self, signer: &Keypair, ixs: &[Instruction]) -> Result<String, CliError> {
        let _progress = Progress::show("sending and confirming the transaction…");
        Ok(self.chain.send(ixs, signer, &[]).await?.to_string())
    }
}
