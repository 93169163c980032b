//! The node's off-chain work in a round: running the task code on the
//! round's input, and auditing another node's payload. Both only write the
//! node's store; the next decision reads what they stored.

use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tasknet::state::{Stake, Submission};
use tasknet_sdk::chain::ChainError;
use tasknet_sdk::pda;

use crate::code::{self, CodeError, RoundInput, TaskCode};
use crate::parts::{Shared, TaskSpec};
use crate::payloads;
use crate::snapshot::RoundSnapshot;
use crate::store::OwnSubmission;
use crate::NodeError;

/// The code a round runs: the one whose hash the round recorded when it
/// opened, or, before anyone opened it, the task's (which opening copies).
pub(crate) async fn round_code(
    shared: &Shared,
    spec: &TaskSpec,
    snapshot: &RoundSnapshot<'_>,
) -> Result<Arc<dyn TaskCode>, CodeError> {
    let view = snapshot.view;
    let hash = snapshot
        .round_account
        .as_ref()
        .map_or(view.task.code_hash, |round| round.code_hash);
    spec.code
        .code_for(&shared.chain, &spec.task, &view.task, &hash)
        .await
}

/// Runs the round's code and stores its payload, value and salt before
/// anything is sent: the reveal must survive a crash.
pub(crate) async fn execute(
    shared: &Shared,
    spec: &TaskSpec,
    snapshot: &RoundSnapshot<'_>,
) -> Result<(), NodeError> {
    let (task, round) = (spec.task, snapshot.round);
    let code = round_code(shared, spec, snapshot).await?;
    let input = RoundInput::new(task, round, shared.pubkey());
    let ran = code.clone();
    let payload = tokio::task::spawn_blocking(move || ran.execute(&input))
        .await
        .map_err(|e| NodeError::CodeTask(e.to_string()))??;
    shared
        .reporter
        .code_ran(&task, &code.code_hash(), code.last_fuel());
    let payload = code::check_payload(payload)?;
    let hash: [u8; 32] = Sha256::digest(&payload).into();
    let store = &shared.store;
    store.save_payload(&hash, &payload)?;
    let mut salt = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut salt);
    // A verifier task's value is the result itself, for its verifier to
    // check on-chain; any other task's is the payload's hash.
    let value = if snapshot.view.task.verifier.is_some() {
        if payload.len() > tasknet::constants::MAX_VALUE_LEN {
            return Err(CodeError::PayloadLength(payload.len()).into());
        }
        payload
    } else {
        hash.to_vec()
    };
    let own = OwnSubmission { value, salt };
    Ok(store.save_own_submission(&task, round, &own)?)
}

/// Audits `node`'s submission in the snapshot and stores the verdict.
pub(crate) async fn audit(
    shared: &Shared,
    spec: &TaskSpec,
    snapshot: &RoundSnapshot<'_>,
    node: &Pubkey,
) -> Result<(), NodeError> {
    let (task, round) = (spec.task, snapshot.round);
    let Some((_, submission)) = snapshot.submissions.iter().find(|(_, s)| s.node == *node) else {
        return Ok(());
    };
    let verdict = match snapshot.verifier {
        Some(verifier) => {
            ask_verifier(
                shared,
                spec,
                snapshot,
                (key_of(snapshot, node), submission),
                &verifier,
            )
            .await
        }
        None => None,
    };
    let verdict = match verdict {
        Some(valid) => Some(valid),
        None => audit_value(shared, spec, snapshot, submission).await?,
    };
    let Some(valid) = verdict else {
        return Ok(()); // unreachable for now: audited again next tick
    };
    if !valid {
        tracing::info!(task = %task, round, node = %node, "audit failed");
    }
    let verdict = if valid { "valid" } else { "invalid" };
    let metrics = &shared.reporter.ops.metrics;
    metrics.audits.with_label_values(&[verdict]).inc();
    Ok(shared.store.save_audit_verdict(&task, round, node, valid)?)
}

fn key_of(snapshot: &RoundSnapshot<'_>, node: &Pubkey) -> Pubkey {
    pda::submission(&snapshot.view.task_key, snapshot.round, node)
}

/// A verifier task's audit: what the task's verifier would answer about
/// the submission, found by simulating its call (nothing is sent). `None`
/// when the verifier fails or answers anything else: then the node audits
/// with the task code and the task's challenges go to the vote.
async fn ask_verifier(
    shared: &Shared,
    spec: &TaskSpec,
    snapshot: &RoundSnapshot<'_>,
    (key, submission): (Pubkey, &Submission),
    verifier: &Pubkey,
) -> Option<bool> {
    use tasknet::verifier::{self, Answer, VerifyRequest};
    let request = VerifyRequest {
        task: submission.task,
        round: submission.round,
        node: submission.node,
        value: submission.value.clone(),
    };
    let round = pda::round(&spec.task, snapshot.round);
    let call = verifier::instruction(*verifier, spec.task, round, key, &request);
    let returned = shared
        .chain
        .simulate_return_data(&[call], &shared.pubkey())
        .await;
    match returned.map(|r| verifier::answer(verifier, r)) {
        Ok(Ok(answer)) => Some(answer == Answer::Valid),
        Ok(Err(e)) => {
            shared.mark_verifier_broken(&spec.task, &format!("{e:?}"));
            None
        }
        // The endpoint did not answer: ask again on a later tick.
        Err(e @ (ChainError::Transport { .. } | ChainError::Rpc(_))) => {
            tracing::debug!(task = %spec.task, "verifier simulation: {e}");
            None
        }
        Err(e) => {
            shared.mark_verifier_broken(&spec.task, &e);
            None
        }
    }
}

/// Fetches the submitter's payload from its endpoint, checks it against
/// the submitted hash, and audits it with the task code. A payload that
/// does not match fails the audit; one that cannot be had fails it only
/// once retries ran out halfway through the audit window (the other
/// half is for challenging and voting); before that, `None`: no verdict
/// yet.
async fn audit_value(
    shared: &Shared,
    spec: &TaskSpec,
    snapshot: &RoundSnapshot<'_>,
    submission: &Submission,
) -> Result<Option<bool>, NodeError> {
    let (task, round, view) = (spec.task, snapshot.round, snapshot.view);
    // Found before the payload is fetched: without the code there is no
    // verdict to reach.
    let code = round_code(shared, spec, snapshot).await?;
    let endpoint = shared
        .chain
        .account::<Stake>(&pda::stake(&task, &submission.node))
        .await?
        .map(|s| s.endpoint)
        .unwrap_or_default();
    if view.task.verifier.is_some() {
        // A verifier task's value is its payload (at most 256 bytes).
        let (node, payload) = (submission.node, submission.value.clone());
        let input = RoundInput::new(task, round, node);
        return Ok(Some(
            tokio::task::spawn_blocking(move || code.audit(&input, &node, &payload))
                .await
                .map_err(|e| NodeError::CodeTask(e.to_string()))??,
        ));
    }
    let schedule = &view.task.schedule;
    let deadline = schedule
        .reveal_end(round)
        .saturating_add(schedule.audit_slots / 2);
    let fetched = payloads::fetch_patiently(
        &shared.http,
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
            tracing::info!(task = %task, round, node = %submission.node, "payload check failed: {e}");
            return Ok(Some(false));
        }
    };
    // The audited node's input: its own part of the round's work.
    let node = submission.node;
    let input = RoundInput::new(task, round, node);
    Ok(Some(
        tokio::task::spawn_blocking(move || code.audit(&input, &node, &payload))
            .await
            .map_err(|e| NodeError::CodeTask(e.to_string()))??,
    ))
}
