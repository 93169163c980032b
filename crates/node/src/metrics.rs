//! What an operator watches: Prometheus metrics at `/metrics` and a JSON
//! `/status`, served beside the payloads (`node run --serve`). The names
//! are documented in docs/node.md; they are a stable interface.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anchor_lang::prelude::Pubkey;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use serde::Serialize;

/// The node's metrics, registered in a registry of its own.
pub struct Metrics {
    registry: Registry,
    /// Rounds the node has taken part in (seen past their start).
    pub rounds: IntCounter,
    /// Transactions confirmed, by action (submit, reveal, challenge, vote,
    /// claim, resolve, close_vote, close_submission, close_round).
    pub transactions: IntCounterVec,
    /// Transactions refused or failed, by action and error name.
    pub transaction_failures: IntCounterVec,
    /// Payloads audited, by verdict (valid, invalid).
    pub audits: IntCounterVec,
    /// Lamports earned by claims, as the chain reports them.
    pub earned_lamports: IntCounter,
    /// Tokens earned by claims of token tasks, by mint (in the mint's
    /// smallest units).
    pub earned_tokens: IntCounterVec,
    /// Lamports slashed from this node's stakes, seen while running.
    pub slashed_lamports: IntCounter,
    /// Whether the node may submit and vote on each task (1) or not (0).
    pub eligible: IntGaugeVec,
    /// Task code that could not be found or failed, by kind (missing,
    /// out_of_fuel, over_limit, deadline, forbidden_import, trap, …): each
    /// skipped that round's work for that task.
    pub code_failures: IntCounterVec,
    /// Time for one tick's reads of the chain (the slot, the task and our
    /// stake), in seconds.
    pub rpc_latency: Histogram,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| {
            registered(
                &registry,
                IntCounter::new(name, help).expect("a valid metric"),
            )
        };
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid metric");
            registered(&registry, c)
        };
        let eligible = IntGaugeVec::new(
            Opts::new(
                "tasknet_node_eligible",
                "1 if the node may submit and vote on the task, else 0",
            ),
            &["task"],
        )
        .expect("a valid metric");
        let rpc_latency = Histogram::with_opts(
            HistogramOpts::new(
                "tasknet_node_rpc_latency_seconds",
                "Time for one tick's reads of the chain",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
        )
        .expect("a valid metric");
        Self {
            rounds: counter("tasknet_node_rounds_total", "Rounds the node took part in"),
            transactions: counter_vec(
                "tasknet_node_transactions_total",
                "Transactions confirmed, by action",
                &["action"],
            ),
            transaction_failures: counter_vec(
                "tasknet_node_transaction_failures_total",
                "Transactions refused or failed, by action and error",
                &["action", "error"],
            ),
            audits: counter_vec(
                "tasknet_node_audits_total",
                "Payloads audited, by verdict",
                &["verdict"],
            ),
            earned_lamports: counter(
                "tasknet_node_earned_lamports_total",
                "Lamports earned by claims",
            ),
            earned_tokens: counter_vec(
                "tasknet_node_earned_tokens_total",
                "Tokens earned by claims of token tasks, in the mint's smallest units",
                &["mint"],
            ),
            slashed_lamports: counter(
                "tasknet_node_slashed_lamports_total",
                "Lamports slashed from this node's stakes while it ran",
            ),
            code_failures: counter_vec(
                "tasknet_node_code_failures_total",
                "Task code not found or failed, by kind; each skipped a round's work",
                &["kind"],
            ),
            eligible: registered(&registry, eligible),
            rpc_latency: registered(&registry, rpc_latency),
            registry,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        // Encoding into a Vec cannot fail on I/O; an empty page is the
        // fallback for a metric that could not be encoded.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut text);
        String::from_utf8(text).unwrap_or_default()
    }
}

/// `metric`, registered in `registry` (each name once, by construction).
fn registered<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: M,
) -> M {
    registry
        .register(Box::new(metric.clone()))
        .expect("registered once");
    metric
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// One task as `/status` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct TaskStatus {
    /// Why the node is or is not running the task's rounds, as it last
    /// logged it.
    pub condition: String,
    pub eligible: bool,
    /// The slot of the node's last look at the task.
    pub slot: u64,
    /// The rounds it follows now.
    pub live_rounds: Vec<u64>,
    /// The task code's standing: "ready", or why the last round's work
    /// could not run (the module is missing, ran out of fuel, …).
    pub code: String,
    /// The hash (hex) of the code the node last ran, verified before it
    /// ran.
    pub code_hash: Option<String>,
    /// Fuel the last WebAssembly call used (none for native code).
    pub fuel_used: Option<u64>,
    /// The node's stake weight counted in the current round.
    pub stake_counted: Option<u64>,
    /// The mint a token task pays in, and its decimals; none for SOL.
    pub mint: Option<String>,
    pub decimals: u8,
    /// Each live round's phase, as the node last saw it.
    pub phases: BTreeMap<u64, String>,
}

/// An error the node met, as the dashboard lists it.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorNote {
    /// Unix milliseconds.
    pub at_ms: u64,
    pub task: Option<String>,
    pub round: Option<u64>,
    /// A program error's name, or the kind of failure.
    pub cause: String,
    pub message: String,
}

/// Errors kept for the dashboard, newest first.
pub const ERRORS_KEPT: usize = 20;

/// `/status`: the node and each task it runs.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub node: String,
    /// Unix seconds the node started at.
    pub started: u64,
    pub tasks: BTreeMap<String, TaskStatus>,
}

/// What the operator endpoints read: the metrics and the status, shared
/// with the running node.
#[derive(Clone)]
pub struct Ops {
    pub metrics: Arc<Metrics>,
    pub status: Arc<Mutex<Status>>,
    /// The last [`ERRORS_KEPT`] errors, newest first.
    pub errors: Arc<Mutex<std::collections::VecDeque<ErrorNote>>>,
}

impl Ops {
    pub fn new(node: &Pubkey) -> Self {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        Self {
            metrics: Arc::new(Metrics::new()),
            status: Arc::new(Mutex::new(Status {
                node: node.to_string(),
                started,
                tasks: BTreeMap::new(),
            })),
            errors: Default::default(),
        }
    }

    /// Keeps an error for the dashboard (the oldest beyond
    /// [`ERRORS_KEPT`] is dropped).
    pub fn note_error(
        &self,
        task: Option<&Pubkey>,
        round: Option<u64>,
        cause: &str,
        message: String,
    ) {
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        errors.push_front(ErrorNote {
            at_ms: crate::store::unix_ms(),
            task: task.map(Pubkey::to_string),
            round,
            cause: cause.to_string(),
            message,
        });
        errors.truncate(ERRORS_KEPT);
    }

    /// The errors kept, newest first.
    pub fn errors(&self) -> Vec<ErrorNote> {
        let errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        errors.iter().cloned().collect()
    }

    /// The mean time of a tick's chain reads so far, in ms.
    pub fn mean_rpc_latency_ms(&self) -> Option<f64> {
        let latency = &self.metrics.rpc_latency;
        let count = latency.get_sample_count();
        (count > 0).then(|| latency.get_sample_sum() * 1000.0 / count as f64)
    }

    /// Records a task's latest look.
    pub fn set_task(&self, task: &Pubkey, status: TaskStatus) {
        self.metrics
            .eligible
            .with_label_values(&[&task.to_string()])
            .set(i64::from(status.eligible));
        let mut all = self.status.lock().unwrap_or_else(|p| p.into_inner());
        let mut status = status;
        if let Some(before) = all.tasks.get(&task.to_string()) {
            status.code.clone_from(&before.code);
            status.code_hash.clone_from(&before.code_hash);
            status.fuel_used = before.fuel_used;
            status.phases = before
                .phases
                .iter()
                .filter(|(round, _)| status.live_rounds.contains(round))
                .map(|(round, phase)| (*round, phase.clone()))
                .collect();
        }
        all.tasks.insert(task.to_string(), status);
    }

    /// Records the task code's standing (see [`TaskStatus::code`]).
    pub fn set_code(&self, task: &Pubkey, code: String) {
        let mut all = self.status.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(status) = all.tasks.get_mut(&task.to_string()) {
            status.code = code;
        }
    }

    /// Records a live round's phase.
    pub fn set_phase(&self, task: &Pubkey, round: u64, phase: String) {
        let mut all = self.status.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(status) = all.tasks.get_mut(&task.to_string()) {
            status.phases.insert(round, phase);
        }
    }

    /// Records the code the node ran and the fuel its call used.
    pub fn set_code_run(&self, task: &Pubkey, code_hash: String, fuel_used: Option<u64>) {
        let mut all = self.status.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(status) = all.tasks.get_mut(&task.to_string()) {
            status.code_hash = Some(code_hash);
            status.fuel_used = fuel_used;
        }
    }

    /// `/metrics` and `/status`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/metrics", get(metrics))
            .route("/status", get(status))
            .with_state(self.clone())
    }
}

async fn metrics(State(ops): State<Ops>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        ops.metrics.render(),
    )
}

async fn status(State(ops): State<Ops>) -> impl IntoResponse {
    let status = ops.status.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Json(status)
}
