//! The node runtime. For every task it runs, one pipeline:
//!
//! ```text
//! clock (slot) → phase of each live round → action → transaction
//!   Submit  : execute the task code, store value+salt, commit (or submit the value)
//!   Reveal  : reveal the stored value and salt
//!   Audit   : audit the others' revealed values; challenge a wrong one, vote on challenged ones
//!   Settle  : resolve audits whose window closed, claim our share
//!   Closable: close the round, our votes and our submission (rent back)
//! ```
//!
//! Every action first reads the chain (the source of truth) to see whether
//! it is still needed, then sends through the outbox: the signed
//! transaction is stored before its first broadcast, and a stored pending
//! transaction is resumed (same signature) before anything new is signed, so
//! a node killed at any moment and restarted sends nothing twice.

pub mod code;
pub mod payloads;
pub mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use rand::RngCore;
use sha2::Digest;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;
use tokio::sync::watch;

use tasknet::instructions::SubmissionPayload;
use tasknet::logic::{commitment, reward_share, Phase};
use tasknet::state::{
    Audit, AuditVerdict, Round, Stake, Submission, SubmissionStatus, Task, TaskState, Vote,
};

use crate::chain::{decode_account, ChainClient, ChainError, Outcome, PreparedTx, SendConfig};
use crate::sdk::{self, pda};
use code::{check_code_hash, CodeError, RoundInput, TaskCode};
use store::{OwnSubmission, Store, StoreError, TxState};

/// Offsets of `task` and `round` in `Audit` data (after the discriminator).
const AUDIT_TASK_OFFSET: usize = 8;
const AUDIT_ROUND_OFFSET: usize = 8 + 32;
/// Offset of `audit` in `Vote` data.
const VOTE_AUDIT_OFFSET: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error("task {0} does not exist on this cluster")]
    UnknownTask(Pubkey),
    #[error("this node has no stake on task {0}; stake first")]
    NotStaked(Pubkey),
    #[error("payload server: {0}")]
    PayloadServer(std::io::Error),
}

/// How a node behaves. Anything but `Honest` exists to test and demonstrate
/// that cheating does not pay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Honest,
    /// Copies another node's submission instead of running the code.
    Copy,
}

/// What one tick knows of a task: read once, used by every round's action.
struct View {
    task: Task,
    stake: Option<Stake>,
}

impl View {
    /// Whether our stake may submit or vote on `round`.
    fn eligible(&self, round: u64) -> bool {
        self.stake.as_ref().is_some_and(|s| {
            s.bonded
                .eligibility(s.unbonding, self.task.economics.min_stake, round)
                .is_ok()
        })
    }
}

pub struct TaskSpec {
    pub task: Pubkey,
    pub code: Arc<dyn TaskCode>,
    pub strategy: Strategy,
}

#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub rpc_url: String,
    pub db_path: PathBuf,
    /// How often each task's pipeline looks at the clock.
    pub poll_interval: Duration,
    pub send: SendConfig,
}

pub struct Node {
    /// The phase each (task, round) was last seen in, to log changes.
    phases: std::sync::Mutex<std::collections::HashMap<(Pubkey, u64), Phase>>,
    chain: ChainClient,
    store: Arc<Store>,
    http: reqwest::Client,
    keypair: Keypair,
    config: NodeConfig,
}

/// What became of an action.
enum Acted {
    Done,
    /// The program refused it; nothing changed.
    Refused(ChainError),
}

/// Program errors that mean "someone already did this": not a failure.
const ALREADY_DONE: &[&str] = &[
    "AlreadySubmitted",
    "AlreadyRevealed",
    "AlreadyChallenged",
    "AlreadyVoted",
    "AuditAlreadyResolved",
    "AlreadyClaimed",
    "AccountNotInitialized",
];

impl Node {
    pub fn new(keypair: Keypair, config: NodeConfig) -> Result<Self, NodeError> {
        Ok(Self {
            phases: Default::default(),
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

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn chain(&self) -> &ChainClient {
        &self.chain
    }

    /// Serves this node's payloads to auditors; returns the address. The
    /// endpoint staked on-chain must reach it.
    pub async fn serve_payloads(
        &self,
        bind: std::net::SocketAddr,
        serving: payloads::Serving,
    ) -> Result<std::net::SocketAddr, NodeError> {
        payloads::serve(self.store.clone(), bind, serving)
            .await
            .map_err(NodeError::PayloadServer)
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
        self.check(&tasks).await?;
        self.reconcile_outbox().await?;
        let runs = tasks
            .iter()
            .map(|spec| self.run_task(spec, shutdown.clone()));
        futures::future::join_all(runs).await;
        Ok(())
    }

    /// Brings the outbox in line with the chain after a restart.
    async fn reconcile_outbox(&self) -> Result<(), NodeError> {
        let height = self.chain.block_height().await?;
        for entry in self.store.pending_transactions()? {
            let signature = entry.signature.parse().expect("stored signatures parse");
            let state = match self.chain.status(&signature).await? {
                Some(Outcome::Confirmed(_)) => TxState::Confirmed,
                Some(Outcome::Failed(..)) => TxState::Failed,
                _ if height > entry.last_valid_block_height => TxState::Expired,
                _ => continue, // still in flight: resumed by its action
            };
            self.store.set_tx_state(entry.id, state)?;
        }
        Ok(())
    }

    async fn run_task(&self, spec: &TaskSpec, mut shutdown: watch::Receiver<bool>) {
        let mut interval = tokio::time::interval(self.config.poll_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = self.tick(spec).await {
                tracing::warn!(task = %spec.task, "{e}");
            }
        }
    }

    /// One look at the clock: act on every round that is still live.
    pub async fn tick(&self, spec: &TaskSpec) -> Result<(), NodeError> {
        let slot = self.chain.slot().await?;
        // The task and our stake, read once per tick in one call.
        let stake_key = pda::stake(&spec.task, &self.pubkey());
        let mut accounts = self
            .chain
            .raw_accounts(&[spec.task, stake_key])
            .await?
            .into_iter();
        let task: Task = match accounts.next().flatten() {
            Some(a) => decode_account(&spec.task, &a.data)?,
            None => return Err(NodeError::UnknownTask(spec.task)),
        };
        let stake: Option<Stake> = match accounts.next().flatten() {
            Some(a) => Some(decode_account(&stake_key, &a.data)?),
            None => None,
        };
        let view = View { task, stake };
        let schedule = view.task.schedule;
        let Some(current) = schedule.round_at(slot) else {
            return Ok(());
        };
        // Rounds still live at `slot`: back to the one whose claim deadline
        // has not passed, plus one to close.
        let span = schedule.claim_deadline(0) - schedule.round_start(0);
        let lookback = span.div_ceil(schedule.round_slots) + 1;
        for round in current.saturating_sub(lookback)..=current {
            if self.store.round_done(&spec.task, round)? {
                continue;
            }
            let phase = schedule.phase(round, slot);
            self.note_phase(&spec.task, round, phase);
            let result = match phase {
                Phase::NotStarted => Ok(()),
                Phase::Submit => self.submit(spec, &view, round).await,
                Phase::Reveal => self.reveal(spec, &view.task, round).await,
                Phase::Audit => self.audit(spec, &view, round).await,
                Phase::Settle => self.settle(spec, &view, slot, round).await,
                Phase::Closable => self.close(spec, &view, slot, round).await,
            };
            if let Err(e) = result {
                tracing::warn!(task = %spec.task, round, "{e}");
            }
        }
        Ok(())
    }

    /// Logs a round entering a new phase: the node's state per task and round.
    fn note_phase(&self, task: &Pubkey, round: u64, phase: Phase) {
        let mut phases = self.phases.lock().unwrap_or_else(|p| p.into_inner());
        if phases.insert((*task, round), phase) != Some(phase) && phase != Phase::NotStarted {
            tracing::info!(task = %task, round, phase = ?phase, "round phase");
        }
        if phase == Phase::Closable {
            // Forget rounds long finished, so the map stays small.
            phases.retain(|(t, r), _| t != task || r + 8 > round);
        }
    }

    // ---- the actions ----

    async fn my_submission(
        &self,
        task: &Pubkey,
        round: u64,
    ) -> Result<Option<Submission>, NodeError> {
        Ok(self
            .chain
            .account(&pda::submission(task, round, &self.pubkey()))
            .await?)
    }

    async fn submit(&self, spec: &TaskSpec, view: &View, round: u64) -> Result<(), NodeError> {
        let task = &view.task;
        let me = self.pubkey();
        let submission = pda::submission(&spec.task, round, &me);
        if task.state != TaskState::Active
            || self.chain.raw_account(&submission).await?.is_some()
            || !view.eligible(round)
        {
            return Ok(());
        }
        let payload = match spec.strategy {
            Strategy::Honest => {
                let own = match self.store.own_submission(&spec.task, round)? {
                    Some(own) => own,
                    None => {
                        let payload = self.execute(spec, round).await?;
                        let hash: [u8; 32] = sha2::Sha256::digest(&payload).into();
                        self.store.save_payload(&hash, &payload)?;
                        let mut salt = [0u8; 32];
                        rand::thread_rng().fill_bytes(&mut salt);
                        let own = OwnSubmission {
                            value: hash.to_vec(),
                            salt,
                        };
                        // Stored before the commitment leaves: the reveal
                        // must survive a crash.
                        self.store.save_own_submission(&spec.task, round, &own)?;
                        own
                    }
                };
                if task.schedule.commit_reveal() {
                    SubmissionPayload::Commitment(commitment(&own.value, &own.salt, &me))
                } else {
                    SubmissionPayload::Value(own.value)
                }
            }
            Strategy::Copy => match self.someone_elses_submission(&spec.task, round).await? {
                Some(other) if task.schedule.commit_reveal() => {
                    SubmissionPayload::Commitment(other.commitment)
                }
                Some(other) if !other.value.is_empty() => SubmissionPayload::Value(other.value),
                _ => return Ok(()), // nothing to copy yet
            },
        };
        let ix = sdk::submit(&me, &spec.task, round, payload);
        self.act(&spec.task, round, "submit", ix).await.map(|_| ())
    }

    async fn someone_elses_submission(
        &self,
        task: &Pubkey,
        round: u64,
    ) -> Result<Option<Submission>, NodeError> {
        let me = self.pubkey();
        Ok(self
            .round_submissions(task, round)
            .await?
            .into_iter()
            .map(|(_, s)| s)
            .find(|s| s.node != me))
    }

    async fn reveal(&self, spec: &TaskSpec, task: &Task, round: u64) -> Result<(), NodeError> {
        let me = self.pubkey();
        if !task.schedule.commit_reveal() {
            return Ok(());
        }
        let Some(mine) = self.my_submission(&spec.task, round).await? else {
            return Ok(());
        };
        if mine.status != SubmissionStatus::Committed {
            return Ok(());
        }
        let (value, salt) = match (self.store.own_submission(&spec.task, round)?, spec.strategy) {
            (Some(own), _) => (own.value, own.salt),
            (None, Strategy::Copy) => {
                // A copier only learns a value now, and its copied commitment
                // binds someone else's key and salt: this reveal must fail.
                let Some(other) = self
                    .round_submissions(&spec.task, round)
                    .await?
                    .into_iter()
                    .map(|(_, s)| s)
                    .find(|s| s.node != me && !s.value.is_empty())
                else {
                    return Ok(());
                };
                (other.value, [0u8; 32])
            }
            (None, Strategy::Honest) => {
                tracing::error!(task = %spec.task, round, "no stored value for our commitment; cannot reveal");
                return Ok(());
            }
        };
        let ix = sdk::reveal(&me, &spec.task, round, value, salt);
        if let Acted::Refused(e) = self.act(&spec.task, round, "reveal", ix).await? {
            tracing::warn!(task = %spec.task, round, "reveal refused: {e}");
            if spec.strategy == Strategy::Copy {
                // Nothing it can reveal will ever match.
                self.store.mark_round_done(&spec.task, round)?;
            }
        }
        Ok(())
    }

    async fn audit(&self, spec: &TaskSpec, view: &View, round: u64) -> Result<(), NodeError> {
        if !view.eligible(round) {
            return Ok(());
        }
        let me = self.pubkey();
        for (key, submission) in self.round_submissions(&spec.task, round).await? {
            if submission.node == me
                || !matches!(
                    submission.status,
                    SubmissionStatus::Revealed | SubmissionStatus::Challenged
                )
            {
                continue;
            }
            let valid = match self
                .store
                .audit_verdict(&spec.task, round, &submission.node)?
            {
                Some(v) => v,
                None => {
                    let v = self.audit_value(spec, round, &submission).await?;
                    self.store
                        .save_audit_verdict(&spec.task, round, &submission.node, v)?;
                    if !v {
                        tracing::info!(task = %spec.task, round, node = %submission.node, "audit failed");
                    }
                    v
                }
            };
            let audit = pda::audit(&key);
            let voted = self
                .chain
                .raw_account(&pda::vote(&audit, &me))
                .await?
                .is_some();
            if submission.status == SubmissionStatus::Revealed && !valid {
                let ix = sdk::challenge(&me, &spec.task, round, &submission.node);
                self.act(
                    &spec.task,
                    round,
                    &format!("challenge:{}", submission.node),
                    ix,
                )
                .await?;
            } else if submission.status == SubmissionStatus::Challenged && !voted {
                let ix = sdk::vote(&me, &spec.task, round, &submission.node, !valid);
                self.act(&spec.task, round, &format!("vote:{}", submission.node), ix)
                    .await?;
            }
        }
        Ok(())
    }

    /// Cranks anyone may send (resolve an audit, close a round) are sent
    /// first by whoever has a stake in them; everyone else waits this long,
    /// so that nodes do not race each other into failed transactions.
    fn crank_grace(view: &View) -> u64 {
        (view.task.schedule.round_slots / 4).max(1)
    }

    fn should_resolve(&self, view: &View, slot: u64, audit: &Audit) -> bool {
        let me = self.pubkey();
        me == audit.challenger
            || me == audit.node
            || slot >= view.task.schedule.audit_end(audit.round) + Self::crank_grace(view)
    }

    async fn settle(
        &self,
        spec: &TaskSpec,
        view: &View,
        slot: u64,
        round: u64,
    ) -> Result<(), NodeError> {
        for (_, audit) in self.round_audits(&spec.task, round).await? {
            if audit.verdict == AuditVerdict::Pending && self.should_resolve(view, slot, &audit) {
                let ix = sdk::resolve_audit(&spec.task, round, &audit.node, &audit.challenger);
                self.act(&spec.task, round, &format!("resolve:{}", audit.node), ix)
                    .await?;
            }
        }
        let me = self.pubkey();
        let Some(mine) = self.my_submission(&spec.task, round).await? else {
            return Ok(());
        };
        if !matches!(
            mine.status,
            SubmissionStatus::Revealed | SubmissionStatus::Valid
        ) {
            return Ok(());
        }
        let Some(round_account) = self
            .chain
            .account::<Round>(&pda::round(&spec.task, round))
            .await?
        else {
            return Ok(());
        };
        if round_account.open_audits > 0 {
            return Ok(());
        }
        let share = reward_share(round_account.reward_pool, round_account.valid_count())
            .map_or(0, |s| s.share);
        let ix = sdk::claim(&me, &spec.task, round);
        if let Acted::Done = self.act(&spec.task, round, "claim", ix).await? {
            if let Some(entry) = self.store.last_tx(&spec.task, round, "claim")? {
                if entry.state == TxState::Confirmed {
                    self.store
                        .record_earning(&spec.task, round, share, &entry.signature)?;
                }
            }
        }
        Ok(())
    }

    async fn close(
        &self,
        spec: &TaskSpec,
        view: &View,
        slot: u64,
        round: u64,
    ) -> Result<(), NodeError> {
        let me = self.pubkey();
        let task = &spec.task;
        // Our votes on others' audits, and every vote on the audit of our own
        // submission (its audit closes only after them).
        let mine_key = pda::submission(task, round, &me);
        for (audit_key, audit) in self.round_audits(task, round).await? {
            if audit.verdict == AuditVerdict::Pending {
                if !self.should_resolve(view, slot, &audit) {
                    continue;
                }
                let ix = sdk::resolve_audit(task, round, &audit.node, &audit.challenger);
                self.act(task, round, &format!("resolve:{}", audit.node), ix)
                    .await?;
                continue;
            }
            for (_, vote) in self.audit_votes(&audit_key).await? {
                if vote.voter == me || audit.submission == mine_key {
                    let ix = sdk::close_vote(task, round, &audit.node, &vote.voter);
                    self.act(
                        task,
                        round,
                        &format!("close_vote:{}:{}", audit.node, vote.voter),
                        ix,
                    )
                    .await?;
                }
            }
        }
        if let Some(mine) = self.chain.account::<Submission>(&mine_key).await? {
            let challenger = if mine.audited {
                self.chain
                    .account::<Audit>(&pda::audit(&mine_key))
                    .await?
                    .map(|a| a.challenger)
            } else {
                None
            };
            let ix = sdk::close_submission(task, round, &me, challenger.as_ref());
            self.act(task, round, "close_submission", ix).await?;
        }
        if let Some(round_account) = self
            .chain
            .account::<Round>(&pda::round(task, round))
            .await?
        {
            let grace_over =
                slot >= view.task.schedule.claim_deadline(round) + Self::crank_grace(view);
            if round_account.rent_payer == me || grace_over {
                let ix = sdk::close_round(task, round, &round_account.rent_payer);
                self.act(task, round, "close_round", ix).await?;
            }
        }
        let round_gone = self
            .chain
            .raw_account(&pda::round(task, round))
            .await?
            .is_none();
        let mine_gone = self.chain.raw_account(&mine_key).await?.is_none();
        if round_gone && mine_gone {
            self.store.mark_round_done(task, round)?;
        }
        Ok(())
    }

    // ---- reading the chain ----

    async fn round_submissions(
        &self,
        task: &Pubkey,
        round: u64,
    ) -> Result<Vec<(Pubkey, Submission)>, NodeError> {
        Ok(self
            .chain
            .program_accounts::<Submission>(&[
                (Submission::TASK_OFFSET, task.to_bytes().to_vec()),
                (Submission::ROUND_OFFSET, round.to_le_bytes().to_vec()),
            ])
            .await?)
    }

    async fn round_audits(
        &self,
        task: &Pubkey,
        round: u64,
    ) -> Result<Vec<(Pubkey, Audit)>, NodeError> {
        Ok(self
            .chain
            .program_accounts::<Audit>(&[
                (AUDIT_TASK_OFFSET, task.to_bytes().to_vec()),
                (AUDIT_ROUND_OFFSET, round.to_le_bytes().to_vec()),
            ])
            .await?)
    }

    async fn audit_votes(&self, audit: &Pubkey) -> Result<Vec<(Pubkey, Vote)>, NodeError> {
        Ok(self
            .chain
            .program_accounts::<Vote>(&[(VOTE_AUDIT_OFFSET, audit.to_bytes().to_vec())])
            .await?)
    }

    // ---- running the code ----

    async fn execute(&self, spec: &TaskSpec, round: u64) -> Result<Vec<u8>, NodeError> {
        let code = spec.code.clone();
        let input = RoundInput::new(spec.task, round);
        let value = tokio::task::spawn_blocking(move || code.execute(&input))
            .await
            .expect("task code does not panic")?;
        Ok(code::check_payload(value)?)
    }

    /// Fetches the submitter's payload from its endpoint, checks it against
    /// the submitted hash, and audits it with the task code. A payload that
    /// cannot be had or does not match fails the audit.
    async fn audit_value(
        &self,
        spec: &TaskSpec,
        round: u64,
        submission: &Submission,
    ) -> Result<bool, NodeError> {
        let endpoint = self
            .chain
            .account::<Stake>(&pda::stake(&spec.task, &submission.node))
            .await?
            .map(|s| s.endpoint)
            .unwrap_or_default();
        let payload = match payloads::fetch(&self.http, &endpoint, &submission.value).await {
            Ok(payload) => payload,
            Err(e) => {
                tracing::info!(task = %spec.task, round, node = %submission.node, "payload check failed: {e}");
                return Ok(false);
            }
        };
        let code = spec.code.clone();
        let input = RoundInput::new(spec.task, round);
        let node = submission.node;
        Ok(
            tokio::task::spawn_blocking(move || code.audit(&input, &node, &payload))
                .await
                .expect("task code does not panic")?,
        )
    }

    // ---- sending, through the outbox ----

    /// Sends one action's transaction at most once: resumes a pending one
    /// first; signs anew only if there is none or it provably expired.
    async fn act(
        &self,
        task: &Pubkey,
        round: u64,
        action: &str,
        ix: Instruction,
    ) -> Result<Acted, NodeError> {
        if let Some(entry) = self.store.last_tx(task, round, action)? {
            match entry.state {
                TxState::Confirmed => return Ok(Acted::Done),
                TxState::Pending => {
                    let transaction: Transaction =
                        bincode::deserialize(&entry.tx).expect("stored transactions deserialize");
                    let prepared = PreparedTx {
                        transaction,
                        last_valid_block_height: entry.last_valid_block_height,
                    };
                    if let Some(acted) = self
                        .follow(task, round, action, entry.id, &prepared)
                        .await?
                    {
                        return Ok(acted);
                    }
                }
                TxState::Failed | TxState::Expired => {}
            }
        }
        let prepared = match self.chain.prepare(&[ix], &self.keypair, &[]).await {
            Ok(p) => p,
            Err(e) => return self.refused(task, round, action, e),
        };
        let bytes = bincode::serialize(&prepared.transaction).expect("transactions serialize");
        let id = self.store.record_tx(
            task,
            round,
            action,
            &prepared.signature().to_string(),
            &bytes,
            prepared.last_valid_block_height,
        )?;
        Ok(self
            .follow(task, round, action, id, &prepared)
            .await?
            .unwrap_or(Acted::Refused(ChainError::Expired)))
    }

    /// Broadcasts and follows a stored transaction; `None` if it expired.
    async fn follow(
        &self,
        task: &Pubkey,
        round: u64,
        action: &str,
        id: i64,
        prepared: &PreparedTx,
    ) -> Result<Option<Acted>, NodeError> {
        match self.chain.submit(prepared).await? {
            Outcome::Confirmed(signature) => {
                self.store.set_tx_state(id, TxState::Confirmed)?;
                tracing::info!(task = %task, round, action, %signature, "confirmed");
                Ok(Some(Acted::Done))
            }
            Outcome::Failed(signature, e) => {
                self.store.set_tx_state(id, TxState::Failed)?;
                if e.program_error_name()
                    .is_some_and(|n| ALREADY_DONE.contains(&n))
                {
                    tracing::debug!(task = %task, round, action, %signature, "lost a race: {e}");
                } else {
                    tracing::warn!(task = %task, round, action, %signature, "failed: {e}");
                }
                Ok(Some(self.refused(task, round, action, e)?))
            }
            Outcome::Expired => {
                self.store.set_tx_state(id, TxState::Expired)?;
                tracing::info!(task = %task, round, action, "blockhash expired unconfirmed; will re-sign");
                Ok(None)
            }
        }
    }

    fn refused(
        &self,
        task: &Pubkey,
        round: u64,
        action: &str,
        e: ChainError,
    ) -> Result<Acted, NodeError> {
        match e.program_error_name() {
            Some(name) if ALREADY_DONE.contains(&name) => {
                tracing::debug!(task = %task, round, action, "already done ({name})");
                Ok(Acted::Done)
            }
            Some(_) => {
                tracing::warn!(task = %task, round, action, "refused: {e}");
                Ok(Acted::Refused(e))
            }
            None => Err(e.into()),
        }
    }
}
