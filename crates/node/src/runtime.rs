//! The node runtime: one loop per task, following the slot clock. Each tick
//! reads the task and our stake once ([`TaskView`]), then, for every live
//! round, reads a [`RoundSnapshot`], asks the task's [`Policy`] what to do
//! and performs it: off-chain work into the store, transactions through the
//! [`Outbox`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use rand::RngCore;
use sha2::{Digest, Sha256};
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use tasknet::logic::{Ineligible, Phase};
use tasknet::state::{Stake, Submission, Task, TaskState};
use tasknet_sdk::chain::{decode_account, ChainClient, ChainError, Outcome, SendConfig, Watch};
use tasknet_sdk::pda;
use tokio::sync::{watch, Notify};

use crate::action::Action;
use crate::code::{self, check_code_hash, RoundInput, TaskCode};
use crate::decide::{Honest, Policy};
use crate::lock::DbLock;
use crate::metrics::{Ops, TaskStatus};
use crate::outbox::{Acted, Outbox, Purpose};
use crate::payloads;
use crate::snapshot::{RoundMemory, RoundSnapshot, TaskView};
use crate::store::{OwnSubmission, Store, TxState};
use crate::{NodeError, OtherChain};

/// A task the node runs, with its code and its policy.
pub struct TaskSpec {
    pub task: Pubkey,
    pub code: Arc<dyn TaskCode>,
    pub policy: Arc<dyn Policy>,
}

impl TaskSpec {
    /// Runs `task` with `code`, honestly.
    pub fn new(task: Pubkey, code: Arc<dyn TaskCode>) -> Self {
        Self {
            task,
            code,
            policy: Arc::new(Honest),
        }
    }

    pub fn with_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = policy;
        self
    }
}

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
}

pub struct Node {
    /// Held for the node's life: one process per database.
    _lock: DbLock,
    /// The phase each (task, round) was last seen in, to log changes.
    phases: Mutex<HashMap<(Pubkey, u64), Phase>>,
    /// What was last said about each task, to say it once and again only
    /// when it changes.
    conditions: Mutex<HashMap<Pubkey, Condition>>,
    /// What each live round's scans located, kept between ticks.
    memories: Mutex<HashMap<(Pubkey, u64), RoundMemory>>,
    /// The slashed total last seen on each task's stake.
    slashed: Mutex<HashMap<Pubkey, u64>>,
    /// Metrics and status for the operator.
    ops: Ops,
    chain: ChainClient,
    store: Arc<Store>,
    http: reqwest::Client,
    keypair: Keypair,
    config: NodeConfig,
}

impl Node {
    pub fn new(keypair: Keypair, config: NodeConfig) -> Result<Self, NodeError> {
        let lock = DbLock::acquire(&config.db_path)?;
        let ops = Ops::new(&keypair.pubkey());
        Ok(Self {
            _lock: lock,
            phases: Default::default(),
            conditions: Default::default(),
            memories: Default::default(),
            slashed: Default::default(),
            ops,
            chain: ChainClient::new(&config.rpc_url, config.send.clone()),
            store: Arc::new(Store::open(&config.db_path)?),
            http: reqwest::Client::new(),
            keypair,
            config,
        })
    }

    pub fn pubkey(&self) -> Pubkey {
        self.keypair.pubkey()
    }

    /// The node's state: its payloads, earnings and signed transactions.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Serves this node's payloads to auditors; returns the address. The
    /// endpoint staked on-chain must reach it.
    /// The same server answers `/metrics` (Prometheus) and `/status`
    /// (JSON) for the operator.
    pub async fn serve_payloads(&self, bind: SocketAddr) -> Result<SocketAddr, NodeError> {
        payloads::serve_with(self.store.clone(), bind, self.ops.router())
            .await
            .map_err(NodeError::PayloadServer)
    }

    /// The node's metrics and status, as `/metrics` and `/status` serve them.
    pub fn ops(&self) -> &Ops {
        &self.ops
    }

    /// Checks every task (it exists, the node is staked, the code's hash is
    /// the task's) before running any of them.
    pub async fn check(&self, tasks: &[TaskSpec]) -> Result<(), NodeError> {
        for spec in tasks {
            let task: Task = self
                .chain
                .account(&spec.task)
                .await?
                .ok_or(NodeError::UnknownTask(spec.task))?;
            check_code_hash(&spec.task, &task.code_hash, spec.code.as_ref())?;
            let stake: Stake = self
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

    /// Runs every task's pipeline until `shutdown` turns true.
    pub async fn run(
        &self,
        tasks: Vec<TaskSpec>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), NodeError> {
        self.bind_chain().await?;
        self.check(&tasks).await?;
        self.reconcile_outbox().await?;
        let runs = tasks
            .iter()
            .map(|spec| self.run_task(spec, shutdown.clone()));
        // A fatal error in one pipeline (the chain was replaced) stops all.
        futures::future::try_join_all(runs).await?;
        Ok(())
    }

    /// Records which chain the database belongs to, or refuses another
    /// one: its rounds marked done, outbox and earnings mean nothing there.
    async fn bind_chain(&self) -> Result<(), NodeError> {
        let genesis = self.chain.genesis_hash().await?;
        let program = tasknet_sdk::PROGRAM_ID;
        match self.store.chain()? {
            None => self.store.set_chain(&genesis, &program)?,
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

    /// Says what changed about a task's standing: once, not every tick.
    fn report(&self, task: &Pubkey, condition: Condition) {
        let mut conditions = self.conditions.lock().unwrap_or_else(|p| p.into_inner());
        if conditions.get(task) == Some(&condition) {
            return;
        }
        match &condition {
            Condition::Eligible { weight } => {
                tracing::info!(%task, weight, "eligible: running its rounds")
            }
            other => tracing::warn!(%task, "{other}"),
        }
        conditions.insert(*task, condition);
    }

    /// Brings the outbox in line with the chain after a restart.
    async fn reconcile_outbox(&self) -> Result<(), NodeError> {
        let height = self.chain.block_height().await?;
        for entry in self.store.pending_transactions()? {
            let signature = entry
                .signature
                .parse()
                .map_err(|_| NodeError::CorruptStore(format!("signature {}", entry.signature)))?;
            let state = match self.chain.status(&signature).await? {
                Some(Outcome::Confirmed(_)) => TxState::Confirmed,
                Some(Outcome::Failed(..)) => TxState::Failed,
                _ if height > entry.last_valid_block_height => TxState::Expired,
                _ => continue, // still in flight: resumed by its action
            };
            self.store.set_tx_state(entry.id, state)?;
        }
        for (task, round, signature) in self.store.unrecorded_claims()? {
            let Ok(signature) = signature.parse() else {
                continue;
            };
            self.record_earning(&task, round, &signature, None).await?;
        }
        Ok(())
    }

    /// Records a confirmed claim's earning as the chain reports it (its
    /// `RewardClaimed` event), falling back to the share we computed.
    async fn record_earning(
        &self,
        task: &Pubkey,
        round: u64,
        signature: &Signature,
        computed: Option<u64>,
    ) -> Result<(), NodeError> {
        let amount = match self.chain.claimed_amount(signature).await? {
            Some(amount) => amount,
            None => match computed {
                Some(share) => share,
                None => return Ok(()), // not in history yet: next start
            },
        };
        tracing::info!(%task, round, amount, "earned");
        self.ops.metrics.earned_lamports.inc_by(amount);
        Ok(self
            .store
            .record_earning(task, round, amount, &signature.to_string())?)
    }

    /// A task's pipeline: a tick every poll interval, and at once when the
    /// task or its audits change (account notifications, where the
    /// endpoint serves a websocket).
    async fn run_task(
        &self,
        spec: &TaskSpec,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), NodeError> {
        let wake = Notify::new();
        let notifications = async {
            match self.chain.watch_task(&spec.task, &wake).await {
                Watch::Unavailable => {}
                Watch::Closed => {
                    tracing::warn!(task = %spec.task, "the websocket closed: polling only")
                }
            }
            // Polling goes on without it.
            std::future::pending::<()>().await
        };
        tokio::select! {
            _ = notifications => Ok(()),
            outcome = self.poll(spec, shutdown, &wake) => outcome,
        }
    }

    async fn poll(
        &self,
        spec: &TaskSpec,
        mut shutdown: watch::Receiver<bool>,
        wake: &Notify,
    ) -> Result<(), NodeError> {
        let mut interval = tokio::time::interval(self.config.poll_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = wake.notified() => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return Ok(());
            }
            if let Err(e) = self.tick(spec).await {
                let condition = match e {
                    NodeError::UnknownTask(_) => {
                        // A task that existed at start is gone: was the
                        // chain itself replaced (a restarted local chain)?
                        // Then nothing in the database holds; stop.
                        if let Err(e @ NodeError::OtherChain(_)) = self.bind_chain().await {
                            return Err(e);
                        }
                        Condition::UnknownTask
                    }
                    e => Condition::Failing(e.to_string()),
                };
                self.report(&spec.task, condition);
            }
        }
    }

    /// One look at the clock: act on every round that is still live.
    async fn tick(&self, spec: &TaskSpec) -> Result<(), NodeError> {
        let reading = std::time::Instant::now();
        let view = self.view(&spec.task).await?;
        self.ops
            .metrics
            .rpc_latency
            .observe(reading.elapsed().as_secs_f64());
        let condition = Condition::of(&view);
        self.note_slashes(&view);
        let live = view.task.schedule.live_rounds(view.slot);
        self.ops.set_task(
            &spec.task,
            TaskStatus {
                condition: condition.to_string(),
                eligible: matches!(condition, Condition::Eligible { .. }),
                slot: view.slot,
                live_rounds: live.clone().map(|r| r.collect()).unwrap_or_default(),
            },
        );
        self.report(&spec.task, condition);
        let Some(rounds) = live else {
            return Ok(());
        };
        // Newest first: its submit and reveal windows are the short,
        // time-critical ones; older rounds' cranks and closes can wait.
        for round in rounds.rev() {
            if self.store.round_done(&spec.task, round)? {
                continue;
            }
            if let Err(e) = self.run_round(spec, &view, round).await {
                tracing::warn!(task = %spec.task, round, "{e}");
            }
        }
        Ok(())
    }

    /// The slot, the task and our stake, in two calls.
    async fn view(&self, task_key: &Pubkey) -> Result<TaskView, NodeError> {
        let slot = self.chain.slot().await?;
        let me = self.pubkey();
        let stake_key = pda::stake(task_key, &me);
        let mut accounts = self
            .chain
            .raw_accounts(&[*task_key, stake_key])
            .await?
            .into_iter();
        let task: Task = match accounts.next().flatten() {
            Some(a) => decode_account(task_key, &a.data)?,
            None => return Err(NodeError::UnknownTask(*task_key)),
        };
        let stake = accounts
            .next()
            .flatten()
            .map(|a| decode_account(&stake_key, &a.data))
            .transpose()?;
        Ok(TaskView {
            me,
            task_key: *task_key,
            task,
            stake,
            slot,
            audits_per_round: self.config.audits_per_round,
        })
    }

    /// Snapshot → decide → perform. Off-chain work (running the code,
    /// auditing a payload) feeds the next decision, so after it the round
    /// is read and decided once more in the same tick.
    async fn run_round(
        &self,
        spec: &TaskSpec,
        view: &TaskView,
        round: u64,
    ) -> Result<(), NodeError> {
        let phase = view.task.schedule.phase(round, view.slot);
        self.note_phase(&spec.task, round, phase);
        if phase == Phase::NotStarted {
            return Ok(());
        }
        let key = (spec.task, round);
        let mut memory = self.memory(&key);
        for _pass in 0..2 {
            let reads = spec.policy.reads(phase);
            let snapshot =
                RoundSnapshot::read(view, round, reads, &self.chain, &mut memory, &self.store)
                    .await?;
            let mut worked_off_chain = false;
            for action in spec.policy.decide(&snapshot) {
                worked_off_chain |= self.perform(spec, &snapshot, action).await?;
            }
            if !worked_off_chain {
                break;
            }
        }
        self.memories
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, memory);
        Ok(())
    }

    /// What earlier ticks located in a round.
    fn memory(&self, key: &(Pubkey, u64)) -> RoundMemory {
        let memories = self.memories.lock().unwrap_or_else(|p| p.into_inner());
        memories.get(key).cloned().unwrap_or_default()
    }

    /// Performs one action; true if it was off-chain work.
    async fn perform(
        &self,
        spec: &TaskSpec,
        snapshot: &RoundSnapshot<'_>,
        action: Action,
    ) -> Result<bool, NodeError> {
        let (task, round) = (&spec.task, snapshot.round);
        match action {
            Action::Execute => self.execute(spec, round).await.map(|_| true),
            Action::Audit { node } => self.audit(spec, snapshot, &node).await.map(|_| true),
            Action::Unrevealable => {
                tracing::error!(task = %task, round, "no stored value for our commitment; cannot reveal");
                Ok(false)
            }
            Action::Finish => {
                self.store.mark_round_done(task, round)?;
                Ok(false)
            }
            on_chain => self.send(task, round, on_chain).await.map(|_| false),
        }
    }

    /// Sends an on-chain action through the outbox; records a claim's
    /// earning once its transaction is confirmed.
    async fn send(&self, task: &Pubkey, round: u64, action: Action) -> Result<(), NodeError> {
        let instructions = action.instructions(&self.pubkey(), task, round);
        let Some(key) = action.outbox_key().filter(|_| !instructions.is_empty()) else {
            return Ok(());
        };
        let outbox = Outbox {
            chain: &self.chain,
            store: &self.store,
            keypair: &self.keypair,
        };
        let purpose = Purpose {
            task,
            round,
            key: &key,
        };
        let action_name = key.stored();
        let action_name = action_name.split(':').next().unwrap_or_default();
        let metrics = &self.ops.metrics;
        let acted = match outbox.send(purpose, &instructions).await {
            Ok(acted) => acted,
            Err(e) => {
                let error = failure_name(&e);
                metrics
                    .transaction_failures
                    .with_label_values(&[action_name, &error])
                    .inc();
                return Err(e);
            }
        };
        match &acted {
            Acted::Confirmed(_) => metrics.transactions.with_label_values(&[action_name]).inc(),
            Acted::Refused(e) => metrics
                .transaction_failures
                .with_label_values(&[action_name, &chain_failure_name(e)])
                .inc(),
            Acted::AlreadyDone => {}
        }
        if let (Action::Claim { share }, Acted::Confirmed(signature)) = (&action, &acted) {
            self.record_earning(task, round, signature, Some(*share))
                .await?;
        }
        Ok(())
    }

    /// Logs a round entering a new phase: the node's state per task and round.
    fn note_phase(&self, task: &Pubkey, round: u64, phase: Phase) {
        let mut phases = self.phases.lock().unwrap_or_else(|p| p.into_inner());
        let before = phases.insert((*task, round), phase);
        if before != Some(phase) && phase != Phase::NotStarted {
            tracing::info!(task = %task, round, phase = ?phase, "round phase");
            if before.is_none_or(|p| p == Phase::NotStarted) {
                self.ops.metrics.rounds.inc();
            }
        }
        if phase == Phase::Closable {
            // Forget rounds long finished, so the maps stay small.
            phases.retain(|(t, r), _| t != task || r + 8 > round);
            let mut memories = self.memories.lock().unwrap_or_else(|p| p.into_inner());
            memories.retain(|(t, r), _| t != task || r + 8 > round);
        }
    }

    // ---- off-chain work ----

    /// Runs the task code and stores its payload, value and salt before
    /// anything is sent: the reveal must survive a crash.
    async fn execute(&self, spec: &TaskSpec, round: u64) -> Result<(), NodeError> {
        let code = spec.code.clone();
        let input = RoundInput::new(spec.task, round);
        let payload = tokio::task::spawn_blocking(move || code.execute(&input))
            .await
            .map_err(|e| NodeError::CodeTask(e.to_string()))??;
        let payload = code::check_payload(payload)?;
        let hash: [u8; 32] = Sha256::digest(&payload).into();
        self.store.save_payload(&hash, &payload)?;
        let mut salt = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut salt);
        let own = OwnSubmission {
            value: hash.to_vec(),
            salt,
        };
        Ok(self.store.save_own_submission(&spec.task, round, &own)?)
    }

    /// Audits `node`'s submission in the snapshot and stores the verdict.
    async fn audit(
        &self,
        spec: &TaskSpec,
        snapshot: &RoundSnapshot<'_>,
        node: &Pubkey,
    ) -> Result<(), NodeError> {
        let round = snapshot.round;
        let Some((_, submission)) = snapshot.submissions.iter().find(|(_, s)| s.node == *node)
        else {
            return Ok(());
        };
        let Some(valid) = self
            .audit_value(spec, snapshot.view, round, submission)
            .await?
        else {
            return Ok(()); // unreachable for now: audited again next tick
        };
        if !valid {
            tracing::info!(task = %spec.task, round, node = %node, "audit failed");
        }
        let verdict = if valid { "valid" } else { "invalid" };
        self.ops.metrics.audits.with_label_values(&[verdict]).inc();
        Ok(self
            .store
            .save_audit_verdict(&spec.task, round, node, valid)?)
    }

    /// Fetches the submitter's payload from its endpoint, checks it against
    /// the submitted hash, and audits it with the task code. A payload that
    /// does not match fails the audit; one that cannot be had fails it only
    /// once retries ran out halfway through the audit window (the other
    /// half is for challenging and voting); before that, `None`: no verdict
    /// yet.
    async fn audit_value(
        &self,
        spec: &TaskSpec,
        view: &TaskView,
        round: u64,
        submission: &Submission,
    ) -> Result<Option<bool>, NodeError> {
        let endpoint = self
            .chain
            .account::<Stake>(&pda::stake(&spec.task, &submission.node))
            .await?
            .map(|s| s.endpoint)
            .unwrap_or_default();
        let schedule = &view.task.schedule;
        let deadline = schedule
            .reveal_end(round)
            .saturating_add(schedule.audit_slots / 2);
        let fetched = payloads::fetch_patiently(
            &self.http,
            &endpoint,
            &submission.value,
            view.slot,
            deadline,
        )
        .await;
        let payload = match fetched {
            Ok(Some(payload)) => payload,
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::info!(task = %spec.task, round, node = %submission.node, "payload check failed: {e}");
                return Ok(Some(false));
            }
        };
        let code = spec.code.clone();
        let input = RoundInput::new(spec.task, round);
        let node = submission.node;
        Ok(Some(
            tokio::task::spawn_blocking(move || code.audit(&input, &node, &payload))
                .await
                .map_err(|e| NodeError::CodeTask(e.to_string()))??,
        ))
    }
}

impl Node {
    /// Counts what was slashed from our stake since the last look (the
    /// first look of a run is the baseline).
    fn note_slashes(&self, view: &TaskView) {
        let Some(stake) = &view.stake else {
            return;
        };
        let mut seen = self.slashed.lock().unwrap_or_else(|p| p.into_inner());
        let before = seen.insert(view.task_key, stake.slashed_total);
        if let Some(before) = before {
            let slashed = stake.slashed_total.saturating_sub(before);
            if slashed > 0 {
                tracing::warn!(task = %view.task_key, slashed, "this node's stake was slashed");
                self.ops.metrics.slashed_lamports.inc_by(slashed);
            }
        }
    }
}

/// A failure's label for the metrics: the program error's name, or the
/// kind of failure.
fn failure_name(error: &NodeError) -> String {
    match error {
        NodeError::Chain(e) => chain_failure_name(e),
        NodeError::Store(_) | NodeError::CorruptStore(_) => "store".into(),
        _ => "other".into(),
    }
}

fn chain_failure_name(error: &ChainError) -> String {
    if let Some(program) = error.program_error() {
        return program.name.clone();
    }
    match error {
        ChainError::Transport { .. } => "transport",
        ChainError::Rpc(_) => "rpc",
        ChainError::Expired => "expired",
        ChainError::Decode { .. } => "decode",
        ChainError::Transaction(_) | ChainError::Failed { .. } | ChainError::Program(_) => {
            "transaction"
        }
    }
    .into()
}

/// A task's standing for this node, as the operator should hear of it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Condition {
    Eligible {
        weight: u64,
    },
    Paused,
    Closed,
    NotStaked,
    Unbonding,
    /// Staked enough, but the stake activates with a later round.
    Activating,
    BelowMinimum {
        weight: u64,
        min_stake: u64,
    },
    UnknownTask,
    /// Reading the chain or acting failed; the message says how.
    Failing(String),
}

impl Condition {
    fn of(view: &TaskView) -> Self {
        match view.task.state {
            TaskState::Paused => return Self::Paused,
            TaskState::Closed => return Self::Closed,
            TaskState::Active => {}
        }
        let Some(stake) = &view.stake else {
            return Self::NotStaked;
        };
        let schedule = &view.task.schedule;
        // The round being submitted now, or the first one to come.
        let round = schedule.round_at(view.slot).unwrap_or(0);
        let min_stake = view.task.economics.min_stake;
        match stake.bonded.eligibility(stake.unbonding, min_stake, round) {
            Ok(weight) => Self::Eligible { weight },
            Err(Ineligible::Unbonding) => Self::Unbonding,
            Err(Ineligible::NotActiveForRound) => Self::Activating,
            Err(Ineligible::BelowMinimum) => Self::BelowMinimum {
                weight: stake.bonded.weight_at(round),
                min_stake,
            },
        }
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Eligible { weight } => write!(f, "eligible with weight {weight}"),
            Self::Paused => write!(
                f,
                "not eligible: the task is paused; waiting for its creator to resume it"
            ),
            Self::Closed => write!(f, "not eligible: the task is closed; nothing more to run"),
            Self::NotStaked => write!(
                f,
                "not eligible: this node has no stake on the task (tasknet node stake)"
            ),
            Self::Unbonding => write!(f, "not eligible: this node's stake is unbonding"),
            Self::Activating => write!(
                f,
                "not eligible yet: the stake becomes active with a later round"
            ),
            Self::BelowMinimum { weight, min_stake } => write!(
                f,
                "not eligible: stake {weight} lamports is below the task's minimum {min_stake}"
            ),
            Self::UnknownTask => write!(f, "the task does not exist on this cluster; retrying"),
            Self::Failing(reason) => write!(f, "{reason}"),
        }
    }
}
