//! `tasknet explore`: a read-only task explorer over any cluster, served
//! on 127.0.0.1 unless told otherwise. Pages are drawn by
//! `tasknet-pages`; this module gathers their models from the chain.
//!
//! Bounded RPC use: every read is an indexed `getProgramAccounts` (a task's
//! stakes, rounds, a round's submissions, audits and votes; a creator's
//! tasks) or a single account, and each answer is cached for
//! [`CACHE_TTL`]: any number of page views costs at most one set of reads
//! per page kind and task every interval. The node list is paged
//! ([`NODES_PER_PAGE`]) so a task with 10,000 stakes renders 100 rows.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use axum::extract::{Path, Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use clap::Args;
use serde::Deserialize;
use tasknet::logic::Phase;
use tasknet::state::{Audit, AuditVerdict, Round, Stake, Submission, SubmissionStatus, Task, Vote};
use tasknet_pages::chart::Window;
use tasknet_pages::explorer::{
    self, AuditRow, CreatorPage, NodeList, NodeRow, RoundPage, RoundSummary, SubmissionRow,
    TaskPage, TaskRow, NODES_PER_PAGE,
};
use tasknet_pages::format::Unit;
use tasknet_sdk::accounts::filters;
use tasknet_sdk::chain::{ChainClient, ChainError};
use tasknet_sdk::pda;

use crate::context::{CliError, Ctx};

/// How long a chain read is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(2);

#[derive(Args)]
pub struct ExploreArgs {
    /// Address to serve the explorer on. It is read-only; bind beyond
    /// 127.0.0.1 only to share it.
    #[arg(long, default_value = "127.0.0.1:8890")]
    bind: SocketAddr,
    /// Open on the page of the task at this address.
    #[arg(long, conflicts_with = "creator")]
    task: Option<Pubkey>,
    /// Open on the tasks of the creator at this address.
    #[arg(long)]
    creator: Option<Pubkey>,
}

/// Serves until Ctrl-C.
pub async fn run(ctx: &Ctx, args: ExploreArgs) -> Result<(), CliError> {
    // A cluster that does not answer, or a task that is not there, is said
    // at once rather than on every page.
    ctx.chain.slot().await?;
    if let Some(task) = &args.task {
        ctx.task(task).await?;
    }
    let start = match (args.task, args.creator) {
        (Some(task), _) => explorer::task_path(&task.to_string()),
        (None, Some(creator)) => explorer::creator_path(&creator.to_string()),
        (None, None) => "/".into(),
    };
    let explorer = Explorer::new(ChainClient::new(&ctx.chain.url(), ctx.chain.config.clone()));
    if let Some(task) = args.task {
        // The first view is then served from memory too.
        explorer
            .task_data(task)
            .await
            .map_err(|e| CliError::Input(e.to_string()))?;
    }
    let addr = explorer.serve(args.bind, start.clone()).await?;
    println!(
        "tasknet explorer for {} at http://{addr}{start} (read-only; Ctrl-C to stop)",
        ctx.chain.url()
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// The explorer: a chain client and a cache of its answers.
#[derive(Clone)]
pub struct Explorer {
    inner: Arc<Inner>,
}

struct Inner {
    chain: ChainClient,
    cache: Mutex<HashMap<String, Entry>>,
}

/// A cached read: when it was read, and whether a newer read is under way.
struct Entry {
    at: Instant,
    value: Arc<Cached>,
    refreshing: bool,
}

/// One cached read.
enum Cached {
    TaskData(TaskData),
    RoundData(RoundData),
    /// Tasks as the list shows them.
    Tasks(Vec<TaskRow>),
}

/// What a task's page reads.
struct TaskData {
    slot: u64,
    task: Task,
    unit: Unit,
    /// Sorted by stake, largest first.
    stakes: Vec<(Pubkey, Stake)>,
    rounds: Vec<(Pubkey, Round)>,
    /// Each on-chain round's submissions, by node.
    records: HashMap<Pubkey, Vec<(u64, String)>>,
}

/// What a round's page reads.
struct RoundData {
    slot: u64,
    unit: Unit,
    round: Round,
    submissions: Vec<Submission>,
    audits: Vec<(Audit, Vec<Vote>)>,
}

#[derive(Debug, thiserror::Error)]
enum PageError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("{0}")]
    NotFound(String),
}

impl Explorer {
    pub fn new(chain: ChainClient) -> Self {
        Self {
            inner: Arc::new(Inner {
                chain,
                cache: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Serves the explorer on `bind`, `/` leading to `start`; returns the
    /// address.
    pub async fn serve(&self, bind: SocketAddr, start: String) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let app = self.router(start);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("explorer stopped: {e}");
            }
        });
        Ok(addr)
    }

    /// The explorer's routes, every one a GET that changes nothing.
    pub fn router(&self, start: String) -> Router {
        let start = Arc::new(start);
        Router::new()
            .route(
                "/",
                get(move |State(explorer): State<Explorer>| {
                    let start = start.clone();
                    async move {
                        if start.as_str() == "/" {
                            explorer.home().await
                        } else {
                            let mut response = StatusCode::SEE_OTHER.into_response();
                            if let Ok(location) = HeaderValue::from_str(&start) {
                                response.headers_mut().insert(LOCATION, location);
                            }
                            response
                        }
                    }
                }),
            )
            .route("/task/{task}", get(task_page))
            .route("/task/{task}/round/{round}", get(round_page))
            .route("/creator/{creator}", get(creator_page))
            .route(
                "/assets/pages.css",
                get(|| async { respond("text/css; charset=utf-8", tasknet_pages::STYLE.into()) }),
            )
            .route(
                "/assets/refresh.js",
                get(|| async {
                    respond(
                        "text/javascript; charset=utf-8",
                        tasknet_pages::REFRESH_SCRIPT.into(),
                    )
                }),
            )
            .with_state(self.clone())
    }

    fn cluster(&self) -> String {
        self.inner.chain.url()
    }

    /// A cached answer for `key`. A fresh one is served as is; a stale
    /// one is served too, while `read` refreshes it in the background
    /// (one refresh at a time per key); only a key never read waits for
    /// `read`. So a page views in milliseconds after its first view, and
    /// the chain is read at most once per [`CACHE_TTL`] per key viewed.
    async fn cached<F, Fut>(&self, key: String, read: F) -> Result<Arc<Cached>, PageError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Cached, PageError>> + Send + 'static,
    {
        {
            let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = cache.get_mut(&key) {
                if entry.at.elapsed() >= CACHE_TTL && !entry.refreshing {
                    entry.refreshing = true;
                    let (this, key, read) = (self.clone(), key.clone(), read());
                    tokio::spawn(async move {
                        let read = read.await;
                        if let Err(e) = &read {
                            tracing::warn!("explorer: refreshing {key}: {e}");
                        }
                        this.store(key, read.ok());
                    });
                }
                return Ok(entry.value.clone());
            }
        }
        let value = read().await?;
        Ok(self
            .store(key, Some(value))
            .unwrap_or_else(|| Arc::new(Cached::Tasks(Vec::new()))))
    }

    /// Keeps a read (or, without one, ends the refresh under way so the
    /// next view tries again); returns what is kept.
    fn store(&self, key: String, value: Option<Cached>) -> Option<Arc<Cached>> {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        // Entries not viewed for a while go when the cache grows: it holds
        // what a few hundred pages read.
        if cache.len() > 512 {
            cache.retain(|_, entry| entry.at.elapsed() < 30 * CACHE_TTL);
        }
        match value {
            Some(value) => {
                let value = Arc::new(value);
                let entry = Entry {
                    at: Instant::now(),
                    value: value.clone(),
                    refreshing: false,
                };
                cache.insert(key, entry);
                Some(value)
            }
            None => {
                if let Some(entry) = cache.get_mut(&key) {
                    entry.refreshing = false;
                }
                None
            }
        }
    }

    async fn unit_of(&self, task: &Task) -> Result<Unit, ChainError> {
        Ok(match &task.reward_token {
            Some(token) => {
                let symbol = self
                    .inner
                    .chain
                    .mint_info(&token.mint)
                    .await?
                    .and_then(|info| info.symbol);
                match symbol {
                    Some(symbol) => Unit {
                        symbol,
                        decimals: token.decimals,
                    },
                    None => Unit::token(&token.mint.to_string(), token.decimals),
                }
            }
            None => Unit::sol(),
        })
    }

    async fn task_data(&self, task_key: Pubkey) -> Result<Arc<Cached>, PageError> {
        let this = self.clone();
        self.cached(format!("task:{task_key}"), || async move {
            let chain = &this.inner.chain;
            let task: Task = chain.account(&task_key).await?.ok_or_else(|| {
                PageError::NotFound(format!("task {task_key} does not exist on this cluster"))
            })?;
            let slot = chain.slot().await?;
            let unit = this.unit_of(&task).await?;
            let mut stakes: Vec<(Pubkey, Stake)> = chain
                .program_accounts(&filters::task_stakes(&task_key))
                .await?;
            let round_now = task.schedule.round_at(slot).unwrap_or(0);
            stakes.sort_by(|a, b| {
                b.1.bonded
                    .weight_at(round_now)
                    .cmp(&a.1.bonded.weight_at(round_now))
                    .then(a.1.node.cmp(&b.1.node))
            });
            let mut rounds: Vec<(Pubkey, Round)> = chain
                .program_accounts(&filters::task_rounds(&task_key))
                .await?;
            rounds.sort_by_key(|r| std::cmp::Reverse(r.1.round));
            let mut records: HashMap<Pubkey, Vec<(u64, String)>> = HashMap::new();
            for (_, round) in &rounds {
                let submissions: Vec<(Pubkey, Submission)> = chain
                    .program_accounts(&filters::round_submissions(&task_key, round.round))
                    .await?;
                for (_, s) in submissions {
                    records
                        .entry(s.node)
                        .or_default()
                        .push((s.round, format!("{:?}", s.status)));
                }
            }
            Ok(Cached::TaskData(TaskData {
                slot,
                task,
                unit,
                stakes,
                rounds,
                records,
            }))
        })
        .await
    }

    async fn round_data(&self, task_key: Pubkey, number: u64) -> Result<Arc<Cached>, PageError> {
        let this = self.clone();
        self.cached(format!("round:{task_key}:{number}"), || async move {
            let chain = &this.inner.chain;
            let task: Task = chain
                .account(&task_key)
                .await?
                .ok_or_else(|| PageError::NotFound(format!("task {task_key} does not exist on this cluster")))?;
            let round: Round = chain.account(&pda::round(&task_key, number)).await?.ok_or_else(|| {
                PageError::NotFound(format!(
                    "round {number} of task {task_key} has no account (no submission yet, or already closed)"
                ))
            })?;
            let slot = chain.slot().await?;
            let unit = this.unit_of(&task).await?;
            let mut submissions: Vec<Submission> = chain
                .program_accounts::<Submission>(&filters::round_submissions(&task_key, number))
                .await?
                .into_iter()
                .map(|(_, s)| s)
                .collect();
            submissions.sort_by_key(|s| s.index);
            let mut audits = Vec::new();
            for (key, audit) in chain.program_accounts::<Audit>(&filters::round_audits(&task_key, number)).await? {
                let votes = chain
                    .program_accounts::<Vote>(&filters::audit_votes(&key))
                    .await?
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect();
                audits.push((audit, votes));
            }
            Ok(Cached::RoundData(RoundData { slot, unit, round, submissions, audits }))
        })
        .await
    }

    async fn tasks(&self, creator: Option<Pubkey>) -> Result<Vec<TaskRow>, PageError> {
        let key = match creator {
            Some(creator) => format!("creator:{creator}"),
            None => "tasks".into(),
        };
        let this = self.clone();
        let cached = self
            .cached(key, || async move {
                let filter = creator
                    .map(|c| filters::creator_tasks(&c))
                    .unwrap_or_default();
                let mut rows = Vec::new();
                for (key, task) in this.inner.chain.program_accounts::<Task>(&filter).await? {
                    let unit = this.unit_of(&task).await?;
                    rows.push(task_row(&key, &task, unit));
                }
                rows.sort_by(|a, b| a.task.cmp(&b.task));
                Ok(Cached::Tasks(rows))
            })
            .await?;
        match cached.as_ref() {
            Cached::Tasks(rows) => Ok(rows.clone()),
            _ => Ok(Vec::new()),
        }
    }

    async fn home(&self) -> Response {
        match self.tasks(None).await {
            Ok(rows) => html(explorer::render_home(&self.cluster(), &rows)),
            Err(e) => failure(e),
        }
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<usize>,
}

async fn task_page(
    State(explorer): State<Explorer>,
    Path(task): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let Ok(task_key) = task.parse::<Pubkey>() else {
        return not_found(format!("{task} is not an address"));
    };
    match explorer.task_data(task_key).await {
        Ok(cached) => match cached.as_ref() {
            Cached::TaskData(data) => {
                let page = task_page_model(&task_key, data, query.page.unwrap_or(0));
                html(explorer::render_task(&explorer.cluster(), &page))
            }
            _ => not_found(task),
        },
        Err(e) => failure(e),
    }
}

async fn round_page(
    State(explorer): State<Explorer>,
    Path((task, round)): Path<(String, u64)>,
) -> Response {
    let Ok(task_key) = task.parse::<Pubkey>() else {
        return not_found(format!("{task} is not an address"));
    };
    match explorer.round_data(task_key, round).await {
        Ok(cached) => match cached.as_ref() {
            Cached::RoundData(data) => html(explorer::render_round(
                &explorer.cluster(),
                &round_page_model(&task_key, data),
            )),
            _ => not_found(task),
        },
        Err(e) => failure(e),
    }
}

async fn creator_page(State(explorer): State<Explorer>, Path(creator): Path<String>) -> Response {
    let Ok(creator_key) = creator.parse::<Pubkey>() else {
        return not_found(format!("{creator} is not an address"));
    };
    match explorer.tasks(Some(creator_key)).await {
        Ok(tasks) => html(explorer::render_creator(
            &explorer.cluster(),
            &CreatorPage {
                creator: creator_key.to_string(),
                tasks,
            },
        )),
        Err(e) => failure(e),
    }
}

fn task_row(key: &Pubkey, task: &Task, unit: Unit) -> TaskRow {
    TaskRow {
        task: key.to_string(),
        name: task.name.clone(),
        state: format!("{:?}", task.state),
        unit,
        bounty: bounty_of(task),
        reward_per_round: task.economics.reward_per_round,
        node_count: task.node_count,
        total_paid: task.total_paid,
    }
}

/// What the bounty holds, in the task's asset.
fn bounty_of(task: &Task) -> u64 {
    task.reward_token
        .as_ref()
        .map_or(task.ledger.bounty_available, |token| token.bounty)
}

fn phase_name(phase: Phase) -> String {
    format!("{phase:?}")
}

/// The task page's model from what was read.
fn task_page_model(key: &Pubkey, data: &TaskData, page: usize) -> TaskPage {
    let task = &data.task;
    let schedule = &task.schedule;
    let current = schedule.round_at(data.slot);
    let shown = current.unwrap_or(0);
    let windows = windows_of(schedule, shown);
    let round_now = current.unwrap_or(0);
    let page = page.min(data.stakes.len().saturating_sub(1) / NODES_PER_PAGE);
    let rows = data
        .stakes
        .iter()
        .skip(page * NODES_PER_PAGE)
        .take(NODES_PER_PAGE)
        .map(|(_, stake)| NodeRow {
            node: stake.node.to_string(),
            stake: stake.bonded.weight_at(round_now),
            unbonding: stake.unbonding,
            slashed_total: stake.slashed_total,
            endpoint: stake.endpoint.clone(),
            record: data.records.get(&stake.node).cloned().unwrap_or_default(),
        })
        .collect();
    let sol = Unit::sol();
    let economics = &task.economics;
    TaskPage {
        task: key.to_string(),
        name: task.name.clone(),
        creator: task.creator.to_string(),
        metadata_uri: task.metadata_uri.clone(),
        code_uri: task.code_uri.clone(),
        code_hash: hex::encode(task.code_hash),
        state: format!("{:?}", task.state),
        unit: data.unit.clone(),
        slot: data.slot,
        current_round: current,
        phase: current.map_or("not started".into(), |r| {
            phase_name(schedule.phase(r, data.slot))
        }),
        windows,
        terms: terms_of(task),
        bounty: bounty_of(task),
        reward_per_round: economics.reward_per_round,
        ledger: vec![
            ("staked", sol.with_symbol(task.ledger.staked_total)),
            ("bonds held", sol.with_symbol(task.ledger.bonds_held)),
            ("nodes", task.node_count.to_string()),
            ("rounds open", task.rounds_open.to_string()),
        ],
        total_paid: task.total_paid,
        total_slashed: task.total_slashed,
        nodes: NodeList {
            rows,
            page,
            total: data.stakes.len(),
        },
        rounds: data
            .rounds
            .iter()
            .map(|(_, r)| round_summary(r, data.slot))
            .collect(),
    }
}

/// A round's windows, in slots, as the timeline draws them.
fn windows_of(schedule: &tasknet::logic::Schedule, shown: u64) -> Vec<Window> {
    let mut windows = vec![Window {
        name: "submit",
        start: schedule.round_start(shown),
        end: schedule.submit_end(shown),
    }];
    if schedule.commit_reveal() {
        windows.push(Window {
            name: "reveal",
            start: schedule.submit_end(shown),
            end: schedule.reveal_end(shown),
        });
    }
    windows.push(Window {
        name: "audit",
        start: schedule.reveal_end(shown),
        end: schedule.audit_end(shown),
    });
    windows.push(Window {
        name: "settle",
        start: schedule.audit_end(shown),
        end: schedule.claim_deadline(shown),
    });
    windows
}

/// A task's schedule and economics as (what, value) lines.
fn terms_of(task: &Task) -> Vec<(&'static str, String)> {
    let (schedule, economics, sol) = (&task.schedule, &task.economics, Unit::sol());
    vec![
        ("starts at slot", schedule.start_slot.to_string()),
        ("round", format!("{} slots", schedule.round_slots)),
        ("submit window", format!("{} slots", schedule.submit_slots)),
        ("reveal window", format!("{} slots", schedule.reveal_slots)),
        ("audit window", format!("{} slots", schedule.audit_slots)),
        ("claim for", format!("{} rounds", schedule.claim_rounds)),
        ("minimum stake", sol.with_symbol(economics.min_stake)),
        ("challenge bond", sol.with_symbol(economics.challenge_bond)),
        (
            "slash",
            format!("{}%", f64::from(economics.slash_bps) / 100.0),
        ),
        (
            "vote threshold",
            format!("{}%", f64::from(economics.vote_threshold_bps) / 100.0),
        ),
    ]
}

fn round_summary(round: &Round, slot: u64) -> RoundSummary {
    RoundSummary {
        round: round.round,
        phase: phase_name(round.schedule.phase(round.round, slot)),
        submissions: round.submissions,
        revealed: round.revealed,
        invalidated: round.invalidated,
        open_audits: round.open_audits,
        reward_pool: round.reward_pool,
        claimed_count: round.claimed_count,
        claimed_sum: round.claimed_sum,
    }
}

fn round_page_model(key: &Pubkey, data: &RoundData) -> RoundPage {
    // Every valid submitter's claim is the same share of the pool.
    let share = data.round.share().ok();
    RoundPage {
        task: key.to_string(),
        unit: data.unit.clone(),
        summary: round_summary(&data.round, data.slot),
        submissions: data
            .submissions
            .iter()
            .map(|s| SubmissionRow {
                node: s.node.to_string(),
                index: s.index,
                status: format!("{:?}", s.status),
                value: hex::encode(&s.value),
                slot: s.slot,
                paid: (s.status == SubmissionStatus::Claimed)
                    .then_some(share)
                    .flatten(),
            })
            .collect(),
        audits: data
            .audits
            .iter()
            .map(|(audit, votes)| AuditRow {
                node: audit.node.to_string(),
                challenger: audit.challenger.to_string(),
                verdict: match audit.verdict {
                    AuditVerdict::Pending => "pending".into(),
                    AuditVerdict::Valid => "valid (challenge lost)".into(),
                    AuditVerdict::Invalid => "invalid (slashed)".into(),
                },
                votes_valid: audit.valid_weight,
                votes_invalid: audit.invalid_weight,
                voters: votes
                    .iter()
                    .map(|v| (v.voter.to_string(), !v.invalid))
                    .collect(),
            })
            .collect(),
    }
}

fn respond(content_type: &'static str, body: String) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(tasknet_pages::CONTENT_SECURITY_POLICY),
    );
    response
}

fn html(body: String) -> Response {
    respond("text/html; charset=utf-8", body)
}

fn not_found(what: String) -> Response {
    let mut response = respond("text/plain; charset=utf-8", what);
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

fn failure(error: PageError) -> Response {
    match error {
        PageError::NotFound(what) => not_found(what),
        PageError::Chain(e) => {
            let mut response = respond(
                "text/plain; charset=utf-8",
                format!("reading the cluster failed: {e}"),
            );
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            response
        }
    }
}
