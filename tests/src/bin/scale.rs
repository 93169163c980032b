//! The scale benchmark (issue 11): one task with N staked nodes playing
//! full commit–reveal rounds on the in-process bank (the program's SBF
//! build in LiteSVM, the money checked after every transaction), each node
//! reading and deciding exactly as `tasknet-node` does
//! (`RoundSnapshot::read_chain`, the audit sample, `decide`), the reads
//! counted at the account-source boundary. Prints, per N: per node per
//! round — transactions, bytes sent, rent locked and returned, reads and
//! bytes read, audits run; per round — wall time to settle and to close;
//! the size of every account touched; and beside it a model of the
//! reference single-account design. `docs/BENCHMARKS.md` records a run.
//!
//! ```sh
//! cargo run --profile perf -p tasknet-tests --bin scale            # 10 … 10,000 nodes
//! cargo run --profile perf -p tasknet-tests --bin scale -- --quick # 10 and 100 (CI)
//! cargo run --profile perf -p tasknet-tests --bin scale -- 1000    # chosen sizes
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anchor_lang::Space;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::logic::{plain_value_hash, Schedule, DEFAULT_AUDITS_PER_ROUND};
use tasknet::state::{Audit, Round, Submission, Vote};
use tasknet_node::driver::{drive_task, Memories, Records, RoundHost};
use tasknet_node::outbox::{bundle, Part};
use tasknet_node::snapshot::{AccountSource, RoundSnapshot, TaskView};
use tasknet_node::store::OwnSubmission;
use tasknet_node::{Action, Honest, NodeError};
use tasknet_sdk::accounts::Memcmp;
use tasknet_sdk::chain::ChainError;
use tasknet_sdk::pda;
use tasknet_tests::{salt_for, Backend, Fixture, Harness, LAMPORTS_PER_SOL};
use tokio::sync::Mutex;

/// Rounds played at each size: the same at every size, so that a node's
/// figures compare (rounds overlap, so the first and last differ a little).
const ROUNDS: u64 = 3;
/// Base fee per signature (no priority fee is set).
const LAMPORTS_PER_SIGNATURE: u64 = 5_000;
/// A websocket notification's JSON around the account's base64 data.
const NOTIFICATION_BYTES: u64 = 250;
/// What sending one transaction costs in requests, as `ChainClient` sends:
/// getLatestBlockhash, simulateTransaction, sendTransaction and (at least)
/// one getSignatureStatuses over HTTP; a signatureSubscribe and its
/// unsubscribe over the websocket (an answer each, and the notification).
const SEND_HTTP_CALLS: u64 = 4;
const SEND_WS_SENT: u64 = 2;
const SEND_WS_RECEIVED: u64 = 3;
const SLOT_NOTIFICATION_BYTES: u64 = 120;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = if quick {
            vec![10, 100]
        } else {
            vec![10, 100, 1_000, 10_000]
        };
    }
    println!("tasknet scale benchmark: SBF program in LiteSVM, {DEFAULT_AUDITS_PER_ROUND} audits per node per round");
    let mut results = Vec::new();
    for &n in &sizes {
        let result = run(n, ROUNDS).await;
        result.print();
        results.push(result);
    }
    summary(&results);
    reference_model(&results);
    // Backup auditors: the same rounds with a share of the nodes offline
    // after submitting (they never reveal, audit or claim).
    let offline_runs: Vec<(usize, u32)> = if quick {
        vec![(100, 30)]
    } else {
        sizes
            .iter()
            .filter(|&&n| n >= 1_000)
            .flat_map(|&n| [(n, 10), (n, 30)])
            .collect()
    };
    let mut offline = Vec::new();
    for (n, pct) in offline_runs {
        let result = run_with_offline(n, ROUNDS, pct).await;
        result.print();
        offline.push(result);
    }
    coverage_summary(&offline);
    results.extend(offline);
    // Not a timing check: a run whose rounds did not all play out is no
    // measurement of them.
    let incomplete = results
        .iter()
        .any(|r| r.total.failed > 0 || r.settle.iter().chain(&r.close).any(Duration::is_zero));
    if incomplete {
        eprintln!("error: a transaction failed or a round did not settle and close; the figures above do not describe full rounds");
        std::process::exit(1);
    }
}

// ---- one size ----

/// Counts per node per round, summed over all nodes and rounds.
#[derive(Default, Clone, Debug)]
struct Counts {
    transactions: u64,
    /// Transactions sent within the rounds' periods (before the round
    /// after the last would start): a running node's cost per round. The
    /// rest are the last claims after the task stops.
    transactions_running: u64,
    /// Compute units the node's transactions used.
    compute_units: u64,
    failed: u64,
    bytes_sent: u64,
    rent_locked: u64,
    rent_returned: u64,
    earned: u64,
    /// Claims made (each is read back: its receipt).
    claims: u64,
    reads: u64,
    bytes_read: u64,
    /// Websocket messages: sent (subscriptions), received (their answers
    /// and notifications), and the bytes received.
    ws_sent: u64,
    ws_received: u64,
    ws_bytes: u64,
    audits: u64,
}

struct SizeResult {
    nodes: usize,
    /// Percent of the nodes offline after submitting.
    offline_pct: u32,
    /// Auditors per revealed submission, over every round: (min, mean).
    coverage: (u32, f64),
    rounds: u64,
    round_slots: u64,
    total: Counts,
    /// The busiest node's transactions in one round (the opener/cranker).
    max_transactions: u64,
    /// The round's opener's (node 0, every round's first submitter)
    /// transactions within the rounds' periods.
    opener_running: u64,
    settle: Vec<Duration>,
    close: Vec<Duration>,
    setup: Duration,
    account_sizes: BTreeMap<&'static str, usize>,
}

impl SizeResult {
    fn per_node_round(&self, value: u64) -> f64 {
        value as f64 / (self.nodes as f64 * self.rounds as f64)
    }

    fn node_rounds(&self) -> u64 {
        self.nodes as u64 * self.rounds
    }

    /// HTTP requests: the reads the follower could not answer, the send
    /// path of every transaction, a claim's receipt (getTransaction), and
    /// one refresh of the followed accounts a round (every 10 s; a round
    /// here is 20 slots, 8 s at 400 ms).
    fn http_requests(&self) -> u64 {
        let t = &self.total;
        t.reads + t.transactions * SEND_HTTP_CALLS + t.claims + self.node_rounds()
    }

    /// Websocket messages received: answers, account notifications, the
    /// send path's, and one slot notification per slot.
    fn ws_received(&self) -> u64 {
        let t = &self.total;
        t.ws_received + t.transactions * SEND_WS_RECEIVED + self.node_rounds() * self.round_slots
    }

    fn ws_sent(&self) -> u64 {
        self.total.ws_sent + self.total.transactions * SEND_WS_SENT
    }

    /// Bytes received: account data read and notified, slot notifications.
    fn bytes_received(&self) -> u64 {
        let t = &self.total;
        t.bytes_read + t.ws_bytes + self.node_rounds() * self.round_slots * SLOT_NOTIFICATION_BYTES
    }

    fn print(&self) {
        let t = &self.total;
        println!(
            "\n== {} nodes, {} round(s), {}% offline (setup {:.1?})",
            self.nodes, self.rounds, self.offline_pct, self.setup
        );
        println!(
            "auditors per revealed submission: min {}, mean {:.2} (k = {DEFAULT_AUDITS_PER_ROUND})",
            self.coverage.0, self.coverage.1
        );
        println!("per node per round:");
        println!(
            "  transactions           {:>10.2}  (busiest node {}; failed in all {})",
            self.per_node_round(t.transactions),
            self.max_transactions,
            t.failed
        );
        println!(
            "  … while running        {:>10.2}  (sent in the rounds' periods; the rest are the last claims after the task stops)",
            self.per_node_round(t.transactions_running),
        );
        println!(
            "  … the opener's         {:>10.2}  (node 0: it opens every round, and closes it)",
            self.opener_running as f64 / self.rounds as f64,
        );
        println!(
            "  base fee (lamports)    {:>10.0}  (one signature a transaction)",
            self.per_node_round(t.transactions * LAMPORTS_PER_SIGNATURE)
        );
        println!(
            "  compute units          {:>10.0}",
            self.per_node_round(t.compute_units)
        );
        println!(
            "  bytes sent             {:>10.0}",
            self.per_node_round(t.bytes_sent)
        );
        println!(
            "  rent locked (lamports) {:>10.0}",
            self.per_node_round(t.rent_locked)
        );
        println!(
            "  rent returned          {:>10.0}",
            self.per_node_round(t.rent_returned)
        );
        println!(
            "  reward earned          {:>10.0}",
            self.per_node_round(t.earned)
        );
        println!(
            "  RPC reads (not followed) {:>8.2}",
            self.per_node_round(t.reads)
        );
        println!(
            "  HTTP requests          {:>10.2}  (reads, sends, receipts, refresh)",
            self.per_node_round(self.http_requests())
        );
        println!(
            "  websocket sent / recv  {:>10.2} / {:.2}",
            self.per_node_round(self.ws_sent()),
            self.per_node_round(self.ws_received())
        );
        println!(
            "  bytes received         {:>10.0}",
            self.per_node_round(self.bytes_received())
        );
        println!(
            "  account bytes read     {:>10.0}",
            self.per_node_round(t.bytes_read)
        );
        println!(
            "  audits run             {:>10.2}",
            self.per_node_round(t.audits)
        );
        for (round, (settle, close)) in self.settle.iter().zip(&self.close).enumerate() {
            println!("round {round}: settled (every claim paid) in {settle:.2?}, closed in {close:.2?} of wall time");
        }
        let sizes: Vec<String> = self
            .account_sizes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!("account sizes (bytes): {}", sizes.join(", "));
    }
}

/// The bank behind a lock (the fixture's harness), and where each
/// account the nodes look up by filter lives, as an indexed RPC node
/// would keep it (`--account-index program-id`): the lookup's own cost is
/// not what is measured, its calls and the bytes returned are.
struct Bank {
    task: Pubkey,
    fixture: Mutex<Fixture>,
    /// The slot the nodes are ticking at, and the first slot after the
    /// last round's period (when the task stops starting rounds).
    slot: AtomicU64,
    stop_slot: u64,
    submissions: std::sync::Mutex<HashMap<(u64, u32), Pubkey>>,
    others: std::sync::Mutex<Vec<Pubkey>>,
}

/// One node's reads, counted as the event-driven node makes them
/// (`tasknet_node::follow`): an account it follows is answered from memory
/// — the notifications that kept it current are counted as websocket
/// messages received when its data changed since the last look — and the
/// first read of an account is one call plus its subscription.
struct Reader<'a> {
    bank: &'a Bank,
    calls: AtomicU64,
    bytes: AtomicU64,
    /// Followed accounts and their data as last seen.
    followed: std::sync::Mutex<HashMap<Pubkey, Option<Vec<u8>>>>,
    ws_sent: AtomicU64,
    ws_received: AtomicU64,
    ws_bytes: AtomicU64,
}

impl Reader<'_> {
    fn count(&self, bytes: usize) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

impl AccountSource for Reader<'_> {
    /// The slot subscription's (its notifications are counted per slot).
    async fn slot(&self) -> Result<u64, ChainError> {
        Ok(self.bank.fixture.lock().await.h.current_slot().await)
    }

    async fn accounts(&self, addresses: &[Pubkey]) -> Result<Vec<Option<Vec<u8>>>, ChainError> {
        let mut fixture = self.bank.fixture.lock().await;
        let mut found = Vec::with_capacity(addresses.len());
        for address in addresses {
            found.push(fixture.h.raw_account(address).await.map(|(_, data)| data));
        }
        drop(fixture);
        let mut missed = Vec::new();
        let mut followed = self.followed.lock().unwrap();
        for (address, data) in addresses.iter().zip(&found) {
            let data = data.clone();
            match followed.get_mut(address) {
                Some(seen) if *seen != data => {
                    // The notification that brought the change.
                    self.ws_received.fetch_add(1, Ordering::Relaxed);
                    let len = data.as_ref().map_or(0, Vec::len);
                    self.ws_bytes
                        .fetch_add(NOTIFICATION_BYTES + len as u64 * 4 / 3, Ordering::Relaxed);
                    seen.clone_from(&data);
                }
                Some(_) => {}
                None if !missed.contains(address) => {
                    missed.push(*address);
                    followed.insert(*address, data.clone());
                }
                None => {}
            }
        }
        drop(followed);
        if missed.is_empty() {
            return Ok(found);
        }
        // Subscribe (and, once idle, unsubscribe) each; then
        // getMultipleAccounts: one call per 100 addresses.
        self.ws_sent
            .fetch_add(2 * missed.len() as u64, Ordering::Relaxed);
        self.ws_received
            .fetch_add(2 * missed.len() as u64, Ordering::Relaxed);
        let bytes = addresses
            .iter()
            .zip(&found)
            .filter(|(a, _)| missed.contains(a))
            .filter_map(|(_, d)| d.as_ref())
            .map(Vec::len)
            .sum();
        for _ in 1..missed.len().div_ceil(100) {
            self.count(0);
        }
        self.count(bytes);
        Ok(found)
    }

    async fn program_accounts(
        &self,
        filters: &[Memcmp],
        data_size: usize,
    ) -> Result<Vec<(Pubkey, Vec<u8>)>, ChainError> {
        let round_of = |f: &Memcmp| {
            (f.0 == Submission::ROUND_OFFSET)
                .then(|| u64::from_le_bytes(f.1[..8].try_into().unwrap()))
        };
        let index_of = |f: &Memcmp| {
            (f.0 == Submission::INDEX_OFFSET)
                .then(|| u32::from_le_bytes(f.1[..4].try_into().unwrap()))
        };
        let candidates: Vec<Pubkey> = if data_size == 8 + Submission::INIT_SPACE {
            let submissions = self.bank.submissions.lock().unwrap();
            let round = filters.iter().find_map(round_of);
            match (round, filters.iter().find_map(index_of)) {
                (Some(round), Some(index)) => submissions
                    .get(&(round, index))
                    .copied()
                    .into_iter()
                    .collect(),
                _ => submissions.values().copied().collect(),
            }
        } else {
            self.bank.others.lock().unwrap().clone()
        };
        let mut fixture = self.bank.fixture.lock().await;
        let mut found = Vec::new();
        for key in candidates {
            let Some((_, data)) = fixture.h.raw_account(&key).await else {
                continue;
            };
            let matches = data.len() == data_size
                && filters
                    .iter()
                    .all(|(offset, bytes)| data.get(*offset..offset + bytes.len()) == Some(bytes));
            if matches {
                found.push((key, data));
            }
        }
        self.count(found.iter().map(|(_, d)| d.len() + 32).sum());
        Ok(found)
    }
}

/// What one simulated node keeps: its key, its values and verdicts (the
/// store's part of a snapshot), what its scans located, and its counts.
struct NodeSim {
    keypair: Keypair,
    own: HashMap<u64, OwnSubmission>,
    memory: Memories,
    /// Submitters audited, per round.
    audited: HashMap<u64, HashSet<Pubkey>>,
    counts: Counts,
    per_round_tx: HashMap<u64, u64>,
    /// Goes offline after submitting: never reveals, audits or claims.
    offline: bool,
    /// The accounts it follows, as last seen (see [`Reader`]).
    followed: HashMap<Pubkey, Option<Vec<u8>>>,
}

async fn run(nodes: usize, rounds: u64) -> SizeResult {
    run_with_offline(nodes, rounds, 0).await
}

async fn run_with_offline(nodes: usize, rounds: u64, offline_pct: u32) -> SizeResult {
    let started = Instant::now();
    let stake = tasknet_tests::MIN_STAKE;
    let fixture = fixture(nodes, stake).await;
    let schedule = fixture.schedule;
    let task_key = fixture.task;
    let sims: Vec<NodeSim> = fixture
        .nodes
        .iter()
        .enumerate()
        .map(|(i, k)| NodeSim {
            // The last `offline_pct` of every ten (the round's opener, node
            // 0, stays online).
            offline: (i % 10) as u32 >= 10 - offline_pct / 10,
            keypair: k.insecure_clone(),
            own: HashMap::new(),
            memory: HashMap::new(),
            audited: HashMap::new(),
            counts: Counts::default(),
            per_round_tx: HashMap::new(),
            followed: HashMap::new(),
        })
        .collect();
    let bank = Bank {
        task: task_key,
        fixture: Mutex::new(fixture),
        slot: AtomicU64::new(0),
        stop_slot: schedule.round_start(rounds),
        submissions: Default::default(),
        others: Default::default(),
    };
    let setup = started.elapsed();
    let mut sims = sims;
    let mut settle = vec![Duration::ZERO; rounds as usize];
    let mut close = vec![Duration::ZERO; rounds as usize];
    let mut round_started: HashMap<u64, Instant> = HashMap::new();
    for slot in event_slots(&schedule, rounds) {
        bank.fixture.lock().await.warp_to(slot).await;
        bank.slot.store(slot, Ordering::Relaxed);
        for round in 0..rounds {
            if slot == schedule.round_start(round) {
                round_started.insert(round, Instant::now());
            }
        }
        // Every node ticks; passes repeat while anyone acted (a crank that
        // waited for others' closes, a second step of the same phase).
        for _pass in 0..4 {
            let mut acted = false;
            for sim in sims.iter_mut() {
                acted |= tick(&bank, &task_key, rounds, sim).await;
            }
            if !acted {
                break;
            }
        }
        for round in 0..rounds {
            let Some(begun) = round_started.get(&round) else {
                continue;
            };
            let round_key = pda::round(&task_key, round);
            let account: Option<Round> = bank.fixture.lock().await.h.account(&round_key).await;
            let all_claimed = account
                .as_ref()
                .is_some_and(|r| r.claimed_count as u64 == r.valid_count());
            if all_claimed && settle[round as usize].is_zero() {
                settle[round as usize] = begun.elapsed();
            }
            if account.is_none()
                && !settle[round as usize].is_zero()
                && close[round as usize].is_zero()
            {
                close[round as usize] = begun.elapsed();
            }
        }
    }
    let mut total = Counts::default();
    let mut max_transactions = 0;
    for sim in &sims {
        let c = &sim.counts;
        total.transactions += c.transactions;
        total.transactions_running += c.transactions_running;
        total.compute_units += c.compute_units;
        total.failed += c.failed;
        total.bytes_sent += c.bytes_sent;
        total.rent_locked += c.rent_locked;
        total.rent_returned += c.rent_returned;
        total.earned += c.earned;
        total.claims += c.claims;
        total.reads += c.reads;
        total.bytes_read += c.bytes_read;
        total.ws_sent += c.ws_sent;
        total.ws_received += c.ws_received;
        total.ws_bytes += c.ws_bytes;
        total.audits += c.audits;
        max_transactions =
            max_transactions.max(sim.per_round_tx.values().copied().max().unwrap_or(0));
    }
    let account_sizes = account_sizes(&bank, &task_key, &sims).await;
    let coverage = coverage(&sims, rounds);
    SizeResult {
        nodes,
        offline_pct,
        coverage,
        rounds,
        round_slots: schedule.round_slots,
        total,
        max_transactions,
        opener_running: sims.first().map_or(0, |s| s.counts.transactions_running),
        settle,
        close,
        setup,
        account_sizes,
    }
}

/// How many nodes audited each revealed submission (the online nodes'),
/// over every round: (min, mean).
fn coverage(sims: &[NodeSim], rounds: u64) -> (u32, f64) {
    let mut counts = Vec::new();
    for round in 0..rounds {
        for target in sims.iter().filter(|s| !s.offline) {
            let key = target.keypair.pubkey();
            let auditors = sims
                .iter()
                .filter(|s| s.audited.get(&round).is_some_and(|a| a.contains(&key)))
                .count();
            counts.push(auditors as u32);
        }
    }
    let min = counts.iter().copied().min().unwrap_or(0);
    let mean = counts.iter().map(|&c| f64::from(c)).sum::<f64>() / counts.len().max(1) as f64;
    (min, mean)
}

fn coverage_summary(results: &[SizeResult]) {
    println!("\n== coverage under offline nodes (auditors per revealed submission)");
    println!(
        "{:>7} {:>8} {:>5} {:>7} {:>9} {:>9} {:>12}",
        "nodes", "offline", "min", "mean", "audits", "RPC calls", "bytes read"
    );
    for r in results {
        println!(
            "{:>7} {:>7}% {:>5} {:>7.2} {:>9.2} {:>9.2} {:>12.0}",
            r.nodes,
            r.offline_pct,
            r.coverage.0,
            r.coverage.1,
            r.per_node_round(r.total.audits),
            r.per_node_round(r.total.reads),
            r.per_node_round(r.total.bytes_read),
        );
    }
}

/// The tests' commit–reveal task with `nodes` staked nodes. Compute-unit
/// ceilings are off: they are measured with the tests' fixed keys, and an
/// `init`'s cost depends on its PDA's bump search, so other keys cost a
/// few hundred units more or less.
async fn fixture(nodes: usize, stake: u64) -> Fixture {
    let mut h = Harness::new(Backend::Sbf).await;
    h.check_ceilings = false;
    Fixture::on(h, true, nodes, 100 * LAMPORTS_PER_SOL, stake).await
}

/// The slots where something changes for some round: every window's edge,
/// the claim deadline and the cranks' graces after it.
fn event_slots(schedule: &Schedule, rounds: u64) -> Vec<u64> {
    let grace = schedule.crank_grace();
    let mut slots: Vec<u64> = (0..rounds)
        .flat_map(|r| {
            [
                schedule.round_start(r),
                schedule.submit_end(r),
                // Where the reveals go, once the seed slot's block exists.
                schedule.submit_end(r) + 1,
                schedule.reveal_end(r),
                schedule.audit_end(r),
                // Where a claim that found no transaction to ride in goes alone.
                schedule.claim_deadline(r) - grace,
                schedule.claim_deadline(r),
                schedule.claim_deadline(r) + grace,
                schedule.claim_deadline(r) + 2 * grace,
            ]
        })
        .collect();
    slots.sort_unstable();
    slots.dedup();
    slots
}

/// One simulated node's tick, through the node's own round driver: the
/// task and its stake in one read, then for each live round (newest first)
/// a snapshot, `decide` and the actions, performed by [`SimHost`]. True if
/// it sent a transaction.
async fn tick(bank: &Bank, task_key: &Pubkey, rounds: u64, sim: &mut NodeSim) -> bool {
    let me = sim.keypair.pubkey();
    let mut memories = std::mem::take(&mut sim.memory);
    let host = SimHost {
        bank,
        reader: Reader {
            bank,
            calls: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            followed: std::sync::Mutex::new(std::mem::take(&mut sim.followed)),
            ws_sent: AtomicU64::new(0),
            ws_received: AtomicU64::new(0),
            ws_bytes: AtomicU64::new(0),
        },
        task_key: *task_key,
        rounds,
        sim: std::sync::Mutex::new(sim),
        acted: AtomicBool::new(false),
    };
    let view = TaskView::read(&host.reader, me, *task_key, DEFAULT_AUDITS_PER_ROUND)
        .await
        .unwrap();
    drive_task(&host, &Honest, &view, &mut memories)
        .await
        .unwrap();
    let acted = host.acted.load(Ordering::Relaxed);
    let (calls, bytes) = (
        host.reader.calls.load(Ordering::Relaxed),
        host.reader.bytes.load(Ordering::Relaxed),
    );
    let reader = host.reader;
    let sim = host.sim.into_inner().unwrap();
    sim.memory = memories;
    sim.counts.reads += calls;
    sim.counts.bytes_read += bytes;
    sim.counts.ws_sent += reader.ws_sent.load(Ordering::Relaxed);
    sim.counts.ws_received += reader.ws_received.load(Ordering::Relaxed);
    sim.counts.ws_bytes += reader.ws_bytes.load(Ordering::Relaxed);
    sim.followed = reader.followed.into_inner().unwrap();
    acted
}

/// A simulated node as the round driver's host: reads counted through its
/// [`Reader`], the task code's work in memory, transactions into the bank.
struct SimHost<'a> {
    bank: &'a Bank,
    reader: Reader<'a>,
    task_key: Pubkey,
    /// Rounds played: later ones count as done.
    rounds: u64,
    sim: std::sync::Mutex<&'a mut NodeSim>,
    acted: AtomicBool,
}

impl<'a> SimHost<'a> {
    fn sim(&self) -> std::sync::MutexGuard<'_, &'a mut NodeSim> {
        self.sim.lock().unwrap()
    }
}

impl<'a> RoundHost for SimHost<'a> {
    type Source = Reader<'a>;

    fn source(&self) -> &Reader<'a> {
        &self.reader
    }

    fn round_done(&self, round: u64) -> Result<bool, NodeError> {
        Ok(round >= self.rounds)
    }

    fn records(&self, round: u64, _verdicts: bool) -> Result<Records, NodeError> {
        let sim = self.sim();
        Ok(Records {
            own: sim.own.get(&round).cloned(),
            verdicts: sim.verdicts(round),
            verifier_broken: false,
        })
    }

    async fn perform(&self, s: &RoundSnapshot<'_>, action: Action) -> Result<bool, NodeError> {
        let (task_key, round) = (&self.task_key, s.round);
        match action {
            Action::Execute => {
                let value = plain_value_hash(format!("payload {task_key} {round}").as_bytes());
                let mut sim = self.sim();
                let salt = salt_for(&sim.keypair.pubkey(), round);
                let own = OwnSubmission {
                    value: value.to_vec(),
                    salt,
                };
                sim.own.insert(round, own);
                Ok(true)
            }
            Action::Audit { node } => {
                let mut sim = self.sim();
                if sim.offline {
                    return Ok(false);
                }
                sim.counts.audits += 1;
                sim.audited.entry(round).or_default().insert(node);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn send(&self, _view: &TaskView, actions: Vec<(u64, Action)>) -> Result<(), NodeError> {
        // Gone after submitting.
        let offline = self.sim().offline;
        let actions: Vec<(u64, Action)> = actions
            .into_iter()
            .filter(|(_, a)| !offline || matches!(a, Action::Submit { .. }))
            .collect();
        if actions.is_empty() {
            return Ok(());
        }
        self.acted.store(true, Ordering::Relaxed);
        let keypair = self.sim().keypair.insecure_clone();
        for sent in send(self.bank, &self.task_key, &keypair, actions).await {
            self.sim().book(self.bank, &sent);
        }
        Ok(())
    }
}

impl NodeSim {
    /// The store's verdicts: honest peers, so every audited payload passed.
    fn verdicts(&self, round: u64) -> HashMap<Pubkey, bool> {
        self.audited
            .get(&round)
            .map(|set| set.iter().map(|k| (*k, true)).collect())
            .unwrap_or_default()
    }

    /// Books one sent transaction: its count and size, and its effect on
    /// the node's balance; locates what it created for later lookups.
    /// A failed attempt is counted as a failure only (the node's
    /// simulation finds it before signing).
    fn book(&mut self, bank: &Bank, sent: &SentTx) {
        let Some(delta) = sent.balance_change else {
            self.counts.failed += 1;
            return;
        };
        self.counts.transactions += 1;
        if bank.slot.load(Ordering::Relaxed) < bank.stop_slot {
            self.counts.transactions_running += 1;
        }
        self.counts.compute_units += sent.compute_units;
        for round in sent.actions.iter().map(|(r, _)| *r).collect::<HashSet<_>>() {
            *self.per_round_tx.entry(round).or_default() += 1;
        }
        self.counts.bytes_sent += sent.size as u64;
        let mut earned = 0;
        for (round, action) in &sent.actions {
            match action {
                Action::Claim { share } => {
                    earned += share;
                    self.counts.claims += 1;
                }
                Action::Challenge { node, .. } | Action::Vote { node, .. } => {
                    let me = self.keypair.pubkey();
                    let audit = pda::audit(&pda::submission(&bank.task, *round, node));
                    let mut others = bank.others.lock().unwrap();
                    others.push(audit);
                    others.push(pda::vote(&audit, &me));
                }
                _ => {}
            }
        }
        if let Some((round, index, key)) = sent.created {
            bank.submissions.lock().unwrap().insert((round, index), key);
        }
        // The claim pays the share and, closing the submission, its rent;
        // what else moved is rent locked or returned.
        self.counts.earned += earned;
        let rent = delta - earned as i128;
        if rent < 0 {
            self.counts.rent_locked += (-rent) as u64;
        } else {
            self.counts.rent_returned += rent as u64;
        }
    }
}

/// One transaction as the bank took it.
struct SentTx {
    /// The actions it carried, each of its round.
    actions: Vec<(u64, Action)>,
    size: usize,
    compute_units: u64,
    /// The sender's balance change; `None` if the transaction failed.
    balance_change: Option<i128>,
    /// A submission it created: its round, index in the round and address.
    created: Option<(u64, u32, Pubkey)>,
}

/// Sends a tick's actions as the node does: grouped into transactions that
/// fit the packet (`tasknet_node::outbox::bundle`), its own fee payer and
/// a compute-unit limit; a part the program refuses is taken out and the
/// rest sent again (the node learns it from simulation, which costs no
/// fee; here the failed attempt is not counted either).
async fn send(
    bank: &Bank,
    task_key: &Pubkey,
    keypair: &Keypair,
    actions: Vec<(u64, Action)>,
) -> Vec<SentTx> {
    let me = keypair.pubkey();
    let parts: Vec<Part<'_>> = actions
        .iter()
        .map(|(round, action)| Part::of(action, &me, task_key, *round, Default::default()))
        .map(|part| part.expect("an on-chain action"))
        .collect();
    let budget = [
        solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(200_000),
    ];
    let mut sent = Vec::new();
    for run in bundle(&parts, &me, &budget) {
        let mut group: Vec<usize> = run.collect();
        while !group.is_empty() {
            let carried: Vec<(u64, Action)> = group.iter().map(|&i| actions[i].clone()).collect();
            let (tx, failed_part) =
                send_one(bank, task_key, keypair, &parts, &group, carried).await;
            sent.push(tx);
            match failed_part {
                Some(i) => group.remove(i),
                None => break,
            };
        }
    }
    sent
}

/// One transaction of the parts at `group`; on failure, also which of
/// them the program refused.
async fn send_one(
    bank: &Bank,
    task_key: &Pubkey,
    keypair: &Keypair,
    parts: &[Part<'_>],
    group: &[usize],
    carried: Vec<(u64, Action)>,
) -> (SentTx, Option<usize>) {
    let me = keypair.pubkey();
    let mut instructions = vec![
        solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(200_000),
    ];
    let mut ends = Vec::new();
    for &i in group {
        instructions.extend(parts[i].instructions.iter().cloned());
        ends.push(instructions.len());
    }
    let message = solana_transaction::Transaction::new_with_payer(&instructions, Some(&me));
    let size = bincode::serialize(&message).unwrap().len();
    let mut fixture = bank.fixture.lock().await;
    let before = fixture.h.balance(&me).await;
    // Cranks need no signature of ours: the harness pays their fee.
    let signs = instructions
        .iter()
        .flat_map(|ix| &ix.accounts)
        .any(|a| a.is_signer && a.pubkey == me);
    let signers: &[&Keypair] = if signs { &[keypair] } else { &[] };
    let result = fixture.h.send(&instructions[1..], signers).await;
    let after = fixture.h.balance(&me).await;
    let failed_part = match &result.result {
        Ok(()) => None,
        // The harness's own budget instruction comes first, as ours does.
        Err(solana_transaction_error::TransactionError::InstructionError(index, _)) => Some(
            ends.iter()
                .position(|&end| usize::from(*index) < end)
                .unwrap_or(0),
        ),
        Err(_) => Some(0),
    };
    let mut created = None;
    let submitted = carried
        .iter()
        .find(|(_, a)| matches!(a, Action::Submit { .. }));
    if let (None, Some((round, _))) = (failed_part, submitted) {
        let key = pda::submission(task_key, *round, &me);
        let submission: Submission = fixture.h.account(&key).await.unwrap();
        created = Some((*round, submission.index, key));
    }
    let tx = SentTx {
        actions: carried,
        size,
        compute_units: result.compute_units,
        balance_change: result
            .result
            .is_ok()
            .then(|| after as i128 - before as i128),
        created,
    };
    (tx, failed_part)
}

/// The data size of every kind of account the run touched.
async fn account_sizes(
    bank: &Bank,
    task_key: &Pubkey,
    sims: &[NodeSim],
) -> BTreeMap<&'static str, usize> {
    let mut fixture = bank.fixture.lock().await;
    let mut sizes = BTreeMap::new();
    let me = sims[0].keypair.pubkey();
    for (name, key) in [
        ("Task", *task_key),
        ("vault", pda::vault(task_key)),
        ("Stake", pda::stake(task_key, &me)),
    ] {
        if let Some((_, data)) = fixture.h.raw_account(&key).await {
            sizes.insert(name, data.len());
        }
    }
    // Per-round accounts are closed by now: their sizes are fixed by type.
    sizes.insert("Round", 8 + Round::INIT_SPACE);
    sizes.insert("Submission", 8 + Submission::INIT_SPACE);
    sizes.insert("Audit", 8 + Audit::INIT_SPACE);
    sizes.insert("Vote", 8 + Vote::INIT_SPACE);
    sizes
}

// ---- the figures side by side ----

fn summary(results: &[SizeResult]) {
    println!("\n== summary (per node per round)");
    println!(
        "{:>7} {:>6} {:>8} {:>9} {:>8} {:>9} {:>11} {:>9} {:>7} {:>7} {:>12} {:>7} {:>12} {:>12}",
        "nodes",
        "sigs",
        "running",
        "fee",
        "CU",
        "tx-bytes",
        "rent-locked",
        "HTTP",
        "ws-sent",
        "ws-recv",
        "bytes-recv",
        "audits",
        "settle",
        "close"
    );
    for r in results {
        let t = &r.total;
        let mean = |d: &[Duration]| d.iter().sum::<Duration>() / d.len().max(1) as u32;
        println!(
            "{:>7} {:>6.2} {:>8.2} {:>9.0} {:>8.0} {:>9.0} {:>11.0} {:>9.2} {:>7.2} {:>7.2} {:>12.0} {:>7.2} {:>12.2?} {:>12.2?}",
            r.nodes,
            r.per_node_round(t.transactions),
            r.per_node_round(t.transactions_running),
            r.per_node_round(t.transactions * LAMPORTS_PER_SIGNATURE),
            r.per_node_round(t.compute_units),
            r.per_node_round(t.bytes_sent),
            r.per_node_round(t.rent_locked),
            r.per_node_round(r.http_requests()),
            r.per_node_round(r.ws_sent()),
            r.per_node_round(r.ws_received()),
            r.per_node_round(r.bytes_received()),
            r.per_node_round(t.audits),
            mean(&r.settle),
            mean(&r.close),
        );
    }
    if let (Some(small), Some(large)) = (
        results.iter().find(|r| r.nodes == 100),
        results.iter().max_by_key(|r| r.nodes),
    ) {
        let ratio = |f: fn(&Counts) -> u64| {
            large.per_node_round(f(&large.total))
                / small.per_node_round(f(&small.total)).max(f64::MIN_POSITIVE)
        };
        println!(
            "from 100 to {} nodes: bytes read per node x{:.2}, audits per node x{:.2} (target: within 1.5x)",
            large.nodes,
            ratio(|c| c.bytes_read),
            ratio(|c| c.audits)
        );
    }
}

/// The reference design: one task account of about 5 KB plus 64 B per
/// submission and 40 B per staker, which every instruction reads whole
/// (and a node reads whole to follow the task), at the same node counts
/// and transaction counts as measured above.
fn reference_model(results: &[SizeResult]) {
    println!("\n== reference single-account design (model)");
    println!(
        "{:>7} {:>14} {:>22} {:>22}",
        "nodes", "account bytes", "read per instruction", "node reads per round"
    );
    for r in results {
        let n = r.nodes as u64;
        let account = 5 * 1024 + 64 * n + 40 * n;
        let reads_per_round = r.per_node_round(r.total.reads);
        println!(
            "{:>7} {:>14} {:>22} {:>22.0}",
            r.nodes,
            account,
            account,
            reads_per_round * account as f64
        );
    }
}
