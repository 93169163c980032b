//! The node runtime: the loop. One pipeline per task follows the slot
//! clock; each tick reads the task and our stake once ([`TaskView`]) and
//! hands the live rounds to the round driver ([`drive_task`]) with this
//! node as its host (`host`: the outbox, earnings; `work`: running and
//! auditing code). What the operator hears is `report`'s.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::state::{Stake, Task};
use tasknet_sdk::chain::{ChainClient, Outcome, SendConfig};
use tasknet_sdk::pda;
use tokio::sync::watch;

use crate::code::check_code_hash;
use crate::driver::{drive_task, Memories};
use crate::follow::{FollowConfig, Follower};
use crate::host::TaskHost;
use crate::lock::DbLock;
use crate::metrics::Ops;
use crate::parts::{Shared, TaskSpec};
use crate::payloads;
use crate::report::{Condition, Reporter};
use crate::snapshot::TaskView;
use crate::store::{Store, TxState};
use crate::supply::{CodeSupply, ModuleLibrary};
use crate::{NodeError, OtherChain};

#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub rpc_url: String,
    pub db_path: PathBuf,
    /// How often each task's pipeline looks at the clock.
    pub poll_interval: Duration,
    pub send: SendConfig,
    /// Submissions to audit per round ([`tasknet::logic::AuditSample`]);
    /// more than the default audits a superset of it.
    pub audits_per_round: u32,
    /// How reads fall back to polling when the websocket is quiet or gone
    /// (`poll_interval` is the tick while there is none).
    pub follow: FollowConfig,
}

pub struct Node {
    /// Held for the node's life: one process per database.
    _lock: DbLock,
    shared: Shared,
    config: NodeConfig,
}

impl Node {
    pub fn new(keypair: Keypair, config: NodeConfig) -> Result<Self, NodeError> {
        let lock = DbLock::acquire(&config.db_path)?;
        let ops = Ops::new(&keypair.pubkey());
        let store = Arc::new(Store::open(&config.db_path)?);
        Ok(Self {
            _lock: lock,
            shared: Shared {
                reporter: Reporter::new(ops, store.clone()),
                chain: ChainClient::new(&config.rpc_url, config.send.clone()),
                store,
                http: reqwest::Client::new(),
                keypair,
                follower: Follower::new(config.follow),
                skipped: Default::default(),
                token_accounts: Default::default(),
                broken_verifiers: Default::default(),
            },
            config,
        })
    }

    pub fn pubkey(&self) -> Pubkey {
        self.shared.keypair.pubkey()
    }

    /// The node's state: its payloads, earnings and signed transactions.
    pub fn store(&self) -> &Arc<Store> {
        &self.shared.store
    }

    /// Serves this node's payloads to auditors; returns the address. The
    /// endpoint staked on-chain must reach it.
    /// The same server answers `/metrics` (Prometheus) and `/status`
    /// (JSON) for the operator.
    pub async fn serve_payloads(&self, bind: SocketAddr) -> Result<SocketAddr, NodeError> {
        payloads::serve_with(self.shared.store.clone(), bind, self.operator_routes())
            .await
            .map_err(NodeError::PayloadServer)
    }

    /// Like [`Node::serve_payloads`], and serves the modules of `library`
    /// to peers at `/code/<sha256>`.
    pub async fn serve_payloads_and_code(
        &self,
        bind: SocketAddr,
        library: &ModuleLibrary,
    ) -> Result<SocketAddr, NodeError> {
        let routes = self.operator_routes().merge(library.router());
        payloads::serve_with(self.shared.store.clone(), bind, routes)
            .await
            .map_err(NodeError::PayloadServer)
    }

    /// `/metrics`, `/status` and the dashboard at `/`: read-only.
    fn operator_routes(&self) -> axum::Router {
        let dashboard = crate::dashboard::Pages::new(self.ops().clone(), self.shared.store.clone());
        self.ops().router().merge(dashboard.router())
    }

    /// The node's metrics and status, as `/metrics` and `/status` serve them.
    pub fn ops(&self) -> &Ops {
        &self.shared.reporter.ops
    }

    /// Checks every task (it exists, the node is staked, the code's hash is
    /// the task's) before running any of them.
    pub async fn check(&self, tasks: &[TaskSpec]) -> Result<(), NodeError> {
        for spec in tasks {
            let task: Task = self
                .shared
                .chain
                .account(&spec.task)
                .await?
                .ok_or(NodeError::UnknownTask(spec.task))?;
            // Given code must be the task's now; modules found by hash
            // are looked for each round (and reported if missing).
            if let CodeSupply::Given(code) = &spec.code {
                check_code_hash(&spec.task, &task.code_hash, code.as_ref())?;
            }
            let stake: Stake = self
                .shared
                .chain
                .account(&pda::stake(&spec.task, &self.pubkey()))
                .await?
                .ok_or(NodeError::NotStaked(spec.task))?;
            if stake.endpoint.is_empty() {
                tracing::warn!(task = %spec.task, "this node's stake has no payload endpoint: auditors cannot fetch its payloads and will challenge its submissions (stake with --endpoint, run with --serve)");
            }
        }
        Ok(())
    }

    /// Runs every task's pipeline until `shutdown` turns true, following
    /// the chain over its websocket meanwhile.
    pub async fn run(
        &self,
        tasks: Vec<TaskSpec>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), NodeError> {
        self.bind_chain().await?;
        self.check(&tasks).await?;
        self.reconcile_outbox().await?;
        let runs = tasks.iter().map(|spec| self.poll(spec, shutdown.clone()));
        let following = async {
            self.shared.follower.run(&self.shared.chain).await;
            // No websocket URL: every read polls.
            std::future::pending::<()>().await
        };
        // A fatal error in one pipeline (the chain was replaced) stops all.
        tokio::select! {
            outcome = futures::future::try_join_all(runs) => outcome.map(|_| ()),
            _ = following => Ok(()),
        }
    }

    /// Records which chain the database belongs to, or refuses another
    /// one: its rounds marked done, outbox and earnings mean nothing there.
    async fn bind_chain(&self) -> Result<(), NodeError> {
        let genesis = self.shared.chain.genesis_hash().await?;
        let program = tasknet_sdk::PROGRAM_ID;
        match self.shared.store.chain()? {
            None => self.shared.store.set_chain(&genesis, &program)?,
            Some((recorded_genesis, recorded_program))
                if recorded_genesis != genesis || recorded_program != program.to_string() =>
            {
                return Err(NodeError::OtherChain(Box::new(OtherChain {
                    db: self.config.db_path.clone(),
                    recorded_genesis,
                    recorded_program,
                    genesis,
                    program,
                })))
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Brings the outbox in line with the chain after a restart.
    async fn reconcile_outbox(&self) -> Result<(), NodeError> {
        let height = self.shared.chain.block_height().await?;
        for entry in self.shared.store.pending_transactions()? {
            let signature = entry
                .signature
                .parse()
                .map_err(|_| NodeError::CorruptStore(format!("signature {}", entry.signature)))?;
            let state = match self.shared.chain.status(&signature).await? {
                Some(Outcome::Confirmed(_)) => TxState::Confirmed,
                Some(Outcome::Failed(..)) => TxState::Failed,
                _ if height > entry.last_valid_block_height => TxState::Expired,
                _ => continue, // still in flight: resumed by its action
            };
            self.shared.store.set_tx_state(entry.id, state)?;
        }
        for (task, round, signature) in self.shared.store.unrecorded_claims()? {
            let Ok(signature) = signature.parse() else {
                continue;
            };
            // The claim paid in the task's asset (a closed task's earning
            // is recorded as lamports: its account is gone).
            let account: Option<tasknet::state::Task> = self.shared.chain.account(&task).await?;
            let mint = account.and_then(|t| t.reward_token.map(|r| r.mint));
            self.shared
                .record_earning(&task, round, &signature, None, mint.as_ref())
                .await?;
        }
        Ok(())
    }

    /// A task's pipeline: a tick at every new slot and followed account
    /// change while the websocket is up (reads from memory), else every
    /// poll interval (reads over RPC); the refresh interval at the latest.
    async fn poll(
        &self,
        spec: &TaskSpec,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), NodeError> {
        let follower = &self.shared.follower;
        let mut changes = follower.changes();
        let mut memories = Memories::new();
        loop {
            let wait = if follower.is_live() {
                self.config.follow.refresh
            } else {
                self.config.poll_interval
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = changes.changed() => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return Ok(());
            }
            let Err(e) = self.tick(spec, &mut memories).await else {
                continue;
            };
            let condition = match e {
                NodeError::UnknownTask(_) => {
                    // A task that existed at start is gone: was the chain
                    // itself replaced (a restarted local chain)? Then
                    // nothing in the database holds; stop.
                    if let Err(e @ NodeError::OtherChain(_)) = self.bind_chain().await {
                        return Err(e);
                    }
                    Condition::UnknownTask
                }
                e => Condition::Failing(e.to_string()),
            };
            self.shared.reporter.report(&spec.task, condition);
        }
    }

    /// One look at the clock: read the task and our stake, report, and
    /// drive every round that is still live.
    async fn tick(&self, spec: &TaskSpec, memories: &mut Memories) -> Result<(), NodeError> {
        let reading = std::time::Instant::now();
        let source = self.shared.follower.source(&self.shared.chain);
        let view = TaskView::read(
            &source,
            self.pubkey(),
            spec.task,
            self.config.audits_per_round,
        )
        .await?;
        let metrics = &self.shared.reporter.ops.metrics;
        metrics.rpc_latency.observe(reading.elapsed().as_secs_f64());
        self.shared.reporter.look(&view);
        let host = TaskHost {
            shared: &self.shared,
            spec,
            source,
        };
        drive_task(&host, spec.policy.as_ref(), &view, memories).await
    }
}
