//! What the node's parts share: its resources ([`Shared`]: the chain
//! client, the store, the keypair, the HTTP client and the reporter) and
//! the tasks it runs ([`TaskSpec`]). The loop (`runtime`) owns them; the
//! round host (`host`) and the off-chain work (`work`) borrow them.

use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use tasknet_sdk::chain::ChainClient;

use crate::code::TaskCode;
use crate::decide::{Honest, Policy};
use crate::report::Reporter;
use crate::store::Store;
use crate::supply::{CodeSupply, ModuleLibrary};
use crate::NodeError;

/// A task the node runs, with its code and its policy.
pub struct TaskSpec {
    pub task: Pubkey,
    pub code: CodeSupply,
    pub policy: Arc<dyn Policy>,
}

impl TaskSpec {
    /// Runs `task` with `code` (the rounds whose code hash is its own),
    /// honestly.
    pub fn new(task: Pubkey, code: Arc<dyn TaskCode>) -> Self {
        Self {
            task,
            code: CodeSupply::Given(code),
            policy: Arc::new(Honest),
        }
    }

    /// Runs `task` with the module each round names, found by `library`.
    pub fn by_hash(task: Pubkey, library: Arc<ModuleLibrary>) -> Self {
        Self {
            task,
            code: CodeSupply::ByHash(library),
            policy: Arc::new(Honest),
        }
    }

    pub fn with_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = policy;
        self
    }
}

/// The node's resources, shared by its task pipelines.
pub(crate) struct Shared {
    pub reporter: Reporter,
    pub chain: ChainClient,
    /// The accounts the node follows over the websocket.
    pub follower: crate::follow::Follower,
    pub store: Arc<Store>,
    pub http: reqwest::Client,
    pub keypair: Keypair,
    /// Work the task code failed at, skipped for the rest of its round:
    /// (task, round, the audited node or `None` for our own execution).
    pub skipped: std::sync::Mutex<std::collections::HashSet<WorkKey>>,
    /// Our token accounts known to exist (a token task's claim creates
    /// ours in its transaction until then).
    pub token_accounts: std::sync::Mutex<std::collections::HashSet<Pubkey>>,
    /// Tasks whose verifier failed when asked: their challenges go to the
    /// vote (for as long as the node runs).
    pub broken_verifiers: std::sync::Mutex<std::collections::HashSet<Pubkey>>,
}

/// One piece of a round's off-chain work: (task, round, the audited node
/// or `None` for our own execution).
pub(crate) type WorkKey = (Pubkey, u64, Option<Pubkey>);

impl Shared {
    /// Records a confirmed claim's earning as the chain reports it (its
    /// `RewardClaimed` event), falling back to the share we computed.
    pub(crate) async fn record_earning(
        &self,
        task: &Pubkey,
        round: u64,
        signature: &Signature,
        computed: Option<u64>,
        mint: Option<&Pubkey>,
    ) -> Result<(), NodeError> {
        let amount = match self.chain.claimed_amount(signature).await? {
            Some(amount) => amount,
            None => match computed {
                Some(share) => share,
                None => return Ok(()), // not in history yet: next start
            },
        };
        let metrics = &self.reporter.ops.metrics;
        match mint {
            Some(mint) => {
                tracing::info!(%task, round, amount, %mint, "earned tokens");
                let mint = mint.to_string();
                metrics
                    .earned_tokens
                    .with_label_values(&[&mint])
                    .inc_by(amount);
            }
            None => {
                tracing::info!(%task, round, amount, "earned");
                metrics.earned_lamports.inc_by(amount);
            }
        }
        let signature = signature.to_string();
        Ok(self
            .store
            .record_earning(task, round, amount, &signature, mint)?)
    }
}

impl Shared {
    pub fn pubkey(&self) -> Pubkey {
        self.keypair.pubkey()
    }

    pub(crate) fn has_token_account(&self, account: &Pubkey) -> bool {
        let known = self
            .token_accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        known.contains(account)
    }

    pub(crate) fn note_token_account(&self, account: Pubkey) {
        let mut known = self
            .token_accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        known.insert(account);
    }

    pub(crate) fn verifier_broken(&self, task: &Pubkey) -> bool {
        let broken = self
            .broken_verifiers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        broken.contains(task)
    }

    /// The task's verifier failed: decide its audits by vote from now on.
    pub(crate) fn mark_verifier_broken(&self, task: &Pubkey, why: &dyn std::fmt::Display) {
        let mut broken = self
            .broken_verifiers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if broken.insert(*task) {
            tracing::warn!(task = %task, "the task's verifier failed ({why}); its audits go to the vote");
        }
    }

    pub(crate) fn is_skipped(&self, work: &WorkKey) -> bool {
        let skipped = self.skipped.lock().unwrap_or_else(|p| p.into_inner());
        skipped.contains(work)
    }

    /// Skips `work` from now on; forgets rounds long gone.
    pub(crate) fn skip(&self, work: WorkKey) {
        let mut skipped = self.skipped.lock().unwrap_or_else(|p| p.into_inner());
        let (task, round, _) = work;
        skipped.retain(|(t, r, _)| *t != task || r + 16 > round);
        skipped.insert(work);
    }
}
