#![allow(deprecated)] // program-test 3.1 flags its whole API as "agave-unstable-api".

//! `tasknet localnet`: a single-bank development chain. The program's SBF
//! build runs in LiteSVM (agave's SVM), and around it the chain keeps what
//! a validator keeps — blockhashes that live 150 blocks, one block per
//! slot, every transaction's status and metadata, commitment levels — and
//! serves it as a validator does: Solana JSON-RPC over HTTP and the PubSub
//! websocket on the next port.
//!
//! It is not a validator: one bank, no consensus, no forks, no gossip, no
//! vote transactions; a slot is confirmed when the next one starts and
//! finalized `ROOT_DEPTH` slots later, as a lone validator would. It exists
//! so the node, the CLI, the tests and any Solana client run their real
//! RPC code paths on machines without the Solana toolchain.

mod convert;
mod ledger;
mod pubsub;
mod rpc;

pub mod cluster;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use solana_keypair::Keypair;
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;

pub use cluster::Cluster;
pub use ledger::{MAX_PROCESSING_AGE, ROOT_DEPTH, STATUS_CACHE_SLOTS};

/// The program's SBF build, embedded at compile time (see build.rs); empty
/// when it had not been built.
static PROGRAM_SO: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tasknet.so"));

/// The example verifier program's SBF build (`tasknet_pow_verifier`),
/// loaded at `tasknet_pow_verifier::ID`; empty when not built.
static POW_VERIFIER_SO: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/tasknet_pow_verifier.so"));

/// The faucet's genesis balance: 500 million SOL, as a test validator's.
const FAUCET_LAMPORTS: u64 = 500_000_000 * 1_000_000_000;

/// The agave version whose SVM runs the program (LiteSVM 0.16).
pub const SVM_VERSION: &str = "4.2.1";

#[derive(Clone, Debug)]
pub struct LocalnetConfig {
    /// Address to serve JSON-RPC on; PubSub is served on the next port.
    /// Port 0 picks a free pair.
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

/// What the server tasks share: the ledger behind one lock, and the feed
/// of what happens to it (for PubSub).
pub(crate) struct Chain {
    ledger: Mutex<ledger::Ledger>,
    pub faucet: Keypair,
    pub events: broadcast::Sender<Event>,
}

#[derive(Clone, Debug)]
pub(crate) enum Event {
    Transaction(Arc<ledger::TxNotice>),
    Slot(ledger::SlotUpdate),
}

impl Chain {
    /// The ledger. Never held across an await: every operation on it is
    /// synchronous and short, so execution and recording cannot be torn
    /// apart by a client that hangs up.
    pub fn ledger(&self) -> MutexGuard<'_, ledger::Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Processes a transaction and tells subscribers.
    pub fn process(
        &self,
        tx: solana_transaction::versioned::VersionedTransaction,
    ) -> Result<Arc<ledger::TxNotice>, ledger::Rejected> {
        let notice = self.ledger().process(tx);
        self.announce(notice)
    }

    /// Sends `lamports` from the faucet, and tells subscribers.
    pub fn airdrop(
        &self,
        to: &anchor_lang::prelude::Pubkey,
        lamports: u64,
    ) -> Result<Arc<ledger::TxNotice>, ledger::Rejected> {
        let notice = self.ledger().airdrop(&self.faucet, to, lamports);
        self.announce(notice)
    }

    fn announce(
        &self,
        notice: Result<ledger::TxNotice, ledger::Rejected>,
    ) -> Result<Arc<ledger::TxNotice>, ledger::Rejected> {
        let notice = Arc::new(notice?);
        let _ = self.events.send(Event::Transaction(notice.clone()));
        Ok(notice)
    }
}

/// A running local chain. Dropping it stops the servers and the slot clock.
pub struct Localnet {
    pub url: String,
    pub ws_url: String,
    pub addr: SocketAddr,
    pub ws_addr: SocketAddr,
    pub slot_duration: Duration,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    pubsub: pubsub::Handle,
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
    #[error("the program's SBF build was not embedded when this binary was built: run tools/sbf/build.sh, then build again")]
    ProgramNotBuilt,
    #[error("the chain failed to start: {0}")]
    Bank(String),
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Localnet {
    pub async fn start(config: LocalnetConfig) -> Result<Self, LocalnetError> {
        if PROGRAM_SO.is_empty() {
            return Err(LocalnetError::ProgramNotBuilt);
        }
        let (listener, ws_listener) = bind_pair(config.bind).await?;
        let addr = local_addr(&listener, config.bind)?;
        let ws_addr = local_addr(&ws_listener, config.bind)?;
        let mut ledger = ledger::Ledger::new(PROGRAM_SO, POW_VERIFIER_SO, unix_now())
            .map_err(LocalnetError::Bank)?;
        let faucet = Keypair::new();
        ledger
            .fund_faucet(&solana_signer::Signer::pubkey(&faucet), FAUCET_LAMPORTS)
            .map_err(LocalnetError::Bank)?;
        let (events, _) = broadcast::channel(16_384);
        let chain = Arc::new(Chain {
            ledger: Mutex::new(ledger),
            faucet,
            events,
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
        let pubsub = pubsub::serve(ws_listener, chain.clone())
            .await
            .map_err(|e| LocalnetError::Bank(format!("PubSub server: {e}")))?;
        tracing::info!(%addr, %ws_addr, "localnet serving JSON-RPC and PubSub");
        Ok(Self {
            url: format!("http://{addr}"),
            ws_url: format!("ws://{ws_addr}"),
            addr,
            ws_addr,
            slot_duration: config.slot_duration,
            shutdown: Some(shutdown),
            server: Some(server),
            pubsub,
            clock,
            chain,
        })
    }

    /// The funded keypair behind requestAirdrop.
    pub fn faucet(&self) -> &Keypair {
        &self.chain.faucet
    }

    /// The working slot.
    pub fn slot(&self) -> u64 {
        self.chain.ledger().commitments().processed
    }

    /// Stops the servers and the clock. Clients with idle keep-alive
    /// connections get a moment to finish; then the server is cut off.
    /// Both ports are free when this returns (a chain can be restarted on
    /// them).
    pub async fn stop(mut self) {
        self.pubsub.stop_and_wait().await;
        self.shutdown_now();
        if let Some(mut server) = self.server.take() {
            if tokio::time::timeout(Duration::from_secs(1), &mut server)
                .await
                .is_err()
            {
                server.abort();
                // The listener is dropped once the aborted task is.
                let _ = server.await;
            }
        }
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.pubsub.stop();
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

fn local_addr(
    listener: &tokio::net::TcpListener,
    asked: SocketAddr,
) -> Result<SocketAddr, LocalnetError> {
    listener.local_addr().map_err(|source| LocalnetError::Bind {
        addr: asked,
        source,
    })
}

/// Listeners on `bind` and the port after it (a validator's PubSub port is
/// its RPC port + 1, and clients derive one from the other). With port 0,
/// tries free ports until a pair is free.
async fn bind_pair(
    bind: SocketAddr,
) -> Result<(tokio::net::TcpListener, tokio::net::TcpListener), LocalnetError> {
    let bind_one = |addr: SocketAddr| async move {
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| LocalnetError::Bind { addr, source })
    };
    if bind.port() != 0 {
        let rpc = bind_one(bind).await?;
        let ws = bind_one(SocketAddr::new(bind.ip(), bind.port().wrapping_add(1))).await?;
        return Ok((rpc, ws));
    }
    let mut last = None;
    for _ in 0..32 {
        let rpc = bind_one(bind).await?;
        let port = local_addr(&rpc, bind)?.port();
        match bind_one(SocketAddr::new(bind.ip(), port.wrapping_add(1))).await {
            Ok(ws) => return Ok((rpc, ws)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("at least one attempt"))
}

/// Seals a block and opens the next slot every `slot_duration`.
async fn run_slot_clock(chain: Arc<Chain>, slot_duration: Duration) {
    let mut ticker = tokio::time::interval(slot_duration);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let update = chain.ledger().advance_slot(unix_now());
        let _ = chain.events.send(Event::Slot(update));
    }
}
