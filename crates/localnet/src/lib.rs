#![allow(deprecated)] // program-test 3.1 flags its whole API as "agave-unstable-api".

//! `tasknet localnet`: a single-bank development chain. A real Agave bank
//! (solana-program-test, tasknet loaded natively) served over Solana
//! JSON-RPC on 127.0.0.1, with slots advancing in real time.
//!
//! It is not a validator: one bank, no consensus, no forks, no gossip; every
//! transaction is final as soon as it is processed. It exists so the node,
//! the CLI and the tests run their real RPC code path on machines without
//! the Solana toolchain.

mod bank;
pub mod cluster;
mod rpc;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_program_test::{BanksClient, ProgramTestContext};
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use tokio::sync::{oneshot, Mutex};
use tokio::task::JoinHandle;

pub use bank::program_test;
pub use cluster::Cluster;

/// Blockhashes stay valid for this many blocks (Agave's `MAX_PROCESSING_AGE`).
pub const BLOCKHASH_VALID_BLOCKS: u64 = 150;

#[derive(Clone, Debug)]
pub struct LocalnetConfig {
    /// Address to serve JSON-RPC on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Wall-clock length of one slot.
    pub slot_duration: Duration,
}

impl Default for LocalnetConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8899)),
            slot_duration: Duration::from_millis(400),
        }
    }
}

/// What the chain remembers of a processed transaction.
#[derive(Clone, Debug)]
pub(crate) struct TxRecord {
    /// Order of processing, to sort transactions within a slot.
    pub sequence: u64,
    pub slot: u64,
    pub transaction: VersionedTransaction,
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub compute_units: u64,
    pub fee: u64,
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
}

pub(crate) struct Chain {
    /// Held while warping and while executing (process or simulate): a
    /// transaction never meets a bank being frozen, and Agave's program
    /// cache never sees a warp in the middle of an execution.
    pub ctx: Mutex<ProgramTestContext>,
    pub banks: BanksClient,
    pub faucet: Keypair,
    pub slot: AtomicU64,
    /// Blocks produced since start; stands in for block height.
    pub block_height: AtomicU64,
    /// Every account any processed transaction named: the index behind
    /// getProgramAccounts (BanksClient cannot list accounts).
    pub accounts: Mutex<BTreeSet<Pubkey>>,
    pub transactions: Mutex<HashMap<Signature, TxRecord>>,
    pub latest_blockhash: Mutex<Hash>,
}

/// A running local chain. Dropping it stops the server and the slot clock.
pub struct Localnet {
    pub url: String,
    pub addr: SocketAddr,
    pub slot_duration: Duration,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    clock: JoinHandle<()>,
    chain: Arc<Chain>,
}

#[derive(Debug, thiserror::Error)]
pub enum LocalnetError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the bank failed to start: {0}")]
    Bank(String),
}

impl Localnet {
    pub async fn start(config: LocalnetConfig) -> Result<Self, LocalnetError> {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| LocalnetError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| LocalnetError::Bind {
                addr: config.bind,
                source,
            })?;
        let ctx = program_test().start_with_context().await;
        let banks = ctx.banks_client.clone();
        let faucet = ctx.payer.insecure_clone();
        let blockhash = ctx.last_blockhash;
        let slot = banks
            .get_sysvar::<anchor_lang::prelude::Clock>()
            .await
            .map_err(|e| LocalnetError::Bank(e.to_string()))?
            .slot;
        let chain = Arc::new(Chain {
            ctx: Mutex::new(ctx),
            banks,
            faucet,
            slot: AtomicU64::new(slot),
            block_height: AtomicU64::new(0),
            accounts: Mutex::new(BTreeSet::new()),
            transactions: Mutex::new(HashMap::new()),
            latest_blockhash: Mutex::new(blockhash),
        });

        let clock = tokio::spawn(run_slot_clock(chain.clone(), config.slot_duration));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = rpc::router(chain.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        tracing::info!(%addr, "localnet serving JSON-RPC");
        Ok(Self {
            url: format!("http://{addr}"),
            addr,
            slot_duration: config.slot_duration,
            shutdown: Some(shutdown),
            server: Some(server),
            clock,
            chain,
        })
    }

    /// The funded keypair behind requestAirdrop.
    pub fn faucet(&self) -> &Keypair {
        &self.chain.faucet
    }

    pub fn slot(&self) -> u64 {
        self.chain.slot.load(Ordering::SeqCst)
    }

    /// Stops the server and the clock. Clients with idle keep-alive
    /// connections get a moment to finish; then the server is cut off.
    pub async fn stop(mut self) {
        self.shutdown_now();
        if let Some(mut server) = self.server.take() {
            if tokio::time::timeout(Duration::from_secs(1), &mut server)
                .await
                .is_err()
            {
                server.abort();
            }
        }
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.clock.abort();
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        self.shutdown_now();
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Advances the bank one slot per `slot_duration`. Each new bank brings a new
/// blockhash, so a blockhash lives `BLOCKHASH_VALID_BLOCKS` slots.
async fn run_slot_clock(chain: Arc<Chain>, slot_duration: Duration) {
    let mut ticker = tokio::time::interval(slot_duration);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let mut ctx = chain.ctx.lock().await;
        let next = chain.slot.load(Ordering::SeqCst) + 1;
        // Building the next bank is synchronous work; on a multi-threaded
        // runtime, let the worker's other tasks (the RPC server) move away.
        let warped = match tokio::runtime::Handle::current().runtime_flavor() {
            tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| ctx.warp_to_slot(next))
            }
            _ => ctx.warp_to_slot(next),
        };
        if let Err(e) = warped {
            tracing::error!("slot clock stopped: {e}");
            return;
        }
        let blockhash = ctx.last_blockhash;
        drop(ctx);
        *chain.latest_blockhash.lock().await = blockhash;
        chain.block_height.fetch_add(1, Ordering::SeqCst);
        chain.slot.store(next, Ordering::SeqCst);
    }
}

/// The embedded bank runs the program natively, where the program's `msg!`
/// lines are printed on stdout. They belong to the chain, not to this
/// command's output: point fd 1 at /dev/null and return the real stdout.
#[cfg(unix)]
pub fn divert_program_stdout() -> std::io::Result<std::fs::File> {
    use std::io::Write;
    use std::os::fd::FromRawFd;
    std::io::stdout().flush()?;
    // SAFETY: plain fd syscalls; the duplicated fd is owned by the File.
    unsafe {
        let saved = libc::dup(1);
        if saved < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if null < 0 || libc::dup2(null, 1) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        libc::close(null);
        Ok(std::fs::File::from_raw_fd(saved))
    }
}
