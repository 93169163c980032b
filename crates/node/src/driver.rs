//! The round driver: for every live round of a task, read one snapshot,
//! let the policy decide, and perform the actions through a [`RoundHost`].
//!
//! ```text
//! TaskView ─▶ per live round, newest first:
//!             RoundSnapshot::read_base ─▶ Policy::reads ─▶ read_more
//!             + the host's records (our value and salt, our verdicts)
//!             ─▶ Policy::decide ─▶ RoundHost::perform, each off-chain action
//!             (after off-chain work the round is read and decided again)
//!          ─▶ every round's on-chain actions, if any is due (`due_now`)
//!             ─▶ RoundHost::send: one transaction for all that fit
//! ```
//!
//! Generic over the host, so the node's runtime (RPC, SQLite, the outbox),
//! the scale benchmark (an in-process bank, its reads counted) and
//! `tasknet task crank` (the CLI's signer) run this one driver.

use std::collections::HashMap;
use std::future::Future;

use anchor_lang::prelude::Pubkey;
use tasknet::logic::Phase;

use crate::action::Action;
use crate::decide::Policy;
use crate::snapshot::{AccountSource, RoundMemory, RoundSnapshot, Submissions, TaskView};
use crate::store::OwnSubmission;
use crate::NodeError;

/// The node's own records of a round: what the chain cannot know.
#[derive(Clone, Debug, Default)]
pub struct Records {
    /// Our value and salt, if the task code ran.
    pub own: Option<OwnSubmission>,
    /// Our verdicts on others' payloads, by submitter.
    pub verdicts: HashMap<Pubkey, bool>,
    /// The task's verifier failed when we asked it: its audits go to the
    /// vote.
    pub verifier_broken: bool,
}

/// What a round driver reads from and acts through, for one task.
pub trait RoundHost: Sync {
    type Source: AccountSource;

    /// Where accounts come from.
    fn source(&self) -> &Self::Source;

    /// Whether the node is done with `round`: the driver skips it.
    fn round_done(&self, round: u64) -> Result<bool, NodeError>;

    /// Our records of `round`; the verdicts only when `verdicts`.
    fn records(&self, round: u64, verdicts: bool) -> Result<Records, NodeError>;

    /// Performs one off-chain action; `true` if it was work (running the
    /// code, auditing a payload), after which the round is read again.
    fn perform(
        &self,
        snapshot: &RoundSnapshot<'_>,
        action: Action,
    ) -> impl Future<Output = Result<bool, NodeError>> + Send;

    /// Sends on-chain actions, each of its round, in as few transactions
    /// as they fit in.
    fn send(
        &self,
        view: &TaskView,
        actions: Vec<(u64, Action)>,
    ) -> impl Future<Output = Result<(), NodeError>> + Send;

    /// Each live round's phase, before it is read (for logs and metrics).
    fn note_phase(&self, _round: u64, _phase: Phase) {}

    /// Each snapshot read, before the policy decides (for the operator's
    /// records: challenges of our submissions).
    fn observe(&self, _snapshot: &RoundSnapshot<'_>) {}
}

/// What the driver located in each live round, by round, kept between
/// ticks so that scans run once per round (see [`RoundMemory`]).
pub type Memories = HashMap<u64, RoundMemory>;

/// One tick of a task: every live round it has not finished, newest first
/// (its submit and reveal windows are the short, time-critical ones; older
/// rounds' cranks and closes can wait), then their on-chain actions
/// together, in one transaction where they fit, when any is due. A round
/// that fails to read is logged and retried next tick; the others go on.
pub async fn drive_task<H: RoundHost>(
    host: &H,
    policy: &dyn Policy,
    view: &TaskView,
    memories: &mut Memories,
) -> Result<(), NodeError> {
    let Some(live) = view.task.schedule.live_rounds(view.slot) else {
        return Ok(());
    };
    memories.retain(|round, _| live.contains(round));
    let mut on_chain = Vec::new();
    for round in live.rev() {
        if host.round_done(round)? {
            continue;
        }
        let phase = view.task.schedule.phase(round, view.slot);
        host.note_phase(round, phase);
        if phase == Phase::NotStarted {
            continue;
        }
        let memory = memories.entry(round).or_default();
        match decide_round(host, policy, view, round, memory).await {
            Ok(actions) => on_chain.extend(actions.into_iter().map(|a| (round, a))),
            Err(e) => tracing::warn!(task = %view.task_key, round, "{e}"),
        }
    }
    if crate::action::due_now(&on_chain, &view.task.schedule, view.slot) {
        host.send(view, on_chain).await?;
    }
    Ok(())
}

/// Snapshot → decide → perform, for one round on its own: its on-chain
/// actions are sent at once, in one transaction where they fit (the CLI's
/// crank). Returns how many actions it performed or sent.
pub async fn drive_round<H: RoundHost>(
    host: &H,
    policy: &dyn Policy,
    view: &TaskView,
    round: u64,
    memory: &mut RoundMemory,
) -> Result<usize, NodeError> {
    let actions = decide_round(host, policy, view, round, memory).await?;
    let sent = actions.len();
    if sent > 0 {
        host.send(view, actions.into_iter().map(|a| (round, a)).collect())
            .await?;
    }
    Ok(sent)
}

/// Snapshot → decide → perform the off-chain work; returns the on-chain
/// actions of the last decision. Off-chain work feeds the next decision, so
/// after it the round is read and decided once more in the same tick.
pub async fn decide_round<H: RoundHost>(
    host: &H,
    policy: &dyn Policy,
    view: &TaskView,
    round: u64,
    memory: &mut RoundMemory,
) -> Result<Vec<Action>, NodeError> {
    let mut on_chain = Vec::new();
    for _pass in 0..2 {
        let snapshot = read_snapshot(host, policy, view, round, memory).await?;
        host.observe(&snapshot);
        let mut worked_off_chain = false;
        on_chain.clear();
        for action in policy.decide(&snapshot) {
            if action.is_off_chain() {
                worked_off_chain |= host.perform(&snapshot, action).await?;
            } else {
                on_chain.push(action);
            }
        }
        if !worked_off_chain {
            break;
        }
    }
    Ok(on_chain)
}

/// One snapshot of `round`: the chain's part as the policy asks, and the
/// host's records.
pub async fn read_snapshot<'v, H: RoundHost>(
    host: &H,
    policy: &dyn Policy,
    view: &'v TaskView,
    round: u64,
    memory: &mut RoundMemory,
) -> Result<RoundSnapshot<'v>, NodeError> {
    let mut snapshot = RoundSnapshot::read_base(view, round, host.source()).await?;
    let reads = policy.reads(&snapshot);
    snapshot.read_more(reads, host.source(), memory).await?;
    let records = host.records(round, reads.submissions != Submissions::None)?;
    snapshot.own = records.own;
    snapshot.verdicts = records.verdicts;
    if records.verifier_broken {
        snapshot.verifier = None;
    }
    Ok(snapshot)
}
