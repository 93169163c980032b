//! How fast the pages load: the operator's dashboard with 1,000 rounds in
//! the node's store, and the task explorer with 10,000 staked nodes on the
//! task (real stakes on the embedded chain). Prints one line per figure;
//! docs/pages.md records them.
//!
//! ```sh
//! cargo run --profile perf -p tasknet-cli --example pages_bench [ROUNDS] [NODES]
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::system_instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet_cli::commands::explore::{Explorer, CACHE_TTL};
use tasknet_localnet::{Localnet, LocalnetConfig};
use tasknet_node::action::OutboxKey;
use tasknet_node::dashboard::Pages;
use tasknet_node::metrics::{Ops, TaskStatus};
use tasknet_node::store::{Store, TxState};
use tasknet_sdk::chain::{ChainClient, SendConfig};

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
        slot_duration: Duration::from_millis(50),
    })
    .await
    .unwrap();
    let chain = ChainClient::new(&net.url, SendConfig::fast_polling());
    let started = Instant::now();
    let task = task_with_stakes(&chain, nodes).await;
    println!(
        "setup: a task with {nodes} stakes on the embedded chain in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The first view of a task waits for its reads (each a new explorer,
    // so nothing is cached).
    let mut first = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let explorer = Explorer::new(ChainClient::new(&net.url, SendConfig::default()));
        let addr = explorer
            .serve("127.0.0.1:0".parse().unwrap(), "/".into())
            .await
            .unwrap();
        let started = Instant::now();
        let response = http
            .get(format!("http://{addr}/task/{task}"))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        bytes = response.bytes().await.unwrap().len();
        first.push(started.elapsed());
    }
    report(
        &format!("explorer task page, {nodes} staked nodes, first view (chain reads)"),
        &first,
        bytes,
    );
    let explorer = Explorer::new(ChainClient::new(&net.url, SendConfig::default()));
    let addr = explorer
        .serve("127.0.0.1:0".parse().unwrap(), "/".into())
        .await
        .unwrap();
    let page = format!("http://{addr}/task/{task}");
    // Later views: every one past the cache's life (the reads refresh in
    // the background), and views in quick succession.
    let (times, bytes) = load(&http, &page, 10, CACHE_TTL + Duration::from_millis(100)).await;
    report(
        &format!(
            "explorer task page, {nodes} staked nodes, a view every {:.1} s",
            (CACHE_TTL + Duration::from_millis(100)).as_secs_f64()
        ),
        &times,
        bytes,
    );
    let (times, bytes) = load(&http, &page, 30, Duration::ZERO).await;
    report(
        &format!("explorer task page, {nodes} staked nodes, views back to back"),
        &times,
        bytes,
    );
    let last = format!("{page}?page={}", nodes.saturating_sub(1) / 100);
    let (times, bytes) = load(&http, &last, 30, Duration::ZERO).await;
    report(
        "explorer task page, last page of nodes, views back to back",
        &times,
        bytes,
    );
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

/// A funded task with `nodes` stakes, sent 4 stakes to a transaction.
async fn task_with_stakes(chain: &ChainClient, nodes: usize) -> Pubkey {
    let creator = Keypair::new();
    chain
        .airdrop(&creator.pubkey(), 1_000_000 * 1_000_000_000)
        .await
        .unwrap();
    let slot = chain.slot().await.unwrap();
    let args = tasknet_testkit::task_args(1, [7; 32], tasknet_testkit::schedule_from(slot + 10));
    let stake = args.economics.min_stake;
    let task = chain
        .create_task(&creator, args, 1_000_000_000_000)
        .await
        .unwrap();
    let keys: Vec<Keypair> = (0..nodes).map(|_| Keypair::new()).collect();
    // Fund them, 20 transfers to a transaction.
    let fund = stake + 10_000_000;
    let sends = keys.chunks(20).map(|chunk| {
        let ixs: Vec<_> = chunk
            .iter()
            .map(|k| system_instruction::transfer(&creator.pubkey(), &k.pubkey(), fund))
            .collect();
        let creator = &creator;
        async move { chain.send(&ixs, creator, &[]).await.unwrap() }
    });
    in_batches(sends).await;
    let sends = keys.chunks(4).map(|chunk| {
        let ixs: Vec<_> = chunk
            .iter()
            .map(|k| {
                tasknet_sdk::stake(
                    &k.pubkey(),
                    &task,
                    stake,
                    Some(format!(
                        "http://10.0.0.1:{}",
                        1000 + k.pubkey().to_bytes()[0] as u32
                    )),
                )
            })
            .collect();
        async move {
            let (payer, others) = chunk.split_first().unwrap();
            let others: Vec<&Keypair> = others.iter().collect();
            chain.send(&ixs, payer, &others).await.unwrap()
        }
    });
    in_batches(sends).await;
    task
}

/// Runs the futures 16 at a time.
async fn in_batches<F: std::future::Future>(futures: impl Iterator<Item = F>) {
    use futures::stream::StreamExt;
    futures::stream::iter(futures)
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
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
