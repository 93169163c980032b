//! The node's [`RoundHost`]: one task's rounds performed by this node —
//! off-chain work into the store (`work`), transactions through the
//! [`Outbox`], earnings recorded as the chain reports them.

use std::future::Future;

use tasknet::logic::Phase;
use tasknet_sdk::chain::ChainError;
use tasknet_sdk::tokens::TokenAsset;

use crate::action::{Action, OutboxKey, Payout};
use crate::code::CodeError;
use crate::driver::{Records, RoundHost};
use crate::follow::Followed;
use crate::outbox::{Acted, Outbox, Part};
use crate::parts::{Shared, TaskSpec, WorkKey};
use crate::snapshot::{RoundSnapshot, TaskView};
use crate::{work, NodeError};

/// One task as this node runs it.
pub(crate) struct TaskHost<'a> {
    pub shared: &'a Shared,
    pub spec: &'a TaskSpec,
    /// Memory for followed accounts, the RPC for the rest.
    pub source: Followed<'a>,
}

impl<'a> RoundHost for TaskHost<'a> {
    type Source = Followed<'a>;

    fn source(&self) -> &Followed<'a> {
        &self.source
    }

    fn round_done(&self, round: u64) -> Result<bool, NodeError> {
        Ok(self.shared.store.round_done(&self.spec.task, round)?)
    }

    fn records(&self, round: u64, verdicts: bool) -> Result<Records, NodeError> {
        let (store, task) = (&self.shared.store, &self.spec.task);
        Ok(Records {
            own: store.own_submission(task, round)?,
            verdicts: if verdicts {
                store.audit_verdicts(task, round)?
            } else {
                Default::default()
            },
            verifier_broken: self.shared.verifier_broken(task),
        })
    }

    async fn perform(
        &self,
        snapshot: &RoundSnapshot<'_>,
        action: Action,
    ) -> Result<bool, NodeError> {
        let (task, round) = (&self.spec.task, snapshot.round);
        match action {
            Action::Execute => {
                let work = work::execute(self.shared, self.spec, snapshot);
                self.off_chain((*task, round, None), work).await
            }
            Action::Audit { node } => {
                let work = work::audit(self.shared, self.spec, snapshot, &node);
                self.off_chain((*task, round, Some(node)), work).await
            }
            Action::Unrevealable => {
                tracing::error!(task = %task, round, "no stored value for our commitment; cannot reveal");
                Ok(false)
            }
            Action::Finish => {
                self.shared.store.mark_round_done(task, round)?;
                Ok(false)
            }
            // On-chain actions come through `send`.
            _ => Ok(false),
        }
    }

    async fn send(&self, view: &TaskView, actions: Vec<(u64, Action)>) -> Result<(), NodeError> {
        let asset = TokenAsset::of(&view.task);
        self.send_all(actions, asset.as_ref()).await
    }

    fn note_phase(&self, round: u64, phase: Phase) {
        self.shared
            .reporter
            .note_phase(&self.spec.task, round, phase);
    }

    fn observe(&self, snapshot: &RoundSnapshot<'_>) {
        let me = self.shared.pubkey();
        for (key, audit) in snapshot.audits.iter().filter(|(_, a)| a.node == me) {
            self.shared
                .reporter
                .note_challenge(&self.spec.task, snapshot.round, key, audit);
        }
    }
}

impl TaskHost<'_> {
    /// Off-chain work; `true` once done. When the task code fails, that
    /// work is skipped for the rest of its round (one log line, one count
    /// in `/metrics`); a module that cannot be found is reported once and
    /// looked for again. Either way the node's other work goes on.
    async fn off_chain(
        &self,
        key: WorkKey,
        work: impl Future<Output = Result<(), NodeError>>,
    ) -> Result<bool, NodeError> {
        if self.shared.is_skipped(&key) {
            return Ok(false);
        }
        let (task, round, audited) = key;
        let reporter = &self.shared.reporter;
        match work.await {
            Ok(()) => {
                reporter.code_ready(&task);
                Ok(true)
            }
            Err(NodeError::Code(e @ CodeError::Missing { .. })) => {
                reporter.code_missing(&task, &e);
                Ok(false)
            }
            Err(NodeError::Code(e)) => {
                let what = if audited.is_some() {
                    "audit"
                } else {
                    "execution"
                };
                reporter.code_failed(&task, round, what, &e);
                self.shared.skip(key);
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Sends on-chain actions through the outbox, together where they
    /// fit; then books each: metrics, a broken verifier, our token account,
    /// a claim's earning once its transaction is confirmed.
    async fn send_all(
        &self,
        actions: Vec<(u64, Action)>,
        asset: Option<&TokenAsset>,
    ) -> Result<(), NodeError> {
        let (node, task) = (self.shared, &self.spec.task);
        let payout = Payout {
            asset,
            account_exists: asset.is_some_and(|a| node.has_token_account(&a.ata(&node.pubkey()))),
        };
        let me = node.pubkey();
        let (actions, parts): (Vec<Action>, Vec<Part<'_>>) = actions
            .into_iter()
            .filter_map(|(round, action)| {
                let part = Part::of(&action, &me, task, round, payout)?;
                Some((action, part))
            })
            .unzip();
        if parts.is_empty() {
            return Ok(());
        }
        let outbox = Outbox {
            chain: &node.chain,
            store: &node.store,
            keypair: &node.keypair,
        };
        let metrics = &node.reporter.ops.metrics;
        let acted = outbox.send_all(&parts).await.inspect_err(|e| {
            let cause = failure_name(e);
            for (action, part) in actions.iter().zip(&parts) {
                metrics
                    .transaction_failures
                    .with_label_values(&[part.key.kind(), &cause])
                    .inc();
                node.reporter
                    .transaction_failed(task, part.round, part.key.kind(), &cause, e);
                if asks_verifier(action) {
                    node.mark_verifier_broken(task, e);
                }
            }
        })?;
        for ((action, part), acted) in actions.iter().zip(&parts).zip(acted) {
            self.book(part.round, action, &part.key, &acted, asset)
                .await?;
        }
        Ok(())
    }

    /// What one action's outcome means to the node.
    async fn book(
        &self,
        round: u64,
        action: &Action,
        key: &OutboxKey,
        acted: &Acted,
        asset: Option<&TokenAsset>,
    ) -> Result<(), NodeError> {
        let (node, task) = (self.shared, &self.spec.task);
        let metrics = &node.reporter.ops.metrics;
        let name = key.kind();
        if let (true, Acted::Refused(e)) = (asks_verifier(action), acted) {
            node.mark_verifier_broken(task, e);
        }
        match acted {
            Acted::Confirmed(_) => metrics.transactions.with_label_values(&[name]).inc(),
            Acted::Refused(e) => {
                let cause = chain_failure_name(e);
                metrics
                    .transaction_failures
                    .with_label_values(&[name, &cause])
                    .inc();
                node.reporter
                    .transaction_failed(task, round, name, &cause, e);
            }
            Acted::AlreadyDone => {
                if let Err(e) = node.store.note_done_by_other(task, round, key) {
                    tracing::warn!(%task, round, "{e}");
                }
            }
        }
        if let (Some(asset), Acted::Confirmed(_) | Acted::AlreadyDone) = (asset, acted) {
            if matches!(action, Action::Claim { .. }) {
                node.note_token_account(asset.ata(&node.pubkey()));
            }
        }
        if let (Action::Claim { share }, Acted::Confirmed(signature)) = (action, acted) {
            let mint = asset.map(|a| a.mint);
            node.record_earning(task, round, signature, Some(*share), mint.as_ref())
                .await?;
        }
        Ok(())
    }
}

/// Whether an action asks the task's verifier (which may be broken).
fn asks_verifier(action: &Action) -> bool {
    matches!(
        action,
        Action::Verify { .. }
            | Action::Challenge {
                verifier: Some(_),
                ..
            }
    )
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
