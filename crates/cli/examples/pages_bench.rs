//! How fast the pages load: the operator's dashboard with 1,000 rounds in
//! the node's store, and the task explorer with 10,000 staked nodes on the
//! task, every one of which submitted to the round on chain (real stakes
//! and submissions on the embedded chain). Prints one line per figure;
//! docs/pages.md records them.
//!
//! ```sh
//! cargo run --profile perf -p tasknet-cli --example pages_bench [ROUNDS] [NODES]
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet_cli::commands::explore::{Explorer, CACHE_TTL};
use tasknet_localnet::{Localnet, LocalnetConfig};
use tasknet_node::action::OutboxKey;
use tasknet_node::dashboard::Pages;
use tasknet_node::metrics::{Ops, TaskStatus};
use tasknet_node::store::{Store, TxState};
use tasknet_sdk::chain::{ChainClient, SendConfig};
use tasknet_sdk::tasknet::instructions::SubmissionPayload;
use tasknet_testkit::send_for_each;

/// The embedded chain's slot.
const SLOT: Duration = Duration::from_millis(50);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let nodes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let http = reqwest::Client::new();

    let dir = tempfile::tempdir().unwrap();
    let url = dashboard_with(rounds, dir.path()).await;
    let (times, bytes) = load(&http, &url, 30, Duration::ZERO).await;
    report(
        &format!("dashboard, {rounds} rounds in the store"),
        &times,
        bytes,
    );

    let net = Localnet::start(LocalnetConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        slot_duration: SLOT,
    })
    .await
    .unwrap();
    let chain = ChainClient::new(&net.url, SendConfig::fast_polling());
    let started = Instant::now();
    let task = task_with_submissions(&chain, nodes).await;
    println!(
        "setup: a task with {nodes} stakes and {nodes} submissions to its round 0 on the embedded chain in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let task_page = format!("/task/{task}");
    let round_page = format!("/task/{task}/round/0");
    first_views(
        &http,
        &net.url,
        &task_page,
        &format!("explorer task page, {nodes} staked nodes"),
    )
    .await;
    first_views(
        &http,
        &net.url,
        &round_page,
        &format!("explorer round page, {nodes} submissions"),
    )
    .await;

    let explorer = Explorer::new(ChainClient::new(&net.url, SendConfig::default()));
    let addr = explorer
        .serve("127.0.0.1:0".parse().unwrap(), "/".into())
        .await
        .unwrap();
    let last = nodes.saturating_sub(1) / 100;
    for (path, what) in [
        (
            task_page.clone(),
            format!("explorer task page, {nodes} staked nodes"),
        ),
        (
            format!("{task_page}?page={last}"),
            "explorer task page, last page of nodes".into(),
        ),
        (
            round_page.clone(),
            format!("explorer round page, {nodes} submissions"),
        ),
        (
            format!("{round_page}?page={last}"),
            "explorer round page, last page of submissions".into(),
        ),
    ] {
        let url = format!("http://{addr}{path}");
        // Later views: every one past the cache's life (the reads refresh
        // in the background), and views in quick succession.
        let pause = CACHE_TTL + Duration::from_millis(100);
        let (times, bytes) = load(&http, &url, 10, pause).await;
        report(
            &format!("{what}, a view every {:.1} s", pause.as_secs_f64()),
            &times,
            bytes,
        );
        let (times, bytes) = load(&http, &url, 30, Duration::ZERO).await;
        report(&format!("{what}, views back to back"), &times, bytes);
    }
    net.stop().await;
}

/// A node's store with `rounds` rounds: each with a submit, a reveal and a
/// claim transaction, 4 audits and an earning; every 25th challenged and
/// slashed. Returns the dashboard's URL.
async fn dashboard_with(rounds: u64, dir: &std::path::Path) -> String {
    let store = Arc::new(Store::open(&dir.join("node.db")).unwrap());
    let task = Pubkey::new_unique();
    let peers: Vec<Pubkey> = (0..4).map(|_| Pubkey::new_unique()).collect();
    for round in 0..rounds {
        for (key, tag) in [
            (OutboxKey::Submit, "s"),
            (OutboxKey::Reveal, "r"),
            (OutboxKey::Claim, "c"),
        ] {
            let signature = format!("{tag}{round}");
            store
                .record_tx(&task, round, &key, &signature, b"tx", 0)
                .unwrap();
            store
                .set_signature_state(&signature, TxState::Confirmed)
                .unwrap();
        }
        for peer in &peers {
            store
                .save_audit_verdict(&task, round, peer, round % 7 != 0)
                .unwrap();
        }
        store
            .record_earning(&task, round, 1_000_000 + round, &format!("c{round}"), None)
            .unwrap();
        if round % 25 == 0 {
            store
                .note_challenge(&task, round, &Pubkey::new_unique(), &peers[0], "invalid")
                .unwrap();
            store.record_slash(&task, round, 50_000_000).unwrap();
        }
    }
    let ops = Ops::new(&Pubkey::new_unique());
    ops.set_task(
        &task,
        TaskStatus {
            condition: "eligible with weight 2000000000".into(),
            eligible: true,
            slot: rounds * 40,
            live_rounds: vec![rounds.saturating_sub(2), rounds.saturating_sub(1)],
            code: "ready".into(),
            code_hash: Some("ab".repeat(32)),
            fuel_used: Some(123_456),
            stake_counted: Some(2_000_000_000),
            mint: None,
            decimals: 9,
            phases: Default::default(),
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Pages::new(ops, store).router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// The first view of `path`, each on a new explorer (so nothing is
/// cached): what a person opening a task or round nobody looked at waits.
async fn first_views(http: &reqwest::Client, chain_url: &str, path: &str, what: &str) {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let explorer = Explorer::new(ChainClient::new(chain_url, SendConfig::default()));
        let addr = explorer
            .serve("127.0.0.1:0".parse().unwrap(), "/".into())
            .await
            .unwrap();
        let started = Instant::now();
        let response = http
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        bytes = response.bytes().await.unwrap().len();
        times.push(started.elapsed());
    }
    report(&format!("{what}, first view (chain reads)"), &times, bytes);
}

/// A plain task with `nodes` stakes (4 to a transaction), each node's
/// value submitted to round 0 (4 to a transaction). The task starts once
/// the stakes are in, so they count in round 0: its start is set from the
/// speed at which the nodes were funded.
async fn task_with_submissions(chain: &ChainClient, nodes: usize) -> Pubkey {
    let creator = Keypair::new();
    chain
        .airdrop(&creator.pubkey(), 1_000_000 * 1_000_000_000)
        .await
        .unwrap();
    let keys: Vec<Keypair> = (0..nodes).map(|_| Keypair::new()).collect();
    let fund = 100_000_000;
    let funding = Instant::now();
    tasknet_testkit::fund_each(chain, &creator, &keys, fund).await;
    // Stake transactions are 5 for each funding one; give them twice that
    // time, and 5 s more.
    let per_fund_tx = funding.elapsed() / nodes.div_ceil(20).max(1) as u32;
    let staking = per_fund_tx * 2 * nodes.div_ceil(4) as u32 + Duration::from_secs(5);
    let slot = chain.slot().await.unwrap();
    let start = slot + (staking.as_millis() / SLOT.as_millis()) as u64;
    let args = tasknet_testkit::open_plain_task(1, start);
    let task = chain
        .create_task(&creator, args, 1_000_000_000_000)
        .await
        .unwrap();
    send_for_each(chain, &keys, 4, |_, node| {
        let endpoint = format!("http://10.0.0.1:{}", 1000 + node.to_bytes()[0] as u32);
        tasknet_sdk::stake(node, &task, 1_000_000, Some(endpoint))
    })
    .await;
    let now = chain.slot().await.unwrap();
    assert!(
        now < start,
        "staking ran past the task's start (slot {now} >= {start}): the stakes would not count in round 0"
    );
    tasknet_testkit::wait_for_slot(chain, start).await;
    chain
        .send(
            &[tasknet_sdk::open_round(&creator.pubkey(), &task, 0)],
            &creator,
            &[],
        )
        .await
        .unwrap();
    send_for_each(chain, &keys, 4, |_, node| {
        let value = SubmissionPayload::Value(node.to_bytes()[..8].to_vec());
        tasknet_sdk::submit(node, &task, 0, value)
    })
    .await;
    task
}

/// `n` GETs of `url`, `pause` apart (after one unmeasured): each one's
/// time and the page size.
async fn load(
    http: &reqwest::Client,
    url: &str,
    n: usize,
    pause: Duration,
) -> (Vec<Duration>, usize) {
    let mut times = Vec::new();
    let mut bytes = 0;
    // One unmeasured request: connection set up and the first read made
    // (the cold figure sleeps past the cache before each measured one).
    let _ = http.get(url).send().await.unwrap().bytes().await.unwrap();
    for _ in 0..n {
        tokio::time::sleep(pause).await;
        let started = Instant::now();
        let response = http.get(url).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        bytes = response.bytes().await.unwrap().len();
        times.push(started.elapsed());
    }
    (times, bytes)
}

fn report(what: &str, times: &[Duration], bytes: usize) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = sorted.iter().map(|d| ms(*d)).sum::<f64>() / sorted.len() as f64;
    let p50 = ms(sorted[sorted.len() / 2]);
    let max = ms(*sorted.last().unwrap());
    println!(
        "{what}: n={} mean {mean:.1} ms, p50 {p50:.1} ms, max {max:.1} ms, {} KB",
        sorted.len(),
        bytes / 1024
    );
}
