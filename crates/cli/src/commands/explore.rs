//! `tasknet explore`: a read-only task explorer over any cluster, served
//! on 127.0.0.1 unless told otherwise. Pages are drawn by
//! `tasknet-pages`; this module gathers their models from the chain.
//!
//! Bounded RPC use: every read is an indexed `getProgramAccounts` (a task's
//! rounds, a round's audits and votes; a creator's tasks), one for a list
//! of thousands that returns only the bytes that rank it (a task's stakes
//! by weight, a round's submissions by index: `dataSlice`), or
//! `getMultipleAccounts` for the rows of one page ([`NODES_PER_PAGE`]).
//! Each answer is cached for [`CACHE_TTL`] and served stale while one
//! background read refreshes it: any number of page views costs at most
//! one set of reads per page every interval, and a task with 10,000 stakes
//! reads 100 of them whole.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AnchorDeserialize, Space};
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use clap::Args;
use serde::Deserialize;
use tasknet::logic::Bonded;
use tasknet::logic::Phase;
use tasknet::state::{Audit, AuditVerdict, Round, Stake, Submission, SubmissionStatus, Task, Vote};
use tasknet_pages::chart::Window;
use tasknet_pages::explorer::{
    self, AuditRow, CreatorPage, NodeList, NodeRow, RoundPage, RoundSummary, SubmissionRow,
    TaskPage, TaskRow, NODES_PER_PAGE,
};
use tasknet_pages::format::Unit;
use tasknet_pages::serve::{self, html};
use tasknet_sdk::accounts::filters;
use tasknet_sdk::chain::{decode_account, ChainClient, ChainError};
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

fn page_error(error: PageError) -> CliError {
    CliError::Input(error.to_string())
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
        let data = explorer.task_data(task).await.map_err(page_error)?;
        explorer
            .node_rows(task, data, 0)
            .await
            .map_err(page_error)?;
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
    /// One page of a task's staked nodes.
    Nodes(Vec<NodeRow>),
    RoundData(RoundData),
    /// Tasks as the list shows them.
    Tasks(Vec<TaskRow>),
}

/// What a task's page reads, besides the page of nodes it shows.
struct TaskData {
    slot: u64,
    task: Task,
    unit: Unit,
    /// Every stake's address, node and weight now, largest first: read as
    /// slices, so ranking 10,000 stakes moves 56 bytes of each.
    ranked: Vec<RankedStake>,
    rounds: Vec<(Pubkey, Round)>,
}

struct RankedStake {
    address: Pubkey,
    node: Pubkey,
    weight: u64,
}

/// What a round's page reads: the round, one page of its submissions and
/// its audits.
struct RoundData {
    slot: u64,
    unit: Unit,
    round: Round,
    page: usize,
    total: usize,
    submissions: Vec<Submission>,
    audits: Vec<(Audit, Vec<Vote>)>,
}

/// The bytes of a stake that rank it: its node and bonded buckets.
const STAKE_RANK: (usize, usize) = (Stake::NODE_OFFSET, 32 + Bonded::INIT_SPACE);
/// The bytes of a submission that order it: its index in the round.
const SUBMISSION_ORDER: (usize, usize) = (Submission::INDEX_OFFSET, 4);

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
            .merge(serve::assets())
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
            let task = this.task_account(&task_key).await?;
            let slot = chain.slot().await?;
            let unit = this.unit_of(&task).await?;
            let round_now = task.schedule.round_at(slot).unwrap_or(0);
            let (offset, length) = STAKE_RANK;
            let mut ranked = Vec::new();
            for (address, slice) in chain
                .program_account_slices(
                    &filters::task_stakes(&task_key),
                    8 + Stake::INIT_SPACE,
                    offset,
                    length,
                )
                .await?
            {
                let (node, bonded) = slice.split_at(32.min(slice.len()));
                let (Ok(node), Ok(bonded)) =
                    (Pubkey::try_from(node), Bonded::try_from_slice(bonded))
                else {
                    return Err(ChainError::Decode {
                        address,
                        kind: "Stake",
                        detail: "a stake's node and bonded bytes do not decode".into(),
                    }
                    .into());
                };
                let weight = bonded.weight_at(round_now);
                ranked.push(RankedStake {
                    address,
                    node,
                    weight,
                });
            }
            ranked.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.node.cmp(&b.node)));
            let mut rounds: Vec<(Pubkey, Round)> = chain
                .program_accounts(&filters::task_rounds(&task_key))
                .await?;
            rounds.sort_by_key(|r| std::cmp::Reverse(r.1.round));
            Ok(Cached::TaskData(TaskData {
                slot,
                task,
                unit,
                ranked,
                rounds,
            }))
        })
        .await
    }

    /// Page `page` of the task's nodes (ranked by `data`): their stakes and
    /// their submissions to the rounds on chain, read by address — a
    /// `getMultipleAccounts` for the stakes and one per round, whatever
    /// the number of nodes.
    async fn node_rows(
        &self,
        task_key: Pubkey,
        data: Arc<Cached>,
        page: usize,
    ) -> Result<Arc<Cached>, PageError> {
        let this = self.clone();
        self.cached(format!("nodes:{task_key}:{page}"), || async move {
            let Cached::TaskData(data) = data.as_ref() else {
                return Ok(Cached::Nodes(Vec::new()));
            };
            let chain = &this.inner.chain;
            let shown: Vec<&RankedStake> = data
                .ranked
                .iter()
                .skip(page * NODES_PER_PAGE)
                .take(NODES_PER_PAGE)
                .collect();
            let addresses: Vec<Pubkey> = shown.iter().map(|s| s.address).collect();
            let mut records: HashMap<Pubkey, Vec<(u64, String)>> = HashMap::new();
            for (_, round) in &data.rounds {
                let keys: Vec<Pubkey> = shown
                    .iter()
                    .map(|s| pda::submission(&task_key, round.round, &s.node))
                    .collect();
                for (key, account) in keys.iter().zip(chain.raw_accounts(&keys).await?) {
                    if let Some(account) = account {
                        let submission: Submission = decode_account(key, &account.data)?;
                        records
                            .entry(submission.node)
                            .or_default()
                            .push((submission.round, format!("{:?}", submission.status)));
                    }
                }
            }
            let round_now = data.task.schedule.round_at(data.slot).unwrap_or(0);
            let mut rows = Vec::new();
            for (address, account) in addresses.iter().zip(chain.raw_accounts(&addresses).await?) {
                // A stake withdrawn since the ranking is left out.
                let Some(account) = account else { continue };
                let stake: Stake = decode_account(address, &account.data)?;
                rows.push(NodeRow {
                    node: stake.node.to_string(),
                    stake: stake.bonded.weight_at(round_now),
                    unbonding: stake.unbonding,
                    slashed_total: stake.slashed_total,
                    endpoint: stake.endpoint.clone(),
                    record: records.remove(&stake.node).unwrap_or_default(),
                });
            }
            Ok(Cached::Nodes(rows))
        })
        .await
    }

    async fn task_account(&self, task_key: &Pubkey) -> Result<Task, PageError> {
        self.inner.chain.account(task_key).await?.ok_or_else(|| {
            PageError::NotFound(format!("task {task_key} does not exist on this cluster"))
        })
    }

    /// A round and page `page` of its submissions: their order read as
    /// 4-byte slices, the page's submissions by address.
    async fn round_data(
        &self,
        task_key: Pubkey,
        number: u64,
        page: usize,
    ) -> Result<Arc<Cached>, PageError> {
        let this = self.clone();
        self.cached(format!("round:{task_key}:{number}:{page}"), || async move {
            let chain = &this.inner.chain;
            let task = this.task_account(&task_key).await?;
            let round: Round = chain.account(&pda::round(&task_key, number)).await?.ok_or_else(|| {
                PageError::NotFound(format!(
                    "round {number} of task {task_key} has no account (no submission yet, or already closed)"
                ))
            })?;
            let slot = chain.slot().await?;
            let unit = this.unit_of(&task).await?;
            let (offset, length) = SUBMISSION_ORDER;
            let mut order: Vec<(u32, Pubkey)> = chain
                .program_account_slices(
                    &filters::round_submissions(&task_key, number),
                    8 + Submission::INIT_SPACE,
                    offset,
                    length,
                )
                .await?
                .into_iter()
                .map(|(key, slice)| {
                    let index = slice.try_into().map_or(u32::MAX, u32::from_le_bytes);
                    (index, key)
                })
                .collect();
            order.sort_unstable();
            let total = order.len();
            let page = page.min(total.saturating_sub(1) / NODES_PER_PAGE);
            let keys: Vec<Pubkey> = order
                .iter()
                .skip(page * NODES_PER_PAGE)
                .take(NODES_PER_PAGE)
                .map(|(_, key)| *key)
                .collect();
            let mut submissions = Vec::new();
            for (key, account) in keys.iter().zip(chain.raw_accounts(&keys).await?) {
                if let Some(account) = account {
                    submissions.push(decode_account::<Submission>(key, &account.data)?);
                }
            }
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
            Ok(Cached::RoundData(RoundData { slot, unit, round, page, total, submissions, audits }))
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
    let data = match explorer.task_data(task_key).await {
        Ok(data) => data,
        Err(e) => return failure(e),
    };
    let Cached::TaskData(task_data) = data.as_ref() else {
        return not_found(task);
    };
    let last_page = task_data.ranked.len().saturating_sub(1) / NODES_PER_PAGE;
    let page = query.page.unwrap_or(0).min(last_page);
    match explorer.node_rows(task_key, data.clone(), page).await {
        Ok(rows) => {
            let rows = match rows.as_ref() {
                Cached::Nodes(rows) => rows.clone(),
                _ => Vec::new(),
            };
            let model = task_page_model(&task_key, task_data, page, rows);
            html(explorer::render_task(&explorer.cluster(), &model))
        }
        Err(e) => failure(e),
    }
}

async fn round_page(
    State(explorer): State<Explorer>,
    Path((task, round)): Path<(String, u64)>,
    Query(query): Query<PageQuery>,
) -> Response {
    let Ok(task_key) = task.parse::<Pubkey>() else {
        return not_found(format!("{task} is not an address"));
    };
    match explorer
        .round_data(task_key, round, query.page.unwrap_or(0))
        .await
    {
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
fn task_page_model(key: &Pubkey, data: &TaskData, page: usize, rows: Vec<NodeRow>) -> TaskPage {
    let task = &data.task;
    let schedule = &task.schedule;
    let current = schedule.round_at(data.slot);
    let shown = current.unwrap_or(0);
    let windows = windows_of(schedule, shown);
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
            total: data.ranked.len(),
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
        page: data.page,
        total: data.total,
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

fn not_found(what: String) -> Response {
    serve::plain(StatusCode::NOT_FOUND, what)
}

fn failure(error: PageError) -> Response {
    match error {
        PageError::NotFound(what) => not_found(what),
        PageError::Chain(e) => serve::plain(
            StatusCode::BAD_GATEWAY,
            format!("reading the cluster failed: {e}"),
        ),
    }
}
