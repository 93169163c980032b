//! What the node tells its operator: each task's standing (said once, and
//! again only when it changes), rounds entering phases, slashes of its
//! stake, and the `/status` and `/metrics` figures behind them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anchor_lang::prelude::Pubkey;
use tasknet::logic::{Ineligible, Phase};
use tasknet::state::TaskState;

use crate::metrics::{Ops, TaskStatus};
use crate::snapshot::TaskView;
use crate::store::Store;

/// The node's reporting state, shared by its task pipelines.
pub struct Reporter {
    pub ops: Ops,
    /// Where slashes and challenges of our submissions are kept for the
    /// dashboard.
    store: Arc<Store>,
    /// The verdict last recorded of each audit of our submissions.
    challenges: Mutex<HashMap<Pubkey, String>>,
    /// The phase each (task, round) was last seen in, to log changes.
    phases: Mutex<HashMap<(Pubkey, u64), Phase>>,
    /// What was last said about each task.
    conditions: Mutex<HashMap<Pubkey, Condition>>,
    /// The slashed total last seen on each task's stake.
    slashed: Mutex<HashMap<Pubkey, u64>>,
    /// Each task's code standing, as last said.
    code: Mutex<HashMap<Pubkey, String>>,
}

impl Reporter {
    pub fn new(ops: Ops, store: Arc<Store>) -> Self {
        Self {
            ops,
            store,
            challenges: Default::default(),
            phases: Default::default(),
            conditions: Default::default(),
            slashed: Default::default(),
            code: Default::default(),
        }
    }

    /// The task code ran: said once after it had not.
    pub fn code_ready(&self, task: &Pubkey) {
        if self.set_code(task, "ready".into()) {
            tracing::info!(%task, "task code ready");
        }
    }

    /// The round's code is nowhere to be found: said and counted once
    /// until it is found, retried meanwhile.
    pub fn code_missing(&self, task: &Pubkey, error: &crate::code::CodeError) {
        if self.set_code(task, error.to_string()) {
            tracing::warn!(%task, "{error}");
            let kind = error.kind();
            self.ops
                .note_error(Some(task), None, kind, error.to_string());
            self.ops
                .metrics
                .code_failures
                .with_label_values(&[kind])
                .inc();
        }
    }

    /// The round's code failed: one line and one count per round's work,
    /// which is skipped.
    pub fn code_failed(
        &self,
        task: &Pubkey,
        round: u64,
        work: &str,
        error: &crate::code::CodeError,
    ) {
        tracing::warn!(%task, round, work, kind = error.kind(), "task code failed, skipping this {work}: {error}");
        let kind = error.kind();
        self.ops
            .metrics
            .code_failures
            .with_label_values(&[kind])
            .inc();
        self.ops
            .note_error(Some(task), Some(round), kind, format!("{work}: {error}"));
        self.set_code(task, format!("round {round} {work}: {error}"));
    }

    /// The task code ran: which code (verified by its hash before it
    /// ran) and the fuel its call used, for the dashboard.
    pub fn code_ran(&self, task: &Pubkey, code_hash: &[u8; 32], fuel_used: Option<u64>) {
        self.ops
            .set_code_run(task, hex::encode(code_hash), fuel_used);
    }

    /// A transaction failed or was refused: kept for the dashboard.
    pub fn transaction_failed(
        &self,
        task: &Pubkey,
        round: u64,
        action: &str,
        cause: &str,
        error: &dyn std::fmt::Display,
    ) {
        self.ops
            .note_error(Some(task), Some(round), cause, format!("{action}: {error}"));
    }

    /// An audit of our submission in `round`, as seen in a snapshot:
    /// recorded when it is new or its verdict moved.
    pub fn note_challenge(
        &self,
        task: &Pubkey,
        round: u64,
        audit_key: &Pubkey,
        audit: &tasknet::state::Audit,
    ) {
        let verdict = format!("{:?}", audit.verdict).to_lowercase();
        let mut seen = self.challenges.lock().unwrap_or_else(|p| p.into_inner());
        if seen.get(audit_key) == Some(&verdict) {
            return;
        }
        match self
            .store
            .note_challenge(task, round, audit_key, &audit.challenger, &verdict)
        {
            Ok(()) => {
                seen.insert(*audit_key, verdict);
            }
            Err(e) => tracing::warn!(%task, round, "{e}"),
        }
    }

    /// Records the code standing; `true` if it changed.
    fn set_code(&self, task: &Pubkey, standing: String) -> bool {
        let mut code = self.code.lock().unwrap_or_else(|p| p.into_inner());
        if code.get(task) == Some(&standing) {
            return false;
        }
        self.ops.set_code(task, standing.clone());
        code.insert(*task, standing);
        true
    }

    /// A tick's look at a task: its standing, its live rounds, and what
    /// was slashed from our stake since the last look.
    pub fn look(&self, view: &TaskView) {
        let condition = Condition::of(view);
        self.note_slashes(view);
        let live = view.task.schedule.live_rounds(view.slot);
        let round = view.task.schedule.round_at(view.slot).unwrap_or(0);
        let token = view.task.reward_token.as_ref();
        self.ops.set_task(
            &view.task_key,
            TaskStatus {
                condition: condition.to_string(),
                eligible: matches!(condition, Condition::Eligible { .. }),
                slot: view.slot,
                live_rounds: live.map(|r| r.collect()).unwrap_or_default(),
                code: String::new(),
                code_hash: None,
                fuel_used: None,
                stake_counted: view.stake.as_ref().map(|s| s.bonded.weight_at(round)),
                mint: token.map(|t| t.mint.to_string()),
                decimals: token.map_or(9, |t| t.decimals),
                phases: Default::default(),
            },
        );
        self.report(&view.task_key, condition);
    }

    /// Says what changed about a task's standing: once, not every tick.
    pub fn report(&self, task: &Pubkey, condition: Condition) {
        let mut conditions = self.conditions.lock().unwrap_or_else(|p| p.into_inner());
        if conditions.get(task) == Some(&condition) {
            return;
        }
        match &condition {
            Condition::Eligible { weight } => {
                tracing::info!(%task, weight, "eligible: running its rounds")
            }
            Condition::Failing(reason) => {
                tracing::warn!(%task, "{reason}");
                self.ops
                    .note_error(Some(task), None, "chain", reason.clone());
            }
            other => tracing::warn!(%task, "{other}"),
        }
        conditions.insert(*task, condition);
    }

    /// Logs a round entering a new phase: the node's state per task and round.
    pub fn note_phase(&self, task: &Pubkey, round: u64, phase: Phase) {
        let mut phases = self.phases.lock().unwrap_or_else(|p| p.into_inner());
        let before = phases.insert((*task, round), phase);
        if before != Some(phase) {
            self.ops.set_phase(task, round, format!("{phase:?}"));
        }
        if before != Some(phase) && phase != Phase::NotStarted {
            tracing::info!(task = %task, round, phase = ?phase, "round phase");
            if before.is_none_or(|p| p == Phase::NotStarted) {
                self.ops.metrics.rounds.inc();
            }
        }
        if phase == Phase::Closable {
            // Forget rounds long finished, so the map stays small.
            phases.retain(|(t, r), _| t != task || r + 8 > round);
        }
    }

    /// Counts what was slashed from our stake since the last look, and
    /// records it by round for the dashboard. The first look of a run
    /// records what the store lacks (slashes while the node was down) but
    /// counts nothing: the metric is what was slashed while it ran.
    fn note_slashes(&self, view: &TaskView) {
        let Some(stake) = &view.stake else {
            return;
        };
        let task = &view.task_key;
        let mut seen = self.slashed.lock().unwrap_or_else(|p| p.into_inner());
        let (before, running) = match seen.insert(*task, stake.slashed_total) {
            Some(before) => (before, true),
            None => match self.store.slashed_total(task) {
                Ok(recorded) => (recorded, false),
                Err(_) => (stake.slashed_total, false),
            },
        };
        let slashed = stake.slashed_total.saturating_sub(before);
        if slashed == 0 {
            return;
        }
        if running {
            tracing::warn!(%task, slashed, "this node's stake was slashed");
            self.ops.metrics.slashed_lamports.inc_by(slashed);
        }
        // The slash is for the latest round whose challenge we did not
        // win; failing that, the round at hand.
        let round = match self.store.last_lost_challenge(task) {
            Ok(Some(round)) => round,
            _ => view.task.schedule.round_at(view.slot).unwrap_or(0),
        };
        if let Err(e) = self.store.record_slash(task, round, slashed) {
            tracing::warn!(%task, round, "{e}");
        }
    }
}

/// A task's standing for this node, as the operator should hear of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
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
