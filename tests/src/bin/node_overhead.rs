//! The node's own overhead (issue 11): one node process (this binary
//! re-run as `--as-node`: the `tasknet-node` runtime `tasknet node run`
//! drives, honest policy, built-in example task) follows a task with N
//! submitters on an embedded chain over real RPC and websocket, while this
//! process plays the other N − 1 submitters (commit, reveal, claim) and
//! serves their payloads. Prints, per round, the node process's CPU time
//! and resident memory (from /proc), the audits it ran, and what its round
//! cost: the RPC requests it made, counted by a proxy between it and the
//! chain (JSON-RPC calls over HTTP, websocket messages each way, bytes
//! received), its signatures and base fees, and the compute units its
//! transactions used (from their metadata).
//!
//! ```sh
//! cargo run --profile perf -p tasknet-tests --bin node_overhead            # 1,000 submitters, 3 rounds
//! cargo run --profile perf -p tasknet-tests --bin node_overhead -- 200 2   # submitters, rounds
//! ```

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use futures::stream::{self, StreamExt};
use rand::RngCore;
use sha2::{Digest, Sha256};
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::instructions::SubmissionPayload;
use tasknet::logic::{commitment, Schedule, DEFAULT_AUDITS_PER_ROUND};
use tasknet_localnet::{Localnet, LocalnetConfig};
use tasknet_node::code::{IteratedHash, RoundInput, TaskCode};
use tasknet_node::store::Store;
use tasknet_node::{Node, NodeConfig, TaskSpec};
use tasknet_sdk as sdk;
use tasknet_sdk::chain::{ChainClient, SendConfig};
use tasknet_sdk::keys::{read_keypair, write_keypair};
use tasknet_testkit::proxy::{CountingProxy, Counts};
use tasknet_testkit::{task_args, SOL};

const SLOT: Duration = Duration::from_millis(100);
/// 30-second rounds.
const ROUND_SLOTS: u64 = 300;
/// Transactions the submitters have in flight at once.
const PARALLEL: usize = 48;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--as-node") {
        return as_node(&args[1..]).await;
    }
    let submitters: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let rounds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    measure(submitters.max(2), rounds.max(1)).await;
}

/// The node process: the runtime `tasknet node run` drives, until SIGTERM.
async fn as_node(args: &[String]) {
    let [url, keypair, task, db, serve] = args else {
        panic!("--as-node URL KEYPAIR TASK DB SERVE_ADDR");
    };
    let keypair = read_keypair(Path::new(keypair)).expect("node keypair");
    let config = NodeConfig {
        rpc_url: url.clone(),
        db_path: db.into(),
        poll_interval: Duration::from_millis(200),
        send: SendConfig::default(),
        audits_per_round: DEFAULT_AUDITS_PER_ROUND,
        follow: Default::default(),
    };
    let node = Node::new(keypair, config).expect("node starts");
    node.serve_payloads(serve.parse().expect("serve address"))
        .await
        .expect("payload server");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        term.recv().await;
        let _ = stop.send(true);
    });
    let spec = TaskSpec::new(task.parse().expect("task"), Arc::new(IteratedHash));
    node.run(vec![spec], stopped).await.expect("node runs");
}

/// CPU seconds and resident memory of a process, from /proc.
#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    cpu: Duration,
    rss_kib: u64,
    peak_kib: u64,
}

fn usage(pid: u32) -> Usage {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis: utime, stime are 14, 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let cpu_ms = (ticks(11) + ticks(12)) * 1_000 / hz;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Usage {
        cpu: Duration::from_millis(cpu_ms),
        rss_kib: kib("VmRSS:"),
        peak_kib: kib("VmHWM:"),
    }
}

struct Peer {
    keypair: Keypair,
    salt: [u8; 32],
}

async fn measure(submitters: usize, rounds: u64) {
    let dir = tempfile::tempdir().expect("scratch dir");
    let net = Localnet::start(LocalnetConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        slot_duration: SLOT,
    })
    .await
    .expect("embedded chain");
    let chain = ChainClient::new(&net.url, SendConfig::fast_polling());
    let started = Instant::now();

    // The peers' payloads, served from one store on one address.
    let peer_store = Arc::new(Store::open(&dir.path().join("peers.db")).unwrap());
    let peer_addr =
        tasknet_node::payloads::serve(peer_store.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();

    let creator = Keypair::new();
    chain.airdrop(&creator.pubkey(), 1_000 * SOL).await.unwrap();
    // Time to stake everyone before round 0 (about 10 ms a submitter here).
    let start_slot = chain.slot().await.unwrap() + 50 + submitters as u64 / 4;
    let schedule = Schedule {
        start_slot,
        round_slots: ROUND_SLOTS,
        submit_slots: 90,
        reveal_slots: 90,
        audit_slots: 60,
        claim_rounds: 1,
    };
    let args = task_args(1, IteratedHash.code_hash(), schedule);
    let task = chain.create_task(&creator, args, 100 * SOL).await.unwrap();
    for round in 0..rounds {
        let payload = IteratedHash
            .execute(&RoundInput::new(task, round, Pubkey::default()))
            .unwrap();
        peer_store
            .save_payload(&Sha256::digest(&payload).into(), &payload)
            .unwrap();
    }

    let peers: Vec<Peer> = (1..submitters)
        .map(|_| {
            let mut salt = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut salt);
            Peer {
                keypair: Keypair::new(),
                salt,
            }
        })
        .collect();
    let endpoint = format!("http://{peer_addr}");
    run_all(&peers, |peer| {
        let (chain, endpoint) = (&chain, endpoint.clone());
        async move {
            chain.airdrop(&peer.keypair.pubkey(), 2 * SOL).await?;
            let ix = sdk::stake(&peer.keypair.pubkey(), &task, SOL, Some(endpoint));
            chain.send(&[ix], &peer.keypair, &[]).await.map(|_| ())
        }
    })
    .await;

    // The measured node, with its own payload server.
    let node = Keypair::new();
    let serve: SocketAddr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    chain.airdrop(&node.pubkey(), 2 * SOL).await.unwrap();
    let ix = sdk::stake(&node.pubkey(), &task, SOL, Some(format!("http://{serve}")));
    chain.send(&[ix], &node, &[]).await.unwrap();
    let keypair_path = dir.path().join("node.json");
    write_keypair(&node, &keypair_path).unwrap();
    let db = dir.path().join("node.db");
    // The node reaches the chain only through the counting proxy.
    let upstream: SocketAddr = net.url.trim_start_matches("http://").parse().unwrap();
    let proxy = CountingProxy::start(upstream)
        .await
        .expect("counting proxy");
    let mut child = spawn_node(&proxy.url(), &keypair_path, &task, &db, serve, dir.path());
    let setup = started.elapsed();
    let now = chain.slot().await.unwrap();
    assert!(
        now < start_slot,
        "setup took until slot {now}, past round 0's start {start_slot}: fewer submitters or a longer lead"
    );

    println!(
        "node overhead: one node process following a task with {submitters} submitters \
         ({} audits per round, {} ms slots; set-up {setup:.1?})",
        DEFAULT_AUDITS_PER_ROUND,
        SLOT.as_millis()
    );
    println!(
        "{:>6} {:>14} {:>12} {:>12} {:>10} {:>10}",
        "round", "CPU (node)", "RSS MiB", "peak MiB", "audits", "earned"
    );
    let mut last = usage(child.id());
    let mut rpc_rows = Vec::new();
    let mut counted = proxy.counts();
    for round in 0..rounds {
        play_round(&chain, &task, &schedule, round, &peers).await;
        // The round's end for the node: its claim is in (it settles in the
        // same window as the peers'), and the next round starts.
        wait_for_slot(
            &chain,
            schedule
                .round_start(round + 1)
                .max(schedule.audit_end(round) + 20),
        )
        .await;
        let now = usage(child.id());
        let store = Store::open(&db).unwrap();
        let audits = store.audit_verdicts(&task, round).unwrap().len();
        let earned: u64 = store
            .earnings(&task)
            .unwrap()
            .iter()
            .filter(|(r, _)| *r == round)
            .map(|(_, a)| a)
            .sum();
        println!(
            "{round:>6} {:>14.2?} {:>12.1} {:>12.1} {audits:>10} {earned:>10}",
            now.cpu.saturating_sub(last.cpu),
            now.rss_kib as f64 / 1024.0,
            now.peak_kib as f64 / 1024.0,
        );
        last = now;
        let counts = proxy.counts();
        rpc_rows.push(counts.since(&counted));
        counted = counts;
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
    print_costs(
        &chain,
        &Store::open(&db).unwrap(),
        &task,
        &schedule,
        &rpc_rows,
    )
    .await;
    net.stop().await;
}

/// Base fee per signature (no priority fee is set).
const LAMPORTS_PER_SIGNATURE: u64 = 5_000;

/// What each round cost the node: requests through the proxy, and its
/// signatures, fees and compute units, per round period (from one round's
/// start to the next: a period holds one round's submit and reveal and an
/// older round's claim).
async fn print_costs(
    chain: &ChainClient,
    store: &Store,
    task: &Pubkey,
    schedule: &Schedule,
    rows: &[Counts],
) {
    println!(
        "\nRPC through the counting proxy, per round period ({} ms slots, {} slots a round):",
        SLOT.as_millis(),
        ROUND_SLOTS
    );
    println!(
        "{:>6} {:>10} {:>10} {:>10} {:>14}  calls by method",
        "round", "HTTP", "ws sent", "ws recv", "bytes recv"
    );
    for (round, c) in rows.iter().enumerate() {
        let methods: Vec<String> = c
            .http_calls
            .iter()
            .map(|(m, n)| format!("{m} {n}"))
            .collect();
        println!(
            "{round:>6} {:>10} {:>10} {:>10} {:>14}  {}",
            c.http_total(),
            c.ws_sent,
            c.ws_received,
            c.bytes_received(),
            methods.join(", ")
        );
    }
    // Each transaction in the round period its slot is in, as the requests.
    let mut per_round = vec![(0u64, 0u64); rows.len()];
    println!("\nthe node's transactions (slot: actions as round:action):");
    for (signature, actions) in store.confirmed_transactions(task).unwrap() {
        let (slot, units) = landed(chain, &signature).await;
        let carried: Vec<String> = actions.iter().map(|(r, a)| format!("{r}:{a}")).collect();
        println!("  {slot:>6}: {}", carried.join(" + "));
        let period = schedule.round_at(slot).map(|r| r as usize);
        if let Some(counts) = period.and_then(|r| per_round.get_mut(r)) {
            counts.0 += 1;
            counts.1 += units;
        }
    }
    println!("per round period:");
    println!(
        "{:>6} {:>11} {:>15} {:>12}",
        "round", "signatures", "base fee", "CU"
    );
    for (round, (signatures, units)) in per_round.iter().enumerate() {
        println!(
            "{round:>6} {signatures:>11} {:>15} {units:>12}",
            signatures * LAMPORTS_PER_SIGNATURE
        );
    }
    let earnings = store.earnings(task).unwrap();
    println!("earned, by round: {earnings:?}");
}

/// The slot a confirmed transaction landed in and the compute units it
/// consumed.
async fn landed(chain: &ChainClient, signature: &str) -> (u64, u64) {
    let signature = signature.parse().unwrap();
    let config = solana_rpc_client_api::config::RpcTransactionConfig {
        encoding: Some(solana_transaction_status_client_types::UiTransactionEncoding::Base64),
        commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    let tx = chain
        .rpc()
        .get_transaction_with_config(&signature, config)
        .await
        .unwrap();
    let meta = tx.transaction.meta.unwrap();
    let units = Option::<u64>::from(meta.compute_units_consumed).unwrap_or(0);
    (tx.slot, units)
}

fn spawn_node(
    url: &str,
    keypair: &Path,
    task: &Pubkey,
    db: &Path,
    serve: SocketAddr,
    dir: &Path,
) -> Child {
    let log = std::fs::File::create(dir.join("node.log")).unwrap();
    Command::new(std::env::current_exe().unwrap())
        .arg("--as-node")
        .args([
            url,
            &keypair.display().to_string(),
            &task.to_string(),
            &db.display().to_string(),
            &serve.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the node process starts")
}

/// The peers' part of a round: commit, reveal, claim (which closes their
/// submissions). Whoever opened the round closes it after the deadline.
async fn play_round(
    chain: &ChainClient,
    task: &Pubkey,
    schedule: &Schedule,
    round: u64,
    peers: &[Peer],
) {
    let payload = IteratedHash
        .execute(&RoundInput::new(*task, round, Pubkey::default()))
        .unwrap();
    let value: Vec<u8> = Sha256::digest(&payload).to_vec();
    wait_for_slot(chain, schedule.round_start(round)).await;
    // The first peer opens the round unless the node did.
    let first = &peers[0];
    let commit = |peer: &Peer| {
        SubmissionPayload::Commitment(commitment(&value, &peer.salt, &peer.keypair.pubkey()))
    };
    let open = sdk::submit_opening(&first.keypair.pubkey(), task, round, commit(first), false);
    if chain.send(&open, &first.keypair, &[]).await.is_err() {
        let ix = sdk::submit(&first.keypair.pubkey(), task, round, commit(first));
        chain.send(&[ix], &first.keypair, &[]).await.ok();
    }
    run_all(&peers[1..], |peer| async move {
        let ix = sdk::submit(&peer.keypair.pubkey(), task, round, commit(peer));
        chain.send(&[ix], &peer.keypair, &[]).await.map(|_| ())
    })
    .await;
    wait_for_slot(chain, schedule.submit_end(round)).await;
    let value = &value;
    run_all(peers, |peer| async move {
        let ix = sdk::reveal(
            &peer.keypair.pubkey(),
            task,
            round,
            value.clone(),
            peer.salt,
        );
        chain.send(&[ix], &peer.keypair, &[]).await.map(|_| ())
    })
    .await;
    wait_for_slot(chain, schedule.audit_end(round)).await;
    run_all(peers, |peer| async move {
        let ix = sdk::claim(&peer.keypair.pubkey(), task, round);
        chain.send(&[ix], &peer.keypair, &[]).await.map(|_| ())
    })
    .await;
}

/// Runs `action` for every peer, `PARALLEL` at a time; reports failures.
async fn run_all<'a, F, Fut>(peers: &'a [Peer], action: F)
where
    F: Fn(&'a Peer) -> Fut,
    Fut: std::future::Future<Output = Result<(), tasknet_sdk::chain::ChainError>>,
{
    let failures: Vec<String> = stream::iter(peers)
        .map(action)
        .buffer_unordered(PARALLEL)
        .filter_map(|r| async move { r.err().map(|e| e.to_string()) })
        .collect()
        .await;
    if let Some(first) = failures.first() {
        eprintln!(
            "{} of {} peer transactions failed, first: {first}",
            failures.len(),
            peers.len()
        );
    }
}

async fn wait_for_slot(chain: &ChainClient, slot: u64) {
    tasknet_testkit::wait_for_slot(chain, slot).await;
}
